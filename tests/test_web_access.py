"""Who sees what (pa_client.web.access), and the rules of signing in, sessions, tokens and webhooks:
one test per rule, on pure functions and the server's store (no chain)."""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

import pytest
from eth_account import Account

from pa_client.web import access as rules
from pa_client.web import store as web_store
from pa_client.web.access import Access
from pa_client.web.auth import (
    SignInBusyError,
    SignInError,
    new_challenge,
    principal_from,
    sign_message,
    verify_sign_in,
)
from pa_client.web.live import alert_key
from pa_client.web.store import CHALLENGES_PER_ADDRESS, CHALLENGES_PER_REQUESTER, Store
from pa_client.web.webhooks import backoff

CUSTOMS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
HOLDER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
BROKER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
HOLDER2 = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
STRANGER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"
A, B = "FRIPO000000000042", "FRIPO000000000043"
HOLDERS = {A: HOLDER, B: HOLDER2}
HOST = "dash.example:8000"
CHAIN = 31337


def _access(address: str, *, customs: bool = False, declarant_of: tuple[str, ...] = ()) -> Access:
    return rules.derive_access(address, is_customs=customs, holders=HOLDERS, declarant_of=declarant_of)


# ---------------------------------------------------------------- who sees which authorisation


def test_customs_see_every_authorisation() -> None:
    customs = _access(CUSTOMS, customs=True)
    assert rules.visible(customs, [B, A]) == [A, B]
    assert customs.roles == ("customs",)
    assert all(rules.relation(customs, ref) == "customs" for ref in (A, B))


def test_a_holder_sees_its_own_authorisations_only() -> None:
    holder = _access(HOLDER)
    assert holder.holder_of == {A}
    assert rules.may_view(holder, A)
    assert not rules.may_view(holder, B)
    assert rules.visible(holder, [A, B]) == [A]


def test_holder_addresses_are_compared_whatever_their_case() -> None:
    assert rules.may_view(_access(HOLDER.lower()), A)


def test_a_declarant_sees_the_authorisations_it_was_appointed_for() -> None:
    broker = _access(BROKER, declarant_of=(A,))
    assert broker.roles == ("declarant",)
    assert rules.visible(broker, [A, B]) == [A]
    assert rules.relation(broker, A) == "declarant"


def test_a_removed_declarant_sees_nothing_more() -> None:
    assert rules.visible(_access(BROKER, declarant_of=()), [A, B]) == []


def test_another_holder_does_not_see_the_first_holders_authorisation() -> None:
    holder2 = _access(HOLDER2)
    assert rules.visible(holder2, [A, B]) == [B]
    assert not rules.may_view(holder2, A)
    assert rules.relation(holder2, A) is None


def test_an_account_without_a_role_sees_nothing() -> None:
    stranger = _access(STRANGER)
    assert stranger.roles == ()
    assert rules.visible(stranger, [A, B]) == []


def test_the_holder_relation_wins_over_customs_for_a_customs_holder() -> None:
    both = rules.derive_access(CUSTOMS, is_customs=True, holders={A: CUSTOMS}, declarant_of=())
    assert rules.relation(both, A) == "holder"
    assert rules.relation(both, B) == "customs"


# ---------------------------------------------------------------- live events and webhooks


def test_a_stream_of_one_authorisation_needs_the_right_to_see_it() -> None:
    holder2 = _access(HOLDER2)
    assert rules.may_subscribe(holder2, None)
    assert rules.may_subscribe(holder2, B)
    assert not rules.may_subscribe(holder2, A)


def test_events_go_only_to_who_may_see_them() -> None:
    holder, holder2, customs = _access(HOLDER), _access(HOLDER2), _access(CUSTOMS, customs=True)
    assert rules.event_for(holder, A) and not rules.event_for(holder2, A)
    assert rules.event_for(customs, A) and rules.event_for(customs, B)
    assert not rules.event_for(customs, A, only=B)  # subscribed to another authorisation's page


def test_a_webhook_bound_to_an_account_gets_that_accounts_alerts_only() -> None:
    assert rules.webhook_wants(_access(HOLDER), "info", A, "info")
    assert not rules.webhook_wants(_access(HOLDER), "info", B, "critical")


def test_the_operators_webhook_gets_every_alert_from_its_severity_up() -> None:
    assert rules.webhook_wants(None, "info", B, "info")
    assert rules.webhook_wants(None, "warning", A, "critical")
    assert not rules.webhook_wants(None, "warning", A, "info")
    assert not rules.webhook_wants(None, "critical", A, "warning")


# ---------------------------------------------------------------- sessions and tokens


def test_a_session_ends_at_its_expiry() -> None:
    assert rules.session_live(100.0, 99.9)
    assert not rules.session_live(100.0, 100.0)


def test_a_token_is_refused_once_revoked_or_expired() -> None:
    assert rules.token_usable(revoked_at=None, expires_at=None, now=5)
    assert not rules.token_usable(revoked_at=4.0, expires_at=None, now=5)
    assert not rules.token_usable(revoked_at=None, expires_at=5.0, now=5)


def test_only_a_token_with_a_signing_account_submits() -> None:
    assert rules.may_submit_with("token", True)
    assert not rules.may_submit_with("token", False)  # read-only token
    assert not rules.may_submit_with("session", True)  # a person's key is not on the server


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "web.sqlite3")


def test_sessions_expire_and_end(store: Store) -> None:
    now = time.time()
    session = store.create_session(HOLDER, 60, now=now)
    assert store.session(session, now=now + 59) is not None
    assert store.session(session, now=now + 60) is None
    other = store.create_session(HOLDER, 60)
    store.end_session(other)
    assert store.session(other) is None
    assert store.session("made-up") is None


def test_tokens_are_stored_hashed_bound_and_revocable(store: Store) -> None:
    token, secret = store.create_token(
        name="erp", address=BROKER, account_spec="broker", password_env=None, expires=None
    )
    assert secret not in Path(store.path).read_bytes().decode("latin-1")
    found = store.token_by_secret(secret)
    assert found is not None and found.address == BROKER and found.can_sign
    assert store.revoke_token(token.id)
    assert store.token_by_secret(secret) is None
    assert not store.revoke_token(token.id)


def test_an_expired_token_is_refused(store: Store) -> None:
    _, secret = store.create_token(
        name="old", address=BROKER, account_spec=None, password_env=None, expires=time.time() - 1
    )
    assert store.token_by_secret(secret) is None


def test_a_bearer_token_wins_over_a_session_and_a_bad_one_is_no_one(store: Store) -> None:
    _, secret = store.create_token(
        name="t", address=BROKER, account_spec=None, password_env=None, expires=None
    )
    session = store.create_session(HOLDER, 60)
    token_caller = principal_from(store, authorization=f"Bearer {secret}", session_id=session)
    assert token_caller is not None and token_caller.address == BROKER and token_caller.via == "token"
    assert principal_from(store, authorization="Bearer nope", session_id=session) is None
    assert principal_from(store, authorization="Basic abc", session_id=None) is None
    person = principal_from(store, authorization=None, session_id=session)
    assert person is not None and person.via == "session" and person.address == HOLDER


# ---------------------------------------------------------------- Sign-In with Ethereum


def _signed(store: Store, account: object, *, host: str = HOST, now: float | None = None) -> tuple[str, str]:
    now = time.time() if now is None else now
    address = account.address  # type: ignore[attr-defined]
    message = new_challenge(store, address=address, host=host, uri=f"http://{host}", chain_id=CHAIN, now=now)
    return message, sign_message(account, message)  # type: ignore[arg-type]


def test_a_signed_challenge_names_its_signer(store: Store) -> None:
    account = Account.create()
    message, signature = _signed(store, account)
    assert "wants you to sign in with your Ethereum account" in message
    assert f"Chain ID: {CHAIN}" in message
    assert (
        verify_sign_in(
            store, message=message, signature=signature, host=HOST, chain_id=CHAIN, now=time.time()
        )
        == account.address
    )


def test_a_challenge_serves_once(store: Store) -> None:
    message, signature = _signed(store, Account.create())
    verify_sign_in(store, message=message, signature=signature, host=HOST, chain_id=CHAIN, now=time.time())
    with pytest.raises(SignInError, match="used already"):
        verify_sign_in(
            store, message=message, signature=signature, host=HOST, chain_id=CHAIN, now=time.time()
        )


def test_another_accounts_signature_is_refused(store: Store) -> None:
    message, _ = _signed(store, Account.create())
    forged = sign_message(Account.create(), message)
    with pytest.raises(SignInError, match="not that of account"):
        verify_sign_in(store, message=message, signature=forged, host=HOST, chain_id=CHAIN, now=time.time())


def test_a_message_for_another_site_or_chain_is_refused(store: Store) -> None:
    message, signature = _signed(store, Account.create(), host="phishing.example")
    with pytest.raises(SignInError, match="not for this server"):
        verify_sign_in(
            store, message=message, signature=signature, host=HOST, chain_id=CHAIN, now=time.time()
        )
    message, signature = _signed(store, Account.create())
    with pytest.raises(SignInError, match="chain"):
        verify_sign_in(store, message=message, signature=signature, host=HOST, chain_id=1, now=time.time())


def test_asking_for_challenges_again_and_again_does_not_fill_the_store(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = Account.create()
    first = [_signed(store, account) for _ in range(CHALLENGES_PER_ADDRESS + 3)]
    assert store._rows("SELECT COUNT(*) FROM challenges") == [(CHALLENGES_PER_ADDRESS,)]
    message, signature = first[0]  # among the oldest: dropped
    with pytest.raises(SignInError, match="unknown, used already or expired"):
        verify_sign_in(
            store, message=message, signature=signature, host=HOST, chain_id=CHAIN, now=time.time()
        )
    message, signature = first[-1]
    assert (
        verify_sign_in(
            store, message=message, signature=signature, host=HOST, chain_id=CHAIN, now=time.time()
        )
        == account.address
    )
    monkeypatch.setattr(web_store, "MAX_CHALLENGES", 6)
    for _ in range(2):
        _signed(store, Account.create())
    with pytest.raises(SignInBusyError, match="too many sign-ins are under way"):
        _signed(store, Account.create())


def test_a_caller_replaces_only_its_own_challenges(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    victim = Account.create()
    now = time.time()

    def ask(address: str, requester: str) -> str:
        return new_challenge(
            store,
            address=address,
            host=HOST,
            uri=f"http://{HOST}",
            chain_id=CHAIN,
            now=now,
            requester=requester,
        )

    own = ask(victim.address, "192.0.2.1")
    for index in range(50):  # another caller asks for the victim's address, and for others
        ask(victim.address if index % 2 else Account.create().address, "203.0.113.7")
    counts = dict(store._rows("SELECT requester, COUNT(*) FROM challenges GROUP BY requester"))
    assert counts == {"192.0.2.1": 1, "203.0.113.7": CHALLENGES_PER_REQUESTER}
    signed = verify_sign_in(
        store, message=own, signature=sign_message(victim, own), host=HOST, chain_id=CHAIN, now=now
    )
    assert signed == victim.address
    # Full: a caller at its own bound still gets one (its oldest goes); a new caller waits (429).
    monkeypatch.setattr(web_store, "MAX_CHALLENGES", CHALLENGES_PER_REQUESTER)
    assert ask(Account.create().address, "203.0.113.7")
    with pytest.raises(SignInBusyError):
        ask(victim.address, "192.0.2.1")


def test_an_expired_challenge_is_refused(store: Store) -> None:
    then = time.time() - 3600
    message, signature = _signed(store, Account.create(), now=then)
    with pytest.raises(SignInError, match="expired"):
        verify_sign_in(
            store, message=message, signature=signature, host=HOST, chain_id=CHAIN, now=time.time()
        )


def test_a_message_the_server_did_not_issue_is_refused(store: Store) -> None:
    account = Account.create()
    other = Store(Path(store.path).with_name("other.sqlite3"))
    message, signature = _signed(other, account)
    with pytest.raises(SignInError, match="unknown"):
        verify_sign_in(
            store, message=message, signature=signature, host=HOST, chain_id=CHAIN, now=time.time()
        )
    with pytest.raises(SignInError, match="not a Sign-In"):
        verify_sign_in(
            store, message="hello", signature=signature, host=HOST, chain_id=CHAIN, now=time.time()
        )


def test_a_malformed_signature_is_refused(store: Store) -> None:
    message, _ = _signed(store, Account.create())
    with pytest.raises(SignInError):
        verify_sign_in(store, message=message, signature="0x1234", host=HOST, chain_id=CHAIN, now=time.time())


# ---------------------------------------------------------------- alerts and webhooks


def _alert(**changes: object) -> dict[str, object]:
    alert: dict[str, object] = {
        "authorisation": A,
        "kind": "deadline_near",
        "severity": "warning",
        "entry_ref": "P1",
        "lot": "L1",
        "message": "placement P1: 10 kg still to discharge by 2019-08-31 (12 days left)",
        "due": date(2019, 8, 31),
    }
    alert.update(changes)
    return alert


def test_an_alert_keeps_its_key_while_its_days_left_count_down() -> None:
    later = _alert(message="placement P1: 4 kg still to discharge by 2019-08-31 (3 days left)")
    assert alert_key(_alert()) == alert_key(later)
    assert alert_key(_alert()) != alert_key(_alert(entry_ref="P2"))
    assert alert_key(_alert()) != alert_key(_alert(severity="critical", kind="overdue"))


def test_alerts_whose_message_is_a_fact_are_told_apart_by_it() -> None:
    one = _alert(kind="integrity", severity="critical", entry_ref=None, lot=None, due=None, message="gap 3")
    two = dict(one, message="not verified: hash differs")
    assert alert_key(one) != alert_key(two)


def test_webhook_retries_back_off_exponentially_up_to_ten_minutes() -> None:
    assert [backoff(n) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert backoff(30) == 600.0


def test_a_new_alert_is_queued_once_per_webhook_even_if_found_again(store: Store) -> None:
    hook = store.add_webhook("http://127.0.0.1:9/hook", None)
    assert store.add_webhook("http://127.0.0.1:9/hook", None).id == hook.id
    payload = {"key": "k1", "authorisation": A, "severity": "info"}
    store.record_new_alerts([payload], [(hook.id, "k1")], time.time())
    store.record_new_alerts([payload], [(hook.id, "k1")], time.time())
    assert [d["alert_keys"] for d in store.outbox()] == [["k1"]]
    assert "k1" in store.first_seen()
    due = store.due_deliveries(time.time())
    store.failed(due[0].id, "refused", time.time() + 60)
    assert store.due_deliveries(time.time()) == []
    assert store.outbox()[0]["attempts"] == 1
    reopened = Store(store.path)  # a restart: the delivery is still owed
    assert reopened.next_attempt_at() is not None


def test_the_servers_store_is_its_owners_only_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        with Store(tmp_path / "web" / "web.sqlite3") as store:
            store.create_session(HOLDER, 60)  # a write: the -wal and -shm files exist
            modes = {path.name: path.stat().st_mode & 0o777 for path in (tmp_path / "web").iterdir()}
    finally:
        os.umask(previous)
    assert set(modes) >= {"web.sqlite3", "web.sqlite3-wal", "web.sqlite3-shm"}
    assert {name: oct(mode) for name, mode in modes.items() if mode & 0o077} == {}
    assert (tmp_path / "web").stat().st_mode & 0o077 == 0
