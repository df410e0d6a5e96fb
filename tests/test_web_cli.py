"""`pa serve token|webhook|sign`, the accounts the server signs with, and entries sent as JSON (no
chain needed)."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from pa_client.chain.accounts import create_keystore, dev_account
from pa_client.chain.ledger import LedgerClient
from pa_client.cli import main
from pa_client.dev.demo import SAMPLE_SEASON
from pa_client.errors import AccountError
from pa_client.records.entries_file import COLUMNS, LIMITS, read_entries
from pa_client.records.limits import MAX_PROBLEMS
from pa_client.settings import Settings
from pa_client.web.auth import new_challenge, verify_sign_in
from pa_client.web.entries_json import cell_text, read_json_entries
from pa_client.web.signing import Signers, load_signer
from pa_client.web.store import Store


def _pa(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_token_is_created_for_an_account_listed_and_revoked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = str(tmp_path)
    code, out, _ = _pa(
        capsys, "--data-dir", data, "--account", "broker", "serve", "token", "create", "--name", "ERP"
    )
    assert code == 0
    secret = out.splitlines()[1]
    assert secret.startswith("pat_")
    token = Store.for_data_dir(tmp_path).token_by_secret(secret)
    assert (
        token is not None
        and token.address == dev_account("broker").address
        and token.account_spec == "broker"
    )
    code, out, _ = _pa(capsys, "--data-dir", data, "serve", "token", "list")
    assert "active" in out and "ERP" in out and secret not in out
    assert _pa(capsys, "--data-dir", data, "serve", "token", "revoke", str(token.id))[0] == 0
    assert Store.for_data_dir(tmp_path).token_by_secret(secret) is None
    code, _, err = _pa(capsys, "--data-dir", data, "serve", "token", "revoke", str(token.id))
    assert code == 1 and err.startswith("error: no active token")


def test_a_read_only_token_needs_no_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    address = dev_account("customs").address
    code, out, _ = _pa(
        capsys,
        "--data-dir",
        str(tmp_path),
        "serve",
        "token",
        "create",
        "--name",
        "reports",
        "--read-only",
        address,
    )
    assert code == 0 and "read-only" in out
    token = Store.for_data_dir(tmp_path).token_by_secret(out.splitlines()[1])
    assert token is not None and not token.can_sign


def test_a_token_needs_an_account(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = _pa(capsys, "--data-dir", str(tmp_path), "serve", "token", "create", "--name", "x")
    assert code == 1 and "--account" in err


def test_webhooks_are_added_listed_and_removed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = str(tmp_path)
    holder = dev_account("holder").address
    code, out, _ = _pa(
        capsys, "--data-dir", data, "serve", "webhook", "add", "https://erp.example/hook", "--for", holder
    )
    assert code == 0 and holder in out
    secret = re.search(r"signed with (whsec_\S+)", out)
    assert secret is not None  # shown to the operator, for the receiver to check signatures
    assert _pa(capsys, "--data-dir", data, "serve", "webhook", "secret", "1")[1].strip() == secret.group(1)
    code, out, _ = _pa(capsys, "--data-dir", data, "serve", "webhook", "list")
    assert "https://erp.example/hook" in out and "0 delivered, 0 pending" in out
    assert "whsec_" not in out
    assert _pa(capsys, "--data-dir", data, "serve", "webhook", "add", "ftp://x")[0] == 1
    code, _, err = _pa(capsys, "--data-dir", data, "serve", "webhook", "add", "http://127.0.0.1:9/x")
    assert code == 1 and "loopback address" in err and "--allow-local" in err
    code, _, _ = _pa(
        capsys, "--data-dir", data, "serve", "webhook", "add", "http://127.0.0.1:9/x", "--allow-local"
    )
    assert code == 0
    assert _pa(capsys, "--data-dir", data, "serve", "webhook", "remove", "2")[0] == 0
    assert _pa(capsys, "--data-dir", data, "serve", "webhook", "remove", "1")[0] == 0
    assert _pa(capsys, "--data-dir", data, "serve", "webhook", "list")[1].strip() == "no webhooks"


def test_pa_serve_sign_signs_a_sign_in_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "web.sqlite3")
    holder = dev_account("holder")
    message = new_challenge(
        store,
        address=holder.address,
        host="127.0.0.1:8000",
        uri="http://127.0.0.1:8000",
        chain_id=31337,
        now=1e9,
    )
    path = tmp_path / "message.txt"
    path.write_text(message + "\n", encoding="utf-8")
    code, out, _ = _pa(capsys, "--account", "holder", "serve", "sign", str(path))
    assert code == 0
    signed = verify_sign_in(
        store, message=message, signature=out.strip(), host="127.0.0.1:8000", chain_id=31337, now=1e9 + 60
    )
    assert signed == holder.address
    path.write_text("hello", encoding="utf-8")
    assert _pa(capsys, "--account", "holder", "serve", "sign", str(path))[0] == 1


# ---------------------------------------------------------------- the accounts the server signs with


def test_a_keystore_token_signs_with_the_password_from_its_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "0x" + "11" * 32
    keystore = tmp_path / "erp.json"
    account = create_keystore(keystore, "s3cret", private_key=key, kdf_iterations=2)
    settings = Settings(data_dir=tmp_path)
    with pytest.raises(AccountError, match="ERP_PASSWORD"):
        load_signer(str(keystore), settings, 31337, "ERP_PASSWORD")
    monkeypatch.setenv("ERP_PASSWORD", "s3cret")
    assert load_signer(str(keystore), settings, 31337, "ERP_PASSWORD").address == account.address


def test_a_token_whose_key_is_another_accounts_is_refused(tmp_path: Path) -> None:
    store = Store(tmp_path / "web.sqlite3")
    token, _ = store.create_token(
        name="wrong",
        address=dev_account("holder").address,
        account_spec="broker",
        password_env=None,
        expires=None,
    )
    ledger = cast(LedgerClient, SimpleNamespace(deployment=SimpleNamespace(chain_id=31337)))
    signers = Signers(Settings(data_dir=tmp_path), ledger)
    with pytest.raises(AccountError, match="bound to"):
        signers.account_for(token)
    read_only, _ = store.create_token(
        name="ro", address=dev_account("holder").address, account_spec=None, password_env=None, expires=None
    )
    with pytest.raises(AccountError, match="read-only"):
        signers.account_for(read_only)


# ---------------------------------------------------------------- entries as JSON


def _season_rows() -> list[dict[str, Any]]:
    with SAMPLE_SEASON.open(encoding="utf-8") as handle:
        return [{k: v for k, v in row.items() if v != ""} for row in csv.DictReader(handle)]


def test_the_sample_season_as_json_gives_the_entries_of_the_file() -> None:
    from_file = [sourced.entry for sourced in read_entries(SAMPLE_SEASON).entries]
    from_json = read_json_entries(_season_rows())
    assert from_json.problems == []
    assert [item.entry for item in from_json.items] == from_file


def test_a_processing_may_come_as_one_object_with_its_lines() -> None:
    rows = [row for row in _season_rows() if row["entry_ref"] == "MIC-TR-2019-0001"]
    shared = {
        k: v for k, v in rows[0].items() if k in ("entry_ref", "kind", "authorisation", "occurred_at", "site")
    }
    nested = {
        **shared,
        "inputs": [{"lot": r["lot"], "quantity": r["quantity"]} for r in rows if r["line"] == "in"],
        "outputs": [
            {k: r[k] for k in ("lot", "goods_code", "description", "quantity", "unit")}
            for r in rows
            if r["line"] == "out"
        ],
    }
    assert read_json_entries([nested]).items[0].entry == read_json_entries(rows).items[0].entry
    nested["outputs"][0]["quantity"] = "0"
    problem = read_json_entries([nested]).problems[0]
    assert problem.path == "entries[0].outputs[0]" and problem.field == "quantity"


def test_json_numbers_are_read_from_their_shortest_decimal_form() -> None:
    assert [cell_text(v) for v in (12.5, 100.0, 3, 0.1, None, ["a", "b"], True)] == [
        "12.5",
        "100",
        "3",
        "0.1",
        "",
        "a;b",
        "true",
    ]
    entry = dict(_season_rows()[0], quantity=0.0000001)
    problem = read_json_entries([entry]).problems[0]
    assert problem.text == "entries[0]: field 'quantity' = '0.0000001': quantity has more than 6 decimals"


def test_an_empty_request_or_a_line_that_is_not_an_object_is_a_problem() -> None:
    assert read_json_entries([]).problems[0].message == "no entries were given"
    bad = read_json_entries([{"kind": "processing", "inputs": ["x"]}])
    assert bad.problems[0].path == "entries[0].inputs[0]"


def test_entries_past_the_files_limits_are_one_problem_of_the_request() -> None:
    # Checked as an entries file is, within its limits (records/limits.py), said in the request's terms.
    row = _season_rows()[0]
    many = read_json_entries([row] * (LIMITS.rows + 1))
    assert [problem.text for problem in many.problems] == [
        f"entries: {LIMITS.rows + 1:,} rows of entries (a processing has one per input and output) and a "
        f"request may hold at most {LIMITS.rows:,}: send them in several requests, in order"
    ]
    wide = read_json_entries([{**row, **{f"field_{n}": "x" for n in range(LIMITS.cells)}}])
    assert [problem.text for problem in wide.problems] == [
        f"entries: the entries use {len(COLUMNS) + LIMITS.cells} different fields and the entries file they are "
        f"checked as has at most {LIMITS.cells} columns ({len(COLUMNS)} known ones): remove the unknown fields"
    ]
    long = read_json_entries([{**row, **{f"note_{n}": "y" * 100_000 for n in range(42)}}])
    assert [problem.text for problem in long.problems] == [
        "entries: entries[0] holds more than 4,194,304 characters, the most a row of an entries file may "
        "hold (is it an entries file?): fix or remove that row"
    ]


def test_problems_beyond_those_kept_are_counted_in_the_request() -> None:
    bad = dict(_season_rows()[0], quantity="0")
    rows = [dict(bad, entry_ref=f"PL-{n}", lot=f"L-{n}") for n in range(MAX_PROBLEMS + 5)]
    problems = read_json_entries(rows).problems
    assert len(problems) == MAX_PROBLEMS + 1
    assert problems[-1].text == "entries: … and 5 more problems, not listed: fix the entries listed first"
