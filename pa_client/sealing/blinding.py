"""Opaque ids: a business string keyed by its authorisation's blinding key.

`blind(key, domain, text) = HMAC-SHA256(key, label ‖ 0x00 ‖ UTF-8 text)`. The domain label keeps ids
of different kinds apart (a lot and a site named alike get different ids), and the key makes an id
impossible to guess from a public reference, a lot number or a CN code without it. As the key is the
authorisation's own, an id is unique within its authorisation: a lot id is already scoped by its
authorisation, and two authorisations with a lot of the same name get different ids.
"""

from __future__ import annotations

import enum
import re

from cryptography.hazmat.primitives import hashes, hmac

from pa_client.errors import SealingError
from pa_client.sealing.keys import check_key

__all__ = ["BlindingDomain", "blind"]

_CN_CODE = re.compile(r"[0-9]{8}")


class BlindingDomain(enum.StrEnum):
    """What a blinded string is: the label hashed before it (fixed: changing one changes every id)."""

    AUTHORISATION = "authorisation"
    ENTRY = "entry"
    LOT = "lot"
    SITE = "site"
    GOODS = "goods"  # a CN code as its 8-digit text, leading zero kept ("01012100")
    UNIT = "unit"
    DECLARATION = "declaration"


def blind(blinding_key: bytes, domain: BlindingDomain | str, text: str) -> bytes:
    """The 32-byte opaque id of `text` in `domain` under the authorisation's blinding key."""
    check_key(blinding_key, "a blinding key")
    try:
        label = BlindingDomain(domain)
    except ValueError:
        known = ", ".join(d.value for d in BlindingDomain)
        raise SealingError(f"unknown blinding domain {domain!r} (known: {known})") from None
    if label is BlindingDomain.GOODS and not _CN_CODE.fullmatch(text):
        raise SealingError(f"a goods code is blinded as its 8 digits, not {text!r}")
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError:
        raise SealingError(f"{label.value} {text!r} is not valid text (a lone surrogate)") from None
    mac = hmac.HMAC(blinding_key, hashes.SHA256())
    mac.update(label.value.encode("ascii") + b"\0" + encoded)
    return mac.finalize()
