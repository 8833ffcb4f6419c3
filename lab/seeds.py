"""Seed ranges: what trains, what is mined, what is evaluated never overlap (a test checks it)."""

from __future__ import annotations

TRAIN = range(0, 100_000)
MINING = range(100_000, 200_000)
EVAL = range(1_000_000, 1_100_000)
TEST_VECTORS = range(2_000_000, 2_000_100)
SHIFTED = range(3_000_000, 3_100_000)  # the shifted suite (lab/shifted.py): evaluated only, like EVAL

SPLITS = {"train": TRAIN, "mining": MINING, "eval": EVAL, "test_vectors": TEST_VECTORS, "shifted": SHIFTED}
