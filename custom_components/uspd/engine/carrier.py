"""Find the emitted carrier in a recording made elsewhere: the strongest steady tone a recording may hold.

Where it may lie is rates.py's rule (carrier_range_hz, check_carrier), the
one plan_baseband applies: from 17 kHz up to Nyquist less the Doppler band
and the demodulator's transition.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .rates import RateError, carrier_range_hz, check_carrier, describe_range

SEGMENT = 8192
MIN_TONE_DB = 20.0  # over the median spectrum level around it
STEADY_FRACTION = 0.8  # of segments in which the tone must stand out
# The search reaches this many bins past the range's ends, so a tone at an
# edge is measured where it is, then judged by the rule (not cut in half).
EDGE_BINS = 2


class NoCarrierError(ValueError):
    """No steady ultrasonic tone in the audio."""


def _steady_peak(spec: NDArray[np.float64], band: NDArray[np.bool_]) -> int | None:
    """The strongest bin in band if it is a steady tone peaking there, else None."""
    if not band.any():
        return None
    mean = spec.mean(axis=0)
    idx = np.flatnonzero(band)
    peak = int(idx[np.argmax(mean[idx])])
    if not 0 < peak < len(mean) - 1 or mean[peak] < max(mean[peak - 1], mean[peak + 1]):
        return None  # the band's edge on the flank of a tone outside it
    floor = np.median(spec[:, idx], axis=1) + 1e-30
    standing = 10 * np.log10(spec[:, peak] / floor + 1e-30) >= MIN_TONE_DB
    return peak if standing.mean() >= STEADY_FRACTION else None


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
    low, high = carrier_range_hz(rate_hz)
    if high < low:
        raise NoCarrierError(f"{rate_hz} Hz audio holds no carrier: none fits {describe_range(rate_hz)}")
    edge = EDGE_BINS * rate_hz / seg
    peak = _steady_peak(spec, (freqs >= low - edge) & (freqs <= high + edge))
    if peak is None:
        beyond = _steady_peak(spec, (freqs > high + edge) & (freqs < rate_hz / 2 - edge))
        if beyond is not None:
            raise NoCarrierError(
                f"the steady tone at {freqs[beyond]:.0f} Hz is too close to Nyquist: {rate_hz} Hz audio "
                f"may hold carriers from {describe_range(rate_hz)}"
            )
        raise NoCarrierError(f"no steady tone from {describe_range(rate_hz)} (is the emitter on?)")
    # Parabolic interpolation on log power for sub-bin accuracy.
    a, b, c = np.log(spec.mean(axis=0)[peak - 1 : peak + 2] + 1e-30)
    shift = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
    carrier = float(round((peak + shift) * rate_hz / seg))
    try:
        check_carrier(rate_hz, carrier)
    except RateError as err:
        raise NoCarrierError(str(err)) from err
    return carrier
