"""The client's errors as HTTP answers, decided in one place: a route raises the client's error
(`PaClientError` and its kinds) and the application's one handler (`app.py`) answers it with the
status `status_of` gives: JSON `{"detail": ...}` for the API, the error page for the pages."""

from __future__ import annotations

from pa_client.chain.transport import redact_urls
from pa_client.errors import AccessDenied, AccountError, ChainError, InputError, NodeError, PaClientError
from pa_client.web.auth import AddressError, SignInBusyError, SignInError

__all__ = ["STATUSES", "detail_of", "status_of"]

# The first kind the error is an instance of gives its status (subclasses before their bases).
STATUSES: tuple[tuple[type[PaClientError], int], ...] = (
    (SignInBusyError, 429),
    (AddressError, 422),
    (SignInError, 401),
    (AccessDenied, 403),
    (AccountError, 403),  # no signing account for this caller, or one refused on this chain
    (InputError, 422),
    (NodeError, 502),
    (ChainError, 502),  # the node is down or refused: the server is a gateway to it
)


def status_of(error: PaClientError) -> int:
    """The HTTP status for one of the client's errors (500 for a kind not listed: a server fault)."""
    return next((status for kind, status in STATUSES if isinstance(error, kind)), 500)


def detail_of(error: PaClientError) -> str:
    """The answer's text: the error's own line (no password of a URL in it), said as the gateway's
    when the node failed."""
    text = redact_urls(str(error))
    return f"the ledger did not answer: {text}" if status_of(error) == 502 else text
