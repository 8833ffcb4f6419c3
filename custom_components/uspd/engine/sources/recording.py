"""Replay of a multi-channel WAV recording (any rate >= 44.1 kHz), optionally looped."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from ...base.wav import WavError, WavReader
from ..carrier import NoCarrierError, detect_carrier
from ..emission import Emission
from ..pipeline import finite_samples
from ..rates import RateError, check_audio_rate, check_mics, plan_baseband
from . import CLOSED_LOOP, Block, SourceConfig, SourceError

BLOCK_S = 0.05
CARRIER_SEARCH_S = 2.0


class Recording:
    """A WAV file as a source: its tone and level were decided when it was made."""

    hardware_paced = False
    block_seconds = BLOCK_S
    closed_loop = CLOSED_LOOP["recording"]
    xruns = 0  # a file cannot overrun

    def __init__(self, config: SourceConfig) -> None:
        self.path = config.path
        self.loop = config.loop
        self._file: BinaryIO | None = None
        reader = self._open()
        fmt = reader.format
        self.audio_rate_hz = fmt.rate_hz
        self.channels = fmt.channels
        try:
            check_audio_rate(fmt.rate_hz)
            check_mics(fmt.channels)
        except RateError as err:
            self.close()
            raise SourceError("invalid_recording", f"{self.path}: {err}") from err
        try:
            head = reader.read(int(CARRIER_SEARCH_S * fmt.rate_hz))
            # NaN or Inf samples (the engine replaces them) must not hide the tone.
            self.carrier_hz = detect_carrier(finite_samples(head)[0], fmt.rate_hz)
            plan_baseband(fmt.rate_hz, self.carrier_hz)
        except (NoCarrierError, RateError) as err:
            self.close()
            raise SourceError("no_carrier", f"{self.path}: {err}") from err
        self._reader = self._open()
        self._block = max(1, int(BLOCK_S * fmt.rate_hz))

    def _open(self) -> WavReader:
        self.close()
        try:
            mode = os.stat(self.path).st_mode  # noqa: PTH116 - as named: Path("") is "." and drops a trailing "/"
        except OSError as err:
            raise SourceError("file_not_found", f"cannot open {self.path}: {err.strerror}") from err
        if not stat.S_ISREG(mode):
            # A folder cannot be read, a FIFO or a device could block the worker for good.
            raise SourceError("not_a_file", f"{self.path} is not a regular file")
        try:
            self._file = Path(self.path).open("rb")  # noqa: SIM115 - held open while streaming
        except OSError as err:
            raise SourceError("file_not_found", f"cannot open {self.path}: {err.strerror}") from err
        try:
            return WavReader(self._file)
        except WavError as err:
            self.close()
            raise SourceError("invalid_recording", f"{self.path}: {err}") from err

    def set_emission(self, emission: Emission) -> None:
        """A recording's emission was decided when it was made."""

    def ground_truth(self) -> str | None:
        """Nobody scripted this room."""
        return None

    def calibration_twin(self) -> Recording:
        """Itself: it cannot be calibrated (not closed loop), and calibration says so."""
        return self

    def read(self) -> Block | None:
        """The next block, from the start again when looping; None at the end otherwise."""
        audio = self._reader.read(self._block)
        if len(audio) == 0 and self.loop:
            self._reader = self._open()
            audio = self._reader.read(self._block)
            if len(audio) == 0:
                # Truncated or replaced while playing: a fault to report, not an end that keeps the last state.
                raise SourceError("no_audio", f"{self.path}: the recording yields no audio")
        return Block(audio=audio) if len(audio) else None

    def close(self) -> None:
        """Close the file (it is reopened to loop)."""
        if self._file is not None:
            self._file.close()
            self._file = None
