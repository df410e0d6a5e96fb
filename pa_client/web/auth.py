"""Signing in: people sign a one-time Sign-In with Ethereum message (EIP-4361, the `siwe` package)
with their account; systems send an API token bound to an account (`Authorization: Bearer …`).

A challenge names the server's host (the message's domain), the chain id and a random nonce that
the server keeps for 10 minutes and accepts once. A verified signature opens a session (a random id in
an HttpOnly cookie, stored hashed, expiring after `session_hours`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import siwe  # type: ignore[import-untyped]
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from web3 import Web3

from pa_client.errors import PaClientError
from pa_client.web.store import Store, Token

SESSION_COOKIE = "pa_session"
CHALLENGE_SECONDS = 600
STATEMENT = (
    "Sign in to PA Ledger (inward processing records). This costs nothing and sends nothing to the chain."
)


class SignInError(PaClientError, ValueError):
    """The sign-in message or signature is refused; the message says why, for people (HTTP 401)."""


class SignInBusyError(SignInError):
    """No challenge can be issued now: too many are pending (HTTP 429)."""


class AddressError(SignInError):
    """The text is not an account address (HTTP 422)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: an account, through a session (a person) or an API token (a system)."""

    address: str
    via: str  # "session" or "token"
    token: Token | None = None
    expires: float | None = None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def checksum(address: str) -> str:
    """An address as EIP-55 text, or AddressError."""
    text = address.strip()
    if not Web3.is_address(text):
        raise AddressError(f"'{text[:60]}' is not an account address (0x and 40 hexadecimal digits)")
    return Web3.to_checksum_address(text)


def new_challenge(
    store: Store, *, address: str, host: str, uri: str, chain_id: int, now: float, requester: str = ""
) -> str:
    """The message the account is asked to sign, kept for one use; `requester` (the caller's IP
    address) bounds how many one caller keeps pending (`Store.add_challenge`)."""
    issued = datetime.fromtimestamp(now, UTC)
    nonce = siwe.generate_nonce()
    message = siwe.SiweMessage(
        domain=host,
        address=checksum(address),
        statement=STATEMENT,
        uri=uri,
        version="1",
        chain_id=chain_id,
        nonce=nonce,
        issued_at=_iso(issued),
        expiration_time=_iso(issued + timedelta(seconds=CHALLENGE_SECONDS)),
    ).prepare_message()
    if not store.add_challenge(nonce, checksum(address), str(message), now + CHALLENGE_SECONDS, requester):
        raise SignInBusyError(
            f"too many sign-ins are under way; try again in {CHALLENGE_SECONDS // 60} minutes"
        )
    return str(message)


def verify_sign_in(
    store: Store, *, message: str, signature: str, host: str, chain_id: int, now: float
) -> str:
    """The account that signed `message`, when the message is a challenge this server issued (for
    this host and chain, unexpired, unused) and the signature is that account's; else SignInError."""
    text = message.replace("\r\n", "\n").strip()
    try:
        parsed = siwe.SiweMessage.from_message(text)
    except Exception:  # the parser raises many kinds of errors for malformed text
        raise SignInError("this is not a Sign-In with Ethereum message (EIP-4361)") from None
    if parsed.domain != host:
        raise SignInError(f"the message is for {parsed.domain}, not for this server ({host})")
    if int(parsed.chain_id) != chain_id:
        raise SignInError(f"the message is for chain {parsed.chain_id}, not this ledger's chain {chain_id}")
    issued = store.take_challenge(str(parsed.nonce), now)
    if issued is None:
        raise SignInError("this sign-in message is unknown, used already or expired: ask for a new one")
    address, original = issued
    if original != text:
        raise SignInError("the message differs from the one this server issued")
    try:
        parsed.verify(
            signature.strip(),
            domain=host,
            nonce=str(parsed.nonce),
            timestamp=datetime.fromtimestamp(now, UTC),
        )
    except siwe.ExpiredMessage:
        raise SignInError("the sign-in message expired: ask for a new one") from None
    except siwe.VerificationError:
        raise SignInError(f"the signature is not that of account {address}") from None
    except Exception:
        raise SignInError("the signature is not a valid signature (0x and 130 hexadecimal digits)") from None
    return address


def sign_message(account: LocalAccount, message: str) -> str:
    """What a wallet's `personal_sign` gives (EIP-191), as 0x-hex: for `pa serve sign`, the
    development accounts and the tests."""
    signature = account.sign_message(encode_defunct(text=message)).signature.hex()
    return signature if signature.startswith("0x") else "0x" + signature


def principal_from(store: Store, *, authorization: str | None, session_id: str | None) -> Principal | None:
    """The caller, from a bearer token (which wins) or a session cookie; None when neither is valid."""
    if authorization:
        scheme, _, secret = authorization.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return None
        token = store.token_by_secret(secret.strip())
        return None if token is None else Principal(token.address, "token", token)
    if session_id:
        session = store.session(session_id)
        if session is not None:
            return Principal(session.address, "session", expires=session.expires)
    return None
