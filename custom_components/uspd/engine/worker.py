"""One engine per device, in its own daemon thread.

The worker owns the source and the engine: the thread, opening and
retrying the source, the request queues, pacing. What each stream does with
its frames (the tone, power saving, drift, what to publish) is its Session's
(session.py). It never touches the caller's state. It reports through two
callbacks the caller makes thread-safe (the integration wraps them in
``call_soon_threadsafe``): ``on_snapshot`` with the latest state whenever
motion or occupancy changes and otherwise every ``publish_s``, and
``on_error`` with a SourceError when the source fails, after which it
retries with backoff until stopped.

Every Future it hands out (captures, calibrations) ends, whatever happens:
with its result, with an exception that says why, or cancelled by its waiter.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from .blas import limit_blas_threads
from .calibration import Calibration, CalibrationError, calibrate, recalibration_due
from .classifier import Classifier
from .detector import DetectorConfig
from .pipeline import Engine, EngineConfig, finite_samples
from .rates import RateError, check_emission
from .recorder import (
    AbortedByCalibration,
    BasebandCapture,
    BasebandClip,
    ClipCapture,
    RecordingAborted,
    fail_future,
    resolve_future,
)
from .session import Session, Snapshot, SourceFacts
from .sources import AudioSource, SourceConfig, SourceError, open_source
from .spectrogram import render_png

# The integration imports Snapshot from here.
__all__ = ["BACKOFF_S", "HEALTHY_AUDIO_S", "EngineWorker", "Snapshot"]

_LOGGER = logging.getLogger(__name__)
BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)
# The backoff starts over only once a stream has delivered this much audio: a
# device that opens but fails its first reads is as broken as one that does not open.
HEALTHY_AUDIO_S = 30.0


class EngineWorker:
    """Senses one device in a daemon thread, reopening its source with backoff until stopped."""

    def __init__(
        self,
        source_config: SourceConfig,
        detector: DetectorConfig,
        on_snapshot: Callable[[Snapshot], None],
        on_error: Callable[[SourceError], None],
        *,
        speed: float = 1.0,
        publish_s: float = 2.0,
        emission_on: bool = True,
        opener: Callable[[SourceConfig], AudioSource] = open_source,
        classifier: Classifier | None = None,
        power_save: bool = True,
        calibration: Calibration | None = None,
        on_calibrated: Callable[[Calibration], None] | None = None,
        last_recalibration: float | None = None,
        on_recalibration: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.source_config = source_config
        self._classifier = classifier
        self._power_save = power_save
        self.calibration = calibration
        self._on_calibrated = on_calibrated
        # When the last automatic recalibration started (`clock`: wall-clock
        # seconds), handed to `on_recalibration` so the caller can keep it across restarts.
        self.last_recalibration = last_recalibration
        self._on_recalibration = on_recalibration
        self._clock = clock
        self._calibrations: queue.SimpleQueue[Future[Calibration]] = queue.SimpleQueue()
        self._avoid_hz: tuple[float, ...] = ()  # other uspd devices' tones (a tuple: replaced whole, read whole)
        # Guards what callers and the thread both decide on: whether requests are
        # still accepted, the queues' order against a calibration, the sweep running.
        self._lock = threading.Lock()
        self._closed = False
        self._calibrating: Future[Calibration] | None = None
        self._audio_s = 0.0  # audio delivered since the source was last opened
        self._last_snapshot: Snapshot | None = None
        self._detector = detector
        # Read by the thread every block: a bool swap is atomic, no lock needed.
        self._emission_on = emission_on
        # Set by any thread, taken by the worker's at its next block (a bool swap is atomic).
        self._assume_occupied = False
        self._on_snapshot = on_snapshot
        self._on_error = on_error
        self._speed = speed  # > 1 runs a simulation or a recording faster than real time
        self._publish_s = publish_s
        self._opener = opener
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._engine: Engine | None = None
        self._session: Session | None = None
        # Capture requests come from the event loop; the worker thread takes them
        # (a calibration asked for, or the end, fails them) and owns the pending list.
        self._capture_requests: queue.SimpleQueue[BasebandCapture[Any]] = queue.SimpleQueue()
        self._pending: list[BasebandCapture[Any]] = []

    def start(self, source: AudioSource | None = None) -> None:
        """Start the thread, with an already-opened source if the caller tested one."""
        limit_blas_threads()
        self._thread = threading.Thread(target=self._main, args=(source,), name="uspd-engine", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread (waiting up to `timeout`) and fail every request it will not serve."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                _LOGGER.warning("uspd engine thread did not stop within %.0f s", timeout)
        # The thread fails what it leaves when it ends; this covers a thread never
        # started, or one stuck in a read (whatever it feeds later is already ended).
        self._abandon()

    def join(self) -> None:
        """Wait for the thread to end by itself (a source that does not loop ends), if it was started."""
        if self._thread is not None:
            self._thread.join()

    def _main(self, source: AudioSource | None) -> None:
        try:
            self._run(source)
        finally:
            self._abandon()

    def _abandon(self) -> None:
        """Accept nothing more, and fail every request still waiting: nobody will serve it."""
        with self._lock:
            self._closed = True
            calibrating, self._calibrating = self._calibrating, None
        if calibrating is not None:
            fail_future(calibrating, CalibrationError("the engine stopped"))
        for future in _drain(self._calibrations):
            fail_future(future, CalibrationError("the engine stopped"))
        # The thread owns the pending list; past this point it only feeds captures that have ended.
        pending, self._pending = self._pending, []
        for capture in pending + _drain(self._capture_requests):
            capture.abort(RecordingAborted("the engine stopped before the recording ended"))

    @property
    def calibrating(self) -> bool:
        """A calibration is running or waiting to (a capture asked for now starts after it)."""
        with self._lock:
            return self._calibrating is not None or not self._calibrations.empty()

    def set_emission(self, on: bool) -> None:
        """Turn the tone on or off (takes effect at the next block)."""
        self._emission_on = on

    def assume_occupied(self) -> None:
        """The room was occupied when sensing last stopped (a restart): hold it from the next block (Detector)."""
        self._assume_occupied = True

    def avoid_carriers(self, carriers_hz: tuple[float, ...]) -> None:
        """Tones other uspd devices play: the next calibration keeps away from them (any thread)."""
        self._avoid_hz = tuple(carriers_hz)

    def calibrate(self) -> Future[Calibration]:
        """Sweep carriers and levels on the running source, then sense with the result (a Future).

        Captures asked for before it and not yet started are aborted now (they
        would wait for the sweep, longer than their callers allow), those
        running when it starts are aborted then; captures asked for after it
        wait for it and record at its carrier.
        """
        future: Future[Calibration] = Future()
        with self._lock:
            closed = self._closed
            waiting = [] if closed else _drain(self._capture_requests)
            if not closed:
                self._calibrations.put(future)
        if closed:
            fail_future(future, CalibrationError("the engine stopped"))
            return future
        for capture in waiting:
            capture.abort(AbortedByCalibration("a calibration started before the recording could; record again"))
        return future

    def set_power_save(self, on: bool) -> None:
        """Allow pausing the tone while presence is confirmed (takes effect at the next block)."""
        self._power_save = on

    def capture[T](self, capture: BasebandCapture[T]) -> Future[T]:
        """Feed `capture` the baseband (never audio) from the next block on; its Future ends however the engine does.

        The blocks are fed in this worker's thread (a RecordingCapture writes
        them to disk there, never on the caller's event loop).
        """
        with self._lock:
            closed = self._closed
            if not closed:
                self._capture_requests.put(capture)
        if closed:
            capture.abort(RecordingAborted("the engine stopped before the recording ended"))
        return capture.future

    def capture_baseband(self, seconds: float) -> Future[BasebandClip]:
        """The next `seconds` of demodulated baseband (never audio), in memory, through a Future."""
        return self.capture(ClipCapture(seconds))

    def doppler_png(self) -> bytes | None:
        """The recent Doppler band as a PNG (blocking: call from an executor), None before any audio."""
        session = self._session
        return None if session is None else render_png(session.doppler_image())

    def set_detector(self, detector: DetectorConfig) -> None:
        """New sensitivity and hold time (takes effect at the next frame)."""
        self._detector = detector
        if self._engine is not None:
            self._engine.reconfigure(detector)

    def _run(self, source: AudioSource | None) -> None:
        failures = 0
        while not self._stop.is_set():
            self._audio_s = 0.0
            try:
                if source is None:
                    source = self._opener(self.source_config)
                self._sense(source)
            except SourceError as err:
                if self._stop.is_set():
                    return  # stopped while a read hung: nobody is told (the entry may be gone, its issues removed)
                # A recording must not span the gap (and maybe another carrier) until the source is back.
                pending, self._pending = self._pending, []
                for capture in pending:
                    capture.abort(RecordingAborted(f"the audio source failed during the recording: {err}"))
                if self._audio_s >= HEALTHY_AUDIO_S:
                    failures = 0
                self._on_error(err)
                delay = BACKOFF_S[min(failures, len(BACKOFF_S) - 1)]
                failures += 1
                self._stop.wait(delay)
            except Exception as err:
                if self._stop.is_set():
                    return
                _LOGGER.exception("uspd engine failed")
                self._on_error(SourceError("engine_failed", f"engine failed: {err}"))
                self._stop.wait(BACKOFF_S[-1])
            else:
                return
            finally:
                if source is not None:
                    source.close()
                    source = None

    def _sense(self, source: AudioSource) -> None:
        """Stream from `source` until it ends; SourceError if it ended without any audio."""
        # A calibration ends a stream; the next one senses with its result.
        while self._stream(source):
            pass
        if self._audio_s == 0 and not self._stop.is_set():
            # A recording emptied under a looping replay: not an end, a fault.
            raise SourceError("no_audio", "the audio source ended without delivering any audio")

    def _next_calibration(self) -> Future[Calibration] | None:
        """The next calibration asked for and not cancelled, marked running (one lock: `calibrating` has no gap)."""
        with self._lock:
            while True:
                try:
                    future = self._calibrations.get_nowait()
                except queue.Empty:
                    return None
                if future.set_running_or_notify_cancel():
                    self._calibrating = future
                    return future

    def _run_calibration(self, source: AudioSource, future: Future[Calibration]) -> bool:
        """In the worker thread, between blocks. True if the stream must restart with the result."""
        try:
            # Their baseband would continue at another carrier, and the sweep outlasts their callers' patience.
            pending, self._pending = self._pending, []
            for capture in pending:
                capture.abort(AbortedByCalibration("a calibration started during the recording; record again"))
            if self._last_snapshot is not None:
                self._on_snapshot(dataclasses.replace(self._last_snapshot, calibrating=True))
            try:
                result = calibrate(source.calibration_twin(), stop=self._stop, avoid_hz=lambda: self._avoid_hz)
            except CalibrationError as err:
                fail_future(future, err)
                return False
            except SourceError as err:
                # The stream fails with it (reported, retried); the caller hears why at once.
                fail_future(future, _because(CalibrationError(f"the audio source failed during the sweep: {err}"), err))
                raise
            except Exception as err:
                fail_future(future, _because(CalibrationError(f"the sweep failed: {err}"), err))
                raise
            self.calibration = result
            # The listener first: whoever awaits the future finds the result already handed on.
            if self._on_calibrated is not None:
                self._on_calibrated(result)
            resolve_future(future, result)  # unless stop() gave up on a stuck thread and failed it meanwhile
            return True
        finally:
            with self._lock:
                self._calibrating = None

    def _recalibration_allowed(self) -> bool:
        """At most one automatic recalibration an hour, across streams and restarts (the caller keeps the time)."""
        now = self._clock()
        if not recalibration_due(now, self.last_recalibration):
            return False
        self.last_recalibration = now
        if self._on_recalibration is not None:
            self._on_recalibration(now)
        return True

    def _stream(self, source: AudioSource) -> bool:
        """Sense until the source ends or the worker stops (False), or a calibration asks for a restart (True)."""
        cal = self.calibration
        if cal is not None and source.closed_loop:
            try:
                check_emission(source.audio_rate_hz, cal.carrier_hz)
            except RateError as err:
                # Kept from another source (a reconfigured device, a sound card now at a lower rate): sensing
                # at it would fail on every retry. Sense at the source's own carrier and calibrate afresh.
                _LOGGER.warning("the calibrated carrier cannot be used any more (%s): calibrating again", err)
                self.calibration = cal = None
                self.calibrate()
        if cal is not None and source.closed_loop:
            source.carrier_hz = cal.carrier_hz
        config = EngineConfig(source.audio_rate_hz, source.carrier_hz, source.channels, detector=self._detector)
        engine = Engine(config, self._classifier)
        self._engine = engine
        session = Session(
            engine,
            SourceFacts.of(source),
            cal,
            tone_on=self._emission_on,
            power_save=self._power_save,
            hold_s=self._detector.hold_s,
            publish_s=self._publish_s,
        )
        self._session = session
        source.set_emission(session.emission)
        started = time.monotonic()
        produced_s = 0.0
        while not self._stop.is_set():
            calibration = self._next_calibration()
            if calibration is not None and self._run_calibration(source, calibration):
                return True
            emission = session.switch_tone(self._emission_on)
            if emission is not None:
                source.set_emission(emission)
            if self._assume_occupied:
                self._assume_occupied = False
                engine.assume_occupied()
            block = source.read()
            if block is None or self._stop.is_set():
                # A read that outlasted stop()'s wait: whatever it brought reaches nobody.
                return False
            baseband, audible, block_s = session.baseband(block)
            produced_s += block_s
            self._audio_s += block_s
            with self._lock:
                # Captures asked for after a calibration wait for its carrier (calibrate() took those before
                # it); one lock with calibrate(), so none lands between the check and the drain.
                if self._calibrations.empty():
                    self._pending.extend(_drain(self._capture_requests))
            if self._pending:
                rate, carrier = engine.plan.baseband_rate_hz, engine.plan.carrier_hz
                # What the engine sees: a NaN burst is recorded as the zeros the engine replaced it with.
                clean = finite_samples(baseband)[0]
                self._pending = [c for c in self._pending if not c.feed(clean, rate, carrier)]
            session.power_save = self._power_save
            session.hold_s = self._detector.hold_s
            # Once per block: the source's position moves by blocks.
            outcome = session.process(baseband, source.ground_truth(), source.xruns, audible)
            for snapshot in outcome.snapshots:
                self._last_snapshot = snapshot
                self._on_snapshot(snapshot)
            if outcome.drifted and self._recalibration_allowed():
                _LOGGER.info("carrier SNR drifted from calibration (%.0f dB): recalibrating", session.calibrated_snr_db)
                self.calibrate()
            if not source.hardware_paced:
                # Keep simulated and recorded time in step with the clock (× speed).
                ahead = produced_s / self._speed - (time.monotonic() - started)
                if ahead > 0:
                    self._stop.wait(ahead)
        return False


def _drain[T](requests: queue.SimpleQueue[T]) -> list[T]:
    """Everything in the queue now (safe against another thread draining it too)."""
    items: list[T] = []
    while True:
        try:
            items.append(requests.get_nowait())
        except queue.Empty:
            return items


def _because(error: CalibrationError, cause: BaseException) -> CalibrationError:
    error.__cause__ = cause
    return error
