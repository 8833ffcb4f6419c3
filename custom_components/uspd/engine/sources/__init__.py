"""Audio sources: one interface for the simulated room, a recording, and a sound card.

A source yields blocks of microphone audio and takes the engine's emission
(carrier, level, on/off). ``open_source`` builds a sound card or a recording
from a plain ``SourceConfig`` (the simulated room is the simulator's:
``sim.source.open_source`` opens every backend); everything that can go wrong on the way is a
``SourceError`` with a stable ``reason`` key the integration translates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from ..emission import Emission

Backend = Literal["simulated", "soundcard", "recording"]


class SourceError(Exception):
    """A source cannot start or stopped working; ``reason`` is a stable key."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Block:
    """Either audio (samples × mics, float) or already-demodulated baseband (mics × samples)."""

    audio: NDArray[np.float64] | None = None
    baseband: NDArray[np.complex128] | None = None

    @property
    def duration_samples(self) -> int:
        if self.audio is not None:
            return int(self.audio.shape[0])
        assert self.baseband is not None
        return int(self.baseband.shape[1])


class AudioSource(Protocol):
    audio_rate_hz: int
    channels: int
    carrier_hz: float
    # True when reads block on real time (a sound card); False when a source
    # produces as fast as asked (simulation, files) and the worker paces it.
    hardware_paced: bool
    block_seconds: float
    # Whether what it is asked to emit reaches what it captures (a recording
    # cannot play a different tone): calibration needs it.
    closed_loop: bool

    def read(self) -> Block | None:
        """The next block, or None at the end of a finite source."""

    def set_emission(self, emission: Emission) -> None: ...

    def ground_truth(self) -> str | None:
        """What the source knows the room holds now, in plain words (a simulation's script), or None."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class SourceConfig:
    backend: Backend = "simulated"
    scenario: str = "demo_loop"
    path: str = ""
    device: str = ""
    carrier_hz: float = 40000.0
    audio_rate_hz: int = 96000
    mics: int = 0  # sound card: capture channels; 0 picks from the device
    loop: bool = True
    baseband: bool = False  # simulated only: skip the passband render


def open_source(config: SourceConfig) -> AudioSource:
    """Open (and so test) a source; raises SourceError with a reason key."""
    if config.backend == "recording":
        from .recording import Recording

        return Recording(config)
    if config.backend == "soundcard":
        from .soundcard import SoundCard

        return SoundCard(config)
    if config.backend == "simulated":
        # The simulator sits above the engine: it opens its own (sim.source.open_source).
        raise SourceError("unknown_backend", "the simulated room is opened through the simulator")
    raise SourceError("unknown_backend", f"unknown backend {config.backend!r}")
