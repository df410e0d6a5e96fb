"""Identifiers: how the ledger keys business references (see IPaLedger.sol)."""

from __future__ import annotations

from eth_abi.abi import encode

from pa_client.contract.hashing import keccak, keccak_text


def authorisation_id(reference: str) -> bytes:
    """`keccak256(bytes(reference))` of the EU authorisation reference."""
    return keccak_text(reference)


def entry_id(entry_ref: str) -> bytes:
    """`keccak256(bytes(entryRef))`; entry references are unique within an authorisation."""
    return keccak_text(entry_ref)


def site_id(site: str) -> bytes:
    return keccak_text(site)


def lot_id(authorisation: str, lot: str) -> bytes:
    """`keccak256(abi.encode(authorisationId, lotRef))`: lot references are scoped by authorisation."""
    return keccak(encode(["bytes32", "string"], [authorisation_id(authorisation), lot]))
