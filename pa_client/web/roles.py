"""What the chain says about an account, read from the registry and cached briefly: the facts that
`access.derive_access` turns into what the account may see.

The cache is dropped whenever the registry logs something (an authorisation registered or amended, a
declarant appointed or removed, a role granted or revoked: the live tracker calls `invalidate`), and
otherwise kept `ttl` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection

from web3 import Web3

from pa_client.chain import rpc
from pa_client.chain.ledger import LedgerClient
from pa_client.contract import ids
from pa_client.web.access import Access, derive_access

DEFAULT_TTL = 30.0


class RoleReader:
    def __init__(
        self, ledger: LedgerClient, references: Callable[[], Collection[str]], ttl: float = DEFAULT_TTL
    ) -> None:
        self.ledger = ledger
        self.references = references
        self.ttl = ttl
        self._cache: dict[str, tuple[float, int, Access]] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        with self._lock:
            self._generation += 1
            self._cache.clear()

    def access(self, address: str) -> Access:
        """The access of `address` (any case), from the cache or the registry."""
        address = Web3.to_checksum_address(address)
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(address)
            generation = self._generation
        if cached is not None and cached[1] == generation and now - cached[0] < self.ttl:
            return cached[2]
        access = self.read(address)
        with self._lock:
            if self._generation == generation:
                self._cache[address] = (now, generation, access)
        return access

    def read(self, address: str) -> Access:
        """The registry's answers now: the customs role, each authorisation's holder, and the
        authorisations that appointed `address` as a declarant (one batch of calls)."""
        references = sorted(self.references())
        registry = self.ledger.registry
        calls: list[bytes] = [bytes.fromhex(registry.encode_abi("isCustoms", args=[address])[2:])]
        for reference in references:
            authorisation = ids.authorisation_id(reference)
            calls.append(bytes.fromhex(registry.encode_abi("authorisationOf", args=[authorisation])[2:]))
            calls.append(bytes.fromhex(registry.encode_abi("isDeclarant", args=[authorisation, address])[2:]))
        answers = rpc.call_many(self.ledger.w3, str(registry.address), calls, what="read the account's roles")
        is_customs = _word(answers[0]) != 0
        holders: dict[str, str] = {}
        declarant_of: list[str] = []
        for position, reference in enumerate(references):
            holder_word = answers[1 + 2 * position][:32]
            holders[reference] = Web3.to_checksum_address(holder_word[-20:])
            if _word(answers[2 + 2 * position]) != 0:
                declarant_of.append(reference)
        return derive_access(address, is_customs=is_customs, holders=holders, declarant_of=declarant_of)


def _word(answer: bytes) -> int:
    return int.from_bytes(answer[:32], "big") if answer else 0
