"""Customs' and holders' commands: `pa deploy`, `pa authorise`, `pa suspend | reinstate | revoke`,
`pa extend`, `pa appoint`, `pa customs grant | revoke`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pa_client.commands import PaTyper, console, settings_from

if TYPE_CHECKING:
    from pa_client.chain.ledger import LedgerClient
    from pa_client.chain.sender import Sent

Reference = Annotated[
    str, typer.Argument(metavar="REFERENCE", help="The authorisation, e.g. FRIPO000000000042.")
]
Reason = Annotated[
    str, typer.Option("--reason", metavar="TEXT", help="Why, in a few words (kept in the ledger's logs).")
]
Address = Annotated[str, typer.Argument(metavar="ADDRESS", help="The account's address (0x…).")]


def register(app: typer.Typer) -> None:
    app.command("deploy")(deploy_command)
    app.command("authorise")(authorise)
    app.command("suspend")(suspend)
    app.command("reinstate")(reinstate)
    app.command("revoke")(revoke)
    app.command("extend")(extend)
    app.command("appoint")(appoint)
    app.add_typer(customs_app, name="customs")


def _ledger(ctx: typer.Context) -> LedgerClient:
    """The ledger of the global options, signing with their account."""
    from pa_client.chain.connection import open_ledger

    return open_ledger(settings_from(ctx))


def _done(what: str, sent: Sent) -> None:
    console.print(
        f"{what} (transaction {sent.tx_hash}, block {sent.block_number:,}, gas {sent.gas_used:,})",
        markup=False,
    )


def deploy_command(ctx: typer.Context) -> None:
    """Deploy the registry and the ledger (customs). The account becomes the first customs account."""
    from pa_client.chain.connection import deploy_ledger
    from pa_client.chain.deployment import deployment_file

    settings = settings_from(ctx)
    deployment = deploy_ledger(settings)
    console.print(f"registry  {deployment.registry}", markup=False)
    console.print(f"ledger    {deployment.ledger}", markup=False)
    console.print(
        f"deployed by {deployment.deployed_by} on chain {deployment.chain_id} at block {deployment.block:,}; "
        f"recorded in {deployment_file(settings.data_dir, deployment.chain_id)}",
        markup=False,
    )


def authorise(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(metavar="FILE", help="The authorisation file (TOML, see docs/authorisation-file.md)."),
    ],
) -> None:
    """Register an authorisation, or amend it when already registered (customs)."""
    from pa_client.records.authorisation_file import load_authorisation

    authorisation = load_authorisation(file)
    ledger = _ledger(ctx)
    verb, sent = ledger.authorise(authorisation)
    version = ledger.authorisation_state(authorisation.reference).version
    _done(f"{verb} authorisation {authorisation.reference}, version {version}", sent)


def suspend(ctx: typer.Context, reference: Reference, reason: Reason) -> None:
    """Suspend an authorisation: it accepts no new entries until reinstated (customs)."""
    _done(f"suspended {reference}", _ledger(ctx).suspend(reference, reason))


def reinstate(ctx: typer.Context, reference: Reference, reason: Reason) -> None:
    """Reinstate a suspended authorisation (customs)."""
    _done(f"reinstated {reference}", _ledger(ctx).reinstate(reference, reason))


def revoke(ctx: typer.Context, reference: Reference, reason: Reason) -> None:
    """Revoke an authorisation for good (customs)."""
    _done(f"revoked {reference}", _ledger(ctx).revoke(reference, reason))


def extend(
    ctx: typer.Context,
    reference: Reference,
    placement: Annotated[
        str,
        typer.Argument(metavar="PLACEMENT", help="The entry_ref of the placement whose deadline moves."),
    ],
    until: Annotated[
        datetime,
        typer.Option("--until", formats=["%Y-%m-%d"], metavar="YYYY-MM-DD", help="The new deadline."),
    ],
    reason: Reason,
    entry_ref: Annotated[
        str | None,
        typer.Option(
            "--entry-ref",
            metavar="REF",
            help="The reference of this decision (default: EXT-PLACEMENT-YYYY-MM-DD, the new deadline).",
        ),
    ] = None,
    decided: Annotated[
        datetime | None,
        typer.Option(
            "--decided",
            formats=["%Y-%m-%d"],
            metavar="YYYY-MM-DD",
            help="When it was decided (default: today).",
        ),
    ] = None,
) -> None:
    """Extend a placement's period for discharge (customs; UCC art. 257(2))."""
    from pa_client.domain.models import DeadlineExtension

    new_deadline: date = until.date()
    extension = DeadlineExtension(
        authorisation=reference,
        entry_ref=entry_ref or f"EXT-{placement}-{new_deadline.isoformat()}",
        occurred_at=(decided.replace(tzinfo=UTC) if decided else datetime.now(UTC)),
        placement=placement,
        new_deadline=new_deadline,
        reason=reason,
    )
    sent = _ledger(ctx).extend(extension)
    _done(f"extended {placement} of {reference} to {new_deadline.isoformat()}", sent)


def appoint(
    ctx: typer.Context,
    reference: Reference,
    declarant: Annotated[
        str, typer.Argument(metavar="ADDRESS", help="The declarant's account address (0x…).")
    ],
    remove: Annotated[
        bool, typer.Option("--remove", help="Remove this declarant instead of appointing it.")
    ] = False,
) -> None:
    """Appoint a declarant (customs broker) for an authorisation, or remove one (holder)."""
    ledger = _ledger(ctx)
    if remove:
        _done(
            f"removed declarant {declarant} from {reference}", ledger.remove_declarant(reference, declarant)
        )
    else:
        _done(f"appointed declarant {declarant} for {reference}", ledger.appoint(reference, declarant))


customs_app = PaTyper(help="Grant or revoke the customs role (customs administrators).", no_args_is_help=True)


@customs_app.command("grant")
def grant_customs(ctx: typer.Context, account: Address) -> None:
    """Give an account the customs role."""
    _done(f"granted the customs role to {account}", _ledger(ctx).grant_customs(account))


@customs_app.command("revoke")
def revoke_customs(ctx: typer.Context, account: Address) -> None:
    """Take the customs role away from an account."""
    _done(f"revoked the customs role of {account}", _ledger(ctx).revoke_customs(account))
