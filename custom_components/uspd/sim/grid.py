"""Slow quantities on a coarse grid of knots, spread to every sample by small matrix products.

Geometry (path lengths, amplitudes, the speed of sound) changes at walking,
fan and airflow rates, far below the sample rate: it is evaluated on knots
about 1 ms apart. Only the carrier phase k·r/c needs every sample, and that
comes from a four-point Lagrange cubic through the knots (error ~0.02·h⁴·r⁗·k:
1.5 mrad at the tip of a pedestal fan's blade at 1400 rpm, the fastest thing here;
spurs 60 dB down). Knots sit at
absolute sample indices that are multiples of ``step``, so a block renders as
the same samples of the whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

KNOT_HZ = 1000.0
TWO_PI = 2 * np.pi


@cache
def _cubic_weights(step: int) -> NDArray[np.float64]:
    """(4, step): Lagrange weights of knots −1, 0, 1, 2 at u = q/step in [0, 1)."""
    u = np.arange(step) / step
    w = np.stack(
        [
            -u * (u - 1) * (u - 2) / 6,
            (u + 1) * (u - 1) * (u - 2) / 2,
            -(u + 1) * u * (u - 2) / 2,
            (u + 1) * u * (u - 1) / 6,
        ]
    )
    return np.asarray(w, dtype=np.float64)


@cache
def _cubic_weights32(step: int) -> NDArray[np.float32]:
    return _cubic_weights(step).astype(np.float32)


@cache
def _linear_weights(step: int) -> NDArray[np.float64]:
    u = np.arange(step) / step
    return np.stack([1 - u, u])


@dataclass(frozen=True)
class Knots:
    """Samples start..start+count at rate_hz and the knots that carry them.

    Knot j sits at sample j·step. The samples fall in ``segments`` intervals
    starting at knot ``first``; values are asked for at knots first−2 …
    first+segments+2 (``times``), two beyond each end, so that both the
    cubic's stencil and a central difference at its outer knots exist.
    """

    start: int
    count: int
    rate_hz: float
    step: int
    first: int
    segments: int

    @classmethod
    def covering(cls, start: int, count: int, rate_hz: float) -> Knots:
        """The knots that carry samples start..start+count at rate_hz (about KNOT_HZ apart)."""
        step = max(1, round(rate_hz / KNOT_HZ))
        first = start // step
        segments = -(-(start + count - first * step) // step)
        return cls(start, count, rate_hz, step, first, segments)

    @property
    def times(self) -> NDArray[np.float64]:
        """The knots' times, in seconds."""
        j = np.arange(self.first - 2, self.first + self.segments + 3)
        return np.asarray(j * self.step / self.rate_hz, dtype=np.float64)

    @property
    def sample_times(self) -> NDArray[np.float64]:
        """The samples' times, in seconds."""
        return np.asarray((self.start + np.arange(self.count)) / self.rate_hz, dtype=np.float64)

    def chunks(self, samples: int = 4096) -> list[tuple[int, int]]:
        """Segment ranges [a, b) of about ``samples`` samples each, to keep full-rate arrays in cache."""
        per = max(1, samples // self.step)
        return [(a, min(a + per, self.segments)) for a in range(0, self.segments, per)]

    @staticmethod
    def span(a: int, b: int) -> slice:
        """The knots (indices into ``times``) that segments [a, b) need."""
        return slice(a, b + 5)

    def samples(self, a: int, b: int) -> slice:
        """Where segments [a, b) land in the block's samples."""
        return slice(
            max(0, (self.first + a) * self.step - self.start),
            min(self.count, (self.first + b) * self.step - self.start),
        )

    def _trim(self, full: NDArray[Any], a: int) -> NDArray[Any]:
        """The samples of segments a, a+1, … that belong to the block, flattened to (..., n)."""
        flat = full.reshape(*full.shape[:-2], -1)
        lo = self.start - (self.first + a) * self.step
        hi = self.start + self.count - (self.first + a) * self.step
        return flat[..., max(lo, 0) : min(hi, flat.shape[-1])]

    def phase(self, y: NDArray[np.float64], a: int) -> NDArray[np.float32]:
        """A phase at knots ``span(a, b)`` (…, b − a + 5), at every sample of segments [a, b), wrapped near ±π.

        Each segment's four knots are taken less a whole number of turns (that
        of its first knot) in float64, so float32 keeps ~1e-6 rad however
        large the phase; the Lagrange weights sum to one, so the turns come
        out again as they went in.
        """
        base = y[..., 2:-3]
        n = base.shape[-1]
        turns = TWO_PI * np.round(base * (1 / TWO_PI))
        # (…, segments, 4) contiguous, so that one sgemm does every segment.
        window = np.empty((*base.shape, 4), dtype=np.float32)
        for i in range(4):
            window[..., i] = y[..., 1 + i : 1 + i + n] - turns
        steps = (window.reshape(-1, 4) @ _cubic_weights32(self.step)).reshape(*base.shape, self.step)
        return np.asarray(self._trim(steps, a), dtype=np.float32)

    def cubic(self, y: NDArray[np.float64], a: int) -> NDArray[np.float64]:
        """Smooth values at knots ``span(a, b)``, at every sample of segments [a, b), in float64."""
        window = sliding_window_view(y[..., 1:-1], 4, axis=-1)
        return np.asarray(self._trim(window @ _cubic_weights(self.step), a), dtype=np.float64)

    def linear(self, y: NDArray[Any], a: int) -> NDArray[Any]:
        """Values at knots ``span(a, b)``, straight lines between them, at every sample of segments [a, b).

        In the precision of ``y``.
        """
        n = y.shape[-1] - 5
        window = np.empty((*y.shape[:-1], n, 2), dtype=y.dtype)
        window[..., 0], window[..., 1] = y[..., 2 : 2 + n], y[..., 3 : 3 + n]
        steps = window.reshape(-1, 2) @ _linear_weights(self.step).astype(y.dtype)
        return self._trim(steps.reshape(*y.shape[:-1], n, self.step), a)
