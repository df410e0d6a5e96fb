"""Deploying the ledger and remembering where it is, per chain id, in the data folder."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from web3 import Web3

from pa_client.chain.sender import Sender
from pa_client.contract.artifacts import load_artifact
from pa_client.errors import ChainError

log = logging.getLogger("pa_client")


@dataclass(frozen=True)
class Deployment:
    chain_id: int
    registry: str
    ledger: str
    block: int
    deployed_by: str


def deployment_file(data_dir: Path, chain_id: int) -> Path:
    return data_dir / "deployments" / f"{chain_id}.json"


def deploy(sender: Sender) -> Deployment:
    """Deploys the registry (the sender becomes the first customs account) and the ledger."""
    registry_artifact = load_artifact("AuthorisationRegistry")
    ledger_artifact = load_artifact("PaLedger")
    registry, sent = sender.deploy(
        registry_artifact.abi,
        registry_artifact.bytecode,
        sender.address,
        action="deploy the registry",
    )
    ledger, _ = sender.deploy(
        ledger_artifact.abi, ledger_artifact.bytecode, registry, action="deploy the ledger"
    )
    return Deployment(
        chain_id=sender.chain_id,
        registry=registry,
        ledger=ledger,
        block=sent.block_number,
        deployed_by=sender.address,
    )


def save_deployment(data_dir: Path, deployment: Deployment) -> Path:
    path = deployment_file(data_dir, deployment.chain_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(asdict(deployment), indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)  # atomic: a crash never leaves half a file
    return path


def load_deployment(data_dir: Path, w3: Web3) -> Deployment:
    """The deployment recorded for the chain `w3` is connected to, checked to have code there."""
    chain_id = w3.eth.chain_id
    path = deployment_file(data_dir, chain_id)
    if not path.exists():
        raise ChainError(
            f"no ledger is deployed on chain {chain_id} for data folder {data_dir}: run 'pa deploy'"
        )
    deployment = Deployment(**json.loads(path.read_text(encoding="utf-8")))
    if not w3.eth.get_code(Web3.to_checksum_address(deployment.ledger)):
        raise ChainError(
            f"{path} names ledger {deployment.ledger}, but chain {chain_id} has no contract there "
            "(was the chain reset?): run 'pa deploy' again"
        )
    return deployment
