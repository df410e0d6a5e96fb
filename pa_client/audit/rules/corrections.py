"""The corrected records: every record a correction reversed, with the correction that did it and its
reason. Nothing is ever deleted from the ledger: a corrected record takes no part in balances (`live`),
but it stays listed, for customs to see what was corrected, when and why."""

from __future__ import annotations

import pandas as pd

from pa_client.audit.rules.frames import INT, OBJ, TIME, frame_of, objects, utc_days
from pa_client.audit.tables import TABLE_OF_KIND, LedgerTables

CORRECTED = {
    "authorisation": OBJ,
    "entry_ref": OBJ,  # the corrected record
    "kind": OBJ,
    "sequence": INT,
    "occurred_at": TIME,
    "date": OBJ,
    "lot": OBJ,  # None for a record of no single lot
    "corrected_by": OBJ,  # entry_ref of the correction
    "correction_date": OBJ,
    "reason": OBJ,
}

# A processing is two tables (its inputs and outputs): its first row says it all.
_TABLES = {**{kind: table for kind, table in TABLE_OF_KIND.items() if kind != "correction"},
           "processing": "processing_inputs"}  # fmt: skip


def corrected_records(tables: LedgerTables) -> pd.DataFrame:
    """One row per corrected record, in chain order."""
    corrections = tables.corrections
    by_corrected = {
        (reference, corrects): (entry_ref, occurred_at, reason)
        for reference, corrects, entry_ref, occurred_at, reason in zip(
            corrections["authorisation"].tolist(),
            corrections["corrects"].tolist(),
            corrections["entry_ref"].tolist(),
            corrections["occurred_at"].tolist(),
            corrections["reason"].tolist(),
            strict=True,
        )
    }
    found: list[tuple[str, str, str, int, object, object]] = []
    for kind, name in _TABLES.items():
        frame = tables.tables[name]
        if frame.empty or not frame["corrected"].any():
            continue
        corrected = frame.loc[frame["corrected"].astype(bool)].drop_duplicates(["authorisation", "entry_ref"])
        lots = corrected["lot"].tolist() if "lot" in corrected else [None] * len(corrected)
        found.extend(
            (reference, entry_ref, kind, int(sequence), occurred_at, lot)
            for reference, entry_ref, sequence, occurred_at, lot in zip(
                corrected["authorisation"].tolist(),
                corrected["entry_ref"].tolist(),
                corrected["sequence"].tolist(),
                corrected["occurred_at"].tolist(),
                lots,
                strict=True,
            )
        )
    found.sort(key=lambda row: (row[0], row[3]))
    by = [by_corrected[(row[0], row[1])] for row in found]
    frame = frame_of(
        {
            "authorisation": [row[0] for row in found],
            "entry_ref": [row[1] for row in found],
            "kind": [row[2] for row in found],
            "sequence": [row[3] for row in found],
            "occurred_at": pd.Series([row[4] for row in found], dtype=TIME),
            "date": utc_days(pd.Series([row[4] for row in found], dtype=TIME)),
            "lot": objects([row[5] for row in found]),
            "corrected_by": [entry_ref for entry_ref, _, _ in by],
            "correction_date": utc_days(pd.Series([when for _, when, _ in by], dtype=TIME)),
            "reason": [reason for _, _, reason in by],
        },
        CORRECTED,
        len(found),
    )
    return frame
