"""`pa deploy | authorise | appoint | suspend | reinstate | revoke | extend | customs` and `pa demo`
through the command line, against the real chain."""

from __future__ import annotations

import json
import socket
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from support import factories
from support.chain import AnvilNode

from pa_client.chain.connection import open_ledger
from pa_client.chain.ledger import LedgerClient, Status
from pa_client.chain.node import EmbeddedNode, free_port
from pa_client.chain.sender import connect
from pa_client.cli import main
from pa_client.dev import console as console_helpers
from pa_client.dev.demo import REFERENCE
from pa_client.settings import Settings

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
BROKER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"


@dataclass
class Pa:
    """Runs `pa` against the session node with its own data folder (so its own deployment)."""

    rpc_url: str
    data_dir: Path
    capsys: pytest.CaptureFixture[str]

    def __call__(self, *args: str, account: str | None = None) -> tuple[int, str, str]:
        argv = ["--rpc-url", self.rpc_url, "--data-dir", str(self.data_dir)]
        if account:
            argv += ["--account", account]
        code = main([*argv, *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def ledger(self, account: str) -> LedgerClient:
        return open_ledger(Settings.load(rpc_url=self.rpc_url, data_dir=self.data_dir, account=account))


@pytest.fixture
def pa(anvil: AnvilNode, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Pa:
    return Pa(anvil.rpc_url, tmp_path / "data", capsys)


def test_customs_deploys_and_registers_then_amends(pa: Pa) -> None:
    code, out, _ = pa("deploy", account="customs")
    assert code == 0 and "ledger" in out and "recorded in" in out
    code, out, _ = pa("authorise", str(EXAMPLES / "authorisation-bourges.toml"), account="customs")
    assert code == 0 and "registered authorisation FRIPO000000000042, version 1" in out
    code, out, _ = pa("authorise", str(EXAMPLES / "authorisation-bourges.toml"), account="customs")
    assert code == 0 and "amended authorisation FRIPO000000000042, version 2" in out


def test_holder_appoints_and_others_are_refused_in_one_line(pa: Pa) -> None:
    pa("deploy", account="customs")
    pa("authorise", str(EXAMPLES / "authorisation-bourges.toml"), account="customs")
    code, out, _ = pa("appoint", REFERENCE, BROKER, account="holder")
    assert code == 0 and f"appointed declarant {BROKER}" in out
    code, out, err = pa("appoint", REFERENCE, BROKER, account="broker")
    assert code == 1 and out == ""
    assert (
        err
        == f"error: appoint {BROKER} for {REFERENCE} refused: account {BROKER} is not the holder of the authorisation\n"
    )
    code, _, err = pa("authorise", str(EXAMPLES / "authorisation-bourges.toml"), account="holder")
    assert code == 1 and "lacks the role CUSTOMS_ROLE" in err and err.count("\n") == 1
    code, out, _ = pa("appoint", REFERENCE, BROKER, "--remove", account="holder")
    assert code == 0 and "removed declarant" in out


def test_status_changes_and_their_refusals(pa: Pa) -> None:
    pa("deploy", account="customs")
    pa("authorise", str(EXAMPLES / "authorisation-bourges.toml"), account="customs")
    assert pa("suspend", REFERENCE, "--reason", "audit", account="customs")[0] == 0
    code, _, err = pa("suspend", REFERENCE, "--reason", "again", account="customs")
    assert code == 1 and "is suspended: it cannot become suspended" in err
    assert pa("reinstate", REFERENCE, "--reason", "audit closed", account="customs")[0] == 0
    assert pa("revoke", REFERENCE, "--reason", "operator closed", account="customs")[0] == 0
    code, _, err = pa("reinstate", REFERENCE, "--reason", "no", account="customs")
    assert code == 1 and "is revoked" in err


def test_bad_authorisation_file_names_file_field_and_value(pa: Pa, tmp_path: Path) -> None:
    pa("deploy", account="customs")
    bad = tmp_path / "bad.toml"
    text = (
        (EXAMPLES / "authorisation-bourges.toml")
        .read_text()
        .replace('"40061000" = "11.5"', '"40061000" = "0"')
    )
    bad.write_text(text.replace('supervising_office = "FR000150"', 'supervising_office = "Paris"'))
    code, out, err = pa("authorise", str(bad), account="customs")
    assert code == 1 and out == ""
    assert f"{bad}: supervising_office = 'Paris'" in err
    assert "products[0].contains.40061000 = '0': ratio must be greater than zero" in err


def test_an_authorisation_file_with_several_problems_says_each_on_its_line_and_registers_nothing(
    pa: Pa, tmp_path: Path
) -> None:
    pa("deploy", account="customs")
    bad = tmp_path / "bad.toml"
    text = (EXAMPLES / "authorisation-bourges.toml").read_text()
    text = text.replace('allocation_key = "quantity"', 'allocation_key = "weight"')
    bad.write_text(text.replace("deemed_release_on_expiry = true", 'deemed_release_on_expiry = "yes"'))
    code, out, err = pa("authorise", str(bad), account="customs")
    assert code == 1 and out == "" and "Traceback" not in err
    assert err.splitlines() == [
        f"{bad}: deemed_release_on_expiry = 'yes': must be true or false, without quotes",
        f"{bad}: allocation_key = 'weight': must be one of quantity, value",
        f"error: 2 problems found in {bad}: nothing was registered",
    ]
    assert pa.ledger("customs").authorisation_state(REFERENCE).status is Status.UNKNOWN


def test_commands_without_deployment_or_account_fail_clearly(pa: Pa) -> None:
    code, _, err = pa("suspend", REFERENCE, "--reason", "x", account="customs")
    assert code == 1 and "no ledger is deployed on chain" in err and "run 'pa deploy'" in err
    pa("deploy", account="customs")
    code, _, err = pa("suspend", REFERENCE, "--reason", "x")
    assert code == 1 and "no account given" in err


def test_extend_records_a_deadline_extension(pa: Pa) -> None:
    pa("deploy", account="customs")
    pa("authorise", str(EXAMPLES / "authorisation-bourges.toml"), account="customs")
    pa("appoint", REFERENCE, BROKER, account="holder")
    code, _, err = pa(
        "extend", REFERENCE, "IM-1", "--until", "2019-12-31", "--reason", "strike", account="customs"
    )
    assert code == 1 and "IM-1 is not a recorded placement" in err
    broker = pa.ledger("broker")
    broker.record(factories.placement(REFERENCE, "IM-1", "LOT-1", when=factories.WHEN.replace(year=2019)))
    code, out, _ = pa(
        "extend", REFERENCE, "IM-1", "--until", "2019-12-31", "--reason", "strike", account="customs"
    )
    assert code == 0 and "extended IM-1 of FRIPO000000000042 to 2019-12-31" in out
    assert broker.entry_state(REFERENCE, "EXT-IM-1-2019-12-31").kind == "extension"
    assert broker.chain_of(REFERENCE)[0] == 2


def test_demo_is_idempotent_and_says_what_it_did(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "demo"
    # As `make demo` runs it: the checkout's .venv, not activated, from the repository root.
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    # Ape's port stands for 8645, which this test must not take from a developer's node.
    monkeypatch.setattr(console_helpers, "APE_PORT", free_port())
    try:
        assert main(["--data-dir", str(data_dir), "demo"]) == 0
        first = capsys.readouterr().out
        assert (
            f"embedded node at http://127.0.0.1:{console_helpers.APE_PORT} " in first
        )  # ape console finds it
        last = first.splitlines()[-2:]
        assert last[0].endswith("stop it with './pa node stop'.")
        assert last[1].startswith("pa is not on your PATH") and "'./pa alerts --at 2019-04-01'" in last[1]
        assert last[1].endswith("or first '. .venv/bin/activate'")
        assert "customs registered authorisation FRIPO000000000042" in first
        assert "the broker submitted season-bourges-2019.csv: 178 recorded" in first
        assert "180 entries recorded now, 0 already there" in first
        assert "in the season's time" in first and "show as late" not in first
        # The season in its own time: every block of the chain dated in 2019 but the clock's return to
        # now at the end; recording delays are the pilot's hours, so no record is late.
        w3 = connect(f"http://127.0.0.1:{console_helpers.APE_PORT}")
        latest = w3.eth.block_number
        years = {datetime.fromtimestamp(w3.eth.get_block(n)["timestamp"], UTC).year for n in range(latest)}
        assert (
            years == {2019} and datetime.fromtimestamp(w3.eth.get_block(latest)["timestamp"], UTC).year > 2019
        )
        alerts = json.loads((data_dir / "reports" / REFERENCE / "audit.json").read_text())["alerts"]
        assert [a["kind"] for a in alerts] == ["yield_deviation"]
        lines = first.splitlines()
        finding = lines.index(next(line for line in lines if line.startswith("First finding: ")))
        assert lines[finding].startswith(
            "First finding: warning yield_deviation: processing MIC-TR-2019-0023"
        )
        assert lines[finding + 1].startswith("FRIPO000000000042 at block")  # said first, then the summary
        assert "See it on the dashboard as of the season's day: './pa serve --today 2019-04-01'" in lines
        assert "integrity verified against the contract" in first
        summary = next(line for line in first.splitlines() if line.startswith("FRIPO000000000042 at block"))
        assert "180 records, integrity verified; placements: " in summary
        assert "under the procedure: " in summary and "of 4006 10 00" in summary
        assert summary.endswith("(deadlines judged on 01 April 2019)")
        html = data_dir / "reports" / "FRIPO000000000042" / "audit.html"
        assert f"html      {html}" in first and "VERIFIED" in html.read_text(encoding="utf-8")
        assert (data_dir / "reports" / "FRIPO000000000042" / "bill-2019-08-01-2019-09-30.xlsx").exists()
        assert main(["--data-dir", str(data_dir), "demo"]) == 0
        second = capsys.readouterr().out
        assert "0 entries recorded now, 180 already there" in second
        assert "holds 180 records" in second
    finally:
        EmbeddedNode(Settings(data_dir=data_dir)).stop()


def test_the_data_folder_and_what_pa_writes_in_it_are_its_users_only(pa: Pa) -> None:
    """Like the keystores: the deployment, the journal, the web server's sessions, tokens and webhook
    secrets are nobody else's to read. A folder an earlier version left open is closed."""
    pa.data_dir.mkdir(parents=True)
    pa.data_dir.chmod(0o755)
    assert pa("deploy", account="customs")[0] == 0
    assert pa("serve", "token", "create", "--name", "ERP", "--read-only", BROKER)[0] == 0
    assert pa("serve", "webhook", "add", "https://erp.example/hook")[0] == 0
    assert stat.S_IMODE(pa.data_dir.stat().st_mode) == 0o700
    written = sorted(pa.data_dir.rglob("*"))
    assert any(p.name == "web.sqlite3" for p in written) and any(p.suffix == ".json" for p in written)
    assert [(str(p), oct(stat.S_IMODE(p.stat().st_mode))) for p in written if p.stat().st_mode & 0o077] == []


def test_bill_lodged_on_the_ledger_ends_its_overdue_alert(pa: Pa) -> None:
    """UCC-DA art. 175(1): `pa bill --lodge` records the bill's SHA-256 and due date; an unlodged bill past
    its due date is a critical alert until then; a correction after lodging makes the lodged bill
    outdated (a warning). Lodging again the same bill sends nothing."""
    pa("deploy", account="customs")
    pa("authorise", str(EXAMPLES / "authorisation-bourges.toml"), account="customs")
    pa("appoint", REFERENCE, BROKER, account="holder")
    broker = pa.ledger("broker")
    broker.record(factories.placement(REFERENCE, "IM-1", "LOT-1", when=factories.WHEN.replace(year=2019)))
    code, out, _ = pa("alerts", account="customs")
    assert code == 0
    [overdue] = [line for line in out.splitlines() if " bill_overdue " in line]
    assert overdue.startswith("critical") and "IM-1" in overdue and "bill of discharge not lodged" in overdue
    span = ["--from", "2019-01-01", "--to", "2021-12-31"]
    code, _, err = pa("bill", REFERENCE, *span, "--lodge", account="stranger")
    assert code == 1 and err.count("\n") == 1
    assert "is neither the holder nor an appointed declarant" in err
    code, out, _ = pa("bill", REFERENCE, *span, "--lodge", account="holder")
    assert code == 0, out
    [lodged] = [line for line in out.splitlines() if " lodged as " in line]
    entry_ref = lodged.split(" lodged as ")[1].split()[0]
    assert entry_ref.startswith("BILL-20190101-20211231-")
    assert broker.entry_state(REFERENCE, entry_ref).kind == "bill"
    sequence = broker.chain_of(REFERENCE)[0]
    code, out, _ = pa("alerts", account="customs")
    assert " bill_overdue " not in out and " bill_outdated " not in out
    code, out, _ = pa("bill", REFERENCE, *span, "--lodge", account="broker")
    assert code == 0 and f"already lodged as {entry_ref}" in out
    assert broker.chain_of(REFERENCE)[0] == sequence  # nothing sent
    broker.record(factories.correction(REFERENCE, "C-1", "IM-1"))
    code, out, _ = pa("alerts", account="customs")
    [outdated] = [line for line in out.splitlines() if " bill_outdated " in line]
    assert outdated.startswith("warning") and entry_ref in outdated


def test_pa_alerts_filters_by_severity_kind_and_authorisation_and_counts_each_kind(pa: Pa) -> None:
    pa("deploy", account="customs")
    pa("authorise", str(EXAMPLES / "authorisation-bourges.toml"), account="customs")
    pa("appoint", REFERENCE, BROKER, account="holder")
    code, _, err = pa("submit", str(EXAMPLES / "season-bourges-2019.csv"), account="broker")
    assert code == 0, err
    code, out, err = pa("alerts", "--at", "2019-10-05")
    assert code == 0, err
    *lines, total = out.strip().splitlines()  # (the progress bar's line first)
    assert all(line.split()[0] in ("critical", "warning", "info") for line in lines)
    assert total.startswith(
        f"{len(lines)} open alerts as of 2019-10-05 (deadlines judged on 2019-10-05 (latest "
    )
    counted: dict[str, int] = {}
    for part in total.split(": ", 1)[1].split(", "):
        number, kind = part.split(" ", 1)
        counted[kind] = int(number)
    assert sum(counted.values()) == len(lines)
    assert {"overdue", "yield_deviation", "bill_due"} <= set(counted)
    # No empty field, no date said twice: the message names what it is about and when.
    [bill] = [line for line in lines if " bill_due " in line]
    assert (
        f"{REFERENCE}  bill of discharge due by 2019-10-30 (in 25 days)," in bill
        and bill.count("2019-10-30") == 1
    )
    [deviation] = [line for line in lines if " yield_deviation " in line]
    assert "processing MIC-TR-2019-0023: 40.5 kg of 4006 10 00 went in" in deviation
    assert "35.7 kg by the authorised rates of yield, 11.8519 % less (tolerance 2 %)" in deviation

    code, out, _ = pa(
        "alerts", "--at", "2019-10-05", "--severity", "warning", "--kind", "yield_deviation,bill_due"
    )
    *lines, total = out.strip().splitlines()  # (the progress bar's line first)
    assert code == 0 and len(lines) == 2
    assert total.startswith(
        f"2 of {sum(counted.values())} open alerts as of 2019-10-05 (deadlines judged on "
    ) and total.endswith("): 1 yield_deviation, 1 bill_due")
    code, out, _ = pa("alerts", "--at", "2019-10-05", "--severity", "critical", "-a", REFERENCE)
    assert code == 0 and all(line.startswith("critical") for line in out.strip().splitlines()[:-1])
    code, _, err = pa("alerts", "--kind", "late")
    assert (code, err) == (
        1,
        "error: --kind late is not one of deadline_near, overdue, yield_deviation, late_record, bill_due, "
        "bill_overdue, bill_outdated, integrity\n",
    )
    code, _, err = pa("alerts", "-a", "FRIPO000000000099")
    assert code == 1 and "no authorisation FRIPO000000000099" in err


def test_the_demos_node_goes_where_ape_console_looks_or_says_how_to_point_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    monkeypatch.setattr(console_helpers, "APE_PORT", taken.getsockname()[1])
    settings = Settings(data_dir=tmp_path / "data")
    try:
        url = console_helpers.embedded_node_for_ape(settings)  # Ape's port is taken: a free one
        assert urlsplit(url).port not in (None, console_helpers.APE_PORT)
        assert console_helpers.embedded_node_for_ape(settings) == url  # running: where it runs
        assert console_helpers.ape_console_hint(url) == (
            f"ape console looks for the node at http://127.0.0.1:{console_helpers.APE_PORT}: point it at this "
            f"one with 'export APE_FOUNDRY_HOST={url}' (ape run scripts find it themselves)"
        )
        assert console_helpers.ape_console_hint(f"http://127.0.0.1:{console_helpers.APE_PORT}") is None
    finally:
        EmbeddedNode(settings).stop()
        taken.close()
