"""Ape for developers. In process: the console helpers of `pa_client.dev.console`. Through Ape (marked
`ape`, several seconds each): `ape compile` in a clean clone, offline, gives the shipped bytecode;
`ape run deploy`, `ape run submit_batch` and `ape run audit_report` on the embedded node, and
`ape run deploy` on the consortium network, with their effect checked on chain and in the data
folder; `ape console` with commands on stdin prints the ledger's answers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from support import factories
from support.chain import AnvilNode, Parties
from web3 import Web3

from pa_client.audit.run import run_audit
from pa_client.chain.accounts import DEV_PRIVATE_KEYS, create_keystore, dev_account
from pa_client.chain.connection import open_ledger
from pa_client.chain.deployment import Deployment, deploy, deployment_file, save_deployment
from pa_client.chain.ledger import LedgerClient
from pa_client.chain.node import EmbeddedNode
from pa_client.chain.sender import Sender
from pa_client.dev.console import (
    OPEN_PLACEMENT_COLUMNS,
    AuditSummary,
    RecordLines,
    audit_summary,
    describe,
    embedded_node_mismatch,
    embedded_node_url,
    last_records,
    lot,
    namespace,
    open_ledger_at,
    open_placements,
    same_endpoint,
    stock,
)
from pa_client.dev.demo import REFERENCE
from pa_client.errors import InputError
from pa_client.present import display
from pa_client.present.audit_document import audit_document
from pa_client.records.authorisation_file import load_authorisation
from pa_client.records.entries_file import read_entries
from pa_client.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SEASON = EXAMPLES / "season-bourges-2019.csv"
APE = Path(sys.executable).parent / "ape"
CONSORTIUM_CHAIN_ID = 1337  # ape-config.yaml, networks.custom "consortium"

needs_ape = pytest.mark.skipif(not APE.exists(), reason="Ape is not installed (pip install pa-ledger[ape])")


# ---------------------------------------------------------------- the helpers, in process


def test_console_questions(parties: Parties, auth: str) -> None:
    parties.broker.record(factories.placement(auth, "PL-1", "LOT-1", "100", site="STORE"))
    parties.broker.record(factories.movement(auth, "MV-1", "LOT-1", "40", "STORE", "WORKSHOP"))
    reader = parties.reader

    assert stock(reader, auth, "LOT-1", "STORE") == Decimal("60")
    assert stock(reader, auth, "LOT-1", "WORKSHOP") == Decimal("40")
    assert stock(reader, auth, "LOT-1") == Decimal("100")
    state = lot(reader, auth, "LOT-1")
    assert state is not None and state.origin == "placement" and state.basis_code == factories.IMPORT_TREAD
    assert lot(reader, auth, "NO-SUCH-LOT") is None
    with pytest.raises(InputError, match=r"lot NO-SUCH-LOT of \S+ is not on the ledger"):
        stock(reader, auth, "NO-SUCH-LOT")

    records = last_records(reader, auth, 1)
    assert isinstance(records, RecordLines) and len(records) == 1
    assert (records[0].sequence, records[0].kind, records[0].entry_ref) == (2, "movement", "MV-1")
    assert [r.entry_ref for r in last_records(reader, auth)] == ["PL-1", "MV-1"]
    assert repr(last_records(reader, auth)).splitlines()[0].startswith("#1 ")
    assert "placement" in str(last_records(reader, auth)) and "MV-1" in repr(records)
    assert str(last_records(reader, "FRIPO-NOTHING-HERE")) == "(no records)"
    with pytest.raises(InputError):
        last_records(reader, auth, 0)


def test_console_namespace_binds_the_ledger(parties: Parties, auth: str) -> None:
    parties.broker.record(factories.placement(auth, "PL-1", "LOT-1", "12.5", site="STORE"))
    names = namespace(parties.reader)
    assert names["ledger"] is parties.reader
    assert names["stock"](auth, "LOT-1", site="STORE") == Decimal("12.5")
    assert names["lot"](auth, "LOT-1").stock == Decimal("12.5")
    assert [r.entry_ref for r in names["last_records"](auth, count=5)] == ["PL-1"]
    assert names["stock"].__doc__ == stock.__doc__ and names["stock"].__name__ == "stock"
    assert names["open_ledger_at"] is open_ledger_at


def test_console_audit_helpers(w3: Web3, tmp_path: Path) -> None:
    # A ledger of its own: the audit reads every log of the ledger.
    customs = LedgerClient(w3, deploy(Sender(w3, dev_account("customs"))), dev_account("customs"))
    holder = LedgerClient(w3, customs.deployment, dev_account("holder"))
    reference = factories.fresh_reference()
    customs.register(factories.authorisation(reference))
    holder.record(factories.placement(reference, "PL-1", "LOT-1", "100"))
    holder.record(
        factories.placement(reference, "PL-2", "LOT-2", "5", code=factories.IMPORT_CASING, unit="NAR")
    )
    holder.record(factories.discharge(reference, "EX-1", "LOT-2", "5"))
    settings = Settings(data_dir=tmp_path)
    day = date(2024, 3, 2)

    placements = open_placements(holder, reference, today=day, settings=settings)
    assert list(placements.columns) == list(OPEN_PLACEMENT_COLUMNS)
    assert placements.to_dict("records") == [
        {
            "entry_ref": "PL-1",
            "lot": "LOT-1",
            "goods_code": factories.IMPORT_TREAD,
            "quantity": "100.000000",
            "unit": "KGM",
            "remaining": "100.000000",
            "deadline": "2024-09-30",
            "status": "open",
        }
    ]
    summary = audit_summary(holder, reference, today=day, settings=settings)
    assert summary == AuditSummary(
        reference=reference,
        block=w3.eth.block_number,
        records=3,
        verified=True,
        placements={"open": 1, "overdue": 0, "discharged": 1},
        open_quantities={(factories.IMPORT_TREAD, "KGM"): Decimal("100")},
        duty_due=Decimal("0"),
        alerts=summary.alerts,
    )
    assert str(summary).startswith(
        f"{reference} at block {w3.eth.block_number:,}: 3 records, integrity verified;"
    )
    tread = display.goods_code(factories.IMPORT_TREAD)
    assert (
        f"placements: 1 open, 0 overdue, 1 discharged; under the procedure: 100.000 KGM of {tread}; "
        "duty due EUR 0.00" in str(summary)
    )
    with pytest.raises(InputError, match="no authorisation FRIPO-NONE on this ledger"):
        audit_summary(holder, "FRIPO-NONE", settings=settings)


def test_open_ledger_at_reads_the_data_folder(
    anvil: AnvilNode, deployment: Deployment, tmp_path: Path
) -> None:
    save_deployment(tmp_path, deployment)
    reader = open_ledger_at(anvil.rpc_url, data_dir=tmp_path)
    assert reader.deployment == deployment
    assert describe(reader).endswith("read only (PA_ACCOUNT names no account)")
    customs = open_ledger_at(anvil.rpc_url, data_dir=tmp_path, account="customs")
    assert f"signing as {dev_account('customs').address}" in describe(customs)
    assert f"PA ledger {deployment.ledger}" in describe(customs)


def test_embedded_node_helpers(anvil: AnvilNode, tmp_path: Path) -> None:
    assert embedded_node_url(anvil.settings, port=1) == anvil.rpc_url  # running: where it runs
    assert embedded_node_mismatch(anvil.rpc_url, anvil.settings) is None
    assert embedded_node_mismatch(anvil.rpc_url.replace("127.0.0.1", "localhost"), anvil.settings) is None
    other = embedded_node_mismatch("http://127.0.0.1:1", anvil.settings)
    assert other is not None and f"APE_FOUNDRY_HOST={anvil.rpc_url}" in other
    stopped = embedded_node_mismatch(anvil.rpc_url, Settings(data_dir=tmp_path))
    assert stopped is not None and "is not running" in stopped
    assert same_endpoint("http://localhost:8645/", "http://127.0.0.1:8645")
    assert not same_endpoint("http://127.0.0.1:8645", "http://127.0.0.1:8646")


# ---------------------------------------------------------------- through Ape


def ape_environment(data_dir: Path, home: Path, **extra: str) -> dict[str, str]:
    """The environment of `make ape-env`, with Ape's, IPython's and the client's folders in `home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PA_", "APE_"))}
    env.update(
        PATH=os.pathsep.join([str(APE.parent), str(ROOT / "node_modules" / ".bin"), env.get("PATH", "")]),
        SOLCX_BINARY_PATH=str(ROOT / "tools" / "solc"),
        APE_DATA_FOLDER=str(home / "ape"),
        IPYTHONDIR=str(home / "ipython"),
        PA_DATA_DIR=str(data_dir),
        NO_COLOR="1",
    )
    env.update(extra)
    return env


def ape(
    *args: str, env: dict[str, str], cwd: Path = ROOT, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(APE), *args], cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=180
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@dataclass(frozen=True)
class Season:
    """The embedded node of a data folder where `ape run` deployed and submitted the sample season."""

    data_dir: Path
    rpc_url: str
    env: dict[str, str]
    deployed: str
    submitted: str
    reader: LedgerClient


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Season]:
    if not APE.exists():
        pytest.skip("Ape is not installed")
    data_dir = tmp_path_factory.mktemp("ape-data")
    node = EmbeddedNode(Settings(data_dir=data_dir))
    rpc_url = node.start().rpc_url
    assert rpc_url is not None
    try:
        # No APE_FOUNDRY_HOST: the scripts find the node in the data folder (it runs on a free port,
        # not Ape's configured one).
        env = ape_environment(data_dir, tmp_path_factory.mktemp("ape-home"))
        deployed = ok(ape("run", "deploy", env=env))
        customs = open_ledger(Settings(rpc_url=rpc_url, data_dir=data_dir, account="customs"))
        customs.register(load_authorisation(EXAMPLES / "authorisation-bourges.toml"))
        holder = LedgerClient(customs.w3, customs.deployment, dev_account("holder"))
        holder.appoint(REFERENCE, dev_account("broker").address)
        submitted = ok(ape("run", "submit_batch", str(SEASON.relative_to(ROOT)), env=env))
        reader = open_ledger(Settings(rpc_url=rpc_url, data_dir=data_dir), signing=False)
        yield Season(data_dir, rpc_url, env, deployed, submitted, reader)
    finally:
        node.stop()


@pytest.mark.ape
@needs_ape
def test_ape_run_deploy(season: Season) -> None:
    path = deployment_file(season.data_dir, 31337)
    recorded = json.loads(path.read_text(encoding="utf-8"))
    assert f"ledger    {recorded['ledger']}" in season.deployed
    assert f"recorded in {path}" in season.deployed
    assert recorded["deployed_by"] == dev_account("customs").address
    w3 = season.reader.w3
    assert w3.eth.get_code(Web3.to_checksum_address(recorded["ledger"]))
    assert season.reader.is_customs(dev_account("customs").address)


@pytest.mark.ape
@needs_ape
def test_ape_run_submit_batch(season: Season) -> None:
    entries = read_entries(SEASON).entries
    assert f"{SEASON.name}: {len(entries)} recorded, 0 already recorded" in season.submitted
    sequence, _ = season.reader.chain_of(REFERENCE)
    assert sequence == len(entries)
    journal = next((season.data_dir / "journal").glob("31337-*.jsonl"))
    assert f"journal {journal}" in season.submitted
    lines = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]
    assert [line["entry_ref"] for line in lines] == [e.entry.entry_ref for e in entries]
    assert {line["status"] for line in lines} == {"recorded"}


@pytest.mark.ape
@needs_ape
def test_ape_run_audit_report(season: Season, tmp_path: Path) -> None:
    out = ok(ape("run", "audit_report", "--out", str(tmp_path), "--format", "json", env=season.env))
    lines = out.splitlines()
    assert len(lines) == 2 and lines[1].startswith("  json  ")
    path = Path(lines[1].split(maxsplit=1)[1])
    assert path.parent == tmp_path / REFERENCE
    report = json.loads(path.read_text(encoding="utf-8"))
    settings = Settings(rpc_url=season.rpc_url, data_dir=season.data_dir)
    expected = run_audit(season.reader, settings, at_block=report["as_of_block"]).result
    # The same audit, drawn at the latest block rather than at a block given: only its basis differs.
    assert report["basis"] == f"at block {report['as_of_block']:,} (the latest)"
    assert report == {**audit_document(expected, REFERENCE), "basis": report["basis"]}
    assert report["integrity"]["verified"]
    assert report["integrity"]["entries"] == len(read_entries(SEASON).entries)
    assert lines[0] == str(AuditSummary.of(expected, REFERENCE))


@pytest.mark.ape
@needs_ape
def test_ape_console_answers_on_stdin(season: Season) -> None:
    reader = season.reader
    expected_stock = reader.stock(REFERENCE, "TRD-2019-0001", "BOURGES-STORE")
    last = reader.records(REFERENCE)[-1]
    settings = Settings(rpc_url=season.rpc_url, data_dir=season.data_dir)
    expected_open = open_placements(reader, REFERENCE, settings=settings)
    expected_summary = audit_summary(reader, REFERENCE, settings=settings)
    commands = "\n".join(
        [
            'print("stock", stock("FRIPO000000000042", "TRD-2019-0001", "BOURGES-STORE"))',
            'print("basis", lot("FRIPO000000000042", "CAS-2019-0001").basis_code)',
            'print(last_records("FRIPO000000000042", 2))',
            'print("open", " ".join(open_placements("FRIPO000000000042")["entry_ref"]))',
            "print(audit_summary('FRIPO000000000042'))",
            'print("ledger", ledger.deployment.ledger)',
            "exit",
        ]
    )
    env = {**season.env, "APE_FOUNDRY_HOST": season.rpc_url}  # the console has no script to find it
    result = ape("console", env=env, stdin=commands + "\n")
    out = ok(result)
    assert f"stock {expected_stock}" in out
    assert "basis 40122000" in out
    assert f"#{last.sequence:<5}" in out and last.entry.entry_ref in out
    assert f"open {' '.join(expected_open['entry_ref'])}" in out
    assert str(expected_summary) in out
    assert f"ledger {reader.deployment.ledger}" in out
    assert f"PA ledger {reader.deployment.ledger}" in result.stderr
    assert "pa: warning" not in result.stderr


@pytest.mark.ape
@needs_ape
def test_ape_scripts_help(tmp_path: Path) -> None:
    env = ape_environment(tmp_path / "data", tmp_path)
    deploy = " ".join(ok(ape("run", "deploy", "--help", env=env)).split())
    assert "Deploy the registry and the ledger" in deploy
    assert "--account" in deploy and "--network" in deploy and "[default: customs]" in deploy
    submit = " ".join(ok(ape("run", "submit_batch", "--help", env=env)).split())
    assert "Usage: ape run submit_batch [OPTIONS] FILE" in submit
    assert "--dry-run" in submit and "--batch-size" in submit and "[default: broker]" in submit
    report = " ".join(ok(ape("run", "audit_report", "--help", env=env)).split())
    assert "prove it complete against the contract" in report
    assert "--authorisation" in report and "--today YYYY-MM-DD" in report and "--format" in report
    assert not (tmp_path / "data").exists()  # --help starts no node


@pytest.mark.ape
@needs_ape
def test_ape_run_deploy_on_the_consortium_network(tmp_path: Path) -> None:
    # A stand-in for the consortium chain: an Anvil with the configured chain id (not a development
    # chain: development accounts are refused there), and a keystore account.
    node = EmbeddedNode(Settings(data_dir=tmp_path / "consortium", chain_id=CONSORTIUM_CHAIN_ID))
    url = node.start().rpc_url
    assert url is not None
    try:
        keystore = tmp_path / "customs.json"
        create_keystore(keystore, "secret", private_key=DEV_PRIVATE_KEYS[0], kdf_iterations=2)
        data_dir = tmp_path / "data"
        env = ape_environment(data_dir, tmp_path, PA_RPC_URL=url, PA_PASSWORD="secret")
        out = ok(
            ape("run", "deploy", "--network", "ethereum:consortium", "--account", str(keystore), env=env)
        )
        path = deployment_file(data_dir, CONSORTIUM_CHAIN_ID)
        assert f"on chain {CONSORTIUM_CHAIN_ID}" in out and f"recorded in {path}" in out
        ledger = json.loads(path.read_text(encoding="utf-8"))["ledger"]
        assert node.status().block_number == 2  # the registry, then the ledger
        reader = open_ledger(Settings(rpc_url=url, data_dir=data_dir), signing=False)
        assert reader.deployment.ledger == ledger
    finally:
        node.stop()


@pytest.mark.slow
@pytest.mark.ape
@needs_ape
def test_ape_compile_in_a_clean_clone_gives_the_shipped_bytecode(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    _clean_clone(clone)
    proxy = "http://127.0.0.1:9"  # nothing listens: a download would fail
    env = ape_environment(
        tmp_path / "data",
        tmp_path,
        SOLCX_BINARY_PATH=str(clone / "tools" / "solc"),
        HTTP_PROXY=proxy,
        HTTPS_PROXY=proxy,
        http_proxy=proxy,
        https_proxy=proxy,
        NO_PROXY="127.0.0.1,localhost",
    )
    sources_before = sorted(p.relative_to(clone) for p in (clone / "contracts").rglob("*.sol"))
    out = ok(ape("compile", env=env, cwd=clone))
    assert "compiled" in out
    manifest = json.loads((clone / ".build" / "__local__.json").read_text(encoding="utf-8"))
    for name in ("AuthorisationRegistry", "PaLedger"):
        shipped = json.loads(
            (ROOT / "pa_client" / "contract" / "artifacts" / f"{name}.json").read_text(encoding="utf-8")
        )
        compiled = manifest["contractTypes"][name]
        assert compiled["deploymentBytecode"]["bytecode"] == shipped["bytecode"], name
        assert compiled["runtimeBytecode"]["bytecode"] == shipped["deployedBytecode"], name
    # Nothing that tools/compile.py would pick up was added to contracts/.
    assert sorted(p.relative_to(clone) for p in (clone / "contracts").rglob("*.sol")) == sources_before


def _clean_clone(target: Path) -> None:
    """What a clone of this working tree holds (committed and new files, nothing ignored), with
    node_modules as `make setup` leaves it: OpenZeppelin copied (Ape resolves links, and the sources'
    names are in the metadata hash), the other packages linked."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = ROOT / name.decode()
        if source.is_file() or source.is_symlink():
            destination = target / name.decode()
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination, follow_symlinks=False)
    modules = target / "node_modules"
    modules.mkdir()
    for entry in (ROOT / "node_modules").iterdir():
        if entry.name == "@openzeppelin":
            shutil.copytree(entry, modules / entry.name)
        else:
            (modules / entry.name).symlink_to(entry)


@pytest.mark.ape
@needs_ape
def test_ape_run_lodge_bill(season: Season) -> None:
    """The use case of `pa bill --lodge`: the bill drawn from the ledger, its lodging recorded once."""
    args = ("run", "lodge_bill", REFERENCE, "--from", "2019-08-01", "--to", "2019-08-31")
    out = ok(ape(*args, env=season.env))
    assert (
        f"bill of discharge of {REFERENCE} for 2019-08-01 to 2019-08-31 lodged as BILL-20190801-20190831-"
        in out
    )
    entry_ref = out.split(" lodged as ")[1].split()[0]
    assert season.reader.entry_state(REFERENCE, entry_ref).kind == "bill"
    assert f"already lodged as {entry_ref}" in ok(ape(*args, env=season.env))
    september = ("run", "lodge_bill", REFERENCE, "--from", "2019-09-01", "--to", "2019-09-30")
    refused = ape(*september, "--account", "stranger", env=season.env)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr + refused.stdout
    assert "is neither the holder nor an appointed declarant" in refused.stderr + refused.stdout
