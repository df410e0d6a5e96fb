"""`pa demo`: the whole tour on the embedded chain, for a newcomer."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from pa_client.commands import console, settings_from
from pa_client.errors import ConfigError


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(ctx: typer.Context) -> None:
    """Start the embedded node, deploy, register the sample authorisation and record sample entries."""
    from pa_client.chain.sender import connect
    from pa_client.dev.console import ape_console_hint, embedded_node_for_ape
    from pa_client.dev.demo import AUDIT_DAY, GENESIS, REFERENCE, run_demo

    settings = settings_from(ctx)
    if settings.rpc_url is not None:
        raise ConfigError(
            "the demo runs on the embedded node with development accounts: drop --rpc-url / PA_RPC_URL"
        )
    rpc_url = embedded_node_for_ape(settings, genesis_time=int(GENESIS.timestamp()))
    console.print(f"embedded node at {rpc_url} (data in {settings.data_dir})", markup=False)
    report = run_demo(settings, connect(rpc_url), say=lambda line: console.print(f"- {line}", markup=False))
    console.print(
        f"{report.recorded} entries recorded now, {report.already} already there; authorisation "
        f"{REFERENCE} holds {report.sequence:,} records, rolling hash 0x{report.head.hex()}",
        markup=False,
    )
    if report.first_finding is not None:
        console.print(f"First finding: {report.first_finding}", markup=False)
    if report.summary is not None:
        console.print(f"{report.summary} (deadlines judged on {AUDIT_DAY:%d %B %Y})", markup=False)
    console.print("Reports:", markup=False)
    for kind, path in report.reports.items():
        console.print(f"  {kind:<9} {path}", markup=False)
    pa = pa_command()
    console.print(
        f"See it on the dashboard as of the season's day: '{pa} serve --today {AUDIT_DAY.isoformat()}'",
        markup=False,
    )
    console.print(
        f"Open the HTML report in a browser. The node keeps running: stop it with '{pa} node stop'.",
        markup=False,
    )
    hint = ape_console_hint(rpc_url)
    if hint is not None:
        console.print(hint, markup=False)
    if pa != "pa":
        console.print(
            f"pa is not on your PATH (it is in {Path(sys.prefix) / 'bin'}): run it as {pa} from the "
            f"repository, e.g. '{pa} alerts --at {AUDIT_DAY.isoformat()}', or first '. .venv/bin/activate'",
            markup=False,
        )


def pa_command() -> str:
    """How to type `pa` in the shell that ran this one: `pa` in an active venv or wherever `pa` was
    installed on PATH; `./pa` (the checkout's launcher, relative to the current folder) when this runs
    from a checkout's `.venv` that is not active, as `make demo` does."""
    if os.environ.get("VIRTUAL_ENV") == sys.prefix or sys.prefix == sys.base_prefix:
        return "pa"
    launcher = Path(__file__).resolve().parents[2] / "pa"
    if not launcher.is_file() or Path(sys.prefix).resolve() != launcher.parent / ".venv":
        return "pa"
    try:
        return f"./{launcher.relative_to(Path.cwd().resolve())}"
    except ValueError:
        return str(launcher)
