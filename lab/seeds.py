"""Seed ranges: what trains, what is mined, what is evaluated never overlap (a test checks it)."""

from __future__ import annotations

TRAIN = range(0, 100_000)
MINING = range(100_000, 200_000)
EVAL = range(1_000_000, 1_100_000)
TEST_VECTORS = range(2_000_000, 2_000_100)
SHIFTED = range(3_000_000, 3_100_000)  # the shifted suite (lab/shifted.py): evaluated only, like EVAL
SAME_DECISIONS = range(4_000_000, 4_000_100)  # lab/same_decisions.py: the engine before and after a speed change

SPLITS = {
    "train": TRAIN,
    "mining": MINING,
    "eval": EVAL,
    "test_vectors": TEST_VECTORS,
    "shifted": SHIFTED,
    "same_decisions": SAME_DECISIONS,
}
