"""Audio sources: one interface for the simulated room, a recording, and a sound card.

A source yields blocks of microphone audio and takes the engine's emission
(carrier, level, on/off). ``open_source`` builds a sound card or a recording
from a plain ``SourceConfig`` (the simulated room is the simulator's:
``sim.source.open_source`` opens every backend); everything that can go wrong on the way is a
``SourceError`` with a stable ``reason`` key the integration translates, and
which says whether retrying can help and whether a person can fix it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from ..emission import Emission

Backend = Literal["simulated", "soundcard", "recording"]

# Whether a backend's sources hear what they are asked to emit (their `closed_loop`): only those can be
# calibrated; a recording's tone was decided when it was made.
CLOSED_LOOP: Mapping[Backend, bool] = {"simulated": True, "soundcard": True, "recording": False}

# Retrying cannot fix these: the configuration names something that does not exist.
PERMANENT_REASONS = frozenset({"unknown_backend", "unknown_scenario"})
# A person can act on these (install PortAudio, plug the card back in, free it, pick other settings), so they
# are worth telling someone about; other failures pass by themselves or are a recording's own.
REPAIRABLE_REASONS = frozenset(
    {"portaudio_missing", "device_not_found", "device_busy", "device_lost", "unsupported_rate", "unsupported_channels"}
)


def can_calibrate(backend: Backend) -> bool:
    """Whether sources of this backend can be calibrated: they are closed loop."""
    return CLOSED_LOOP[backend]


class SourceError(Exception):
    """A source cannot start or stopped working; ``reason`` is a stable key."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason

    @property
    def permanent(self) -> bool:
        """Whether retrying cannot help: the configuration itself is impossible."""
        return self.reason in PERMANENT_REASONS

    @property
    def repairable(self) -> bool:
        """Whether a person can act on it (the integration raises a repair issue for these)."""
        return self.reason in REPAIRABLE_REASONS


@dataclass(frozen=True)
class Block:
    """Either audio (samples × mics, float) or already-demodulated baseband (mics × samples).

    With baseband, ``audible`` is the audible band at the same rate (engine/demodulate.AudibleBand's), where the
    source has one: the simulated room does, a baseband recording does not.
    """

    audio: NDArray[np.float64] | None = None
    baseband: NDArray[np.complex128] | None = None
    audible: NDArray[np.float64] | None = None

    @property
    def duration_samples(self) -> int:
        """Samples per channel, at whichever rate the block holds."""
        if self.audio is not None:
            return int(self.audio.shape[0])
        assert self.baseband is not None
        return int(self.baseband.shape[1])


class AudioSource(Protocol):
    """What the engine reads audio from and sends its emission to."""

    audio_rate_hz: int
    channels: int
    carrier_hz: float
    # True when reads block on real time (a sound card); False when a source
    # produces as fast as asked (simulation, files) and the worker paces it.
    hardware_paced: bool
    block_seconds: float
    # Whether what it is asked to emit reaches what it captures (a recording
    # cannot play a different tone): calibration needs it (CLOSED_LOOP per backend).
    closed_loop: bool
    # Over- and underruns so far: blocks a sound card lost; 0 where nothing can overrun.
    xruns: int

    def read(self) -> Block | None:
        """The next block, or None at the end of a finite source."""

    def set_emission(self, emission: Emission) -> None:
        """Play this tone from now on (a recording ignores it)."""

    def ground_truth(self) -> str | None:
        """What the source knows the room holds now, in plain words (a simulation's script), or None."""

    def calibration_twin(self) -> AudioSource:
        """The source a calibration sweep plays on: itself, or a copy whose script the sweep leaves where it is."""

    def close(self) -> None:
        """Release the device or file."""


@dataclass(frozen=True)
class SourceConfig:
    """Which source to open, and how."""

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
