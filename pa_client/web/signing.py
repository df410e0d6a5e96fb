"""The accounts the server signs API submissions with: each API token is bound to an account whose key
the server holds — a development account of a local chain (by alias) or an encrypted keystore file
whose password comes from the environment (`PA_PASSWORD`, or the variable the token names). Keys are
decrypted on first use and kept in memory; submissions of one account are sent one at a time (they
share its nonces)."""

from __future__ import annotations

import os
import threading

from eth_account.signers.local import LocalAccount
from pydantic import SecretStr

from pa_client.chain.accounts import DEV_ALIASES, load_account
from pa_client.chain.ledger import LedgerClient
from pa_client.errors import AccountError
from pa_client.settings import Settings
from pa_client.web.store import Token


def load_signer(spec: str, settings: Settings, chain_id: int, password_env: str | None) -> LocalAccount:
    """The account of a token's `account_spec` (a development alias or a keystore path)."""
    if spec.lower() in DEV_ALIASES:
        return load_account(spec, settings, chain_id=chain_id)
    variable = password_env or "PA_PASSWORD"
    password = os.environ.get(variable)
    if not password:
        raise AccountError(f"the keystore {spec} needs its password in the environment variable {variable}")
    overridden = settings.model_copy(update={"password": SecretStr(password)})
    return load_account(spec, overridden, chain_id=chain_id)


class Signers:
    def __init__(self, settings: Settings, ledger: LedgerClient) -> None:
        self.settings = settings
        self.ledger = ledger
        self._accounts: dict[int, LocalAccount] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def account_for(self, token: Token) -> LocalAccount:
        """The signing account of `token`, checked to be the account the token is bound to."""
        if token.account_spec is None:
            raise AccountError(f"token {token.id} ({token.name}) is read-only: it has no signing account")
        with self._guard:
            cached = self._accounts.get(token.id)
        if cached is not None:
            return cached
        account = load_signer(
            token.account_spec, self.settings, self.ledger.deployment.chain_id, token.password_env
        )
        if account.address.lower() != token.address.lower():
            raise AccountError(
                f"token {token.id} is bound to {token.address}, but its key is that of {account.address}"
            )
        with self._guard:
            self._accounts[token.id] = account
        return account

    def client_for(self, token: Token) -> LedgerClient:
        return LedgerClient(self.ledger.w3, self.ledger.deployment, self.account_for(token))

    def lock_for(self, address: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(address.lower(), threading.Lock())
