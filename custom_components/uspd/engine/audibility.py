"""Whether a source senses with a tone some people hear: calibration's line, and the rates that leave no other."""

from __future__ import annotations

from .calibration import AUDIBLE_BELOW_HZ, Calibration
from .rates import emission_limit_hz
from .sources import SourceConfig


def audible(carrier_hz: float) -> bool:
    """Whether some people hear a tone at this carrier (near-ultrasound, below AUDIBLE_BELOW_HZ)."""
    return carrier_hz < AUDIBLE_BELOW_HZ


def only_audible_carriers(audio_rate_hz: int) -> bool:
    """Whether every carrier the hardware may emit at this rate is audible (44.1 and 48 kHz; not 96 kHz)."""
    return audible(emission_limit_hz(audio_rate_hz))


def senses_audibly(config: SourceConfig, calibration: Calibration | None) -> bool:
    """Whether this source senses with an audible tone: its calibration chose one, or its sound card has no other.

    Before a calibration, only a sound card's configured rate tells (a simulated room's rate is its scene's).
    """
    if calibration is not None and calibration.near_ultrasonic:
        return True
    return config.backend == "soundcard" and only_audible_carriers(config.audio_rate_hz)
