"""Who sees what: the one place that decides, as pure functions of what the chain says about an
account (`Access`), so that every page, API route, live event and webhook asks the same question.

- customs (the registry's `isCustoms`) see every authorisation;
- a holder sees the authorisations it holds (the registry's `authorisationOf(...).holder`);
- a declarant sees the authorisations whose holder appointed it (`isDeclarant`);
- anyone else sees none. An authorisation one may not see is answered exactly as one that does not
  exist (404), so that its existence is not revealed either.

Recording is decided by the ledger itself (the same refusals as `pa submit`); these rules only
decide what is shown and which references an API caller may name.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

CUSTOMS: Final = "customs"
HOLDER: Final = "holder"
DECLARANT: Final = "declarant"
SEVERITY_RANK: Final[dict[str, int]] = {"critical": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Access:
    """What the chain says about one account (a checksum address)."""

    address: str
    customs: bool = False
    holder_of: frozenset[str] = field(default_factory=frozenset)
    declarant_for: frozenset[str] = field(default_factory=frozenset)

    @property
    def roles(self) -> tuple[str, ...]:
        """`customs`, `holder`, `declarant`: those the account has, in that order."""
        found = []
        if self.customs:
            found.append(CUSTOMS)
        if self.holder_of:
            found.append(HOLDER)
        if self.declarant_for:
            found.append(DECLARANT)
        return tuple(found)


def derive_access(
    address: str,
    *,
    is_customs: bool,
    holders: Mapping[str, str],
    declarant_of: Collection[str],
) -> Access:
    """The access of `address` from chain facts: whether it has the customs role, each
    authorisation's current holder, and the authorisations it is a declarant for."""
    me = address.lower()
    return Access(
        address=address,
        customs=is_customs,
        holder_of=frozenset(ref for ref, holder in holders.items() if holder.lower() == me),
        declarant_for=frozenset(declarant_of),
    )


def may_view(access: Access, reference: str) -> bool:
    """Whether the account may see the authorisation `reference` (pages, API, events, alerts)."""
    return access.customs or reference in access.holder_of or reference in access.declarant_for


def visible(access: Access, references: Iterable[str]) -> list[str]:
    """The references among `references` that the account may see, sorted."""
    return sorted({ref for ref in references if may_view(access, ref)})


def relation(access: Access, reference: str) -> str | None:
    """How the account relates to an authorisation it may see: customs, holder or declarant."""
    if reference in access.holder_of:
        return HOLDER
    if reference in access.declarant_for:
        return DECLARANT
    if access.customs:
        return CUSTOMS
    return None


def may_subscribe(access: Access, reference: str | None) -> bool:
    """A live stream of one authorisation needs the right to see it; the stream of everything the
    account may see is open to any signed-in account (it may carry nothing)."""
    return reference is None or may_view(access, reference)


def event_for(access: Access, reference: str, only: str | None = None) -> bool:
    """Whether a live event of `reference` goes to a subscriber with `access`, subscribed to one
    authorisation (`only`) or to all it may see."""
    return (only is None or only == reference) and may_view(access, reference)


def webhook_wants(access: Access | None, minimum_severity: str, reference: str, severity: str) -> bool:
    """Whether an alert goes to a webhook: one bound to an account gets what that account may see;
    one with no account (the operator's) gets every alert; both only from `minimum_severity` up."""
    if SEVERITY_RANK.get(severity, 9) > SEVERITY_RANK.get(minimum_severity, 2):
        return False
    return access is None or may_view(access, reference)


def session_live(expires_at: float, now: float) -> bool:
    """A session is usable until its expiry (exclusive)."""
    return now < expires_at


def token_usable(*, revoked_at: float | None, expires_at: float | None, now: float) -> bool:
    """An API token is usable unless revoked or past its expiry."""
    return revoked_at is None and (expires_at is None or now < expires_at)


def may_submit_with(via: str, can_sign: bool) -> bool:
    """Entries are submitted through the API with a token whose account's key the server holds
    (a person's session has no key on the server; a read-only token has none either)."""
    return via == "token" and can_sign
