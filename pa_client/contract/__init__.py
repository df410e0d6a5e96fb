"""The contracts as the client sees them: the shipped artifacts, the ABI codec and its column
decoder, entries encoded to the contracts' structs, the events they log, their reverts in words,
ids, keccak and the rolling hash of the completeness proof.

Below `chain`: nothing here talks to a node.
"""
