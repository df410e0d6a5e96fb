"""Settings precedence (explicit > environment > default) and errors naming their source."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from pa_client.errors import ConfigError
from pa_client.settings import Settings, default_anvil_path

REPO = Path(__file__).resolve().parent.parent


def test_defaults(tmp_path: Path) -> None:
    settings = Settings.load()
    # conftest points XDG_DATA_HOME at the test's folder.
    assert settings.data_dir == tmp_path / "xdg-data" / "pa-ledger"
    assert settings.node_dir == settings.data_dir / "node"
    assert settings.rpc_url is None and settings.account is None and settings.password is None
    assert settings.chain_id == 31337
    assert settings.node_port is None
    assert settings.confirmations == 0
    assert settings.block_gas_limit == 100_000_000
    assert settings.node_history is False


def test_data_dir_without_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_DATA_HOME")
    assert Settings.load().data_dir == tmp_path / ".local" / "share" / "pa-ledger"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    assert Settings.load().data_dir == tmp_path / ".local" / "share" / "pa-ledger"


def test_anvil_of_the_checkout() -> None:
    assert default_anvil_path() == REPO / "node_modules" / ".bin" / "anvil"
    assert Settings.load().anvil_path == REPO / "node_modules" / ".bin" / "anvil"


def test_environment_overrides_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "PA_DATA_DIR": str(tmp_path / "d"),
        "PA_RPC_URL": "http://10.0.0.7:8545",
        "PA_ACCOUNT": "holder",
        "PA_PASSWORD": "s3cret",
        "PA_CHAIN_ID": "1337",
        "PA_NODE_PORT": "9545",
        "PA_CONFIRMATIONS": "3",
        "PA_ANVIL": "/opt/foundry/anvil",
        "PA_BLOCK_GAS_LIMIT": "60000000",
        "PA_NODE_HISTORY": "true",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    s = Settings.load()
    assert s.data_dir == tmp_path / "d"
    assert s.rpc_url == "http://10.0.0.7:8545"
    assert s.account == "holder"
    assert s.password == SecretStr("s3cret")
    assert (s.chain_id, s.node_port, s.confirmations) == (1337, 9545, 3)
    assert s.anvil_path == Path("/opt/foundry/anvil")
    assert (s.block_gas_limit, s.node_history) == (60_000_000, True)
    assert "s3cret" not in repr(s)


def test_explicit_values_override_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PA_RPC_URL", "http://from-env:8545")
    monkeypatch.setenv("PA_DATA_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("PA_NODE_PORT", "9545")
    s = Settings.load(rpc_url="http://explicit:8545", data_dir=tmp_path / "cli", node_port=None)
    assert s.rpc_url == "http://explicit:8545"
    assert s.data_dir == tmp_path / "cli"
    assert s.node_port == 9545  # explicit None means "not given"


def test_empty_environment_value_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PA_RPC_URL", "")
    monkeypatch.setenv("PA_CHAIN_ID", "")
    s = Settings.load()
    assert s.rpc_url is None and s.chain_id == 31337


def test_paths_are_expanded_and_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert Settings.load(data_dir="~/pa").data_dir == tmp_path / "pa"
    assert Settings.load(data_dir="rel").data_dir == tmp_path / "rel"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("PA_CHAIN_ID", "abc", "PA_CHAIN_ID='abc': input should be a valid integer"),
        ("PA_NODE_PORT", "70000", "PA_NODE_PORT='70000': input should be less than or equal"),
        ("PA_CONFIRMATIONS", "-1", "PA_CONFIRMATIONS='-1': input should be greater than or equal"),
        ("PA_NODE_HISTORY", "maybe", "PA_NODE_HISTORY='maybe': input should be a valid boolean"),
    ],
)
def test_invalid_environment_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        Settings.load()
    assert str(caught.value).startswith(f"invalid setting {message}")
    assert isinstance(caught.value, ValueError)


def test_invalid_explicit_value_names_the_setting() -> None:
    with pytest.raises(ConfigError, match=r"invalid setting node_port=0: input should be greater"):
        Settings.load(node_port=0)
    with pytest.raises(ConfigError, match="unknown setting"):
        Settings.load(colour="blue")


def test_settings_are_frozen() -> None:
    settings = Settings.load()
    with pytest.raises(ValidationError):
        settings.chain_id = 1
