"""Named, independent random streams.

Every consumer draws from its own PCG64 stream keyed by (seed, purpose, ...), so adding a
draw in one place (say, a new column in a writer) does not shift every number after it.
"""

from __future__ import annotations

import numpy as np

PLAN = 1
PEOPLE = 2
DAY = 3
WRITE = 4
FX = 5


def stream(seed: int, *key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))
