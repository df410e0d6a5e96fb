"""Talking to the chain: connecting, signing locally and sending transactions.

Transactions are signed in the client (no unlocked accounts on the node, as on a consortium chain),
their gas estimated with a margin, and reverts decoded into `ContractError` with words.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError, TransactionNotFound, Web3RPCError
from web3.types import Nonce, TxParams, TxReceipt, Wei

from pa_client.chain.provider import TransportProvider
from pa_client.chain.transport import Transport, redact
from pa_client.contract.reverts import decode_revert, to_exception
from pa_client.errors import ChainError

log = logging.getLogger("pa_client")

GAS_MARGIN_PERCENT = 20
RECEIPT_TIMEOUT_SECONDS = 120


def connect(
    rpc_url: str,
    *,
    timeout: float = 30.0,
    token: str | None = None,
    locate: Callable[[], str | None] | None = None,
) -> Web3:
    """A Web3 connected to `rpc_url` through the client's transport (sending `token` as a bearer
    token, when given; asking `locate` where the node went when it stops answering), or ChainError
    when nothing answers there."""
    w3 = Web3(TransportProvider(Transport(rpc_url, token=token, timeout=timeout, locate=locate)))
    try:
        w3.eth.chain_id  # noqa: B018 - the first request proves the connection
    except Exception as error:
        raise ChainError(f"no chain answers at {redact(rpc_url)}: {error}") from None
    return w3


_NONCE_TAKEN = (
    "nonce too low",
    "nonce has already been used",
    "old nonce",
    # Another sender's transaction with this nonce waits in the pool (geth, Besu, Anvil's words).
    "replacement transaction underpriced",
    "replacement fee too low",
)
NONCE_TRIES = 30


def is_stale_nonce(error: Exception) -> bool:
    """The node refused a transaction because its nonce was already used, or is taken by a pending
    transaction of another sender using the same account."""
    message = str(error).lower()
    return any(words in message for words in _NONCE_TAKEN)


def revert_data(error: Exception) -> bytes | None:
    """The revert data carried by a web3 error, if any."""
    data: Any = getattr(error, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        return bytes.fromhex(data[2:])
    if isinstance(error, Web3RPCError) and isinstance(error.rpc_response, dict):
        inner = error.rpc_response.get("error", {}).get("data")
        if isinstance(inner, str) and inner.startswith("0x"):
            return bytes.fromhex(inner[2:])
    return None


def as_chain_error(error: Exception, action: str) -> ChainError:
    """A typed error for a failed call or transaction: the decoded custom error when there is one."""
    data = revert_data(error)
    if data is not None:
        return to_exception(decode_revert(data), action)
    return ChainError(f"{action} failed: {error}")


@dataclass(frozen=True)
class Sent:
    """A confirmed transaction."""

    tx_hash: str
    block_number: int
    gas_used: int
    receipt: TxReceipt


class Sender:
    """Signs and sends one account's transactions, keeping its nonce."""

    def __init__(self, w3: Web3, account: LocalAccount) -> None:
        self.w3 = w3
        self.account = account
        self.chain_id = w3.eth.chain_id
        self._nonce: int | None = None

    @property
    def address(self) -> str:
        return str(self.account.address)

    def next_nonce(self) -> int:
        if self._nonce is None:
            self._nonce = self.w3.eth.get_transaction_count(self.account.address, "pending")
        nonce = self._nonce
        self._nonce += 1
        return nonce

    def reset_nonce(self) -> None:
        self._nonce = None

    def fees(self) -> TxParams:
        latest = self.w3.eth.get_block("latest")
        base_fee = latest.get("baseFeePerGas")
        if base_fee is None:
            return {"gasPrice": self.w3.eth.gas_price}
        if base_fee == 0:
            # A free-gas chain (a consortium's zero base fee and minimum gas price, where accounts
            # hold no ether): offer what the node asks, nothing there.
            price = self.w3.eth.gas_price
            return {"maxFeePerGas": price, "maxPriorityFeePerGas": price}
        # Twice the base fee keeps the transaction valid for several blocks of rising fees.
        return {"maxFeePerGas": Wei(2 * base_fee + 1), "maxPriorityFeePerGas": Wei(1)}

    def build(self, call: ContractFunction, action: str, *, gas: int | None = None) -> TxParams:
        """A signed-ready transaction for a contract call, its gas estimated (reverts decoded)."""
        params: TxParams = {"from": self.account.address, "chainId": self.chain_id}
        if gas is None:
            try:
                estimate = call.estimate_gas(params)
            except (ContractLogicError, Web3RPCError, ValueError) as error:
                raise as_chain_error(error, action) from None
            gas = estimate + estimate * GAS_MARGIN_PERCENT // 100
        params.update({"gas": gas, "nonce": Nonce(self.next_nonce()), **self.fees()})
        try:
            return call.build_transaction(params)
        except (ContractLogicError, Web3RPCError, ValueError) as error:
            self.reset_nonce()
            raise as_chain_error(error, action) from None

    def send(self, call: ContractFunction, action: str) -> Sent:
        """Estimates, signs, sends and waits for a contract call; ChainError when it fails."""
        tx = self.build(call, action)
        return self.send_built(tx, action)

    def send_built(self, tx: TxParams, action: str) -> Sent:
        return self.wait(self.send_raw(tx, action), action)

    def send_raw(self, tx: TxParams, action: str) -> HexBytes:
        """Signs and sends; when another process used this account meanwhile (nonce too low, or taken
        by its pending transaction), takes the next free nonce and sends again."""
        for attempt in range(NONCE_TRIES):
            signed = self.account.sign_transaction(tx)  # type: ignore[arg-type]
            try:
                return HexBytes(self.w3.eth.send_raw_transaction(signed.raw_transaction))
            except (Web3RPCError, ValueError) as error:
                self.reset_nonce()
                if not is_stale_nonce(error):
                    raise as_chain_error(error, action) from None
                if self.knows(HexBytes(signed.hash)):
                    return HexBytes(signed.hash)  # an earlier try got through; its answer was lost
                log.info("%s: nonce %s was used meanwhile; taking the next one", action, tx.get("nonce"))
                time.sleep(random.uniform(0, 0.05 * attempt))  # two senders in step fall out of it
                tx = {**tx, "nonce": Nonce(self.next_nonce())}
        raise ChainError(f"{action}: the account's nonce keeps changing (another sender is busy)")

    def knows(self, tx_hash: HexBytes) -> bool:
        """Whether the node has this transaction (pending or mined)."""
        try:
            self.w3.eth.get_transaction(tx_hash)
        except TransactionNotFound:
            return False
        return True

    def wait(self, tx_hash: HexBytes, action: str) -> Sent:
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=RECEIPT_TIMEOUT_SECONDS)
        if receipt["status"] != 1:
            raise ChainError(
                f"{action}: transaction {tx_hash.to_0x_hex()} failed in block {receipt['blockNumber']}"
            )
        log.info(
            "%s: %s in block %d, gas %d",
            action,
            tx_hash.to_0x_hex(),
            receipt["blockNumber"],
            receipt["gasUsed"],
        )
        return Sent(tx_hash.to_0x_hex(), receipt["blockNumber"], receipt["gasUsed"], receipt)

    def deploy(self, abi: list[dict[str, Any]], bytecode: str, *args: Any, action: str) -> tuple[str, Sent]:
        """Deploys a contract; returns its address and the transaction."""
        factory = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        sent = self.send(factory.constructor(*args), action)  # type: ignore[arg-type]
        address = sent.receipt["contractAddress"]
        if address is None:
            raise ChainError(f"{action}: no contract address in the receipt")
        return str(address), sent
