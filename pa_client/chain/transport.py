"""The one JSON-RPC transport: every request the client makes to a node goes through a `Transport`,
over its own HTTP session, under one retry policy.

One place decides what is retried: a dropped connection, a time-out, an HTTP 5xx, or an answer that
is not JSON (cut on the way) is sent again, `RetryPolicy.tries` times in all with a doubling delay,
then ends in `ChainError`. A JSON-RPC error (the node answered and refused) is never retried here:
it is the caller's to read. Sending a signed transaction again is safe (the node answers "already
known", or the nonce is taken by the same transaction), so sends are retried like reads.

web3 talks through the same transport (`provider.TransportProvider`): web3's own retries are not
used, so they never multiply these. This module does not import web3 (`pa node status` stays quick).
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests

from pa_client.errors import ChainError

__all__ = ["ONCE", "RETRY", "RequestRefusedError", "RetryPolicy", "Transport", "redact", "redact_urls"]

log = logging.getLogger("pa_client")

T = TypeVar("T")

Decode = Callable[[bytes], Any]

# requests' ConnectionError, Timeout and HTTPError (raised for a 5xx) derive from OSError; an answer
# that is not JSON raises ValueError (json.JSONDecodeError).
_RETRIED = (OSError, ValueError)
# A gateway or a node that is busy or restarting answers these; any other HTTP error is final.
_RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


def redact(url: str) -> str:
    """The URL without the user and password it may carry (`http://alice:secret@host` → `http://host`),
    for messages and logs."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


_USERINFO = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]*://)[^\s/@'\"]+@")


def redact_urls(text: str) -> str:
    """`text` with the user and password of every URL in it taken out: what a library's error says
    about a URL (`Invalid URL 'http://alice:secret@'`) is printed without the secret."""
    return _USERINFO.sub(r"\1", text)


class RequestRefusedError(ChainError):
    """The node answered a request with a JSON-RPC error (it was heard, and said no)."""


def _refused(what: str, error: Any) -> RequestRefusedError:
    return RequestRefusedError(f"{what}: {error.get('message', error) if isinstance(error, dict) else error}")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a request is tried: `tries` in all, waiting `first_delay`
    seconds after the first failure, then twice as long after each next one."""

    tries: int = 5
    first_delay: float = 0.2

    def run(self, attempt: Callable[[], T], *, what: str) -> T:
        """`attempt()`, tried again on a transport failure; ChainError naming `what` at the end."""
        delay = self.first_delay
        for number in range(1, self.tries + 1):
            try:
                return attempt()
            except _RETRIED as error:
                if number == self.tries:
                    tries = "once" if self.tries == 1 else f"after {self.tries} tries"
                    raise ChainError(
                        f"{what}: the node did not answer {tries}: {redact_urls(str(error))}"
                    ) from None
                log.warning("%s: %s; retrying in %.1f s", what, redact_urls(str(error)), delay)
                time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")


RETRY = RetryPolicy()
ONCE = RetryPolicy(tries=1)


class Transport:
    """JSON-RPC over HTTP to one node: one session (connections kept alive), the headers every
    request carries (a bearer token for nodes that require one), one time-out and one retry policy.

    `trust_env=False` ignores proxy settings of the environment (the embedded node on loopback)."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy = RETRY,
        trust_env: bool = True,
        locate: Callable[[], str | None] | None = None,
    ) -> None:
        self.url = url
        self.locate = locate
        """Where the node is now, asked again after a request found no node (the embedded node,
        started again on another port, says where in its node.json); None: the URL is fixed."""
        self._lost = False
        self.timeout = timeout
        self.retry = retry
        self._ids = itertools.count(1)
        self._session = requests.Session()
        self._session.trust_env = trust_env
        self._session.headers.update({"Content-Type": "application/json", "Accept": "application/json"})
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"

    def __repr__(self) -> str:
        return f"Transport({redact(self.url)!r})"

    def close(self) -> None:
        self._session.close()

    def post(self, body: bytes, *, what: str, decode: Decode = json.loads) -> Any:
        """Sends a JSON-RPC body (one request or a batch) and returns the decoded answer, whatever it
        says; tried again by the policy on a transport failure. The answer is read in one go (reading
        in small chunks takes the GIL back at each one, which a page of logs read beside the audit's
        decoding paid thousands of times)."""

        def attempt() -> Any:
            if self._lost and self.locate is not None:
                found = self.locate()
                if found and found != self.url:
                    log.warning("the node moved: %s, not %s", redact(found), redact(self.url))
                    self.url = found
            try:
                return send()
            except OSError:
                self._lost = True
                raise

        def send() -> Any:
            with self._session.post(self.url, data=body, timeout=self.timeout, stream=True) as answer:
                if answer.status_code >= 400 and answer.status_code not in _RETRIED_STATUSES:
                    # Refused, not lost (401 without the node's token, 404 at a wrong path): say so now.
                    raise ChainError(
                        f"{what}: {redact(self.url)} answered HTTP {answer.status_code} {answer.reason}"
                    )
                answer.raise_for_status()
                content = answer.raw.read(decode_content=True)
            self._lost = False
            return decode(content)

        return self.retry.run(attempt, what=what)

    def body(self, method: str, params: Sequence[Any]) -> bytes:
        return json.dumps(
            {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}
        ).encode()

    def request(
        self, method: str, params: Sequence[Any] = (), *, what: str, decode: Decode = json.loads
    ) -> Any:
        """The result of one request; ChainError when the node answers with an error. `decode` turns
        the body into the JSON-RPC response (`extract.decode_logs_answer` for pages of logs)."""
        response = self.post(self.body(method, params), what=what, decode=decode)
        if not isinstance(response, dict):
            raise ChainError(f"{what}: unexpected answer from the node: {str(response)[:200]}")
        if "error" in response:
            raise _refused(what, response["error"])
        return response["result"]

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]], *, what: str) -> list[Any]:
        """The results of many requests sent as one JSON-RPC batch, in the order of `calls`;
        ChainError when any of them fails."""
        if not calls:
            return []
        first = next(self._ids)
        body = json.dumps(
            [
                {"jsonrpc": "2.0", "id": first + i, "method": method, "params": list(params)}
                for i, (method, params) in enumerate(calls)
            ]
        ).encode()
        # Keep the ids of this batch out of later requests' way.
        self._ids = itertools.count(first + len(calls))
        responses = self.post(body, what=what)
        if not isinstance(responses, list):
            raise _refused(
                what, responses.get("error", responses) if isinstance(responses, dict) else responses
            )
        results: list[Any] = []
        for response in sorted(responses, key=lambda r: int(r["id"])):
            if "error" in response:
                raise _refused(what, response["error"])
            results.append(response["result"])
        if len(results) != len(calls):
            raise ChainError(f"{what}: {len(results)} answers to {len(calls)} requests")
        return results
