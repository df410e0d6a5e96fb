"""Submission speed: 10 000 synthetic entries from file to confirmed with `pa submit`'s engine,
against the naive path measured in the same run (one transaction per entry, web3.py building it
and waiting for each receipt, as a first script does). Prints both rates and their ratio."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from web3 import Web3

from pa_client.chain.accounts import dev_account
from pa_client.chain.deployment import deploy
from pa_client.chain.ledger import LedgerClient
from pa_client.chain.node import EmbeddedNode
from pa_client.chain.sender import Sender, connect
from pa_client.contract.encoding import encode_entry
from pa_client.dev.synthetic import synthetic
from pa_client.domain.models import Correction
from pa_client.records.entries_file import read_entries
from pa_client.settings import Settings
from pa_client.submission.submitter import Item, Outcome, Submitter

ENTRIES = 10_000
NAIVE_ENTRIES = 100


def _naive(w3: Web3, ledger: LedgerClient, entries: list[Item]) -> float:
    """Entries/s the way a first web3.py script records them."""
    account = ledger.sender.account
    started = time.perf_counter()
    for item in entries:
        original = b""
        if isinstance(item.entry, Correction):
            original = ledger.original_data(item.entry.authorisation, item.entry.corrects)
        function, struct = encode_entry(item.entry, original)
        call = ledger.ledger.get_function_by_name(function)(struct)
        tx = call.build_transaction(
            {"from": account.address, "nonce": w3.eth.get_transaction_count(account.address)}
        )
        signed = account.sign_transaction(tx)
        tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
        assert receipt["status"] == 1
    return len(entries) / (time.perf_counter() - started)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        node = EmbeddedNode(Settings(data_dir=Path(folder)))
        status = node.start()
        try:
            assert status.rpc_url is not None
            w3 = connect(status.rpc_url)
            holder = dev_account("holder")
            deployment = deploy(Sender(w3, dev_account("customs")))
            customs = LedgerClient(w3, deployment, dev_account("customs"))
            ledger_data = synthetic(entries=ENTRIES, authorisations=4, holders=[holder.address])
            for authorisation in ledger_data.authorisations:
                customs.register(authorisation.authorisation)
            path = Path(folder) / "entries.csv"
            ledger_data.write_csv(path)
            client = LedgerClient(w3, deployment, holder)

            started = time.perf_counter()
            file = read_entries(path)
            file.raise_if_problems()
            read_seconds = time.perf_counter() - started
            items = [Item(e.entry, e.rows, path.name) for e in file.entries]
            report = Submitter(client).submit(items)
            fast_seconds = time.perf_counter() - started
            assert report.count(Outcome.RECORDED) == ENTRIES, report.rejected[:3]
            fast = ENTRIES / fast_seconds

            # The naive path on fresh entries of the same kind mix (another stream, another reference).
            naive_data = synthetic(entries=NAIVE_ENTRIES, authorisations=1, seed=7, holders=[holder.address])
            for authorisation in naive_data.authorisations:
                customs.register(
                    authorisation.authorisation.model_copy(update={"reference": "FRIPO9NAIVE00001"})
                )
            naive_items = [
                Item(e.model_copy(update={"authorisation": "FRIPO9NAIVE00001"})) for e in naive_data.entries()
            ]
            naive = _naive(w3, client, naive_items)
        finally:
            node.stop()
    print(f"file → confirmed, {ENTRIES:,} synthetic entries (4 authorisations, every kind):")
    print(
        f"  pa submit engine  {fast:>9,.0f} entries/s  ({fast_seconds:.1f} s, of which reading the file {read_seconds:.1f} s;"
        f" {report.transactions} transactions, {report.gas_used / ENTRIES:,.0f} gas/entry)"
    )
    print(f"  naive web3.py     {naive:>9,.1f} entries/s  ({NAIVE_ENTRIES} entries, one transaction each)")
    print(f"  ratio             {fast / naive:>9,.0f} ×   (targets: ≥ 50 × and ≥ 2,000 entries/s)")
