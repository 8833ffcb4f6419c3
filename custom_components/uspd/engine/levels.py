"""Emission levels in decibels: the one conversion from a linear amplitude to dBFS."""

from __future__ import annotations

import math

# The quietest amplitude reported (−120 dBFS): the tone off reads as that, not as −inf.
SILENCE_LEVEL = 1e-6


def level_dbfs(level: float) -> float:
    """An amplitude (digital full scale = 1) in dBFS; at or below SILENCE_LEVEL it reads −120."""
    return 20 * math.log10(max(level, SILENCE_LEVEL))
