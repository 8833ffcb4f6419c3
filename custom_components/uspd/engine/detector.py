"""Baseline detector: Doppler-band energy with hysteresis and a hold time.

Bands are defined in radial speed, not hertz, so they mean the same at every
carrier: minor motion (hands, typing, reaching) 0.03–0.4 m/s, major motion
(walking torso and limbs) 0.4–4.5 m/s. People do not move faster than that;
energy at 5 m/s and beyond comes from machines (fan blades), so the excess in
that guard band is subtracted before deciding. This is the non-neural
baseline the classifier will be measured against; its occupancy state
machine is meant to serve the classifier too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

MINOR_BAND_MS = (0.03, 0.4)
MAJOR_BAND_MS = (0.4, 4.5)
GUARD_BAND_MS = (5.0, 1e9)
# Excess over the noise floor (noise alone reads ~0 dB) at sensitivity 50 %;
# each 10 % of sensitivity moves both thresholds by 1.2 dB.
MINOR_ON_DB = 6.0
MAJOR_ON_DB = 8.0
HYSTERESIS_DB = 3.0
DB_PER_SENSITIVITY_PCT = 0.12
ONSET_FRAMES = 2


class Motion(StrEnum):
    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"


@dataclass(frozen=True)
class DetectorConfig:
    sensitivity_pct: float = 50.0
    hold_s: float = 30.0


@dataclass(frozen=True)
class Decision:
    t_s: float
    motion: Motion
    occupied: bool
    score: float  # 0..1, confidence that a person moves now
    minor_db: float
    major_db: float
    guard_db: float


def band_mask(speeds_ms: NDArray[np.float64], band: tuple[float, float]) -> NDArray[np.bool_]:
    low, high = band
    s = np.abs(speeds_ms)
    return (s >= low) & (s < high)


def band_weights(speeds_ms: NDArray[np.float64], bands: tuple[tuple[float, float], ...]) -> NDArray[np.float64]:
    """(bands, bins): each row averages its band's bins (a row of zeros for an empty band)."""
    rows = np.zeros((len(bands), len(speeds_ms)))
    for i, band in enumerate(bands):
        mask = band_mask(speeds_ms, band)
        if mask.any():
            rows[i, mask] = 1.0 / mask.sum()
    return rows


def band_excess_db(ratio: NDArray[np.float64], weights: NDArray[np.float64]) -> list[float]:
    """Mean power over the floor in each band, in dB (noise alone reads ~0 dB; so does an empty band)."""
    means = (weights @ ratio).tolist()
    return [10 * math.log10(m) if m > 0 else 0.0 for m in means]


class BaselineDetector:
    def __init__(self, config: DetectorConfig, speeds_ms: NDArray[np.float64]) -> None:
        self.config = config
        self._weights = band_weights(speeds_ms, (MINOR_BAND_MS, MAJOR_BAND_MS, GUARD_BAND_MS))
        self._motion = Motion.NONE
        self._above = 0
        self._last_motion_s: float | None = None
        self.occupied = False

    def reconfigure(self, config: DetectorConfig) -> None:
        self.config = config

    def reset(self) -> None:
        self._motion = Motion.NONE
        self._above = 0
        self._last_motion_s = None
        self.occupied = False

    def _thresholds(self) -> tuple[float, float]:
        shift = (self.config.sensitivity_pct - 50.0) * DB_PER_SENSITIVITY_PCT
        return MINOR_ON_DB - shift, MAJOR_ON_DB - shift

    def update(self, t_s: float, ratio: NDArray[np.float64]) -> Decision:
        """ratio: one frame's power over the noise floor per bin (linear)."""
        minor_raw, major_raw, guard = band_excess_db(ratio, self._weights)
        # Noise alone reads ~0 dB: what exceeds it beyond human speeds is machines.
        machine = max(0.0, guard)
        minor = minor_raw - machine
        major = major_raw - machine
        minor_on, major_on = self._thresholds()
        held = self._motion != Motion.NONE
        off = HYSTERESIS_DB if held else 0.0
        if major > major_on - off:
            candidate = Motion.MAJOR
        elif minor > minor_on - off:
            candidate = Motion.MINOR
        else:
            candidate = Motion.NONE
        if candidate == Motion.NONE:
            self._above = 0
            self._motion = Motion.NONE
        else:
            self._above += 1
            if self._above >= ONSET_FRAMES or held:
                self._motion = candidate
        motion = self._motion
        if motion == Motion.MAJOR or (motion == Motion.MINOR and self.occupied):
            self._last_motion_s = t_s
            self.occupied = True
        elif self._last_motion_s is not None and t_s - self._last_motion_s > self.config.hold_s:
            self.occupied = False
        margin = max(major - major_on, minor - minor_on)
        score = 1.0 / (1.0 + math.exp(max(-60.0, min(60.0, -margin / 2.0))))
        return Decision(t_s, motion, self.occupied, score, minor, major, guard)
