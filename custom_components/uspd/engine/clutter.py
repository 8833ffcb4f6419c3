"""Clutter removal: the direct path and static echoes go, motion stays.

A one-pole high-pass per microphone on the complex baseband: the static
part (a constant phasor) is tracked by an exponential mean with a ~1 Hz
corner, so Doppler at 5 Hz and above passes (−0.2 dB) and a changed static
scene (a door closed, furniture moved) is absorbed within ~0.5 s. The mean
starts as a running average, so a stream needs no warm-up period. A mean that
goes non-finite starts over, and that block passes as 0: in an IIR state one
NaN would otherwise last for the rest of the stream (the engine cleans its
input; this is the second line of defence).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

CORNER_HZ = 1.0
CHUNK = 256  # samples the closed form takes at once: r^-256 is 1.5 at a 4 kHz baseband, 2.2 at 2 kHz


class ClutterFilter:
    """Per-mic high-pass on the complex baseband: subtracts the tracked static phasor, block by block."""

    def __init__(self, baseband_rate_hz: float, channels: int, corner_hz: float = CORNER_HZ) -> None:
        self.alpha = 1.0 - float(np.exp(-2 * np.pi * corner_hz / baseband_rate_hz))
        self._warmup = int(np.ceil(1.0 / self.alpha))
        j = np.arange(CHUNK)
        self._rise = self.alpha * (1.0 - self.alpha) ** -j  # a·r^-j
        self._fall = (1.0 - self.alpha) ** j  # r^j
        self._seen = 0
        self._mean = np.zeros(channels, dtype=np.complex128)
        # Per-sample static phasors of the last block (the canceller's reference).
        self.static: NDArray[np.complex128] = np.zeros((channels, 0), dtype=np.complex128)

    def reset(self) -> None:
        """Forget the static phasor: the next block starts a new running average."""
        self._seen = 0
        self._mean[:] = 0

    @property
    def static_level(self) -> NDArray[np.float64]:
        """Magnitude of the static path per mic (direct path plus fixed echoes)."""
        return np.abs(self._mean)

    def process(self, x: NDArray[np.complex128]) -> NDArray[np.complex128]:
        """The block with the static part removed; ``static`` then holds the block's static phasors."""
        n = x.shape[1]
        if n == 0:  # all of a short block fell in the demodulator's start-up transient
            self.static = np.zeros_like(x)
            return np.zeros_like(x)
        mean = np.empty_like(x)
        done = 0
        if self._seen < self._warmup:
            # Running average until it is as long as the exponential window.
            done = min(n, self._warmup - self._seen)
            counts = self._seen + np.arange(1, done + 1)
            sums = self._mean[:, None] * self._seen + np.cumsum(x[:, :done], axis=1)
            mean[:, :done] = sums / counts
            self._mean = mean[:, done - 1].copy()
            self._seen += done
        for begin in range(done, n, CHUNK):
            # The exponential mean in closed form, a chunk at a time (scipy's lfilter costs its Python more):
            # m[k] = r^k·(r·m[-1] + a·sum_{j<=k} r^-j·x[j]), r = 1 - a; r^-j stays under 1.5 within a chunk.
            end = min(n, begin + CHUNK)
            rise, fall = self._rise[: end - begin], self._fall[: end - begin]
            chunk = np.cumsum(x[:, begin:end] * rise, axis=1)
            chunk += (1.0 - self.alpha) * self._mean[:, None]
            chunk *= fall
            mean[:, begin:end] = chunk
            self._mean = chunk[:, -1].copy()
        self._seen += n - done
        moving = x - mean
        if not np.isfinite(self._mean).all():
            self.reset()
            mean = np.where(np.isfinite(mean), mean, 0)
            moving = np.where(np.isfinite(moving), moving, 0)
        self.static = mean
        return moving
