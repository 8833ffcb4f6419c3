"""Baseband recordings for debugging and model improvement: never audible-band audio.

What is captured is the demodulated complex baseband (±2 kHz around the
carrier, the audible band already gone), saved in the labelled-recording
format as a 32-bit float WAV whose channels are I and Q of each mic in turn
(mic 0 I, mic 0 Q, mic 1 I, …) at the baseband rate, with a JSON beside it
whose "baseband" entry says so.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import tempfile
import threading
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from ..base.labelled import LabelledRecording, MotionLabel, Span, write_labels
from ..base.wav import write_wav

MAX_SECONDS = 600.0
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


@dataclass(frozen=True)
class BasebandClip:
    """Complex baseband captured from the running engine, with the rate and carrier it was taken at."""

    baseband: NDArray[np.complexfloating]  # (mics, samples), complex64 as captured
    rate_hz: float
    carrier_hz: float


class BasebandCapture:
    """Collects the next `samples` of baseband; the worker feeds it, a Future hands the clip over."""

    def __init__(self, samples: int) -> None:
        self.samples = samples
        self.future: Future[BasebandClip] = Future()
        # complex64, allocated once at the first block: what the file keeps (float32 I/Q), no copies to join.
        self._clip: NDArray[np.complex64] | None = None
        self._have = 0
        self._lock = threading.Lock()

    def feed(self, baseband: NDArray[np.complex128], rate_hz: float, carrier_hz: float) -> bool:
        """Add a block; True once complete (the future is then resolved)."""
        with self._lock:
            if self.future.done():
                return True
            if self._clip is None:
                self._clip = np.empty((baseband.shape[0], self.samples), dtype=np.complex64)
            take = min(baseband.shape[1], self.samples - self._have)
            self._clip[:, self._have : self._have + take] = baseband[:, :take]
            self._have += take
            if self._have < self.samples:
                return False
            clip = self._clip
        resolve_future(self.future, BasebandClip(clip, rate_hz, carrier_hz))
        return True

    def abort(self, error: RecordingAborted) -> None:
        """Fail the recording (nothing happens if it already ended, or its waiter cancelled it)."""
        fail_future(self.future, error)


def recording_bytes(seconds: float, mics: int, rate_hz: float) -> int:
    """What a recording takes on disk: float32 I and Q per mic, plus the header and the labels."""
    return int(seconds * rate_hz) * 2 * mics * 4 + 64 * 1024


def save_baseband_recording(
    folder: Path, stem: str, clip: BasebandClip, label: Label | None, scene: str | None = None
) -> Path:
    """Save under a name no recording has yet (STEM, STEM-2, …); never half a recording, never over another.

    Both files are written to a temporary folder beside the final place, then
    linked into it (a link never replaces an existing file), the WAV first
    and the labels last: a reader who finds the labels finds a whole WAV. On
    any error nothing is left behind and the OSError is raised.
    """
    folder.mkdir(parents=True, exist_ok=True)
    need = recording_bytes(clip.baseband.shape[1] / clip.rate_hz, clip.baseband.shape[0], clip.rate_hz)
    free = shutil.disk_usage(folder).free
    if free < need:
        raise OSError(28, f"{need // 1_000_000} MB needed, {free // 1_000_000} MB free", str(folder))
    staging = Path(tempfile.mkdtemp(prefix=".recording-", dir=folder))
    try:
        staged = write_baseband_recording(staging / f"{stem}.wav", clip, label, scene)
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
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_baseband_recording(wav: Path, clip: BasebandClip, label: Label | None, scene: str | None = None) -> Path:
    """Write the clip as a labelled baseband recording; `label` covers the whole clip ("empty": nobody)."""
    mics, n = clip.baseband.shape
    iq = np.empty((n, 2 * mics), dtype=np.float32)
    iq[:, 0::2] = clip.baseband.real.T
    iq[:, 1::2] = clip.baseband.imag.T
    rate = round(clip.rate_hz)
    write_wav(str(wav), iq, rate, float32=True)
    duration = n / clip.rate_hz
    labels: tuple[MotionLabel, ...] = ()
    occupied: tuple[Span, ...] = ()
    motion: Literal["major", "minor"] | None = "minor" if label == "minor" else "major" if label == "major" else None
    if motion is not None:
        labels = (MotionLabel(0.0, duration, motion),)
        occupied = (Span(0.0, duration),)
    write_labels(
        wav,
        LabelledRecording(
            fs=rate,
            carrier_hz=clip.carrier_hz,
            labels=labels,
            occupied=occupied,
            scene=scene,
            extra={"baseband": {"layout": "iq", "mics": mics, "rate_hz": clip.rate_hz}, "label": label or "unlabelled"},
        ),
    )
    return wav
