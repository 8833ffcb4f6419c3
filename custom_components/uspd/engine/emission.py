"""What the engine asks the loudspeaker to emit (the simulator takes the same, closing the loop)."""

from __future__ import annotations

from dataclasses import dataclass

# Amplitude of the tone before calibration has chosen one (digital full scale = 1).
DEFAULT_LEVEL = 0.5


@dataclass(frozen=True)
class Emission:
    """The tone to play: its carrier, its amplitude, and whether it plays at all."""

    carrier_hz: float = 40000.0
    level: float = DEFAULT_LEVEL  # amplitude of the emitted tone, digital full scale = 1
    on: bool = True
