"""Expected errors of the client.

Every error a user can cause or fix derives from `PaClientError`; its `str()` is the one line the
command line prints. Each class also derives from the matching builtin so that callers who only
know Python's exceptions (``except ValueError``) still catch them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = [
    "AccessDenied",
    "AccountError",
    "ChainError",
    "ConfigError",
    "ContractError",
    "InputError",
    "NodeError",
    "PaClientError",
    "ProblemsError",
    "SealingError",
    "UnreadableError",
]


class PaClientError(Exception):
    """Root of the client's expected errors; the message is one line for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(PaClientError, ValueError):
    """A setting (option, environment variable) has an invalid value."""


class NodeError(PaClientError, RuntimeError):
    """The embedded node cannot be started, reached or stopped."""


class AccountError(PaClientError, ValueError):
    """An account cannot be resolved, decrypted or is refused on this chain."""


class InputError(PaClientError, ValueError):
    """A user file (entries, authorisation) is invalid."""


class ProblemsError(InputError):
    """A user file has problems and nothing was done with it: `details` lists them, one line each (a
    file is checked whole), and the message is the one-line summary the CLI prints after them."""

    def __init__(self, message: str, details: Sequence[str]) -> None:
        super().__init__(message)
        self.details = tuple(details)

    def __reduce__(self) -> tuple[type[ProblemsError], tuple[str, tuple[str, ...]]]:
        return (type(self), (self.message, self.details))


class SealingError(PaClientError, ValueError):
    """A sealed payload, a key envelope or a key is malformed, altered or bound to something else:
    it does not open (`pa_client.sealing`)."""


class UnreadableError(SealingError):
    """Nothing is wrong with the sealed bytes, but the keys held cannot open them: no data key for
    their epoch (a reader without the key, a removed declarant reading a later epoch)."""


class ChainError(PaClientError, RuntimeError):
    """The chain refused or failed a request."""


class ContractError(ChainError):
    """The ledger contract reverted with a custom error."""

    def __init__(
        self,
        error_name: str,
        args_by_name: Mapping[str, object] | None = None,
        message: str | None = None,
        batch_index: int | None = None,
    ) -> None:
        self.error_name = error_name
        self.batch_index = batch_index
        """Which entry of a batch failed, when the call was a batch."""
        self.args_by_name: dict[str, object] = dict(args_by_name or {})
        if message is None:
            shown = ", ".join(f"{k}={v!r}" for k, v in self.args_by_name.items())
            message = f"the ledger refused the transaction: {error_name}({shown})"
        super().__init__(message)

    def __reduce__(
        self,
    ) -> tuple[type[ContractError], tuple[str, dict[str, object], str, int | None]]:
        # The default reduce would call the class with the message only (pickling, processes).
        return (type(self), (self.error_name, self.args_by_name, self.message, self.batch_index))


class AccessDenied(ContractError, PermissionError):  # noqa: N818 (name agreed with callers)
    """The ledger refused the transaction because the sender lacks the role."""
