"""Baseband recordings for debugging and model improvement: never audible-band audio.

What is captured is the demodulated complex baseband (±2 kHz around the
carrier, the audible band already gone), saved in the labelled-recording
format as a 32-bit float WAV whose channels are I and Q of each mic in turn
(mic 0 I, mic 0 Q, mic 1 I, …) at the baseband rate, with a JSON beside it
whose "baseband" entry says so. uspd.record streams it to disk as the engine
makes it (RecordingCapture): one block in memory, whatever the duration.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import shutil
import tempfile
import threading
from abc import ABC, abstractmethod
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
from numpy.typing import NDArray

from ..base.labelled import LabelledRecording, MotionLabel, Span, write_labels
from ..base.wav import WavWriter

MAX_SECONDS = 600.0
# Room for the WAV's header and the labels beside it.
OVERHEAD_BYTES = 64 * 1024
Label = Literal["minor", "major", "empty"]


class RecordingAborted(Exception):
    """The recording cannot be completed: the engine stopped (or a calibration started: AbortedByCalibration)."""


class AbortedByCalibration(RecordingAborted):
    """A calibration started while the recording ran: the rest would be at another carrier, under the same label."""


def fail_future(future: Future[Any], error: BaseException) -> None:
    """Fail `future` unless it has already ended (its waiter may cancel it at any time)."""
    with contextlib.suppress(InvalidStateError):
        future.set_exception(error)


def resolve_future[T](future: Future[T], value: T) -> None:
    """Resolve `future` unless it has already ended (its waiter may cancel it at any time)."""
    with contextlib.suppress(InvalidStateError):
        future.set_result(value)


def capture_samples(seconds: float, rate_hz: float) -> int:
    """Baseband samples in `seconds` at `rate_hz`: what a capture takes."""
    return max(1, round(seconds * rate_hz))


def recording_bytes(seconds: float, mics: int, rate_hz: float) -> int:
    """What a recording takes on disk: float32 I and Q per mic, plus the header and the labels."""
    return capture_samples(seconds, rate_hz) * 2 * mics * 4 + OVERHEAD_BYTES


class BasebandCapture[T](ABC):
    """The next `seconds` of baseband, fed block by block by the worker thread; `future` hands the result over.

    Its Future ends whatever happens: with the result, with why it could not
    be made (an OSError, RecordingAborted), or cancelled by its waiter, in
    which case what was kept is dropped at the next block or abort. A
    capture that fails never fails the worker that feeds it.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.future: Future[T] = Future()
        self._mics = 0
        self._samples = 0  # decided by the first block's rate
        self._have = 0
        self._taking = True
        # feed (the worker thread) against abort (any thread).
        self._lock = threading.Lock()

    def feed(self, baseband: NDArray[np.complexfloating], rate_hz: float, carrier_hz: float) -> bool:
        """Take a (mics, n) block; True once the capture takes no more (complete, failed, or its waiter gone)."""
        with self._lock:
            if self._taking and self.future.done():
                self._end(None)  # its waiter gave up
            if not self._taking:
                return True
            try:
                if not self._add(baseband, rate_hz, carrier_hz):
                    return False
                self._taking = False
                if not self.future.set_running_or_notify_cancel():
                    self._discard()  # cancelled at the last block: nobody takes the result
                    return True
                result = self._finish()
            except Exception as err:  # noqa: BLE001 - whatever fails ends the capture, never the worker feeding it
                self._end(err)
                return True
        resolve_future(self.future, result)
        return True

    def _add(self, baseband: NDArray[np.complexfloating], rate_hz: float, carrier_hz: float) -> bool:
        """Keep what the capture still needs of the block; True once every sample is in."""
        if self._samples == 0:
            self._mics, self._samples = baseband.shape[0], capture_samples(self.seconds, rate_hz)
            self._start(self._mics, self._samples, rate_hz, carrier_hz)
        elif baseband.shape[0] != self._mics:
            raise RecordingAborted("the audio source's microphones changed during the recording")
        take = min(baseband.shape[1], self._samples - self._have)
        self._take(baseband[:, :take], self._have)
        self._have += take
        return self._have == self._samples

    def abort(self, error: RecordingAborted) -> None:
        """Fail the capture and drop what it kept, unless it already ended (or has all its samples)."""
        with self._lock:
            if self._taking:
                self._end(error)

    def _end(self, error: BaseException | None) -> None:
        """Take no more, drop what was kept, then fail the Future with `error` (None: its waiter already left)."""
        self._taking = False
        self._discard()
        if error is not None:
            fail_future(self.future, error)

    @abstractmethod
    def _start(self, mics: int, samples: int, rate_hz: float, carrier_hz: float) -> None:
        """Prepare for `samples` of `mics` channels (the first block); OSError if it cannot."""

    @abstractmethod
    def _take(self, block: NDArray[np.complexfloating], at: int) -> None:
        """Keep a block that starts `at` samples in; OSError if it cannot."""

    @abstractmethod
    def _finish(self) -> T:
        """Every sample is in: the result; OSError if it cannot be made."""

    @abstractmethod
    def _discard(self) -> None:
        """Drop whatever was kept (after an error, an abort or a cancel); never raises."""


@dataclass(frozen=True)
class BasebandClip:
    """Complex baseband captured from the running engine, with the rate and carrier it was taken at."""

    baseband: NDArray[np.complexfloating]  # (mics, samples), complex64 as captured
    rate_hz: float
    carrier_hz: float


class ClipCapture(BasebandCapture[BasebandClip]):
    """A clip in memory, one complex64 array (tests and tools); uspd.record streams to disk instead."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self._clip: NDArray[np.complex64] | None = None
        self._rate_hz = self._carrier_hz = 0.0

    def _start(self, mics: int, samples: int, rate_hz: float, carrier_hz: float) -> None:
        self._clip = np.empty((mics, samples), dtype=np.complex64)
        self._rate_hz, self._carrier_hz = rate_hz, carrier_hz

    def _take(self, block: NDArray[np.complexfloating], at: int) -> None:
        assert self._clip is not None
        self._clip[:, at : at + block.shape[1]] = block

    def _finish(self) -> BasebandClip:
        assert self._clip is not None
        return BasebandClip(self._clip, self._rate_hz, self._carrier_hz)

    def _discard(self) -> None:
        self._clip = None


class RecordingCapture(BasebandCapture[Path]):
    """A labelled recording streamed to disk as the blocks come; the Future gives the WAV's final path.

    The first block opens the WAV in a staging folder beside its final place;
    each block is appended as float32 I/Q frames; the last puts the header's
    sizes right, syncs the file, writes the labels beside it and links both
    into place (the WAV first, the labels last, never over another file:
    STEM, STEM-2, …). An OSError (the disk full, `max_bytes` exceeded), an
    abort or a cancel removes the staging folder before the Future fails:
    nothing half-written is ever left. Blocks come in the worker thread: the
    disk is never touched on an event loop.
    """

    def __init__(
        self, seconds: float, folder: Path, stem: str, label: Label | None, *, scene: str | None, max_bytes: int
    ) -> None:
        super().__init__(seconds)
        self.folder = folder
        self.stem = stem
        self.label = label
        self.scene = scene
        self.max_bytes = max_bytes  # the free space checked before recording: never more is written
        self._staging: Path | None = None
        self._staged: Path | None = None  # the WAV in the staging folder
        self._file: IO[bytes] | None = None
        self._wav: WavWriter | None = None
        self._rate_hz = self._carrier_hz = 0.0

    def _start(self, mics: int, samples: int, rate_hz: float, carrier_hz: float) -> None:
        need = samples * 2 * mics * 4 + OVERHEAD_BYTES
        if need > self.max_bytes:
            raise OSError(
                errno.ENOSPC,
                f"the recording needs {need / 1e6:.1f} MB, more than the {self.max_bytes / 1e6:.1f} MB checked free",
            )
        self._rate_hz, self._carrier_hz = rate_hz, carrier_hz
        self.folder.mkdir(parents=True, exist_ok=True)
        self._staging = Path(tempfile.mkdtemp(prefix=".recording-", dir=self.folder))
        self._staged = self._staging / f"{self.stem}.wav"
        self._file = self._staged.open("wb")
        self._wav = WavWriter(self._file, round(rate_hz), 2 * mics, float32=True)

    def _take(self, block: NDArray[np.complexfloating], at: int) -> None:
        assert self._wav is not None
        frames = np.empty((block.shape[1], 2 * block.shape[0]), dtype="<f4")
        frames[:, 0::2] = block.real.T
        frames[:, 1::2] = block.imag.T
        self._wav.write(frames)

    def _finish(self) -> Path:
        assert self._wav is not None
        assert self._file is not None
        assert self._staging is not None
        assert self._staged is not None
        self._wav.finish()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        write_labels(self._staged, self._labels())
        try:
            return _link_into_place(self._staged, self.folder, self.stem)
        finally:
            shutil.rmtree(self._staging, ignore_errors=True)

    def _discard(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
        self._file = self._wav = None
        self._staging = self._staged = None

    def _labels(self) -> LabelledRecording:
        """The labels file: `label` covers the whole recording ("empty": nobody)."""
        duration = self._samples / self._rate_hz
        motion: Literal["major", "minor"] | None = (
            "minor" if self.label == "minor" else "major" if self.label == "major" else None
        )
        return LabelledRecording(
            fs=round(self._rate_hz),
            carrier_hz=self._carrier_hz,
            labels=(MotionLabel(0.0, duration, motion),) if motion is not None else (),
            occupied=(Span(0.0, duration),) if motion is not None else (),
            scene=self.scene,
            extra={
                "baseband": {"layout": "iq", "mics": self._mics, "rate_hz": self._rate_hz},
                "label": self.label or "unlabelled",
            },
        )


def _link_into_place(staged: Path, folder: Path, stem: str) -> Path:
    """Link the staged WAV, then its labels, under a name no recording has yet (STEM, STEM-2, …).

    A link never replaces an existing file; a reader who finds the labels
    finds a whole WAV. If the labels cannot be linked the WAV is unlinked and
    the OSError raised.
    """
    for n in itertools.count(1):
        wav = folder / (f"{stem}.wav" if n == 1 else f"{stem}-{n}.wav")
        if wav.with_suffix(".json").exists():
            continue
        try:
            os.link(staged, wav)
        except FileExistsError:
            continue
        try:
            os.link(staged.with_suffix(".json"), wav.with_suffix(".json"))
        except BaseException:
            wav.unlink(missing_ok=True)
            raise
        return wav
    raise AssertionError("unreachable")  # pragma: no cover - itertools.count never ends
