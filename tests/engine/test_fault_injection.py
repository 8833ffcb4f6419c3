"""Fault injection through the real worker and the real engine: what a broken device or stream does to sensing.

Each test wraps a real source (the simulated room, or a device that streams a
static tone) in `Faulty`, which blocks, raises or corrupts chosen reads, and
runs it through EngineWorker with the engine and the shipped classifier.
Rooms play with no pacing (a large speed); backoff waits are recorded by a
stop event that returns at once (`InstantStop`) or shortened by patching
BACKOFF_S, so the whole file runs in seconds. tests/engine/test_worker_faults.py
has the narrower cases (one future, one race); the sound server killed
mid-stream is tests/engine/test_soundcard.py's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError, Future
from contextlib import contextmanager
from typing import Any
from unittest.mock import patch

import numpy as np
import pytest
from numpy.typing import NDArray

from custom_components.uspd.engine.calibration import Calibration, CalibrationError
from custom_components.uspd.engine.classifier import Classifier
from custom_components.uspd.engine.detector import DetectorConfig
from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.engine.recorder import AbortedByCalibration, RecordingAborted
from custom_components.uspd.engine.sources import AudioSource, Block, SourceConfig, SourceError
from custom_components.uspd.engine.worker import BACKOFF_S, HEALTHY_AUDIO_S, EngineWorker, Snapshot
from custom_components.uspd.sim.source import open_source
from lab.wrapped_source import WrappedSource

FAST = 1e6  # playback speed: the simulated room as fast as it renders
WALK = SourceConfig(scenario="walk_in_and_leave", baseband=True)  # enters at 2 s, leaves 12–15 s, 20 s long
ENGINE_THREAD = "uspd-engine"


class Faulty(WrappedSource):
    """An AudioSource around `inner` whose reads `before` may block or raise, and `alter` may corrupt.

    Both get the number of the read (1, 2, …, counted per source); the twin a
    calibration sweeps on is wrapped too, with `twin_before` and `twin_alter`.
    """

    def __init__(
        self,
        inner: AudioSource,
        *,
        before: Callable[[int], None] | None = None,
        alter: Callable[[int, Block], Block] | None = None,
        twin_before: Callable[[int], None] | None = None,
        twin_alter: Callable[[int, Block], Block] | None = None,
    ) -> None:
        super().__init__(inner)
        self.before = before
        self.alter = alter
        self.twin_before = twin_before
        self.twin_alter = twin_alter
        self.reads = 0
        self.twins = 0  # calibration twins handed out: one per sweep
        self.closed = False

    def read(self) -> Block | None:
        """The wrapped source's next block, after `before` and through `alter`."""
        self.reads += 1
        if self.before is not None:
            self.before(self.reads)
        block = self.inner.read()
        if block is not None and self.alter is not None:
            block = self.alter(self.reads, block)
        return block

    def calibration_twin(self) -> AudioSource:
        """The wrapped source's twin, its reads through `twin_before` and `twin_alter`."""
        self.twins += 1
        return Faulty(self.inner.calibration_twin(), before=self.twin_before, alter=self.twin_alter)

    def close(self) -> None:
        """Close the wrapped source, and remember it was."""
        self.closed = True
        self.inner.close()


class ToneDevice:
    """A sound card stand-in: hardware-paced, 0.1 s blocks of a static tone in noise, already at baseband."""

    audio_rate_hz = 96000
    channels = 1
    hardware_paced = True  # the worker does not pace it: nothing waits on the clock
    block_seconds = 0.1
    closed_loop = True
    xruns = 0

    def __init__(self) -> None:
        self.carrier_hz = 40000.0
        self._rng = np.random.default_rng(5)

    def read(self) -> Block | None:
        """Another 0.1 s at 4 kHz baseband."""
        noise: NDArray[np.complex128] = self._rng.normal(0, 1e-4, (1, 400)) + 1j * self._rng.normal(0, 1e-4, (1, 400))
        return Block(baseband=0.05 + noise)

    def set_emission(self, emission: Emission) -> None:
        """A device plays what it is told; nothing to keep here."""

    def ground_truth(self) -> str | None:
        """A device does not know the room."""
        return None

    def calibration_twin(self) -> AudioSource:
        """Itself: a device sweeps on its own stream."""
        return self

    def close(self) -> None:
        """Nothing to release."""


class InstantStop(threading.Event):
    """A stop event whose waits return at once and are recorded: the backoff's schedule without its minutes."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        """Record the wait (the worker always gives one) and return whether stop was asked for."""
        assert timeout is not None
        self.waits.append(timeout)
        return self.is_set()


@contextmanager
def instant_waits() -> Iterator[list[InstantStop]]:
    """Workers built inside get an InstantStop as their stop event (the clock they wait on), listed here."""
    made: list[InstantStop] = []

    def event() -> InstantStop:
        made.append(InstantStop())
        return made[-1]

    with patch("custom_components.uspd.engine.worker.threading.Event", event):
        yield made


class Reports:
    """What a worker reported, each stamped with whether stop() had returned by then."""

    def __init__(self) -> None:
        self.snapshots: list[Snapshot] = []
        self.errors: list[SourceError] = []
        self.stopped = False  # set by the test once stop() has returned
        self.after_stop: list[object] = []
        self.lock = threading.Lock()
        self.errored = threading.Event()

    def snapshot(self, snapshot: Snapshot) -> None:
        """on_snapshot."""
        with self.lock:
            self.snapshots.append(snapshot)
            if self.stopped:
                self.after_stop.append(snapshot)

    def error(self, error: SourceError) -> None:
        """on_error."""
        with self.lock:
            self.errors.append(error)
            if self.stopped:
                self.after_stop.append(error)
        self.errored.set()

    def wait_for(self, predicate: Callable[[list[Snapshot]], bool], timeout_s: float = 20.0) -> None:
        """Until the snapshots so far satisfy `predicate`."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.lock:
                if predicate(self.snapshots):
                    return
            time.sleep(0.005)
        raise AssertionError("the worker never got there")


_CLASSIFIER: list[Classifier] = []
_WORKERS: list[EngineWorker] = []


@pytest.fixture(autouse=True)
def _stop_workers() -> Iterator[None]:
    """Stop every worker a test made, even one that failed half-way (no thread outlives its test)."""
    yield
    while _WORKERS:
        _WORKERS.pop().stop(1.0)


def shipped_classifier() -> Classifier:
    """The shipped model on the numpy executor (loaded once for the file)."""
    if not _CLASSIFIER:
        _CLASSIFIER.append(Classifier.load(prefer="numpy"))
    return _CLASSIFIER[0]


def make_worker(
    opener: Callable[[SourceConfig], AudioSource], reports: Reports, config: SourceConfig = WALK, **kwargs: Any
) -> EngineWorker:
    """A worker with the shipped classifier, publishing every frame, clearing 3 s after the room empties."""
    options: dict[str, Any] = {"speed": FAST, "publish_s": 0.0, "power_save": False}
    options.update(kwargs)
    if "classifier" not in options:
        options["classifier"] = shipped_classifier()
    worker = EngineWorker(config, DetectorConfig(hold_s=3.0), reports.snapshot, reports.error, opener=opener, **options)
    _WORKERS.append(worker)
    return worker


def start(worker: EngineWorker) -> threading.Thread:
    """Start the worker; its thread."""
    before = set(threading.enumerate())
    worker.start()
    (thread,) = [t for t in threading.enumerate() if t not in before and t.name == ENGINE_THREAD]
    return thread


def stop_within(worker: EngineWorker, reports: Reports, timeout_s: float) -> float:
    """Stop the worker with `timeout_s`; the seconds stop() took (reports after it are kept apart)."""
    began = time.monotonic()
    worker.stop(timeout_s)
    took = time.monotonic() - began
    with reports.lock:
        reports.stopped = True
    return took


def ended(future: Future[Any]) -> BaseException | None:
    """What `future` ended with (None for a result); fails the test if it has not ended."""
    assert future.done(), "a future handed out is still pending"
    if future.cancelled():
        return CancelledError()
    return future.exception(timeout=0)


def occupied_between(snapshots: list[Snapshot], start_s: float, end_s: float) -> bool:
    """Whether any snapshot in [start_s, end_s) of stream time says occupied."""
    return any(s.occupied for s in snapshots if start_s <= s.t_s < end_s)


# A device that opens but never streams.


@pytest.mark.parametrize("delivered", [0, 20], ids=["never-streams", "streams-2s"])
def test_a_device_whose_reads_time_out_backs_off_on_schedule_and_reports_each_time(delivered: int) -> None:
    """Each time it opens it gives `delivered` 0.1 s blocks, then its reads block and time out: 1/2/5/10/30 s."""
    opened: list[Faulty] = []
    reports = Reports()

    def stall(n: int) -> None:
        if n > delivered:  # 2 s at most, far less than HEALTHY_AUDIO_S
            time.sleep(0.01)  # the read blocks until its timeout, then says so
            raise SourceError("device_lost", "no audio from the device within the read timeout")

    def opener(_config: SourceConfig) -> AudioSource:
        opened.append(Faulty(ToneDevice(), before=stall))
        return opened[-1]

    classifier = shipped_classifier()  # loaded before the stop event is replaced
    with instant_waits() as stops:
        worker = make_worker(opener, reports, classifier=classifier)
    thread = start(worker)
    deadline = time.monotonic() + 20
    while len(reports.errors) < 7 and time.monotonic() < deadline:
        time.sleep(0.01)
    took = stop_within(worker, reports, 5.0)
    assert delivered * 0.1 < HEALTHY_AUDIO_S
    backoff = [w for w in stops[0].waits if w >= 1.0]  # the hardware-paced device is never paced
    assert backoff[:7] == [1.0, 2.0, 5.0, 10.0, 30.0, 30.0, 30.0]
    assert set(backoff) == set(BACKOFF_S)
    assert len(reports.errors) >= 7
    assert {e.reason for e in reports.errors} == {"device_lost"}
    assert bool(reports.snapshots) == bool(delivered)  # what audio it gave was sensed
    assert all(source.closed for source in opened[:-1])  # every failed device let go before the next open
    assert took < 2.0
    assert not thread.is_alive()


@pytest.mark.parametrize("then", ["audio", "error"])
def test_a_read_stuck_for_ever_never_hangs_stop_and_the_thread_reports_nothing_after_it(then: str) -> None:
    """A driver stuck in a read: stop() gives up on time, ends every future; what the read brings later reaches nobody.

    The entry is gone by then (its repair issues removed): a late error or snapshot must not raise them again.
    """
    stuck, release = threading.Event(), threading.Event()

    def hang(n: int) -> None:
        if n > 30:
            stuck.set()
            assert release.wait(30)
            if then == "error":
                raise SourceError("device_lost", "the device was unplugged")

    reports = Reports()
    worker = make_worker(lambda _c: Faulty(ToneDevice(), before=hang), reports)
    thread = start(worker)
    assert stuck.wait(20)
    capture = worker.capture_baseband(5.0)
    calibration = worker.calibrate()
    took = stop_within(worker, reports, 0.3)
    assert took < 1.5  # gave up on the thread at its timeout
    assert isinstance(ended(calibration), CalibrationError)
    assert isinstance(ended(capture), RecordingAborted)
    assert isinstance(ended(worker.calibrate()), CalibrationError)  # asked for after stop: at once
    assert isinstance(ended(worker.capture_baseband(1.0)), RecordingAborted)
    release.set()
    thread.join(10)
    assert not thread.is_alive()
    assert reports.after_stop == []


# Bad audio.


def _burst(kind: str, when: Callable[[int], bool]) -> Callable[[int, Block], Block]:
    """Corrupt every block whose read number `when` picks: NaN, ±Inf or absurdly large samples in a third of it."""

    def alter(n: int, block: Block) -> Block:
        if not when(n):
            return block
        bad = {"nan": np.nan, "inf": np.inf, "huge": 1e300}[kind]
        if block.audio is not None:
            audio = block.audio.copy()
            audio[::3] = bad
            audio[1::7] = -bad
            return Block(audio=audio)
        assert block.baseband is not None
        bb = block.baseband.copy()
        bb[:, ::3] = complex(bad, -bad)
        bb[0, 1::5] = complex(0.0, bad)
        return Block(baseband=bb)

    return alter


def _walk(baseband: bool, alter: Callable[[int, Block], Block] | None = None) -> list[Snapshot]:
    """Every snapshot of one unlooped walk_in_and_leave, its blocks through `alter`."""

    def opener(config: SourceConfig) -> AudioSource:
        return Faulty(open_source(config), alter=alter)

    reports = Reports()
    worker = make_worker(opener, reports, SourceConfig(scenario="walk_in_and_leave", baseband=baseband, loop=False))
    start(worker)
    worker.join()
    worker.stop()
    assert reports.errors == []
    return reports.snapshots


_CLEAN: dict[bool, list[Snapshot]] = {}


def _changes(snapshots: list[Snapshot]) -> list[tuple[float, bool]]:
    """When occupancy changed, and to what."""
    out: list[tuple[float, bool]] = []
    for s in snapshots:
        if not out or s.occupied != out[-1][1]:
            out.append((s.t_s, s.occupied))
    return out


@pytest.mark.parametrize(
    ("kind", "baseband"),
    [("nan", True), ("inf", True), ("huge", True), ("nan", False)],
    ids=["nan-baseband", "inf-baseband", "huge-baseband", "nan-passband"],
)
def test_bursts_of_non_finite_audio_change_nothing_the_entities_show(kind: str, baseband: bool) -> None:
    """Bursts while the room is empty and while someone stands in it: occupancy changes as without them."""
    # 0.05 s blocks: bursts at 0.45–1.5 s (the empty room, the network just starting) and 6–7 s (someone there).
    bursts = set(range(10, 30)) | set(range(120, 140))
    if baseband not in _CLEAN:
        _CLEAN[baseband] = _walk(baseband)
    clean = _CLEAN[baseband]
    snaps = _walk(baseband, _burst(kind, bursts.__contains__))
    # No NaN leaks past the engine's door into what the entities show (the SNR is unknown until the network starts).
    assert all(np.isfinite([s.score, s.noise_floor_db]).all() for s in snaps)
    assert all(np.isfinite(s.carrier_snr_db) for s in snaps if s.t_s > 1.5)
    # Walked in at 2 s, stood until 12 s, left by 15 s: the same changes, at the same moments, as the clean stream.
    expected = _changes(clean)
    assert True in [occupied for _, occupied in expected]  # the clean stream sees the walk-in
    seen = _changes(snaps)
    assert [occupied for _, occupied in seen] == [occupied for _, occupied in expected], seen
    assert np.allclose([t for t, _ in seen], [t for t, _ in expected], atol=0.5), (seen, expected)
    assert snaps[-1].t_s > 19.0


def test_a_burst_over_a_whole_walk_in_does_not_blind_the_engine_for_the_next() -> None:
    """A NaN burst over the first loop's whole walk-in; the second loop's walk-in is detected."""
    bursts = set(range(40, 120))  # 2–6 s: the walk-in itself
    reports = Reports()
    loops = 2 * 400

    def ending(n: int) -> None:
        if n > loops:
            raise SourceError("done", "two loops played")

    def opener(config: SourceConfig) -> AudioSource:
        return Faulty(open_source(config), before=ending, alter=_burst("nan", bursts.__contains__))

    with patch("custom_components.uspd.engine.worker.BACKOFF_S", (60.0,)):
        worker = make_worker(opener, reports, SourceConfig(scenario="walk_in_and_leave", baseband=True))
        start(worker)
        assert reports.errored.wait(30)
        worker.stop()
    second = [s for s in reports.snapshots if s.t_s >= 20.0]
    entered = next(s.t_s for s in second if s.occupied)
    assert 22.0 <= entered <= 24.0
    assert not reports.snapshots[-1].occupied


def test_a_sweep_fed_non_finite_audio_fails_with_the_reason_and_the_next_one_succeeds() -> None:
    """A burst during the sweep: measured, it picked a wrong carrier (18 kHz, audible, NaN SNR when all was NaN)."""
    opened: list[Faulty] = []

    def corrupt(n: int, block: Block) -> Block:
        return _burst("nan", lambda _n: opened[-1].twins == 1 and n % 10 == 0)(n, block)

    def opener(config: SourceConfig) -> AudioSource:
        opened.append(Faulty(open_source(config), twin_alter=corrupt))
        return opened[-1]

    reports = Reports()
    worker = make_worker(opener, reports, SourceConfig(scenario="empty_room", baseband=True), speed=50.0)
    start(worker)
    reports.wait_for(lambda snaps: len(snaps) > 5)
    with pytest.raises(CalibrationError, match="invalid samples"):
        worker.calibrate().result(timeout=30)
    assert worker.calibration is None  # nothing kept from a corrupt sweep
    count = len(reports.snapshots)
    reports.wait_for(lambda snaps: len(snaps) > count + 5)  # sensing went on
    swept = worker.calibrate().result(timeout=30)
    worker.stop()
    assert swept.carrier_hz >= 24000.0  # ultrasonic, as the clean room allows
    assert np.isfinite(swept.carrier_snr_db)
    assert [room.twins for room in opened] == [2]
    assert reports.errors == []


# A source whose read raises mid-stream.


def test_sensing_resumes_after_reads_raise_mid_stream() -> None:
    """The first device fails at 8 s (device lost), the second raises something unexpected at 4 s; the third senses."""

    def lost(n: int) -> None:
        if n == 160:
            raise SourceError("device_lost", "the device stopped delivering audio")

    def broken(n: int) -> None:
        if n == 80:
            raise ValueError("a driver's bug")

    faults: list[Callable[[int], None]] = [lost, broken]
    opened: list[Faulty] = []

    def opener(config: SourceConfig) -> AudioSource:
        before = faults[len(opened)] if len(opened) < len(faults) else None
        opened.append(Faulty(open_source(config), before=before))
        return opened[-1]

    reports = Reports()
    with patch("custom_components.uspd.engine.worker.BACKOFF_S", (0.01,)):
        worker = make_worker(opener, reports, SourceConfig(scenario="walk_in_and_leave", baseband=True, loop=False))
        start(worker)
        worker.join()
        worker.stop()
    assert [e.reason for e in reports.errors] == ["device_lost", "engine_failed"]
    assert "a driver's bug" in str(reports.errors[1])
    assert len(opened) == 3
    assert all(s.closed for s in opened)
    # Each stream starts the room over: its time restarts, so the third stream is the run from the last t_s ≈ 0.
    starts = [i for i, s in enumerate(reports.snapshots) if i and s.t_s < reports.snapshots[i - 1].t_s]
    assert len(starts) == 2
    last = reports.snapshots[starts[-1] :]
    assert occupied_between(last, 2.0, 4.0)  # the walker detected on the reopened device
    assert last[-1].t_s > 19.0
    assert not last[-1].occupied


# Calibration and recordings at once.


def test_calibrations_and_captures_asked_for_together_all_end_and_sensing_goes_on() -> None:
    """Ten rounds of a sweep and a recording asked for at the same moment from two threads, on a real sweep."""
    reports = Reports()
    worker = make_worker(open_source, reports, SourceConfig(scenario="empty_room", baseband=True), speed=50.0)
    start(worker)
    reports.wait_for(lambda snaps: len(snaps) > 5)
    outcomes: list[tuple[Future[Calibration], Future[Any]]] = []
    for round_ in range(10):
        barrier = threading.Barrier(2)
        asked: dict[str, Future[Any]] = {}

        def ask(
            name: str,
            call: Callable[[], Future[Any]],
            gate: threading.Barrier = barrier,
            into: dict[str, Future[Any]] = asked,
        ) -> None:
            gate.wait()
            into[name] = call()

        seconds = 0.05 * (round_ % 4)
        callers = [
            threading.Thread(target=ask, args=("calibration", worker.calibrate)),
            threading.Thread(target=ask, args=("capture", lambda s=seconds: worker.capture_baseband(0.1 + s))),
        ]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join(10)
        calibration, capture = asked["calibration"], asked["capture"]
        assert isinstance(calibration.result(timeout=30), Calibration)
        try:
            clip = capture.result(timeout=30)
        except AbortedByCalibration:
            pass  # asked for just before the sweep started: aborted, with the reason
        else:
            assert clip is not None
        outcomes.append((calibration, capture))
    swept = worker.calibration
    assert swept is not None
    count = len(reports.snapshots)
    reports.wait_for(lambda snaps: len(snaps) > count + 5)  # sensing goes on after the last sweep
    worker.stop()
    assert reports.errors == []
    assert all(f.done() for pair in outcomes for f in pair)
    assert reports.snapshots[-1].carrier_hz == swept.carrier_hz


# Stop (an unload) at each moment: every future ends, the thread ends within its timeout.


def _during_retry_wait(reports: Reports) -> tuple[Callable[[SourceConfig], AudioSource], Callable[[], None]]:
    """A device that fails at once; the worker then waits 30 s to reopen it."""

    def fail(_n: int) -> None:
        raise SourceError("device_lost", "gone")

    return (lambda _c: Faulty(ToneDevice(), before=fail)), lambda: _wait(reports.errored)


def _during_sweep(reports: Reports) -> tuple[Callable[[SourceConfig], AudioSource], Callable[[], None]]:
    """A real sweep of the simulated room, slowed (each read 10 ms) so it runs seconds."""
    sweeping = threading.Event()

    def slow(_n: int) -> None:
        sweeping.set()
        time.sleep(0.01)

    def opener(config: SourceConfig) -> AudioSource:
        return Faulty(open_source(config), twin_before=slow)

    return opener, lambda: _wait(sweeping)


def _during_recording(reports: Reports) -> tuple[Callable[[SourceConfig], AudioSource], Callable[[], None]]:
    """The room senses (a long recording asked for is being fed)."""
    return open_source, lambda: reports.wait_for(lambda snaps: len(snaps) > 20)


def _wait(event: threading.Event) -> None:
    assert event.wait(20)


@pytest.mark.parametrize(
    "moment", [_during_retry_wait, _during_sweep, _during_recording], ids=["retry-wait", "sweep", "recording"]
)
def test_stop_at_any_moment_ends_every_future_and_the_thread(
    moment: Callable[[Reports], tuple[Callable[[SourceConfig], AudioSource], Callable[[], None]]],
) -> None:
    reports = Reports()
    opener, reached = moment(reports)
    with patch("custom_components.uspd.engine.worker.BACKOFF_S", (30.0,)):
        worker = make_worker(opener, reports, SourceConfig(scenario="empty_room", baseband=True), speed=20.0)
        thread = start(worker)
        recording = worker.capture_baseband(3600.0)  # longer than the worker will run
        cancelled = worker.capture_baseband(3600.0)
        assert cancelled.cancel()  # its waiter gave up
        calibration = worker.calibrate() if moment is _during_sweep else None
        reached()
        queued = worker.calibrate()
        late_capture = worker.capture_baseband(1.0)
        took = stop_within(worker, reports, 5.0)
    assert took < 2.0, took  # not the 30 s backoff, not a whole sweep
    assert not thread.is_alive()
    assert isinstance(ended(recording), RecordingAborted)
    assert isinstance(ended(cancelled), CancelledError)
    # Asked for just before stop: it may have swept (the room is quick to sweep) or been failed by the stop.
    assert ended(queued) is None or isinstance(ended(queued), CalibrationError)
    assert ended(late_capture) is None or isinstance(ended(late_capture), RecordingAborted)
    if calibration is not None:
        assert isinstance(ended(calibration), CalibrationError)
    assert reports.after_stop == []


def test_a_capture_holds_what_the_engine_sees_never_a_nan_burst() -> None:
    def opener(config: SourceConfig) -> AudioSource:
        return Faulty(open_source(config), alter=_burst("nan", lambda n: n % 2 == 0))

    reports = Reports()
    worker = make_worker(opener, reports)
    capture = worker.capture_baseband(2.0)
    start(worker)
    clip = capture.result(timeout=60)
    stop_within(worker, reports, 5.0)
    assert np.isfinite(clip.baseband).all()
    assert (clip.baseband == 0).any()  # the burst is there, as the zeros the engine replaced it with


def test_a_recording_does_not_span_a_source_failure() -> None:
    def fail_once(n: int) -> None:
        if n == 4:
            raise SourceError("device_lost", "unplugged")

    opened: list[Faulty] = []

    def opener(config: SourceConfig) -> AudioSource:
        opened.append(Faulty(open_source(config), before=fail_once if not opened else None))
        return opened[-1]

    reports = Reports()
    classifier = shipped_classifier()  # loaded before the stop event is replaced
    with instant_waits():  # the backoff after the failure, without its second
        worker = make_worker(opener, reports, classifier=classifier)
    recording = worker.capture_baseband(3600.0)
    start(worker)
    deadline = time.monotonic() + 20
    while len(opened) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    stop_within(worker, reports, 5.0)
    assert len(opened) >= 2  # it failed and was opened again
    error = ended(recording)
    assert isinstance(error, RecordingAborted)
    assert "unplugged" in str(error)
