"""The sizes of a submission's transactions and simulations, apart from the submitter so that `pa
submit --help` shows them without importing the chain."""

from __future__ import annotations

from typing import Final

__all__ = ["DEFAULT_BATCH_SIZE", "MAX_BATCH_SIZE", "SIMULATION_WINDOW"]

DEFAULT_BATCH_SIZE: Final = 500  # make bench: 100 → 1,960, 500 → 2,170, 1000 → 2,270 entries/s
MAX_BATCH_SIZE: Final = 2000  # the most entries `pa submit --batch-size` puts in one transaction
SIMULATION_WINDOW: Final = 25_000  # entries simulated in one eth_simulateV1 request (about 30 MB of JSON)
