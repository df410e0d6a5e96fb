"""Subcommands of `pa`, one module per group.

Each module of this package defines ``register(app: typer.Typer) -> None``; `pa_client.cli` calls
it for every module here (in name order), so adding a command is adding a file. Commands stay
thin: read options, call `settings_from(ctx)` and the library, print for people.

`pa` imports every module here before it parses its arguments, so a module imports at its top only
what its options need (typer, rich, the standard library, `pa_client.domain.text`): the library a
command calls (the chain, the audit, web3, pandas, the web stack) is imported in the command's body,
where it runs. `pa --help` and `pa node status` then start in a fraction of a second
(`tests/test_cli_startup.py` checks what `pa --help` imports; `make bench` times it).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from pa_client.data_folder import make_private
from pa_client.domain.text import for_terminal

if TYPE_CHECKING:
    from pa_client.settings import Settings

__all__ = [
    "CliState",
    "TerminalConsole",
    "console",
    "err_console",
    "human_size",
    "register_all",
    "settings_from",
]


class TerminalConsole(Console):
    """A rich console that prints no escape sequence or control character it was given: record
    text (a lot, a description, an alert's message) is a declarant's, and `ESC [ …` in it must not
    drive the reader's terminal. Every text printed goes through `for_terminal` (line breaks kept);
    rich adds its own styles afterwards. No emoji codes either (`:warning:` in a lot stays text)."""

    def print(self, *objects: Any, **options: Any) -> None:
        super().print(*(for_terminal(o, lines=True) if isinstance(o, str) else o for o in objects), **options)


# rich resolves sys.stdout at each write, so this also prints into test runners' captures.
console = TerminalConsole(highlight=False, soft_wrap=True, emoji=False)
err_console = TerminalConsole(highlight=False, soft_wrap=True, stderr=True, emoji=False)


@dataclass(frozen=True)
class CliState:
    """What the global options of `pa` gave; stored as the root context's `obj`."""

    overrides: dict[str, Any] = field(default_factory=dict)


def settings_from(ctx: typer.Context, **extra: Any) -> Settings:
    """Settings from the global options, this command's own options (`extra`), env, defaults."""
    from pa_client.settings import Settings

    state = ctx.find_object(CliState)
    overrides = dict(state.overrides) if state is not None else {}
    overrides.update({name: value for name, value in extra.items() if value is not None})
    settings = Settings.load(**overrides)
    make_private(settings.data_dir)
    return settings


def human_size(size: int) -> str:
    """Bytes as KB or MB (powers of 1024), one decimal."""
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def register_all(app: typer.Typer) -> None:
    """Import every command module of this package and let it add its commands to `app`."""
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        importlib.import_module(f"{__name__}.{module.name}").register(app)
