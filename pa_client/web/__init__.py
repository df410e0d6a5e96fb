"""The web dashboard and the HTTP API (`pa serve`): server-rendered pages for customs, holders and
declarants, live updates by server-sent events, alerts POSTed to webhooks, and a JSON API for the
operator's and the brokers' systems, all from the same submission and audit code as the command line.

    create_app(WebConfig(settings)) -> FastAPI

Modules: `access` (who sees what: pure rules), `roles` (the chain's facts about an account), `auth`
(Sign-In with Ethereum, sessions, tokens), `store` (SQLite: sessions, tokens, webhooks, outbox),
`live` (the tracker: new blocks, records, the audit, new alerts), `events` (the live streams),
`webhooks` (the outbox sender), `entries_json` (JSON entries checked as the entries file), `api`,
`pages`, `signin` (signing in and out, pages and API), `views` (what pages show), `i18n` (English and
French labels), `errors` (the client's errors as HTTP statuses), `app` (the factory and its one
error handler).
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pa_client.web.app import create_app
    from pa_client.web.context import WebConfig

__all__ = ["WebConfig", "create_app"]


def __getattr__(name: str) -> Any:
    """`create_app` and `WebConfig` imported when first asked for: the web stack (FastAPI, the
    audit) is not loaded by `pa serve token list`, which only needs `pa_client.web.store`."""
    if name == "create_app":
        from pa_client.web.app import create_app

        return create_app
    if name == "WebConfig":
        from pa_client.web.context import WebConfig

        return WebConfig
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
