"""`pa demo`: the whole tour on the embedded chain, for a newcomer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import typer

from pa_client.chain import connect
from pa_client.commands import console, settings_from
from pa_client.demo import REFERENCE, run_demo
from pa_client.errors import ConfigError
from pa_client.node import EmbeddedNode
from pa_client.quantities import format_quantity


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(ctx: typer.Context) -> None:
    """Start the embedded node, deploy, register the sample authorisation and record sample entries."""
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
    _print_summary(report.summary)
    console.print("Reports:", markup=False)
    for kind, path in report.reports.items():
        console.print(f"  {kind:<9} {path}", markup=False)
    console.print(
        "Open the HTML report in a browser. The node keeps running: stop it with 'pa node stop'.",
        markup=False,
    )


def _print_summary(summary: dict[str, Any]) -> None:
    open_by_code: dict[tuple[str, str], Decimal] = {}
    for placement in summary["placements"]:
        if placement["status"] != "discharged":
            key = (placement["goods_code"], placement["unit"])
            open_by_code[key] = open_by_code.get(key, Decimal(0)) + Decimal(placement["remaining"])
    opened = ", ".join(
        format_quantity(q, unit) + f" of {code}" for (code, unit), q in sorted(open_by_code.items())
    )
    counts: dict[str, int] = {}
    for alert in summary["alerts"]:
        counts[alert["severity"]] = counts.get(alert["severity"], 0) + 1
    console.print(
        f"As of {summary['as_of_time'][:10]} (block {summary['as_of_block']:,}) judged on 1 April 2019: "
        f"{len(summary['placements'])} placements, open {opened or 'nothing'}; duty due EUR "
        f"{Decimal(summary['duty_due']['total']):,.2f}; alerts: "
        + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none"),
        markup=False,
    )
