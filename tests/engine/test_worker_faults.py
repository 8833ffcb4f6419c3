"""Faults and lifecycle through the real worker thread: backoff, recalibration, futures, captures vs calibration.

The sources here are fakes handed to EngineWorker through its `opener`; they
deliver already-demodulated baseband, so each test runs in well under a
second of CPU. Nothing sleeps for the delays under test: backoff waits go
through the worker's stop event (recorded here), and recalibration's hourly
limit reads an injected clock.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError, Future
from typing import Any
from unittest.mock import patch

import numpy as np
import pytest
from numpy.typing import NDArray

from custom_components.uspd.engine.calibration import (
    RECALIBRATE_EVERY_S,
    Calibration,
    CalibrationError,
    CarrierMeasurement,
    measure,
)
from custom_components.uspd.engine.detector import DetectorConfig
from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.engine.pipeline import Engine, EngineConfig
from custom_components.uspd.engine.recorder import AbortedByCalibration, BasebandClip, RecordingAborted
from custom_components.uspd.engine.sources import AudioSource, Block, SourceConfig, SourceError
from custom_components.uspd.engine.worker import BACKOFF_S, HEALTHY_AUDIO_S, EngineWorker
from custom_components.uspd.sim.render import Renderer
from custom_components.uspd.sim.scene import Device, Scene
from custom_components.uspd.sim.source import SimulatedRoom, open_source

from ..helpers import run_to_end

BASEBAND_HZ = 4000  # what 96 kHz audio around 40 kHz demodulates to


class FakeSource:
    """A closed-loop device that delivers `blocks` blocks of a static tone in noise, then fails or ends."""

    audio_rate_hz = 96000
    channels = 1
    hardware_paced = True  # the worker does not pace it: nothing waits on the clock
    closed_loop = True
    xruns = 0

    def __init__(
        self,
        blocks: int | None = None,
        *,
        then: str = "fail",
        block_s: float = 0.5,
        on_read: Callable[[FakeSource], None] | None = None,
        fail_in_sweep_after: int | None = None,
    ) -> None:
        self.blocks = blocks  # None: for ever
        self.then = then
        self.block_s = block_s
        self.block_seconds = block_s
        self.carrier_hz = 40000.0
        self.reads = 0
        self.on_read = on_read
        self.fail_in_sweep_after = fail_in_sweep_after
        self.sweep_reads: int | None = None  # counts reads once a sweep has switched the tone off to listen
        self.closed = False
        self._rng = np.random.default_rng(7)

    def read(self) -> Block | None:
        """The next block, or the failure or end the source was made for."""
        if self.on_read is not None:
            self.on_read(self)
        if self.sweep_reads is not None:
            self.sweep_reads += 1
            if self.fail_in_sweep_after is not None and self.sweep_reads > self.fail_in_sweep_after:
                raise SourceError("device_lost", "the device was unplugged")
        if self.blocks is not None and self.reads >= self.blocks:
            if self.then == "fail":
                raise SourceError("device_lost", "the device stopped delivering audio")
            return None
        self.reads += 1
        n = round(self.block_s * BASEBAND_HZ)
        noise: NDArray[np.complex128] = self._rng.normal(0, 1e-4, (1, n)) + 1j * self._rng.normal(0, 1e-4, (1, n))
        return Block(baseband=0.05 + noise)

    def set_emission(self, emission: Emission) -> None:
        """Notice when a sweep turns the tone off to listen."""
        if not emission.on and emission.level == 0.0 and self.sweep_reads is None:
            self.sweep_reads = 0  # calibration's first listen

    def ground_truth(self) -> str | None:
        """Nothing: a device does not know the room."""
        return None

    def calibration_twin(self) -> FakeSource:
        """Itself: a device sweeps on its own stream."""
        return self

    def close(self) -> None:
        """Record that the worker let the device go."""
        self.closed = True


class RecordingStop(threading.Event):
    """The worker's stop event: records each wait's timeout and returns at once; sets itself after `limit` waits."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        """Record the timeout and return at once: set once `limit` waits were asked for."""
        assert timeout is not None
        self.waits.append(timeout)
        if len(self.waits) >= self.limit:
            self.set()
        return self.is_set()


def _worker(
    opener: Callable[[SourceConfig], AudioSource],
    on_error: Callable[[SourceError], None] = lambda _e: None,
    **kwargs: Any,
) -> EngineWorker:
    """A worker on `opener`'s sources that does not save power; `kwargs` go to EngineWorker."""
    return EngineWorker(
        SourceConfig(), DetectorConfig(), lambda _s: None, on_error, opener=opener, power_save=False, **kwargs
    )


# Backoff.


def test_backoff_grows_for_a_device_that_opens_but_never_streams_and_resets_after_real_audio() -> None:
    healthy_blocks = int(HEALTHY_AUDIO_S / 0.5) + 2  # a little over HEALTHY_AUDIO_S of audio, then it fails
    plan = [0] * 6 + [healthy_blocks] + [0] * 3
    opened: list[FakeSource] = []

    def opener(_config: SourceConfig) -> FakeSource:
        source = FakeSource(plan[len(opened)] if len(opened) < len(plan) else 0)
        opened.append(source)
        return source

    errors: list[SourceError] = []
    worker = _worker(opener, on_error=errors.append)
    stop = RecordingStop(limit=len(plan))
    worker._stop = stop  # noqa: SLF001 - white box: the backoff's waits, recorded instead of slept
    run_to_end(worker)
    worker.stop()
    # Six devices that open and fail their first read: the documented schedule, not 1 s for ever.
    assert stop.waits[:6] == [1.0, 2.0, 5.0, 10.0, 30.0, 30.0]
    assert tuple(sorted(set(stop.waits[:6]))) == BACKOFF_S
    # One that streamed for HEALTHY_AUDIO_S then failed starts the schedule over; the next failures grow again.
    assert stop.waits[6:] == [1.0, 2.0, 5.0, 10.0][: len(stop.waits) - 6]
    assert len(stop.waits) == len(plan)
    assert [e.reason for e in errors] == ["device_lost"] * len(plan)
    assert all(s.closed for s in opened)


# One SNR definition, and recalibration at most hourly.


def test_calibration_and_engine_agree_on_the_carrier_snr_with_one_weak_mic() -> None:
    """A 2-input interface with one mic plugged in: the other reads 40 dB down."""
    device = dataclasses.replace(Device(), mics_m=((2.46, 0.15, 0.95), (2.54, 0.15, 0.95)), mic_gain_db=(0.0, -40.0))
    scene = Scene("one weak mic", 30.0, device=device, seed=3)
    room = SimulatedRoom(SourceConfig(baseband=True, loop=True), scene=scene)
    carrier, level = 40000.0, 0.1
    m = measure(room, carrier)
    assert m.response_db[0] - m.response_db[1] > 30  # the weak mic really is weak
    expected = Calibration(carrier, level, 20.0, False, 4.0, (m,)).carrier_snr_db
    engine = Engine(EngineConfig(96000, carrier, 2))
    renderer = Renderer(scene)
    bb = renderer.render_baseband(0, BASEBAND_HZ * 8, float(BASEBAND_HZ), Emission(carrier_hz=carrier, level=level))
    seen = engine.process_baseband(bb)[-1].carrier_snr_db
    # Two definitions that disagree read as a drift that never ends: a recalibration every minute.
    assert abs(seen - expected) < 2.0, (seen, expected)


def _drifted_calibration(carrier_hz: float = 40000.0) -> Calibration:
    """A calibration whose carrier SNR the fake source can never match (it expects ~300 dB)."""
    m = CarrierMeasurement(carrier_hz, (0.0,), -300.0, 0.0)
    return Calibration(carrier_hz, 0.1, 25.0, False, 4.0, (m,))


class Clock:
    """Wall-clock seconds that run CLOCK_PER_BLOCK per block read (much faster than the audio)."""

    def __init__(self, start: float, per_block: float) -> None:
        self.now = start
        self.per_block = per_block

    def __call__(self) -> float:
        """The time now."""
        return self.now

    def tick(self, _source: FakeSource) -> None:
        """One block read: the clock moves on by `per_block`."""
        self.now += self.per_block


def _run_drifted(clock: Clock, until: float, last_recalibration: float | None) -> tuple[list[float], list[float]]:
    """Sense a drifted stream until `clock` reaches `until`; the sweeps' and the reported recalibrations' times."""
    swept: list[float] = []
    reported: list[float] = []
    done = threading.Event()

    def sweep(_source: object, **_kwargs: object) -> Calibration:
        swept.append(clock.now)
        return _drifted_calibration()  # still drifted: without a lasting limit this loops

    def on_read(source: FakeSource) -> None:
        clock.tick(source)
        if clock.now >= until:
            done.set()

    with patch("custom_components.uspd.engine.worker.calibrate", side_effect=sweep):
        worker = _worker(
            lambda _c: FakeSource(on_read=on_read),
            calibration=_drifted_calibration(),
            clock=clock,
            last_recalibration=last_recalibration,
            on_recalibration=reported.append,
        )
        worker.start()
        assert done.wait(60)
        worker.stop()
    return swept, reported


@patch("custom_components.uspd.engine.calibration.DRIFT_S", 2.0)
def test_a_lasting_drift_recalibrates_at_most_hourly_across_streams_and_restarts() -> None:
    # 250 s of wall clock per 0.5 s block: a drift is noticed within ~2000 s,
    # sooner than the hour, so only a limit that outlives the stream holds.
    clock = Clock(1_000_000.0, 250.0)
    swept, reported = _run_drifted(clock, 1_000_000.0 + 3.5 * RECALIBRATE_EVERY_S, None)
    assert len(swept) >= 3, swept  # it does recalibrate, each time restarting the stream
    assert reported == swept
    assert np.diff(swept).min() >= RECALIBRATE_EVERY_S, np.diff(swept)
    # Restarted (the integration hands the kept time back): still not before the hour is up.
    restart_at = clock.now
    swept2, _ = _run_drifted(clock, restart_at + 2 * RECALIBRATE_EVERY_S, reported[-1])
    assert swept2, "never recalibrated after the restart"
    assert swept2[0] >= reported[-1] + RECALIBRATE_EVERY_S
    assert np.diff([reported[-1], *swept2]).min() >= RECALIBRATE_EVERY_S


# Every future ends.


def test_recordings_under_way_end_with_the_device_failure_and_a_cancelled_one_is_skipped() -> None:
    """Recordings under way when the device fails; one's action gave up (cancelled) first; then the entry unloads."""
    asked = threading.Event()
    failed = threading.Event()

    def on_read(source: FakeSource) -> None:
        assert asked.wait(10)  # the first block waits for the recordings to be asked for

    with patch("custom_components.uspd.engine.worker.BACKOFF_S", (60.0,)):
        worker = _worker(lambda _c: FakeSource(1, on_read=on_read), on_error=lambda _e: failed.set())
        worker.start()
        first, second, third = (worker.capture_baseband(3600.0) for _ in range(3))
        assert first.cancel()  # its action timed out
        asked.set()
        assert failed.wait(10)  # fed one block, then the device failed: the worker waits to reopen it
        # Not kept across the gap (the device may come back at another carrier): ended with the reason now.
        for future in (second, third):
            with pytest.raises(RecordingAborted, match="failed during the recording"):
                future.result(timeout=1)
        worker.stop()
    assert first.cancelled()


def test_a_capture_cancelled_while_it_is_being_fed_does_not_kill_the_engine() -> None:
    errors: list[SourceError] = []
    fed = threading.Event()
    worker = _worker(lambda _c: FakeSource(block_s=0.05, on_read=lambda _s: fed.set()), on_error=errors.append)
    worker.start()
    futures = [worker.capture_baseband(0.2) for _ in range(20)]
    for f in futures[::2]:
        f.cancel()
    for f in futures[1::2]:
        assert isinstance(f.result(timeout=10), BasebandClip)
    worker.stop()
    assert not errors


def test_a_calibration_whose_source_fails_mid_sweep_fails_at_once_with_the_reason() -> None:
    errors: list[SourceError] = []
    opened: list[FakeSource] = []
    reading = threading.Event()
    reopened = threading.Event()

    def opener(_config: SourceConfig) -> FakeSource:
        source = FakeSource(block_s=0.05, fail_in_sweep_after=5, on_read=lambda _s: reading.set())
        opened.append(source)
        if len(opened) > 1:
            reopened.set()
        return source

    with patch("custom_components.uspd.engine.worker.BACKOFF_S", (0.01,)):
        worker = _worker(opener, on_error=errors.append)
        worker.start()
        assert reading.wait(10)
        future = worker.calibrate()
        with pytest.raises(CalibrationError, match="audio source failed during the sweep: the device was unplugged"):
            future.result(timeout=10)  # fails at once, not when the action's 120 s run out
        error = future.exception()
        assert error is not None
        assert isinstance(error.__cause__, SourceError)
        # The stream failed with it: reported, and the device reopened.
        assert reopened.wait(10)
        worker.stop()
    assert errors[0].reason == "device_lost"


def test_a_source_that_ends_without_any_audio_is_an_error_not_silence() -> None:
    failed = threading.Event()
    errors: list[SourceError] = []

    def on_error(err: SourceError) -> None:
        errors.append(err)
        failed.set()

    with patch("custom_components.uspd.engine.worker.BACKOFF_S", (0.01,)):
        worker = _worker(lambda _c: FakeSource(0, then="end"), on_error=on_error)
        worker.start()
        assert failed.wait(10), "the worker ended silently, entities left in their last state"
        worker.stop()
    assert errors[0].reason == "no_audio"
    assert "without" in str(errors[0])


def test_a_source_that_ends_after_audio_still_just_ends() -> None:
    errors: list[SourceError] = []
    worker = _worker(lambda _c: FakeSource(4, then="end"), on_error=errors.append)
    run_to_end(worker)
    worker.stop()
    assert not errors


def test_requests_after_the_engine_ended_fail_at_once() -> None:
    worker = _worker(lambda _c: FakeSource(2, then="end"))
    run_to_end(worker)
    with pytest.raises(RecordingAborted):
        worker.capture_baseband(1.0).result(timeout=1)
    with pytest.raises(CalibrationError, match="stopped"):
        worker.calibrate().result(timeout=1)
    worker.stop()


# A calibration aborts the recordings it would cut in two.


def test_a_calibration_aborts_a_running_capture_and_later_ones_record_at_its_carrier() -> None:
    sweeping = threading.Event()
    release = threading.Event()
    reading = threading.Event()
    new = dataclasses.replace(_drifted_calibration(41000.0), measurements=())

    def sweep(_source: object, **_kwargs: object) -> Calibration:
        sweeping.set()
        assert release.wait(10)
        return new

    with patch("custom_components.uspd.engine.worker.calibrate", side_effect=sweep):
        worker = _worker(lambda _c: FakeSource(block_s=0.05, on_read=lambda _s: reading.set()))
        worker.start()
        assert reading.wait(10)
        assert worker.capture_baseband(0.1).result(timeout=10).carrier_hz == 40000.0
        running = worker.capture_baseband(60.0)
        calibration = worker.calibrate()
        assert sweeping.wait(10)
        # Aborted when the sweep starts, with a reason, not left to time out with the wrong error.
        with pytest.raises(AbortedByCalibration, match=r"calibration.*record again"):
            running.result(timeout=2)
        assert worker.calibrating
        later = worker.capture_baseband(0.2)  # asked for during the sweep: waits for it
        release.set()
        assert calibration.result(timeout=10) == new
        clip = later.result(timeout=10)
        assert clip.carrier_hz == 41000.0  # one carrier per recording
        assert not worker.calibrating
        worker.stop()


class _RacingCalibrations(queue.SimpleQueue[Future[Calibration]]):
    """The worker's calibration queue; at the stream's first check for captures, calibrate() and capture_baseband().

    The two calls land right after the check: where the check and the drain share
    the worker's lock, they wait for it (the lock is held, so nothing is joined);
    elsewhere they run to the end before the drain.
    """

    def __init__(self, worker: EngineWorker) -> None:
        super().__init__()
        self.worker = worker
        self.armed = threading.Event()
        self.asked: tuple[Future[Calibration], Future[BasebandClip]] | None = None
        self.caller: threading.Thread | None = None

    def empty(self) -> bool:
        """Whether the queue is empty; once armed, the engine thread's call also sets off the two requests."""
        empty = super().empty()
        if self.armed.is_set() and threading.current_thread().name == "uspd-engine":
            self.armed.clear()
            locked = self.worker._lock.locked()  # noqa: SLF001 - white box: the race is with the lock's holder
            caller = threading.Thread(target=self._ask)
            caller.start()
            self.caller = caller  # published once started: the test joins it as soon as it sees it
            if not locked:
                caller.join()
        return empty

    def _ask(self) -> None:
        """Ask for a calibration, then a capture, as two callers would."""
        self.asked = (self.worker.calibrate(), self.worker.capture_baseband(0.1))


def test_a_capture_asked_for_just_after_a_calibration_waits_for_it() -> None:
    new = dataclasses.replace(_drifted_calibration(41000.0), measurements=())
    reading = threading.Event()
    with patch("custom_components.uspd.engine.worker.calibrate", return_value=new):
        worker = _worker(lambda _c: FakeSource(block_s=0.05, on_read=lambda _s: reading.set()))
        racing = _RacingCalibrations(worker)
        worker._calibrations = racing  # noqa: SLF001 - white box: the queue the stream checks, to race it
        worker.start()
        try:
            assert reading.wait(10)
            racing.armed.set()
            for _ in range(1000):
                if racing.caller is not None:
                    break
                time.sleep(0.01)
            assert racing.caller is not None
            racing.caller.join(10)
            assert racing.asked is not None
            calibration, capture = racing.asked
            assert calibration.result(timeout=10) == new
            assert capture.result(timeout=10).carrier_hz == 41000.0  # recorded after the sweep, not aborted by it
        finally:
            worker.stop()


def test_a_capture_asked_for_before_a_calibration_but_not_started_is_aborted_at_once() -> None:
    worker = _worker(lambda _c: FakeSource())  # never started: nothing takes the request
    capture = worker.capture_baseband(5.0)
    calibration = worker.calibrate()
    with pytest.raises(AbortedByCalibration):
        capture.result(timeout=0)
    worker.stop()
    with pytest.raises(CalibrationError):
        calibration.result(timeout=1)


def test_futures_cancelled_before_the_worker_gets_them_are_skipped() -> None:
    worker = _worker(lambda _c: FakeSource())
    calibration = worker.calibrate()
    assert calibration.cancel()
    worker.stop()
    with pytest.raises(CancelledError):
        calibration.result(timeout=0)


def test_a_recording_pending_when_the_engine_stops_is_aborted_not_left_hanging() -> None:
    from custom_components.uspd.engine.detector import DetectorConfig
    from custom_components.uspd.engine.recorder import RecordingAborted
    from custom_components.uspd.engine.sources import SourceConfig
    from custom_components.uspd.engine.worker import EngineWorker
    from custom_components.uspd.sim.source import open_source

    worker = EngineWorker(
        SourceConfig(scenario="empty_room"), DetectorConfig(), lambda _: None, lambda _: None, opener=open_source
    )
    worker.start()
    future = worker.capture_baseband(3600.0)  # far longer than the worker will run
    worker.stop()
    with pytest.raises(RecordingAborted):
        future.result(timeout=1)


def test_worker_retries_a_failing_source() -> None:
    """A source that fails to open is retried with backoff; errors are reported each time."""
    from custom_components.uspd.engine.detector import DetectorConfig
    from custom_components.uspd.engine.sources import SourceConfig
    from custom_components.uspd.engine.worker import EngineWorker

    errors: list[SourceError] = []
    snapshots: list[object] = []
    attempts = {"n": 0}
    got_snapshot = threading.Event()

    def opener(config: SourceConfig) -> AudioSource:
        attempts["n"] += 1
        if attempts["n"] == 1:
            raise SourceError("device_busy", "busy")
        return open_source(config)

    def on_snapshot(s: object) -> None:
        snapshots.append(s)
        got_snapshot.set()

    with patch("custom_components.uspd.engine.worker.BACKOFF_S", (0.01,)):
        worker = EngineWorker(
            SourceConfig(scenario="empty_room"), DetectorConfig(), on_snapshot, errors.append, speed=100, opener=opener
        )
        worker.start()
        assert got_snapshot.wait(10)
        worker.stop()
    assert [e.reason for e in errors] == ["device_busy"]
    assert attempts["n"] == 2
    assert snapshots


def test_a_kept_calibration_the_source_cannot_play_is_dropped_and_the_device_calibrates_again() -> None:
    """A carrier kept from another source (over 0.45·fs here) never fails every retry: a fresh sweep replaces it."""
    errors: list[SourceError] = []
    calibrated: list[Calibration] = []
    snaps: list[Any] = []
    foreign = Calibration(60000.0, 0.2, 25.0, False, 4.0)  # what a 192 kHz card may play, not a 96 kHz room
    done = threading.Event()

    def on_calibrated(result: Calibration) -> None:
        calibrated.append(result)
        done.set()

    worker = EngineWorker(
        SourceConfig(scenario="empty_room", baseband=True),
        DetectorConfig(),
        snaps.append,
        errors.append,
        speed=1e6,
        opener=open_source,
        power_save=False,
        calibration=foreign,
        on_calibrated=on_calibrated,
    )
    worker.start()
    try:
        assert done.wait(60)
        deadline = time.monotonic() + 30
        while not any(s.carrier_hz == calibrated[0].carrier_hz for s in snaps) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
    assert errors == []
    assert 17000.0 <= calibrated[0].carrier_hz <= 0.45 * 96000
    assert worker.calibration == calibrated[0]
    assert any(s.carrier_hz == calibrated[0].carrier_hz for s in snaps)  # sensing resumed at the new carrier
    assert all(s.carrier_hz != foreign.carrier_hz for s in snaps)


def test_a_room_assumed_occupied_at_start_is_occupied_at_once_then_clears_when_empty() -> None:
    """The worker hands a restored occupancy to the engine at its first block; an empty room lets it go after hold_s."""
    snaps: list[Any] = []
    worker = EngineWorker(
        SourceConfig(scenario="empty_room", baseband=True, loop=False),
        DetectorConfig(hold_s=3.0),
        snaps.append,
        lambda _e: None,
        speed=1e6,
        publish_s=0.25,
        opener=open_source,
        power_save=False,
    )
    worker.assume_occupied()
    worker.start()
    worker.join()
    worker.stop()
    assert snaps[0].occupied
    vacant = next(s.t_s for s in snaps if not s.occupied)
    assert 3.0 <= vacant <= 4.0  # hold_s after the start, nobody there to keep it
    assert not any(s.occupied for s in snaps if s.t_s > vacant)
