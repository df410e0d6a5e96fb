"""Settings: explicit values (command-line options) over environment variables over defaults."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from pa_client.data_folder import APP_NAME as APP_NAME
from pa_client.data_folder import PRIVATE_UMASK as PRIVATE_UMASK
from pa_client.data_folder import default_data_dir as default_data_dir
from pa_client.data_folder import make_private as make_private
from pa_client.errors import ConfigError

__all__ = ["ENV_VARS", "PRIVATE_UMASK", "Settings", "default_anvil_path", "default_data_dir", "make_private"]

# Field name -> environment variable; the one list used by `Settings.load` and the docs.
ENV_VARS: dict[str, str] = {
    "data_dir": "PA_DATA_DIR",
    "rpc_url": "PA_RPC_URL",
    "rpc_token": "PA_RPC_TOKEN",
    "account": "PA_ACCOUNT",
    "password": "PA_PASSWORD",
    "chain_id": "PA_CHAIN_ID",
    "node_port": "PA_NODE_PORT",
    "confirmations": "PA_CONFIRMATIONS",
    "anvil_path": "PA_ANVIL",
    "block_gas_limit": "PA_BLOCK_GAS_LIMIT",
    "node_history": "PA_NODE_HISTORY",
    "node_state_interval": "PA_NODE_STATE_INTERVAL",
    "node_recent_states": "PA_NODE_RECENT_STATES",
    "node_persist": "PA_NODE_PERSIST",
}


def default_anvil_path() -> Path:
    """The checkout's `node_modules/.bin/anvil` if there is one, else `anvil` on PATH."""
    checkout = Path(__file__).resolve().parent.parent / "node_modules" / ".bin" / "anvil"
    if checkout.exists():
        return checkout
    found = shutil.which("anvil")
    # A bare name is kept when nothing is found so that the node reports it clearly on start.
    return Path(found) if found else Path("anvil")


class Settings(BaseModel):
    """Where the client keeps its data and which chain and account it uses."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    data_dir: Path = Field(default_factory=default_data_dir)
    rpc_url: str | None = None
    """JSON-RPC URL of the chain; None means the embedded node."""
    rpc_token: SecretStr | None = None
    """A bearer token sent with every JSON-RPC request (`Authorization: Bearer …`), for a node that
    requires one (Besu's JWT authentication); from the environment, never a command-line option."""
    account: str | None = None
    """A development alias or the path of an encrypted keystore."""
    password: SecretStr | None = None
    chain_id: int = Field(default=31337, gt=0)
    """Chain id of the embedded node."""
    node_port: int | None = Field(default=None, ge=1, le=65535)
    """Port of the embedded node; None picks a free port."""
    confirmations: int = Field(default=0, ge=0)
    anvil_path: Path = Field(default_factory=default_anvil_path)
    block_gas_limit: int = Field(default=100_000_000, gt=0)
    """Block gas limit of the embedded node (fixed when its state is first created)."""
    node_history: bool = False
    """Keep historical states in the embedded node's state file (calls at past blocks survive
    a restart; the file grows by tens of KB per block)."""
    node_recent_states: int = Field(default=16, ge=0)
    """Recent block states the embedded node keeps in memory for calls at past blocks (unless
    `node_history`); each costs memory in proportion to the ledger's size."""
    node_persist: bool = True
    """Keep the embedded node's chain in its state file. False keeps it in memory only: a throwaway
    chain for trials and benchmarks, gone when the node stops (a ledger of a million entries makes a
    state file of about 12 GB, which Anvil reads whole at start)."""
    node_state_interval: int = Field(default=5, ge=1)
    """Seconds between saves of the embedded node's state (a crash loses at most this much; each
    save writes the whole state, so a very large ledger may want a longer interval)."""

    @field_validator("data_dir", "anvil_path")
    @classmethod
    def _expand_user(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        # Stored paths (node.json, deployments) must not depend on the cwd of a later command.
        return value.absolute()

    @field_validator("rpc_url", "account")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return value.strip()

    @property
    def node_dir(self) -> Path:
        """Folder of the embedded node (state file, log, pid file)."""
        return self.data_dir / "node"

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """Settings from explicit values, then `PA_*` environment variables, then defaults.

        An explicit None means "not given". Invalid values raise ConfigError naming their source.
        """
        unknown = sorted(set(overrides) - set(ENV_VARS))
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for name, env_var in ENV_VARS.items():
            explicit = overrides.get(name)
            if explicit is not None:
                values[name], sources[name] = explicit, name
                continue
            # An empty variable counts as unset, as shells make `PA_X=` easy to leave behind.
            from_env = os.environ.get(env_var, "")
            if from_env != "":
                values[name], sources[name] = from_env, env_var
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise _config_error(exc, values, sources) from None


def _config_error(exc: ValidationError, values: dict[str, Any], sources: dict[str, str]) -> ConfigError:
    problems = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else ""
        source = sources.get(name, name)
        shown = "***" if name == "password" else repr(values.get(name))
        problems.append(f"{source}={shown}: {error['msg'].lower()}")
    return ConfigError("invalid setting " + "; ".join(problems))
