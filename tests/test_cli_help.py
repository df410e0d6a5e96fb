"""Every `pa … --help` reads as written for people: no type placeholder (`<bool>`, `<list[str]>`,
`<int range> [x>=0]`, `{file}`), every option and argument explained, and no sentence broken by a
line break of the source (each paragraph is wrapped by the terminal alone)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer
import typer.rich_utils
from typer.core import TyperGroup

from pa_client.cli import app, main

PLACEHOLDERS = [
    re.compile(r"<[\w|\[\], .]+>"),  # <bool>, <int>, <path>, <list[str]>, <int range>, <stop|skip>
    re.compile(r"\[\d*<?=?x[<>]=?\d*\]|x[<>]=|<=x"),  # [x>=0], [1<=x<=2000]
    re.compile(r"\{\w+\}"),  # {file}
]
WIDE = 1000  # wider than any help line: a line break seen is the source's, never the terminal's


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    if isinstance(command, TyperGroup):
        for name, sub in sorted(command.commands.items()):
            yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(typer.main.get_command(app)))


def test_every_command_is_walked() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"", "node status", "alerts", "serve token create", "serve webhook add", "customs grant"} <= names
    assert len(names) > 25


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) or "pa" for p, _ in COMMANDS])
def test_help_has_no_placeholder_and_no_broken_sentence(
    path: tuple[str, ...],
    command: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(typer.rich_utils, "MAX_WIDTH", WIDE)
    assert main([*path, "--help"]) == 0
    text = capsys.readouterr().out
    shown = f"pa {' '.join(path)} --help"
    problems = [f"the placeholder {found!r}" for pattern in PLACEHOLDERS for found in pattern.findall(text)]
    lines = text.splitlines()
    for number, line in enumerate(lines):
        # In a panel, a row goes on below its option or command only when a line break cut it.
        # (Names start by the panel's edge, after the required mark `*`; what goes on starts further.)
        indent = re.match(r"│[ *]*", line)
        if indent and 8 < indent.end() < len(line):
            problems.append(f"a sentence broken before {line.strip('│ ')!r}")
        # Outside the panels, each paragraph is one line: two lines of text in a row are one cut.
        following = lines[number + 1] if number + 1 < len(lines) else ""
        if all(t.strip() and not t.lstrip().startswith(("│", "╭", "╰")) for t in (line, following)):
            problems.append(f"{line.strip()!r} goes on in {following.strip()!r}")
    assert not problems, f"{shown}:\n" + "\n".join(problems) + "\n" + text


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) or "pa" for p, _ in COMMANDS])
def test_every_option_and_argument_says_what_it_is_for(path: tuple[str, ...], command: Any) -> None:
    assert command.help, f"pa {' '.join(path)} has no help"
    for param in command.params:
        assert getattr(param, "help", None), f"pa {' '.join(path)} {param.name} has no help"


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["node", "start", "--port", "0"], "Invalid value for '--port': 0 is not from 1 to 65535"),
        (["submit", "--batch-size", "2001", "entries.csv"], "'--batch-size': 2001 is not from 1 to 2000"),
        (["audit", "--at-block", "-1"], "Invalid value for '--at-block': -1 is less than 0"),
        (["serve", "--poll", "0.01"], "Invalid value for '--poll': 0.01 is not from 0.05 to 60"),
    ],
)
def test_a_number_out_of_its_range_is_a_usage_error(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert said in " ".join(capsys.readouterr().err.replace("│", " ").split())
