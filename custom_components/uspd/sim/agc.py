"""An operating system's automatic gain control on the capture path: a misconfiguration to simulate.

Phone and laptop audio stacks level the microphone for speech: a gain that
drops within milliseconds when something loud arrives (a beat of music, a
click) and creeps back over about a second. On our tone that gain is an
amplitude modulation: the static echo pumps with the music and breathes
after every click, which spreads energy around 0 Hz on both sides of the
Doppler spectrum. Sensing needs the OS's gain control off; the simulator can
turn it on to show what it does.

The gain is computed on a 1 kHz grid of absolute time from what the mics
hear (our tone's static level, the music, impulsive sounds, the noise floor)
and applied to everything captured, before quantisation. It is stateful, as
an AGC is: blocks must be rendered in order (the engine's loop does).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from .scene import OsAgc

Array = NDArray[np.float64]
GRID_HZ = 1000.0


class Agc:
    """The capture path's gain, fast down and slow up, computed on a GRID_HZ grid of absolute time as blocks ask."""

    def __init__(self, settings: OsAgc, level_at: Callable[[Array], Array]) -> None:
        """level_at(t): the rms the mics hear at times t (whole band, before any gain)."""
        self.s = settings
        self.level_at = level_at
        self._k = -1  # last grid index computed
        self._gain = 1.0
        self._grid_gain: dict[int, float] = {}

    def _advance(self, upto: int) -> None:
        s = self.s
        ks = np.arange(self._k + 1, upto + 1)
        if not len(ks):
            return
        levels = self.level_at(ks / GRID_HZ)
        attack = 1 - math.exp(-1 / (GRID_HZ * s.attack_s))
        release = 1 - math.exp(-1 / (GRID_HZ * s.release_s))
        g = self._gain
        for k, level in zip(ks.tolist(), levels.tolist(), strict=True):
            want = self._wanted(level)
            g += (want - g) * (attack if want < g else release)
            self._grid_gain[k] = g
        self._gain, self._k = g, upto
        # Keep a few seconds behind the newest block for interpolation only.
        for old in [k for k in self._grid_gain if k < upto - 5 * GRID_HZ]:
            del self._grid_gain[old]

    def _wanted(self, level: float) -> float:
        return min(10 ** (self.s.target_dbfs / 20) / max(level, 1e-12), 10 ** (self.s.max_gain_db / 20))

    def gain(self, t: Array) -> Array:
        """The gain at times t (in order, at or after the last block's start)."""
        lo, hi = math.floor(t[0] * GRID_HZ), math.ceil(t[-1] * GRID_HZ)
        if self._k >= 0 and lo < min(self._grid_gain, default=lo):
            self._k, self._grid_gain = -1, {}  # rendering restarted earlier (a loop): settle afresh
        if self._k < 0:  # start settled at the first level heard
            self._gain = self._wanted(float(self.level_at(np.array([lo / GRID_HZ]))[0]))
            self._k = lo - 1
        self._advance(hi)
        ks = np.arange(lo, hi + 1)
        g = np.array([self._grid_gain.get(int(k), self._gain) for k in ks])
        return np.asarray(np.interp(t, ks / GRID_HZ, g))
