"""A source that passes everything on to the one it wraps: the base of the lab's timed and faulty sources."""

from __future__ import annotations

from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.engine.sources import AudioSource, Block


class WrappedSource:
    """An AudioSource that is its `inner` source; subclasses change the reads they care about."""

    def __init__(self, inner: AudioSource) -> None:
        self.inner = inner
        self.audio_rate_hz = inner.audio_rate_hz
        self.channels = inner.channels
        self.hardware_paced = inner.hardware_paced
        self.block_seconds = inner.block_seconds
        self.closed_loop = inner.closed_loop
        self.xruns = inner.xruns

    @property
    def carrier_hz(self) -> float:
        """The carrier the wrapped source emits."""
        return self.inner.carrier_hz

    @carrier_hz.setter
    def carrier_hz(self, value: float) -> None:
        self.inner.carrier_hz = value

    def read(self) -> Block | None:
        """The wrapped source's next block."""
        return self.inner.read()

    def set_emission(self, emission: Emission) -> None:
        """Pass the tone on."""
        self.inner.set_emission(emission)

    def ground_truth(self) -> str | None:
        """What the wrapped room holds now."""
        return self.inner.ground_truth()

    def calibration_twin(self) -> AudioSource:
        """The wrapped source's own twin."""
        return self.inner.calibration_twin()

    def close(self) -> None:
        """Close the wrapped source."""
        self.inner.close()
