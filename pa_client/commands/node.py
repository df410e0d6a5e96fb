"""`pa node start | stop | status`: the embedded local chain."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from pa_client.commands import PaTyper, console, human_size, settings_from, within

if TYPE_CHECKING:
    from pa_client.chain.node import NodeStatus

node_app = PaTyper(
    help="The embedded local chain (Anvil); its state is kept in the data folder.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the `node` group to `pa`."""
    app.add_typer(node_app, name="node")


@node_app.command()
def start(
    ctx: typer.Context,
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            metavar="PORT",
            callback=within(1, 65535),
            help="Listen on this port of 127.0.0.1, 1 to 65535 (env PA_NODE_PORT; default: a free port).",
        ),
    ] = None,
) -> None:
    """Start the node in the background (nothing to do if it is running)."""
    from pa_client.chain.node import EmbeddedNode

    node = EmbeddedNode(settings_from(ctx, node_port=port))
    was_running = node.status().running
    status = node.start()
    verb = "already running" if was_running else "started"
    console.print(f"node {verb} at {status.rpc_url} ({_chain_summary(status)})", markup=False)


@node_app.command()
def stop(ctx: typer.Context) -> None:
    """Stop the node; Anvil saves the chain to the state file first."""
    from pa_client.chain.node import EmbeddedNode

    settings = settings_from(ctx)
    node = EmbeddedNode(settings)
    persists = node.status().persists  # as the node was started, whatever this command's settings
    if not node.stop():
        console.print("node was not running")
        return
    if not persists:
        console.print("node stopped; its chain was kept in memory only (PA_NODE_PERSIST) and is gone")
        return
    status = node.status()
    size = f" ({human_size(status.state_size)})" if status.state_size is not None else ""
    console.print(f"node stopped; chain saved in {status.state_file}{size}", markup=False)


@node_app.command()
def status(ctx: typer.Context) -> None:
    """Show whether the node runs, where, and how big its chain is."""
    from pa_client.chain.node import EmbeddedNode

    st = EmbeddedNode(settings_from(ctx)).status()
    rows: list[tuple[str, str]] = []
    answering = "" if st.chain_id is not None or not st.running else " (not answering)"
    rows.append(("running", ("yes" if st.running else "no") + answering))
    if st.running:
        rows.append(("URL", str(st.rpc_url)))
        rows.append(("pid", str(st.pid)))
        if st.chain_id is not None:
            rows.append(("chain id", str(st.chain_id)))
        if st.block_number is not None:
            rows.append(("latest block", f"{st.block_number:,}"))
    size = human_size(st.state_size) if st.state_size is not None else "none yet"
    rows.append(("state file", f"{st.state_file} ({size})"))
    if st.snapshots:
        newest = f"newest at block {st.snapshots[0]:,}"
        rows.append(
            ("snapshots", f"{len(st.snapshots)} consistent, {newest} ({st.state_file.parent / 'snapshots'})")
        )
    rows.append(("log", str(st.log_file)))
    # Plain aligned lines rather than a rich table: paths must never be cut to the terminal width.
    width = max(len(label) for label, _ in rows) + 2
    for label, value in rows:
        console.print(f"{label:<{width}}{value}", markup=False)


def _chain_summary(status: NodeStatus) -> str:
    block = f"{status.block_number:,}" if status.block_number is not None else "?"
    return f"chain id {status.chain_id}, latest block {block}"
