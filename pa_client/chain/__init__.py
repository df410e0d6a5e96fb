"""Talking to a node: the one JSON-RPC transport (`rpc`) and its retry policy, connection, the
sender that signs locally, accounts, the embedded Anvil node, deployment, paged log reads
(`extract`) and the typed `LedgerClient` (`ledger`).
"""
