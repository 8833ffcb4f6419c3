"""uspd.record's capture: streamed to disk in bounded memory, files saved whole or not at all."""

from __future__ import annotations

import errno
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any
from unittest.mock import patch

import numpy as np
import pytest
from numpy.typing import NDArray

from custom_components.uspd.base.labelled import read_labels
from custom_components.uspd.base.wav import WavReader, WavWriter
from custom_components.uspd.engine.detector import DetectorConfig
from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.engine.recorder import (
    AbortedByCalibration,
    ClipCapture,
    RecordingAborted,
    RecordingCapture,
    recording_bytes,
)
from custom_components.uspd.engine.session import Snapshot
from custom_components.uspd.engine.sources import Block, SourceConfig, SourceError
from custom_components.uspd.engine.worker import EngineWorker

from ..helpers import peak_bytes

RATE_HZ = 44100 / 11  # a baseband rate that is not a whole number (44.1 kHz audio)
CARRIER_HZ = 20000.0


def _blocks(mics: int, sizes: list[int], seed: int = 3) -> list[NDArray[np.complex128]]:
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(mics, n)) + 1j * rng.normal(size=(mics, n)) for n in sizes]


def _recording(folder: Path, seconds: float, mics: int, stem: str = "rec", **kwargs: Any) -> RecordingCapture:
    """A recording of `seconds` allowed exactly the space it needs (what uspd.record checks)."""
    kwargs.setdefault("max_bytes", recording_bytes(seconds, mics, RATE_HZ))
    return RecordingCapture(seconds, folder, stem, "minor", scene="Office", **kwargs)


def _read(wav: Path) -> NDArray[np.complex128]:
    """A baseband recording's I/Q as (mics, samples) complex."""
    with wav.open("rb") as f:
        reader = WavReader(f)
        iq = reader.read(reader.format.frames or 0)
    return (iq[:, 0::2] + 1j * iq[:, 1::2]).T


@pytest.fixture
def failing_writes() -> Iterator[Callable[[int], None]]:
    """Make the WAV writer's block writes fail with ENOSPC after `n` succeed (half a block written first)."""
    original = WavWriter.write
    allowed = {"n": 1 << 30}

    def write(self: WavWriter, audio: NDArray[np.floating]) -> None:
        if allowed["n"] == 0:
            original(self, audio[: len(audio) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        allowed["n"] -= 1
        original(self, audio)

    with patch.object(WavWriter, "write", write):
        yield lambda n: allowed.update(n=n)


def test_a_clip_capture_holds_complex64_in_one_array_whatever_the_blocks() -> None:
    """capture_baseband's clip, for tests and tools: the values kept, nothing past the length taken."""
    blocks = _blocks(8, [200, 333, 1000])
    capture = ClipCapture(0.3)
    done = [capture.feed(b, 4000.0, 40000.0) for b in blocks]
    assert done == [False, False, True]
    clip = capture.future.result(timeout=0)
    assert clip.baseband.dtype == np.complex64
    assert clip.baseband.nbytes == 8 * 1200 * 8
    expected = np.concatenate(blocks, axis=1)[:, :1200].astype(np.complex64)
    assert np.array_equal(clip.baseband, expected)
    assert capture.feed(blocks[0], 4000.0, 40000.0)  # complete: nothing more is taken


def test_the_space_a_recording_needs_is_its_float32_i_and_q() -> None:
    """What the free-space check asks for: 600 s of 8 mics at 4 kHz is 154 MB, plus a little."""
    assert recording_bytes(600.0, 8, 4000.0) == 600 * 4000 * 2 * 8 * 4 + 64 * 1024


def test_a_recording_reads_back_bit_equal_to_what_was_fed_and_labelled(tmp_path: Path) -> None:
    blocks = _blocks(3, [500, 1, 2999, 4000])
    recording = _recording(tmp_path / "recordings", 1.5, 3)
    done = [recording.feed(b, RATE_HZ, CARRIER_HZ) for b in blocks]
    assert done == [False, False, False, True]
    wav = recording.future.result(timeout=0)
    assert wav == tmp_path / "recordings" / "rec.wav"
    samples = round(1.5 * RATE_HZ)
    expected = np.concatenate(blocks, axis=1)[:, :samples].astype(np.complex64)
    assert np.array_equal(_read(wav), expected)
    with wav.open("rb") as f:
        fmt = WavReader(f).format
    assert (fmt.rate_hz, fmt.channels, fmt.bits, fmt.is_float, fmt.frames) == (4009, 6, 32, True, samples)
    rec = read_labels(wav)
    assert (rec.fs, rec.carrier_hz, rec.scene) == (4009, CARRIER_HZ, "Office")
    assert [(lab.start, lab.end, lab.motion) for lab in rec.labels] == [(0.0, samples / RATE_HZ, "minor")]
    assert rec.extra["baseband"] == {"layout": "iq", "mics": 3, "rate_hz": RATE_HZ}
    assert sorted(p.name for p in wav.parent.iterdir()) == ["rec.json", "rec.wav"]  # no staging folder left


def test_a_long_recording_holds_a_block_in_memory_not_the_clip(tmp_path: Path) -> None:
    """120 s of 8 mics is 30.7 MB as complex64 (and 123 MB at the peak when it was kept whole, then saved)."""
    block = _blocks(8, [2000])[0]  # 0.5 s at 4 kHz, fed over and over
    recording = RecordingCapture(120.0, tmp_path, "long", None, scene=None, max_bytes=recording_bytes(120.0, 8, 4000))

    def record() -> None:
        while not recording.feed(block, 4000.0, CARRIER_HZ):
            pass

    peak, error = peak_bytes(record)
    assert error is None
    wav = recording.future.result(timeout=0)
    assert wav.stat().st_size == 44 + 120 * 4000 * 16 * 4
    clip_bytes = 120 * 4000 * 8 * 8
    assert peak < 1_000_000, f"{peak / 1e6:.1f} MB held for a {clip_bytes / 1e6:.1f} MB clip"


def test_a_disk_that_fills_mid_recording_leaves_nothing_and_says_why(
    tmp_path: Path, failing_writes: Callable[[int], None]
) -> None:
    failing_writes(3)
    recording = _recording(tmp_path, 2.0, 2)
    blocks = _blocks(2, [1000] * 8)
    done = [recording.feed(b, RATE_HZ, CARRIER_HZ) for b in blocks[:4]]
    assert done == [False, False, False, True]  # the fourth write failed: it takes no more
    with pytest.raises(OSError, match="No space left on device") as err:
        recording.future.result(timeout=0)
    assert err.value.errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []  # no half-written WAV, no labels, no staging folder
    assert recording.feed(blocks[4], RATE_HZ, CARRIER_HZ)


def test_a_recording_larger_than_the_space_checked_stops_at_its_first_block(tmp_path: Path) -> None:
    """The check before recording allowed for 2 mics; 8 come: refused at once, not when the disk is full."""
    recording = _recording(tmp_path / "recordings", 60.0, 8, max_bytes=recording_bytes(60.0, 2, RATE_HZ))
    assert recording.feed(_blocks(8, [100])[0], RATE_HZ, CARRIER_HZ)
    with pytest.raises(OSError, match=r"needs 15.5 MB, more than the 3.9 MB checked free") as err:
        recording.future.result(timeout=0)
    assert err.value.errno == errno.ENOSPC
    assert not (tmp_path / "recordings").exists()


@pytest.mark.parametrize(
    "error", [AbortedByCalibration("a calibration started"), RecordingAborted("the engine stopped")]
)
def test_an_aborted_recording_leaves_nothing(tmp_path: Path, error: RecordingAborted) -> None:
    recording = _recording(tmp_path, 2.0, 2)
    for block in _blocks(2, [1000] * 3):
        assert not recording.feed(block, RATE_HZ, CARRIER_HZ)
    recording.abort(error)
    with pytest.raises(type(error)):
        recording.future.result(timeout=0)
    assert list(tmp_path.iterdir()) == []
    assert recording.feed(_blocks(2, [1000])[0], RATE_HZ, CARRIER_HZ)  # takes no more
    assert list(tmp_path.iterdir()) == []


def test_a_recording_whose_waiter_gave_up_is_removed_at_the_next_block(tmp_path: Path) -> None:
    recording = _recording(tmp_path, 2.0, 2)
    assert not recording.feed(_blocks(2, [1000])[0], RATE_HZ, CARRIER_HZ)
    assert recording.future.cancel()  # the action timed out
    assert recording.feed(_blocks(2, [1000])[0], RATE_HZ, CARRIER_HZ)
    with pytest.raises(CancelledError):
        recording.future.result(timeout=0)
    assert list(tmp_path.iterdir()) == []


def test_an_abort_after_the_last_block_keeps_the_recording(tmp_path: Path) -> None:
    """A stop that races the end: all the samples are in, the recording is whole and kept."""
    recording = _recording(tmp_path, 0.25, 1)
    assert recording.feed(_blocks(1, [2000])[0], RATE_HZ, CARRIER_HZ)
    recording.abort(RecordingAborted("the engine stopped"))
    assert recording.future.result(timeout=0).exists()


def test_recordings_of_one_second_get_stem_stem_2_and_stem_3_and_none_is_overwritten(tmp_path: Path) -> None:
    paths = []
    for seed in range(3):
        recording = _recording(tmp_path, 0.25, 1, stem="office-20260101T120000")
        assert recording.feed(_blocks(1, [2000], seed=seed)[0], RATE_HZ, CARRIER_HZ)
        paths.append(recording.future.result(timeout=0))
    assert [p.name for p in paths] == [
        "office-20260101T120000.wav",
        "office-20260101T120000-2.wav",
        "office-20260101T120000-3.wav",
    ]
    for seed, wav in enumerate(paths):
        assert np.array_equal(_read(wav), _blocks(1, [2000], seed=seed)[0][:, :1002].astype(np.complex64))
        assert read_labels(wav).fs == 4009
    assert len(list(tmp_path.iterdir())) == 6


class _Baseband:
    """A 2-mic device that delivers a static echo in noise for ever, already demodulated (no pacing, no sweep)."""

    audio_rate_hz = 96000
    channels = 2
    carrier_hz = 40000.0
    hardware_paced = True
    block_seconds = 0.05
    closed_loop = False
    xruns = 0

    def __init__(self) -> None:
        self._rng = np.random.default_rng(5)

    def read(self) -> Block:
        """0.05 s of baseband at 4 kHz."""
        noise: NDArray[np.complex128] = self._rng.normal(0, 1e-4, (2, 200)) + 1j * self._rng.normal(0, 1e-4, (2, 200))
        return Block(baseband=0.05 + noise)

    def set_emission(self, emission: Emission) -> None:
        """Nothing to play."""

    def ground_truth(self) -> str | None:
        """A device does not know the room."""
        return None

    def calibration_twin(self) -> _Baseband:
        """Itself (never swept: not closed-loop)."""
        return self

    def close(self) -> None:
        """Nothing to let go."""


def test_a_failing_disk_ends_the_recording_never_the_engine(
    tmp_path: Path, failing_writes: Callable[[int], None]
) -> None:
    """Through the real worker thread: the recording fails with the OS's reason, sensing goes on."""
    snapshots: list[Snapshot] = []
    errors: list[SourceError] = []
    more = threading.Event()

    def published(snapshot: Snapshot) -> None:
        snapshots.append(snapshot)
        more.set()

    worker = EngineWorker(
        SourceConfig(),
        DetectorConfig(),
        published,
        errors.append,
        opener=lambda _c: _Baseband(),
        power_save=False,
        publish_s=0.1,
    )
    worker.start()
    try:
        saved = worker.capture(RecordingCapture(0.5, tmp_path, "ok", None, scene=None, max_bytes=1 << 20))
        assert saved.result(timeout=20).exists()
        failing_writes(2)
        failed = worker.capture(RecordingCapture(5.0, tmp_path, "full", None, scene=None, max_bytes=1 << 20))
        with pytest.raises(OSError, match="No space left on device"):
            failed.result(timeout=20)
        seen = len(snapshots)
        for _ in range(3):  # the engine still senses and publishes
            more.clear()
            assert more.wait(20)
        assert len(snapshots) > seen
    finally:
        worker.stop()
    assert errors == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.json", "ok.wav"]
