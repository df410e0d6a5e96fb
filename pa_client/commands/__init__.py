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
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
import typer.core
from rich.console import Console

from pa_client.data_folder import make_private
from pa_client.domain.text import for_terminal

if TYPE_CHECKING:
    from pa_client.settings import Settings

__all__ = [
    "AsOf",
    "AtBlock",
    "CliState",
    "DeadlineDays",
    "LateHours",
    "PaTyper",
    "TerminalConsole",
    "console",
    "err_console",
    "human_size",
    "register_all",
    "settings_from",
    "within",
]


F = TypeVar("F", bound=Callable[..., Any])


def unwrapped(text: str | None) -> str | None:
    """Help text with its paragraphs each on one line: a docstring's line breaks are the source's
    width, not the reader's (rich wraps to the terminal; it would keep them and break sentences)."""
    if not text:
        return text
    return "\n\n".join(" ".join(paragraph.split()) for paragraph in inspect.cleandoc(text).split("\n\n"))


class _Argument(typer.core.TyperArgument):
    """An argument shown by its metavar alone (`FILE`, `REFERENCE`): typer would add its Python type
    (`<path>`, `<str>`) beside it and write a required one `{FILE}` in the usage line."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def _usage_display_name(self) -> str:
        name = self.display_name_raw
        return (name if self.required else f"[{name}]") + ("..." if self.nargs != 1 else "")


class _HelpForPeople:
    """What `pa … --help` shows, for people: paragraphs rewrapped by the terminal, and no type
    placeholder (`<bool>`, `<int>`) beside a flag, a counter or `--help`, which take no value. An option
    that takes one says what in its metavar (`--port PORT`); tests/test_cli_help.py checks them all."""

    params: list[Any]
    help: str | None
    short_help: str | None

    def _for_people(self) -> None:
        self.help = unwrapped(self.help)
        self.short_help = unwrapped(self.short_help)
        for param in self.params:
            param.help = unwrapped(param.help)
            if isinstance(param, typer.core.TyperOption) and (param.is_flag or param.count):
                param.metavar = param.metavar or ""
            elif type(param) is typer.core.TyperArgument:
                param.__class__ = _Argument  # same state, shown as people write it

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.metavar = ""
        return option


class PaCommand(_HelpForPeople, typer.core.TyperCommand):
    """A command of `pa` (see `_HelpForPeople`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._for_people()


class PaGroup(_HelpForPeople, typer.core.TyperGroup):
    """A group of `pa` commands (see `_HelpForPeople`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._for_people()


class PaTyper(typer.Typer):
    """`typer.Typer` whose groups and commands are `PaGroup` and `PaCommand`: every command group of
    `pa` is one of these."""

    def __init__(self, **options: Any) -> None:
        options.setdefault("cls", PaGroup)
        super().__init__(**options)

    def command(self, name: str | None = None, **options: Any) -> Callable[[F], F]:
        options.setdefault("cls", PaCommand)
        return super().command(name, **options)


N = TypeVar("N", int, float, int | None, float | None)


def within(low: float | None = None, high: float | None = None) -> Callable[[N], N]:
    """A callback for an option whose number must lie in [low, high]: a usage error (exit 2) naming
    the option otherwise. Not typer's min=/max=, which print `<int range> [x>=0]` in the help; the
    option's help says the range in words when it is not obvious."""

    def check(value: N) -> N:
        if value is None:
            return value
        if (low is not None and value < low) or (high is not None and value > high):
            if high is None:
                raise typer.BadParameter(f"{value} is less than {low}")
            if low is None:
                raise typer.BadParameter(f"{value} is more than {high}")
            raise typer.BadParameter(f"{value} is not from {low} to {high}")
        return value

    return check


AsOf = Annotated[
    datetime | None,
    typer.Option(
        "--as-of",
        formats=["%Y-%m-%d"],
        metavar="YYYY-MM-DD",
        help="Audit the ledger as it stood at the end of this day (UTC): its last block by then, the records "
        "that occurred by then, deadlines judged that day.",
    ),
]
AtBlock = Annotated[
    int | None,
    typer.Option(
        "--at-block",
        metavar="BLOCK",
        callback=within(0),
        help="Read the ledger as it was at this block number (default: the latest block).",
    ),
]
DeadlineDays = Annotated[
    int, typer.Option(metavar="DAYS", callback=within(0), help="Warn of a deadline this many days ahead.")
]
LateHours = Annotated[
    int,
    typer.Option(
        metavar="HOURS",
        callback=within(0),
        help="Flag a record made this many hours or more after what it records.",
    ),
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
