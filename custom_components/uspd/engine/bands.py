"""The Doppler speed bands, and each one's energy over the noise floor.

Bands are radial speeds, so they mean the same at every carrier: minor
motion (hands, typing, reaching) 0.03–0.4 m/s, major motion (walking torso
and limbs) 0.4–4.5 m/s. People do not move faster; energy at 5 m/s and
beyond comes from machines (fan blades).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

MINOR_BAND_MPS = (0.03, 0.4)
MAJOR_BAND_MPS = (0.4, 4.5)
GUARD_BAND_MPS = (5.0, 1e9)


def band_mask(speeds_mps: NDArray[np.float64], band: tuple[float, float]) -> NDArray[np.bool_]:
    """The bins whose radial speed, either way, lies in band."""
    low, high = band
    s = np.abs(speeds_mps)
    return (s >= low) & (s < high)


def band_weights(speeds_mps: NDArray[np.float64], bands: tuple[tuple[float, float], ...]) -> NDArray[np.float64]:
    """(bands, bins): each row averages its band's bins (a row of zeros for an empty band)."""
    rows = np.zeros((len(bands), len(speeds_mps)))
    for i, band in enumerate(bands):
        mask = band_mask(speeds_mps, band)
        if mask.any():
            rows[i, mask] = 1.0 / mask.sum()
    return rows


def band_excess_db(ratio: NDArray[np.float64], weights: NDArray[np.float64]) -> list[float]:
    """Mean power over the floor in each band, in dB (noise alone reads ~0 dB; so does an empty band)."""
    means = (weights @ ratio).tolist()
    return [10 * math.log10(m) if m > 0 else 0.0 for m in means]
