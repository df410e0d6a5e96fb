"""The `pa` command: global options, the command modules of `pa_client.commands`, error handling."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from pa_client.commands import CliState, PaTyper, register_all
from pa_client.data_folder import PRIVATE_UMASK, default_data_dir
from pa_client.domain.text import for_terminal
from pa_client.errors import PaClientError, ProblemsError

__all__ = ["app", "main"]

app = PaTyper(
    name="pa",
    help="Inward processing records on a shared ledger: node, deployment, submission, audit.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            shown = version("pa-ledger")
        except PackageNotFoundError:
            shown = "unknown"
        typer.echo(f"pa {shown}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    rpc_url: Annotated[
        str | None,
        typer.Option(
            "--rpc-url",
            metavar="URL",
            help="JSON-RPC URL of the chain (env PA_RPC_URL; default: the embedded node).",
        ),
    ] = None,
    account: Annotated[
        str | None,
        typer.Option(
            "--account",
            metavar="ACCOUNT",
            help=(
                "Keystore file (password from env PA_PASSWORD) or a development account of the "
                "local node: customs, holder, broker, holder2, broker2, stranger, dev0..dev9 "
                "(env PA_ACCOUNT)."
            ),
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            metavar="DIR",
            help=f"Data folder (env PA_DATA_DIR; default: {default_data_dir()}).",
        ),
    ] = None,
    verbose: Annotated[
        int,
        typer.Option(
            "-v",
            "--verbose",
            count=True,
            show_default=False,
            help="Say more: -v what is being done, -vv the details for debugging.",
        ),
    ] = 0,
    _show_version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """Inward processing records on a shared ledger."""
    _configure_logging(verbose)
    # Values are only collected here: settings are validated when a command needs them, so that
    # `pa node status --help` works even with a broken environment.
    ctx.obj = CliState(overrides={"rpc_url": rpc_url, "account": account, "data_dir": data_dir})


register_all(app)


class _StderrHandler(logging.Handler):
    """Writes to the current sys.stderr (captured streams in tests change it)."""

    def emit(self, record: logging.LogRecord) -> None:
        from pa_client.chain.transport import redact_urls

        try:
            sys.stderr.write(for_terminal(redact_urls(self.format(record)), lines=True) + "\n")
        except Exception:
            self.handleError(record)


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {super().format(record)}"


def _configure_logging(verbose: int) -> None:
    logger = logging.getLogger("pa_client")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(_Formatter("%(message)s"))
        logger.addHandler(handler)
    levels = {0: logging.WARNING, 1: logging.INFO}
    logger.setLevel(levels.get(verbose, logging.DEBUG))


def main(argv: Sequence[str] | None = None) -> int:
    """Run `pa` and return its exit code; expected errors print one line `error: ...` (code 1).

    Typer handles usage errors (code 2), `--help` and Ctrl-C (code 130) in standalone mode;
    only the client's own errors reach here as exceptions.
    """
    command = typer.main.get_command(app)
    umask = os.umask(PRIVATE_UMASK)  # what pa and its node create is its user's only
    try:
        command.main(args=list(argv) if argv is not None else None, prog_name="pa")
    except PaClientError as exc:
        # A file checked whole: each of its problems on a line of its own, then the one-line error.
        if isinstance(exc, ProblemsError):
            for line in exc.details:
                sys.stderr.write(f"{_shown(line)}\n")
        _print_error(str(exc))
        return 1
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        _print_error(str(exc.code))
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        os.umask(umask)
    return 0


def _shown(message: str) -> str:
    """One line even if a message (e.g. from a library) carries newlines; no escape sequence from
    record text in it, no password of a URL."""
    from pa_client.chain.transport import redact_urls

    return for_terminal(redact_urls(" ".join(message.split())))


def _print_error(message: str) -> None:
    sys.stderr.write(f"error: {_shown(message)}\n")
    sys.stderr.flush()


if __name__ == "__main__":
    sys.exit(main())
