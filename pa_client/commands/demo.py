"""`pa demo`: the whole tour on the embedded chain, for a newcomer."""

from __future__ import annotations

import typer

from pa_client.commands import console, settings_from
from pa_client.errors import ConfigError


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(ctx: typer.Context) -> None:
    """Start the embedded node, deploy, register the sample authorisation and record sample entries."""
    from pa_client.chain.node import EmbeddedNode
    from pa_client.chain.sender import connect
    from pa_client.dev.demo import AUDIT_DAY, REFERENCE, run_demo

    settings = settings_from(ctx)
    if settings.rpc_url is not None:
        raise ConfigError(
            "the demo runs on the embedded node with development accounts: drop --rpc-url / PA_RPC_URL"
        )
    node = EmbeddedNode(settings)
    rpc_url = node.ensure_running()
    console.print(f"embedded node at {rpc_url} (data in {settings.data_dir})", markup=False)
    report = run_demo(settings, connect(rpc_url), say=lambda line: console.print(f"- {line}", markup=False))
    console.print(
        f"{report.recorded} entries recorded now, {report.already} already there; authorisation "
        f"{REFERENCE} holds {report.sequence:,} records, rolling hash 0x{report.head.hex()}",
        markup=False,
    )
    if report.summary is not None:
        console.print(f"{report.summary} (deadlines judged on {AUDIT_DAY:%d %B %Y})", markup=False)
    console.print("Reports:", markup=False)
    for kind, path in report.reports.items():
        console.print(f"  {kind:<9} {path}", markup=False)
    console.print(
        "Open the HTML report in a browser. The node keeps running: stop it with 'pa node stop'.",
        markup=False,
    )
