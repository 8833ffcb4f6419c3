"""The one place where the carrier, the baseband rate and the frame timing are decided."""

from __future__ import annotations

import math
from dataclasses import dataclass
from math import gcd

# ~4 kHz of complex baseband holds walking (|f_d| < ~1 kHz at 40 kHz) and most
# of a fan's spread, and keeps every later stage cheap.
TARGET_BASEBAND_HZ = 4000.0
MIN_AUDIO_RATE_HZ = 44100
MIN_CARRIER_HZ = 17000.0
MAX_CARRIER_FRACTION = 0.45
# Analysis frames. A Doppler bin should resolve the same radial speed at every
# carrier: ~0.14 m/s (128 points, 32 ms at 40 kHz; 256 points, 64 ms near
# 20 kHz). Otherwise the minor-motion band shrinks to a bin or two at low
# carriers and noise alone crosses its threshold. Hop 25 ms.
BIN_SPEED_MS = 0.14
FRAME_HOP_S = 0.025


def speed_of_sound_ms(temperature_c: float = 20.0) -> float:
    """c = 331.3·√(1 + T/273.15) m/s: 343.2 m/s at 20 °C."""
    return 331.3 * math.sqrt(1.0 + temperature_c / 273.15)


class RateError(ValueError):
    """The audio rate or carrier cannot be used for ultrasonic sensing."""


@dataclass(frozen=True)
class BasebandPlan:
    """How audio at ``audio_rate_hz`` becomes complex baseband around ``carrier_hz``."""

    audio_rate_hz: int
    carrier_hz: float
    decimation: int
    stage_factors: tuple[int, ...]
    frame_window: int
    frame_hop: int

    @property
    def baseband_rate_hz(self) -> float:
        return self.audio_rate_hz / self.decimation

    @property
    def hop_s(self) -> float:
        return self.frame_hop / self.baseband_rate_hz

    @property
    def mix_period(self) -> int:
        """Samples after which the mixing oscillator repeats exactly."""
        return self.audio_rate_hz // gcd(int(self.carrier_hz), self.audio_rate_hz)


def _split(decimation: int) -> tuple[int, ...]:
    """Two-stage factors, the first the larger, so stage one runs on a wide transition band."""
    best: tuple[int, ...] = (decimation,)
    for first in range(2, decimation):
        if decimation % first == 0 and first >= decimation // first:
            best = (first, decimation // first)
    return best


def check_audio_rate(audio_rate_hz: int) -> None:
    if audio_rate_hz < MIN_AUDIO_RATE_HZ:
        raise RateError(
            f"audio rate {audio_rate_hz} Hz is too low: ultrasonic sensing needs at least {MIN_AUDIO_RATE_HZ} Hz"
        )


def plan_baseband(audio_rate_hz: int, carrier_hz: float) -> BasebandPlan:
    """Decide decimation and frame sizes, or explain why the pair is unusable."""
    check_audio_rate(audio_rate_hz)
    if not MIN_CARRIER_HZ <= carrier_hz <= MAX_CARRIER_FRACTION * audio_rate_hz:
        raise RateError(
            f"carrier {carrier_hz:.0f} Hz is outside {MIN_CARRIER_HZ:.0f}–"
            f"{MAX_CARRIER_FRACTION * audio_rate_hz:.0f} Hz for {audio_rate_hz} Hz audio"
        )
    decimation = max(1, round(audio_rate_hz / TARGET_BASEBAND_HZ))
    baseband = audio_rate_hz / decimation
    bin_hz = 2 * BIN_SPEED_MS * carrier_hz / speed_of_sound_ms()
    window = 1 << max(4, round(math.log2(baseband / bin_hz)))
    return BasebandPlan(
        audio_rate_hz=audio_rate_hz,
        # Whole hertz make the mixing oscillator exactly periodic (no drift over
        # days of streaming); half a hertz of error is far below a Doppler bin.
        carrier_hz=float(round(carrier_hz)),
        decimation=decimation,
        stage_factors=_split(decimation),
        frame_window=window,
        frame_hop=max(1, round(baseband * FRAME_HOP_S)),
    )
