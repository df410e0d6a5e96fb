"""`pa serve`: the web dashboard and the HTTP API; `pa serve token|webhook|sign` manage what it uses."""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from pa_client.commands import DeadlineDays, LateHours, PaTyper, console, settings_from, within
from pa_client.errors import AccountError, InputError

SEVERITIES = ("critical", "warning", "info")


def register(app: typer.Typer) -> None:
    serve_app = PaTyper(
        help="The web dashboard and the HTTP API (docs/web.md).",
        invoke_without_command=True,
        no_args_is_help=False,
    )
    serve_app.callback()(serve)
    token_app = PaTyper(help="API tokens for systems, bound to an account.", no_args_is_help=True)
    token_app.command("create")(token_create)
    token_app.command("list")(token_list)
    token_app.command("revoke")(token_revoke)
    webhook_app = PaTyper(help="Webhooks that receive each new alert.", no_args_is_help=True)
    webhook_app.command("add")(webhook_add)
    webhook_app.command("list")(webhook_list)
    webhook_app.command("remove")(webhook_remove)
    webhook_app.command("secret")(webhook_secret)
    serve_app.add_typer(token_app, name="token")
    serve_app.add_typer(webhook_app, name="webhook")
    serve_app.command("sign")(sign)
    app.add_typer(serve_app, name="serve")


def serve(
    ctx: typer.Context,
    host: Annotated[
        str,
        typer.Option(metavar="ADDRESS", help="Listen on this address (0.0.0.0: every interface)."),
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(metavar="PORT", callback=within(1, 65535), help="Listen on this port.")
    ] = 8000,
    webhook: Annotated[
        list[str] | None,
        typer.Option("--webhook", metavar="URL", help="Also POST every new alert to URL (repeatable)."),
    ] = None,
    today: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            metavar="YYYY-MM-DD",
            help="Judge deadlines as of this day (default: the latest block's).",
        ),
    ] = None,
    session_hours: Annotated[
        float,
        typer.Option(metavar="HOURS", callback=within(0.01), help="Sign people out after this many hours."),
    ] = 8.0,
    poll: Annotated[
        float,
        typer.Option(
            metavar="SECONDS",
            callback=within(0.05, 60),
            help="Look for new blocks this often, 0.05 to 60 seconds.",
        ),
    ] = 0.5,
    deadline_days: DeadlineDays = 30,
    late_hours: LateHours = 72,
    dev_sign_in: Annotated[
        bool | None,
        typer.Option(
            "--dev-sign-in/--no-dev-sign-in",
            help="Offer sign-in as the development accounts (default: on a local development chain only).",
        ),
    ] = None,
    allow_local_webhooks: Annotated[
        bool,
        typer.Option(
            "--allow-local-webhooks",
            help="Allow --webhook URLs on this machine (loopback) or on a link-local address.",
        ),
    ] = False,
    max_body_mb: Annotated[
        float,
        typer.Option(
            metavar="MIB",
            callback=within(0.1),
            help="Refuse a submission (POST /api/v1/entries) larger than this many MiB (HTTP 413).",
        ),
    ] = 32.0,
    origin: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help="The address people reach the server at (https://pa.example), named in sign-in messages "
            "and required of the Origin of forms (default: http://HOST:PORT).",
        ),
    ] = None,
) -> None:
    """Serve the dashboard (pages with live updates) and the HTTP API (OpenAPI at /openapi.json)."""
    if ctx.invoked_subcommand is not None:
        return
    from pa_client.audit.rules import AlertThresholds
    from pa_client.web import WebConfig, create_app
    from pa_client.web.server import Server

    settings = settings_from(ctx)
    shown = f"[{host}]" if ":" in host else host
    if origin is None and host not in ("0.0.0.0", "::", ""):  # a wildcard: the address each caller used
        origin = f"http://{shown}:{port}"
    config = WebConfig(
        settings,
        origin=origin,
        max_body_bytes=int(max_body_mb * 1024 * 1024),
        session_hours=session_hours,
        poll_seconds=poll,
        today=today.date() if today else None,
        thresholds=AlertThresholds(deadline_near_days=deadline_days, late_record_hours=late_hours),
        dev_sign_in=dev_sign_in,
    )
    app = create_app(config)
    web = app.state.ctx
    for url in webhook or []:
        hook = web.store.add_webhook(
            _checked_url(url, allow_local_webhooks), None, allow_local=allow_local_webhooks
        )
        console.print(f"webhook {hook.id}: {hook.url}, signed with {hook.secret}", markup=False)
    listening = f"http://{shown}:{port}"
    reached = f", reached at {web.origin}" if web.origin and web.origin != listening else ""
    console.print(
        f"PA Ledger dashboard and API on {listening}/{reached} (ledger {web.ledger.deployment.ledger}, "
        f"chain {web.chain_id}); OpenAPI at /openapi.json; Ctrl-C stops",
        markup=False,
    )
    if web.dev_sign_in:
        console.print(
            "local development chain: the sign-in page offers the development accounts", markup=False
        )
    Server(app, host, port).run()


def _checked_url(url: str, allow_local: bool) -> str:
    from pa_client.web.webhooks import check_url

    return check_url(url, allow_local=allow_local)


# ---------------------------------------------------------------- tokens


def token_create(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Option("--name", metavar="NAME", help="What the token is for (e.g. the ERP's name).")
    ],
    days: Annotated[
        int | None,
        typer.Option(
            "--days", metavar="DAYS", callback=within(1), help="Expire after this many days (default: never)."
        ),
    ] = None,
    password_env: Annotated[
        str | None,
        typer.Option(
            "--password-env",
            metavar="VAR",
            help="Environment variable holding the keystore's password when the server signs (default: PA_PASSWORD).",
        ),
    ] = None,
    read_only: Annotated[
        str | None,
        typer.Option(
            "--read-only",
            metavar="ADDRESS",
            help="A token bound to ADDRESS that reads only (no signing account on the server).",
        ),
    ] = None,
) -> None:
    """Create an API token bound to the --account account (the server signs submissions with it), or
    a read-only token bound to an address. The token is shown once."""
    from pa_client.chain.accounts import DEV_ALIASES
    from pa_client.web.auth import SignInError, checksum
    from pa_client.web.signing import load_signer
    from pa_client.web.store import Store

    settings = settings_from(ctx)
    spec: str | None = None
    if read_only is not None:
        try:
            address = checksum(read_only)
        except SignInError as error:
            raise InputError(str(error)) from None
    else:
        if settings.account is None:
            raise AccountError("give the token's account with --account (or --read-only ADDRESS)")
        spec = settings.account
        if spec.lower() not in DEV_ALIASES:
            spec = str(Path(spec).expanduser().resolve())
        if password_env is None and spec.lower() not in DEV_ALIASES and settings.password is None:
            raise AccountError(f"keystore {spec} needs its password: set PA_PASSWORD (or use --password-env)")
        account = load_signer(spec, settings, settings.chain_id, password_env)
        address = account.address
    expires = time.time() + days * 86400 if days else None
    with Store.for_data_dir(settings.data_dir) as store:
        token, secret = store.create_token(
            name=name, address=address, account_spec=spec, password_env=password_env, expires=expires
        )
    kind = "read-only" if spec is None else f"signing with {spec}"
    console.print(f"token {token.id} ({name}) bound to {address}, {kind}", markup=False)
    console.print(secret, markup=False)
    console.print(
        "keep it secret: it is shown only now (send it as 'Authorization: Bearer <token>')", markup=False
    )


def token_list(ctx: typer.Context) -> None:
    """List the API tokens (never their secrets)."""
    from pa_client.web.store import Store

    with Store.for_data_dir(settings_from(ctx).data_dir) as store:
        tokens = store.tokens()
    if not tokens:
        console.print("no API tokens", markup=False)
        return
    now = time.time()
    for token in tokens:
        state = "revoked" if token.revoked else ("expired" if not token.usable(now) else "active")
        used = _when(token.last_used) if token.last_used else "never used"
        signer = token.account_spec or "read-only"
        console.print(
            f"{token.id:>4}  {state:<8} {token.name:<20} {token.address}  {signer}  {used}", markup=False
        )


def token_revoke(
    ctx: typer.Context,
    token_id: Annotated[
        int, typer.Argument(metavar="NUMBER", help="The token's number (pa serve token list).")
    ],
) -> None:
    """Revoke an API token: the server refuses it at once."""
    from pa_client.web.store import Store

    with Store.for_data_dir(settings_from(ctx).data_dir) as store:
        done = store.revoke_token(token_id)
    if not done:
        raise InputError(f"no active token {token_id}")
    console.print(f"token {token_id} revoked", markup=False)


# ---------------------------------------------------------------- webhooks

HookId = Annotated[
    int, typer.Argument(metavar="NUMBER", help="The webhook's number (pa serve webhook list).")
]


def webhook_add(
    ctx: typer.Context,
    url: Annotated[
        str, typer.Argument(metavar="URL", help="The http(s) URL that receives each new alert as JSON.")
    ],
    for_account: Annotated[
        str | None,
        typer.Option(
            "--for",
            metavar="ADDRESS",
            help="Only the alerts this account may see (default: every alert, for the operator).",
        ),
    ] = None,
    min_severity: Annotated[
        str,
        typer.Option(
            "--min-severity",
            metavar="SEVERITY",
            help="Send only alerts this severe or more: critical, warning or info (every alert).",
        ),
    ] = "info",
    allow_local: Annotated[
        bool,
        typer.Option(
            "--allow-local",
            help="Allow a URL on this machine (loopback) or on a link-local address (refused otherwise).",
        ),
    ] = False,
) -> None:
    """Register a webhook; each new alert is POSTed to it once (retried until it answers 2xx)."""
    from pa_client.web.auth import SignInError, checksum
    from pa_client.web.store import Store

    if min_severity not in SEVERITIES:
        raise InputError(f"--min-severity is one of {', '.join(SEVERITIES)}")
    address = None
    if for_account is not None:
        try:
            address = checksum(for_account)
        except SignInError as error:
            raise InputError(str(error)) from None
    checked = _checked_url(url, allow_local)
    with Store.for_data_dir(settings_from(ctx).data_dir) as store:
        hook = store.add_webhook(checked, address, min_severity, allow_local=allow_local)
    console.print(
        f"webhook {hook.id}: {hook.url} ({'alerts of ' + address if address else 'every alert'}, from {min_severity})",
        markup=False,
    )
    console.print(f"its deliveries are signed with {hook.secret} (X-PA-Signature, docs/web.md)", markup=False)


def webhook_list(ctx: typer.Context) -> None:
    """List the webhooks and their deliveries."""
    from pa_client.web.store import Store

    with Store.for_data_dir(settings_from(ctx).data_dir) as store:
        hooks, outbox = store.webhooks(), store.outbox()
    if not hooks:
        console.print("no webhooks", markup=False)
        return
    for hook in hooks:
        mine = [d for d in outbox if d["webhook_id"] == hook.id]
        delivered = sum(len(d["alert_keys"]) for d in mine if d["delivered"])
        abandoned = sum(len(d["alert_keys"]) for d in mine if d["abandoned"])
        pending = sum(len(d["alert_keys"]) for d in mine) - delivered - abandoned
        last = next((d["last_error"] for d in reversed(mine) if d["abandoned"]), "")
        given_up = f", {abandoned} given up ({last})" if abandoned else ""
        console.print(
            f"{hook.id:>4}  {hook.url}  {hook.address or 'every alert'} from {hook.min_severity}: "
            f"{delivered} delivered, {pending} pending{given_up}",
            markup=False,
        )


def webhook_remove(ctx: typer.Context, hook_id: HookId) -> None:
    """Remove a webhook (its pending deliveries are dropped)."""
    from pa_client.web.store import Store

    with Store.for_data_dir(settings_from(ctx).data_dir) as store:
        done = store.remove_webhook(hook_id)
    if not done:
        raise InputError(f"no webhook {hook_id}")
    console.print(f"webhook {hook_id} removed", markup=False)


def webhook_secret(ctx: typer.Context, hook_id: HookId) -> None:
    """Print the secret a webhook's deliveries are signed with (for its receiver to check them)."""
    from pa_client.web.store import Store

    with Store.for_data_dir(settings_from(ctx).data_dir) as store:
        hook = next((h for h in store.webhooks() if h.id == hook_id), None)
    if hook is None:
        raise InputError(f"no webhook {hook_id}")
    console.print(hook.secret, markup=False)


# ---------------------------------------------------------------- signing a sign-in message


def sign(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Argument(
            metavar="FILE", help="A file holding the sign-in message (default: read it from standard input)."
        ),
    ] = None,
) -> None:
    """Sign a sign-in message with the --account account and print the signature to paste on the
    sign-in page (for accounts without a browser wallet)."""
    from pa_client.chain.accounts import resolve_account
    from pa_client.web.auth import sign_message

    text = file.read_text(encoding="utf-8") if file is not None else sys.stdin.read()
    text = text.replace("\r\n", "\n").strip()
    if "wants you to sign in with your Ethereum account" not in text:
        raise InputError("this is not a sign-in message (copy it whole from the sign-in page)")
    account = resolve_account(settings_from(ctx))
    console.print(sign_message(account, text), markup=False)


def _when(moment: float | None) -> str:
    if moment is None:
        return ""
    return datetime.fromtimestamp(moment).strftime("last used %Y-%m-%d %H:%M")
