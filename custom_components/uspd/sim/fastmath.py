"""Trigonometry for rendering, ~15x faster than numpy's float64 complex exp.

Phases are wrapped exactly in float64 first, so the single-precision
cos/sin that follows costs only ~1e-7 rad (−140 dB), far below any noise
floor the engine sees, whatever the absolute phase (k·r reaches thousands of
radians).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

TWO_PI = 2 * np.pi


def _wrap(phase: NDArray[np.float64]) -> NDArray[np.float32]:
    return (phase - TWO_PI * np.round(phase * (1 / TWO_PI))).astype(np.float32)


def cis(phase: NDArray[np.float64]) -> NDArray[np.complex64]:
    """e^{j·phase}."""
    wrapped = _wrap(phase)
    out = np.empty(phase.shape, dtype=np.complex64)
    out.real = np.cos(wrapped)
    out.imag = np.sin(wrapped)
    return out


def sin(phase: NDArray[np.float64]) -> NDArray[np.float32]:
    """The sine of each phase in single precision, the phase wrapped exactly first."""
    return np.sin(_wrap(phase))
