"""What the engine asks the loudspeaker to emit (the simulator takes the same, closing the loop)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Emission:
    carrier_hz: float = 40000.0
    level: float = 0.5  # amplitude of the emitted tone, digital full scale = 1
    on: bool = True
