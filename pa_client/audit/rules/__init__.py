"""The audit rules (docs/audit-model.md): pure functions from the ledger tables to result tables.

No chain, no I/O: everything comes from `pa_client.audit.tables.LedgerTables`. Numbers are exact:
quantities in millionths, import goods equivalents in 10^-18 (Python ints in `object` columns), money
in cents, rates in millionths; Decimal only for display.

Modules: `equivalents` (lots' import goods basis, equivalents of discharges and processing), `fifo`
(allocation of discharges to placements), `deadlines`, `placements` (remaining, status), `duties`,
`yields`, `delays` (recording delay), `stock`, `discharges`, `alerts`, `result` (`AuditResult`), `audit`
(every rule into one `AuditResult`), `bill` (the bill of discharge), `lodging` (bills lodged, due, overdue).
"""

from pa_client.audit.rules.alerts import Alert, AlertThresholds
from pa_client.audit.rules.audit import audit
from pa_client.audit.rules.bill import BillOfDischarge, bill_of_discharge
from pa_client.audit.rules.deadlines import add_months, bill_due_date, end_of_period, period_deadline
from pa_client.audit.rules.duties import duty_cents, suspended_duty_cents
from pa_client.audit.rules.result import AuditResult, IntegrityResult, restrict

__all__ = [
    "Alert",
    "AlertThresholds",
    "AuditResult",
    "BillOfDischarge",
    "IntegrityResult",
    "add_months",
    "audit",
    "bill_due_date",
    "bill_of_discharge",
    "duty_cents",
    "end_of_period",
    "period_deadline",
    "restrict",
    "suspended_duty_cents",
]
