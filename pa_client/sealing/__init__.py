"""Pure cryptography of the confidential ledger: opaque ids, sealed payloads, key envelopes.

No I/O, no node, no settings: bytes in, bytes out, all from `cryptography` (HMAC, HKDF, AES-GCM,
X25519 and HPKE, RFC 9180); nothing is hand-rolled. docs/spec/confidentiality.md is the design and
docs/security.md ("Keys") what each party holds.

- `keys`: an authorisation's blinding key and per-epoch data keys (`AuthorisationKeys`).
- `blinding`: `blind(key, domain, text)`, the ids the contracts see.
- `payloads`: `seal` / `open_sealed`, bound to their record by `associated_data`.
- `envelopes`: `wrap` / `unwrap` of an authorisation's keys for one account's `EncryptionKeyPair`.

Every failure is a `SealingError` (`UnreadableError` when only the key is missing).
"""

from __future__ import annotations

from pa_client.errors import SealingError, UnreadableError
from pa_client.sealing.blinding import BlindingDomain, blind
from pa_client.sealing.envelopes import (
    ENVELOPE_SIZE,
    EncryptionKeyPair,
    development_encryption_key,
    envelope_binding,
    unwrap,
    wrap,
)
from pa_client.sealing.keys import AuthorisationKeys, new_root_secret
from pa_client.sealing.payloads import associated_data, open_sealed, seal, sealed_epoch

__all__ = [
    "ENVELOPE_SIZE",
    "AuthorisationKeys",
    "BlindingDomain",
    "EncryptionKeyPair",
    "SealingError",
    "UnreadableError",
    "associated_data",
    "blind",
    "development_encryption_key",
    "envelope_binding",
    "new_root_secret",
    "open_sealed",
    "seal",
    "sealed_epoch",
    "unwrap",
    "wrap",
]
