"""`pa compare`: this node and another party's node report the same ledger at a block."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from pa_client.commands import AtBlock, console, settings_from
from pa_client.errors import ChainError

if TYPE_CHECKING:
    from pa_client.audit.comparison import Chain


def register(app: typer.Typer) -> None:
    app.command("compare")(compare_command)


def _chain(chain: Chain, counted: str = "records") -> str:
    sequence, head = chain
    return f"{sequence:,} {counted}, head 0x{head.hex()[:12]}…"


def compare_command(
    ctx: typer.Context,
    other_url: Annotated[
        str, typer.Argument(metavar="OTHER_RPC_URL", help="The JSON-RPC URL of another party's node.")
    ],
    at_block: AtBlock = None,
) -> None:
    """Compare this node with another party's: the block's hash, the registry's event count and rolling
    hash, and every authorisation's record count and rolling hash must be equal (a node hiding records from its own party is caught here, not by
    the integrity proof alone). Exits 1 when they differ."""
    from pa_client.audit.comparison import compare_nodes
    from pa_client.chain.connection import open_ledger
    from pa_client.chain.extract import head_block
    from pa_client.chain.sender import connect

    settings = settings_from(ctx)
    ledger = open_ledger(settings, signing=False)
    block = at_block if at_block is not None else head_block(ledger.w3, settings.confirmations)
    result = compare_nodes(ledger, connect(other_url), block)
    console.print(f"block {block:,}: this node {result.block_hash_here}", markup=False)
    console.print(f"{' ' * len(f'block {block:,}: ')}other node {result.block_hash_there}", markup=False)
    registry_same = result.registry_here == result.registry_there
    state = "same" if registry_same else f"DIFFERENT: other node {_chain(result.registry_there, 'events')}"
    console.print(f"  registry  {_chain(result.registry_here, 'events')}  {state}", markup=False)
    for item in result.authorisations:
        state = "same" if item.same else f"DIFFERENT: other node {_chain(item.there)}"
        console.print(f"  {item.reference}  {_chain(item.here)}  {state}", markup=False)
    if result.block_hash_here != result.block_hash_there:
        raise ChainError(f"the nodes disagree on block {block:,}: they are not on the same chain")
    if not registry_same:
        raise ChainError(
            f"the nodes disagree on the registry at block {block:,}: an authorisation, or a change of one, "
            "is missing from one of them"
        )
    if result.different:
        names = ", ".join(item.reference for item in result.different)
        raise ChainError(
            f"the nodes disagree on {len(result.different)} authorisation(s) at block {block:,}: {names}"
        )
    console.print(
        f"the nodes agree on {len(result.authorisations)} authorisation(s) at block {block:,}", markup=False
    )
