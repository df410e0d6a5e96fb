"""Helpers of the test suite: factories of records, the chain fixtures' types, the fault-injecting
RPC proxy and the fault tests' helpers. Tests import them from here, never from conftest."""
