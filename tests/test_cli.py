"""The `pa` entry point: help, one-line errors, exit codes, logging, and the real console script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pa_client import cli
from pa_client.chain.node import EmbeddedNode
from pa_client.cli import main
from pa_client.settings import Settings

PA = Path(sys.executable).parent / "pa"


def test_help_names_the_environment_variables(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in ("PA_RPC_URL", "PA_ACCOUNT", "PA_PASSWORD", "PA_DATA_DIR"):
        assert name in out
    assert "node" in out


def test_node_group_is_registered(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["node", "--help"]) == 0
    out = capsys.readouterr().out
    assert all(word in out for word in ("start", "stop", "status"))


def test_invalid_setting_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_CHAIN_ID", "x")
    assert main(["node", "status"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("error: invalid setting PA_CHAIN_ID='x'") and err.count("\n") == 1


def test_usage_error_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["node", "start", "--port", "0"]) == 2
    assert "--port" in capsys.readouterr().err


def test_ctrl_c_exits_130(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def interrupted(self: EmbeddedNode) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(EmbeddedNode, "status", interrupted)
    assert main(["--data-dir", str(tmp_path), "node", "status"]) == 130
    assert "Traceback" not in capsys.readouterr().err


def test_verbose_logs_to_stderr(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    try:
        assert main(["-v", "--data-dir", str(data_dir), "node", "start"]) == 0
        err = capsys.readouterr().err
        assert "info: node started at http://127.0.0.1:" in err
    finally:
        EmbeddedNode(Settings(data_dir=data_dir)).stop()
        cli._configure_logging(0)


def test_console_script_across_processes(tmp_path: Path) -> None:
    # Each `pa` is its own process: the node outlives `start` and is stopped by another process.
    env_dir = ["--data-dir", str(tmp_path / "data")]

    def pa(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(PA), *env_dir, *args], capture_output=True, text=True, timeout=30, check=False
        )

    try:
        started = pa("node", "start")
        assert started.returncode == 0, started.stderr
        assert "node started at" in started.stdout
        status = pa("node", "status")
        assert "running       yes" in status.stdout
        stopped = pa("node", "stop")
        assert stopped.returncode == 0, stopped.stderr
        assert "node stopped; chain saved in" in stopped.stdout
        assert not EmbeddedNode(Settings(data_dir=tmp_path / "data")).status().running
    finally:
        EmbeddedNode(Settings(data_dir=tmp_path / "data")).stop()

    failed = subprocess.run(
        [str(PA), "node", "start"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PA_ANVIL": "/nonexistent/anvil"},
    )
    assert failed.returncode == 1
    assert failed.stderr.startswith("error: anvil not found at '/nonexistent/anvil'")
    assert failed.stderr.count("\n") == 1


ROOT = Path(__file__).resolve().parents[1]


def test_the_launcher_runs_the_checkouts_pa_from_anywhere(tmp_path: Path) -> None:
    """`./pa` at the repository root is `.venv/bin/pa` without activating the venv (README)."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}  # no .venv/bin on it, no VIRTUAL_ENV
    here = subprocess.run(
        ["./pa", "--version"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert here.returncode == 0 and here.stdout.startswith("pa "), here.stderr
    elsewhere = subprocess.run(
        [str(ROOT / "pa"), "--data-dir", str(tmp_path / "data"), "node", "status"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert elsewhere.returncode == 0 and "running" in elsewhere.stdout, elsewhere.stderr


def test_the_launcher_without_a_venv_says_what_to_run(tmp_path: Path) -> None:
    (tmp_path / "pa").write_bytes((ROOT / "pa").read_bytes())
    (tmp_path / "pa").chmod(0o755)
    done = subprocess.run([str(tmp_path / "pa"), "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 1 and done.stdout == ""
    assert (
        done.stderr
        == f"error: {tmp_path}/.venv/bin/pa is not there yet: run 'make setup' (or 'make demo') first\n"
    )


def test_how_the_demo_names_pa(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from pa_client.commands.demo import pa_command

    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.chdir(ROOT)
    assert pa_command() == "./pa"  # the checkout's venv, not active: the launcher
    monkeypatch.chdir(tmp_path)
    assert pa_command() == str(ROOT / "pa")
    monkeypatch.setenv("VIRTUAL_ENV", sys.prefix)
    assert pa_command() == "pa"  # activated: pa is on PATH
