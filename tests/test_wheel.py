"""`pa demo` from the built wheel, installed into a fresh virtual environment outside the checkout:
the sample authorisation and season, the artifacts and the templates are package data."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from pa_client.settings import default_anvil_path

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=240, check=False, **kwargs)  # type: ignore[call-overload,no-any-return]


def _build_wheel(folder: Path) -> Path:
    """The wheel of the package as it stands in the checkout, built from a copy of its sources."""
    source = folder / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "pa_client", source / "pa_client", ignore=shutil.ignore_patterns("__pycache__"))
    built = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            ".",
            "-w",
            str(folder),
        ],
        cwd=source,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = folder.glob("pa_ledger-*.whl")
    return wheel


def test_pa_demo_runs_from_the_wheel_installed_outside_the_checkout(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    venv = tmp_path / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    installed = _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)]
    )
    assert installed.returncode == 0, installed.stderr
    # The package's dependencies come from this environment's site-packages, read as a plain folder:
    # its editable install of the checkout (a .pth file there) is not processed, so only the wheel's
    # pa_client can be imported.
    site = Path(
        _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    )
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        key: value for key, value in os.environ.items() if not key.startswith("PA_") and key != "PYTHONPATH"
    }
    env.update(PA_ANVIL=str(default_anvil_path()), PA_NODE_PERSIST="false", HOME=str(tmp_path / "home"))
    where = _run([str(python), "-c", "import pa_client; print(pa_client.__file__)"], cwd=elsewhere, env=env)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout + where.stderr

    data = tmp_path / "data"
    demo = _run([str(venv / "bin" / "pa"), "--data-dir", str(data), "demo"], cwd=elsewhere, env=env)
    try:
        assert demo.returncode == 0, demo.stdout + demo.stderr
        assert (
            "customs registered authorisation FRIPO000000000042 from authorisation-bourges.toml"
            in demo.stdout
        )
        assert "integrity verified" in demo.stdout
        reports = data / "reports" / "FRIPO000000000042"
        assert (reports / "audit.html").is_file() and (reports / "bill-2019-08-01-2019-09-30.xlsx").is_file()
        assert "Traceback" not in demo.stderr
    finally:
        _run([str(venv / "bin" / "pa"), "--data-dir", str(data), "node", "stop"], cwd=elsewhere, env=env)
