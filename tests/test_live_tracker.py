"""The live tracker behind `pa serve` on the real chain: its tables never hold logs past the block they
are audited at, a poll that fails part way leaves nothing doubled, and tables handed to the auditor
do not change when the tracker reads on (each found by a review, each failed before its fix)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest
from support import factories
from support.chain import Parties

from pa_client.audit.index import prefetched
from pa_client.audit.run import verify
from pa_client.errors import ChainError
from pa_client.web import live
from pa_client.web.events import Broker
from pa_client.web.live import Tracker


def _records_over_blocks(parties: Parties, auth: str, tag: str) -> None:
    """Two records and two status changes over about eight blocks (pages of two blocks: several)."""
    parties.broker.record(factories.placement(auth, f"{tag}1", f"{tag}L1", "10"))
    parties.reader.w3.provider.make_request("anvil_mine", [hex(3)])  # type: ignore[arg-type]
    parties.customs.suspend(auth, "inquiry")
    parties.customs.reinstate(auth, "inquiry closed")
    parties.broker.record(factories.placement(auth, f"{tag}2", f"{tag}L2", "10"))


def _small_pages(monkeypatch: pytest.MonkeyPatch, each_page: Any) -> None:
    """Pages of two blocks, `each_page(n)` called before page n is handed to the tracker."""
    monkeypatch.setattr(live, "READ_RANGE", 2)
    real = prefetched

    def pages(items: Iterator[Any], *args: Any, **kwargs: Any) -> Iterator[Any]:
        for n, page in enumerate(real(items, *args, **kwargs)):
            each_page(n)
            yield page

    monkeypatch.setattr(live, "prefetched", pages)


def test_an_audit_between_two_pages_sees_a_whole_block(
    parties: Parties, auth: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracker = Tracker(parties.reader, Broker())
    tracker.poll_once()
    _records_over_blocks(parties, auth, "A")
    seen: list[tuple[int, bool, bool]] = []

    def audit_meanwhile(n: int) -> None:  # what the audit thread may do while the poller reads on
        if n >= 1:
            state = tracker.audit_once()
            assert state is not None and state.result.registry is not None
            seen.append((state.block, state.result.registry.verified, state.result.integrity[auth].verified))

    _small_pages(monkeypatch, audit_meanwhile)
    tracker.poll_once()
    assert len(seen) >= 2 and all(registry and records for _, registry, records in seen), seen


def test_a_poll_that_fails_part_way_leaves_nothing_doubled(
    parties: Parties, auth: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracker = Tracker(parties.reader, Broker())
    tracker.poll_once()
    _records_over_blocks(parties, auth, "B")
    failures = [2]  # the third page: the node stops answering once

    def fail_once(n: int) -> None:
        if failures and n == failures[0]:
            failures.clear()
            raise ChainError("read logs: the node did not answer after 5 tries")

    _small_pages(monkeypatch, fail_once)
    with pytest.raises(ChainError):
        tracker.poll_once()
    tracker.poll_once()  # the poll loop's next try
    state = tracker.audit_once()
    assert state is not None and state.result.registry is not None
    assert state.result.registry.verified, state.result.registry.detail
    assert state.result.integrity[auth].verified, state.result.integrity[auth].detail
    assert tracker.record_count(auth) == 2


def test_tables_handed_out_do_not_change_when_the_tracker_reads_on(parties: Parties, auth: str) -> None:
    parties.broker.record(factories.placement(auth, "C0", "CL0", "10"))
    tracker = Tracker(parties.reader, Broker())
    tracker.poll_once()
    block, tables = tracker.last_block, tracker.tables()  # what the auditor holds, the lock released
    assert block is not None and tables is not None
    parties.broker.record(factories.placement(auth, "C1", "CL1", "10"))
    parties.customs.suspend(auth, "inquiry")
    tracker.poll_once()  # the poller meanwhile
    check = verify(parties.reader, tables, block)[auth]
    assert check.verified and check.sequence == 1, check.detail
    assert len(tables.statuses.get(auth, [])) == 0


def test_the_block_events_verdict_covers_only_what_its_viewer_may_see(
    parties: Parties, auth: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another holder's authorisation failing its check (a node hiding one of its records) is not
    told to this holder's page: each stream's `verified` is that of the authorisations it may see."""
    other = factories.fresh_reference("FRIPOV")
    parties.customs.register(factories.authorisation(other, holder=parties.holder2.sender.address))

    def one_fails(*args: Any, **kwargs: Any) -> Any:
        checks = verify(*args, **kwargs)
        checks[other] = dataclasses.replace(checks[other], verified=False, detail="a record is missing")
        return checks

    monkeypatch.setattr(live, "verify", one_fails)
    broker = Broker()
    tracker = Tracker(parties.reader, broker)
    tracker.poll_once()

    async def streams() -> dict[str, list[dict[str, Any]]]:
        holder = broker.subscribe(lambda reference: reference == auth)
        holder2 = broker.subscribe(lambda reference: reference == other)
        customs = broker.subscribe(lambda reference: True)
        await asyncio.to_thread(tracker.audit_once)
        await asyncio.sleep(0.1)  # the offers made from the tracker's thread
        seen: dict[str, list[dict[str, Any]]] = {}
        for name, subscription in (("holder", holder), ("holder2", holder2), ("customs", customs)):
            events = []
            while not subscription.queue.empty():
                events.append(subscription.queue.get_nowait())
            seen[name] = [json.loads(e.sse().split("data: ", 1)[1]) for e in events if e.name == "block"]
        return seen

    seen = asyncio.run(streams())
    assert [event["verified"] for event in seen["holder"]] == [True]
    assert [event["verified"] for event in seen["holder2"]] == [False]
    assert [event["verified"] for event in seen["customs"]] == [False]
    assert all(other not in json.dumps(event) for event in seen["holder"])
