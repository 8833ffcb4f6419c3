"""Find the emitted carrier in a recording made elsewhere: the strongest steady tone above 17 kHz."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .rates import MAX_CARRIER_FRACTION, MIN_CARRIER_HZ

SEGMENT = 8192
MIN_TONE_DB = 20.0  # over the median spectrum level around it
STEADY_FRACTION = 0.8  # of segments in which the tone must stand out


class NoCarrierError(ValueError):
    """No steady ultrasonic tone in the audio."""


def detect_carrier(audio: NDArray[np.floating], rate_hz: int) -> float:
    """audio: (n, channels). Returns the carrier in whole hertz."""
    x = np.asarray(audio, dtype=np.float64).mean(axis=1)
    seg = min(SEGMENT, 1 << (max(len(x), 2).bit_length() - 1))
    count = len(x) // seg
    if count < 1 or seg < 1024:
        raise NoCarrierError("recording too short to find the carrier")
    frames = x[: count * seg].reshape(count, seg) * np.hanning(seg)
    spec = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    freqs = np.fft.rfftfreq(seg, 1.0 / rate_hz)
    band = (freqs >= MIN_CARRIER_HZ) & (freqs <= MAX_CARRIER_FRACTION * rate_hz)
    if not band.any():
        raise NoCarrierError(f"{rate_hz} Hz audio has no band above {MIN_CARRIER_HZ:.0f} Hz")
    mean = spec.mean(axis=0)
    idx = np.flatnonzero(band)
    peak = int(idx[np.argmax(mean[idx])])
    floor = np.median(spec[:, idx], axis=1) + 1e-30
    standing = 10 * np.log10(spec[:, peak] / floor + 1e-30) >= MIN_TONE_DB
    if standing.mean() < STEADY_FRACTION:
        raise NoCarrierError(f"no steady tone above {MIN_CARRIER_HZ:.0f} Hz (is the emitter on?)")
    # Parabolic interpolation on log power for sub-bin accuracy.
    a, b, c = np.log(mean[peak - 1 : peak + 2] + 1e-30)
    shift = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
    return float(round((peak + shift) * rate_hz / seg))
