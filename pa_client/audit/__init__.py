"""From the logs to the audit: the local index, the ledger tables, the audit run with its
completeness proof, the comparison of two nodes, and `rules/` (pure functions, tables in,
tables out).
"""
