"""Recording entries exactly once: the submitter (check, simulate, batch, send, resume), its journal,
and the submission service that `pa submit`, the HTTP API and the Ape script all call.
"""
