"""`ape console` extras: the deployed ledger of the network Ape is on, and short helpers.

Ape loads this file when the console starts (after connecting) and adds the names that
`ape_init_extras` returns: `ledger` (a `pa_client` LedgerClient; it signs when PA_ACCOUNT names an
account) and the helpers of `pa_client.dev.console` bound to it:

    open_placements(reference)            placements not yet discharged (from the audit)
    stock(reference, lot, site=None)      a lot's stock at a site, or in all its sites
    lot(reference, lot)                   what the ledger holds of a lot
    last_records(reference, count=10)     the last records of an authorisation
    audit_summary(reference)              the audit in one line (`audit(reference)`: all of it)
    open_ledger_at(url)                   another ledger

The deployment is read from the data folder (PA_DATA_DIR) for the chain's id.
"""

from __future__ import annotations

import sys
from typing import Any

from ape.managers.networks import NetworkManager

from pa_client.dev.console import describe, embedded_node_mismatch, namespace, open_ledger_at
from pa_client.errors import PaClientError
from pa_client.settings import Settings


def ape_init_extras(networks: NetworkManager) -> dict[str, Any]:
    provider = networks.active_provider
    url = provider.http_uri if provider is not None else None
    if provider is None or url is None:
        _say("not connected to a chain over HTTP: no ledger loaded")
        return {}
    try:
        if provider.network.is_local:
            mismatch = embedded_node_mismatch(url, Settings.load())
            if mismatch is not None:
                _say(f"warning: {mismatch}")
        ledger = open_ledger_at(url)
    except PaClientError as error:
        _say(f"no ledger loaded: {error}")
        return {"open_ledger_at": open_ledger_at}
    _say(describe(ledger))
    _say(
        "helpers: open_placements(reference), stock(reference, lot, site=None), lot(reference, lot), "
        "last_records(reference, count=10), audit_summary(reference), audit(reference)"
    )
    return namespace(ledger)


def _say(message: str) -> None:
    print(f"pa: {message}", file=sys.stderr)
