"""PA Ledger client."""
