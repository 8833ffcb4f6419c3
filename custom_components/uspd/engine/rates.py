"""The one place where the carrier, the baseband rate and the frame timing are decided."""

from __future__ import annotations

import math
from dataclasses import dataclass
from math import gcd

from ..base.acoustics import speed_of_sound_mps
from ..base.audio import MAX_MICS, MIN_AUDIO_RATE_HZ
from .features import GRID_BINS, GRID_STEP_MPS

# ~4 kHz of complex baseband holds walking (|f_d| < ~1 kHz at 40 kHz) and most
# of a fan's spread, and keeps every later stage cheap.
TARGET_BASEBAND_HZ = 4000.0
# Carriers: what a recording may hold (carrier_range_hz, check_carrier: the CLI,
# the recording backend, the carrier finder and plan_baseband) is wider than
# what our hardware may emit (MAX_EMISSION_FRACTION: calibration's sweep).
MIN_CARRIER_HZ = 17000.0
# DAC and ADC anti-alias filters roll off from ~0.45·fs: calibration never
# emits above it (a phone's 20 kHz tone at 44.1 kHz is above it, and is read).
MAX_EMISSION_FRACTION = 0.45
# Analysis frames. A Doppler bin should resolve the same radial speed at every
# carrier: ~0.14 m/s (128 points, 32 ms at 40 kHz; 256 points, 64 ms near
# 20 kHz). Otherwise the minor-motion band shrinks to a bin or two at low
# carriers and noise alone crosses its threshold. Hop 25 ms.
BIN_SPEED_MPS = 0.14
FRAME_HOP_S = 0.025
# The fastest radial speed the engine reads: the edge of the classifier's grid.
MAX_SPEED_MPS = GRID_STEP_MPS * (GRID_BINS // 2)


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
        """Complex baseband samples per second."""
        return self.audio_rate_hz / self.decimation

    @property
    def hop_s(self) -> float:
        """Seconds between analysis frames."""
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


# Microphones the engine takes (a recording's or a sound card's channels).


def check_mics(channels: int) -> None:
    """RateError unless the channel count is one uspd can sense with."""
    if not 1 <= channels <= MAX_MICS:
        raise RateError(f"{channels} channels: uspd takes 1 to {MAX_MICS} microphones")


def check_audio_rate(audio_rate_hz: int) -> None:
    """RateError unless the audio rate can carry an ultrasonic tone."""
    if audio_rate_hz < MIN_AUDIO_RATE_HZ:
        raise RateError(
            f"audio rate {audio_rate_hz} Hz is too low: ultrasonic sensing needs at least {MIN_AUDIO_RATE_HZ} Hz"
        )


def decimation_for(audio_rate_hz: int) -> int:
    """Audio samples per baseband sample: the baseband rate is ~TARGET_BASEBAND_HZ at any audio rate."""
    return max(1, round(audio_rate_hz / TARGET_BASEBAND_HZ))


def doppler_band_hz(audio_rate_hz: int, carrier_hz: float) -> float:
    """How far from the carrier the engine reads.

    The Doppler shift of features.py's fastest speed (±8.6 m/s), or the edge
    of its frames (half the baseband rate) where that is nearer.
    """
    baseband_hz = audio_rate_hz / decimation_for(audio_rate_hz)
    return min(2 * MAX_SPEED_MPS * carrier_hz / speed_of_sound_mps(), baseband_hz / 2)


def transition_hz(audio_rate_hz: int) -> float:
    """The width of the demodulator's transition band: from its passband edge to its stop band."""
    from .demodulate import PASSBAND_FRACTION  # demodulate.py imports this module

    baseband_hz = audio_rate_hz / decimation_for(audio_rate_hz)
    return (1.0 - 2.0 * PASSBAND_FRACTION) * baseband_hz


def carrier_range_hz(audio_rate_hz: int) -> tuple[float, float]:
    """The carriers a recording at this rate may hold.

    From MIN_CARRIER_HZ up to Nyquist less the Doppler band and the
    demodulator's transition (17000–20236 Hz at 44.1 kHz, –22096 at 48 kHz,
    –45200 at 96 kHz).

    carrier + doppler_band_hz(rate, carrier) + transition_hz(rate) ≤ rate / 2:
    every speed the engine reads is real signal below Nyquist, and what folds
    back from there (the real signal's mirror image; the carrier's lands
    2·(Nyquist − carrier) from it) stays two transitions clear of those speeds,
    the carrier's image in the demodulator's stop band.
    """
    room = audio_rate_hz / 2 - transition_hz(audio_rate_hz)
    per_hz = 2 * MAX_SPEED_MPS / speed_of_sound_mps()  # Doppler band per hertz of carrier
    top = room / (1.0 + per_hz)
    frame_edge_hz = audio_rate_hz / decimation_for(audio_rate_hz) / 2
    if per_hz * top > frame_edge_hz:  # there the frames' edge, not the speed, bounds the band
        top = room - frame_edge_hz
    return MIN_CARRIER_HZ, top


def check_carrier(audio_rate_hz: int, carrier_hz: float) -> None:
    """RateError unless a recording at this rate may hold this carrier (carrier_range_hz)."""
    check_audio_rate(audio_rate_hz)
    low, high = carrier_range_hz(audio_rate_hz)
    if not low <= carrier_hz <= high:
        raise RateError(
            f"carrier {carrier_hz:.0f} Hz is outside {describe_range(audio_rate_hz)} for {audio_rate_hz} Hz audio "
            "(from 17 kHz up to Nyquist less the Doppler band and the demodulator's transition)"
        )


def describe_range(audio_rate_hz: int) -> str:
    """carrier_range_hz in whole hertz that lie inside it: "17000–20236 Hz"."""
    low, high = carrier_range_hz(audio_rate_hz)
    return f"{math.ceil(low)}–{math.floor(high)} Hz"


def emission_limit_hz(audio_rate_hz: int) -> float:
    """The highest carrier our hardware may emit at this rate (calibration's sweep stays at or below it)."""
    return MAX_EMISSION_FRACTION * audio_rate_hz


def check_emission(audio_rate_hz: int, carrier_hz: float) -> None:
    """RateError unless our hardware may emit this carrier: from MIN_CARRIER_HZ to emission_limit_hz."""
    check_audio_rate(audio_rate_hz)
    if not MIN_CARRIER_HZ <= carrier_hz <= emission_limit_hz(audio_rate_hz):
        raise RateError(
            f"carrier {carrier_hz:.0f} Hz is outside {MIN_CARRIER_HZ:.0f}–{emission_limit_hz(audio_rate_hz):.0f} Hz, "
            f"what uspd emits at {audio_rate_hz} Hz (DAC and ADC filters roll off from 45 % of the rate)"
        )


def plan_baseband(audio_rate_hz: int, carrier_hz: float) -> BasebandPlan:
    """Decide decimation and frame sizes, or explain why the pair is unusable."""
    check_carrier(audio_rate_hz, carrier_hz)
    decimation = decimation_for(audio_rate_hz)
    baseband = audio_rate_hz / decimation
    bin_hz = 2 * BIN_SPEED_MPS * carrier_hz / speed_of_sound_mps()
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
