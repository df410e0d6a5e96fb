"""Two nodes compared: does another party's node report the same ledger?

The integrity proof checks the logs against `chainOf` as one node answers both, so a node that hides
the newest records consistently (logs and `chainOf`) passes it (docs/security.md, finding 2). Each
party can ask its own node and another party's for the same block: the block's hash, the registry's
`(events, head)` and every authorisation's `(sequence, head)` must be equal.
"""

from __future__ import annotations

from dataclasses import dataclass

from web3 import Web3

from pa_client.audit.index import block_header
from pa_client.audit.tables import TableBuilder
from pa_client.chain import rpc
from pa_client.chain.extract import read_pages
from pa_client.chain.ledger import LedgerClient
from pa_client.errors import ChainError

Chain = tuple[int, bytes]  # (sequence, head)


@dataclass(frozen=True)
class AuthorisationChains:
    reference: str
    here: Chain
    there: Chain

    @property
    def same(self) -> bool:
        return self.here == self.there


@dataclass(frozen=True)
class NodeComparison:
    block: int
    block_hash_here: str
    block_hash_there: str
    authorisations: tuple[AuthorisationChains, ...]
    registry_here: Chain
    registry_there: Chain

    @property
    def same(self) -> bool:
        return (
            self.block_hash_here == self.block_hash_there
            and self.registry_here == self.registry_there
            and all(a.same for a in self.authorisations)
        )

    @property
    def different(self) -> list[AuthorisationChains]:
        return [a for a in self.authorisations if not a.same]


def references(ledger: LedgerClient, block: int) -> list[str]:
    """The authorisations registered up to `block`, from the registry's logs on this node."""
    builder = TableBuilder()
    registry = ledger.deployment.registry
    for page in read_pages(ledger.w3, [registry], ledger.deployment.block, block):
        builder.add_logs(page.logs)
    return sorted(builder.authorisations)


def compare_nodes(ledger: LedgerClient, other: Web3, block: int) -> NodeComparison:
    """This node (`ledger`'s) and `other` at `block`: its hash, and each authorisation's chain."""
    latest_there = int(rpc.request(other, "eth_blockNumber", [], what="read the other node's head"), 16)
    if latest_there < block:
        raise ChainError(
            f"the other node is at block {latest_there:,}, behind block {block:,}: compare an earlier block"
        )
    here_hash = str(block_header(ledger.w3, block)["hash"])
    there_hash = str(block_header(other, block)["hash"])
    refs = references(ledger, block)
    other_ledger = LedgerClient(other, ledger.deployment)
    here = ledger.chains(refs, block)
    there = other_ledger.chains(refs, block)
    return NodeComparison(
        block,
        here_hash,
        there_hash,
        tuple(AuthorisationChains(r, h, t) for r, h, t in zip(refs, here, there, strict=True)),
        ledger.registry_chain(block),
        other_ledger.registry_chain(block),
    )
