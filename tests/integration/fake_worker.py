"""A stand-in for the engine's worker thread: the shell's tests hand it snapshots, failures and sweeps.

The integration constructs `EngineWorker` in coordinator.py; the `fake_worker`
fixture puts `FakeWorker` there instead. Nothing runs in a thread and nothing
waits on a clock: a snapshot reaches the entities when a test publishes it.
What the fake was asked (detector, tone, power saving) it keeps in public
attributes, so tests read the request, never the real worker's internals.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from homeassistant.core import HomeAssistant

from custom_components.uspd.engine.calibration import Calibration, CalibrationError, CarrierMeasurement
from custom_components.uspd.engine.classifier import Classifier
from custom_components.uspd.engine.detector import DetectorConfig, Motion
from custom_components.uspd.engine.recorder import (
    AbortedByCalibration,
    BasebandCapture,
    BasebandClip,
    ClipCapture,
    RecordingAborted,
)
from custom_components.uspd.engine.sources import AudioSource, SourceConfig, SourceError
from custom_components.uspd.engine.worker import Snapshot

# What the engine says of a simulated room with nobody in it (4 mics at 96 kHz, the tone at 40 kHz).
VACANT = Snapshot(
    t_s=1.5,
    motion=Motion.NONE,
    occupied=False,
    score=0.02,
    carrier_hz=40000.0,
    noise_floor_db=-96.4,
    carrier_snr_db=58.3,
    channels=4,
    audio_rate_hz=96000,
    classifier="numpy",
    emission_level=0.1,
    ground_truth="Nobody",
)
# Someone walking in, seconds later.
WALKING = replace(
    VACANT,
    t_s=4.0,
    motion=Motion.MAJOR,
    motion_type=Motion.MAJOR,
    occupied=True,
    score=0.97,
    stillness_db=11.5,
    ground_truth="Someone walking",
)
# The sweep a fake worker answers with unless a test says otherwise: two carriers measured, 40 kHz chosen.
SWEPT = Calibration(
    40000.0,
    0.1,
    31.0,
    False,
    4.0,
    (
        CarrierMeasurement(38000.0, (-24.0, -25.0, -23.5, -24.5), -118.0, 3.0),
        CarrierMeasurement(40000.0, (-22.0, -23.0, -21.5, -22.5), -120.0, 2.0),
    ),
)
BASEBAND_HZ = 4000.0
BLOCK = 2000  # baseband samples a block: the fake feeds captures in blocks, as the engine does


def canned_clip(seconds: float, carrier_hz: float, mics: int = 4) -> BasebandClip:
    """A clip of `seconds` of baseband: each mic a static echo of its own phase (the same for every call)."""
    n = max(1, round(seconds * BASEBAND_HZ))
    phases = np.exp(1j * np.linspace(0.0, math.pi, mics))[:, None]
    return BasebandClip(0.01 * phases * np.ones((1, n)), BASEBAND_HZ, carrier_hz)


@dataclass
class FakeEngine:
    """What the fake workers share with the test: how they answer, and every worker the integration made."""

    hass: HomeAssistant
    # A calibration each sweep returns at once, an error it fails with, or None: it waits for finish_calibration.
    sweep: Calibration | CalibrationError | None = SWEPT
    # Whether recordings are held until finish_captures (else they are answered at once).
    hold_captures: bool = False
    # The PNG doppler_png returns; None until audio has flowed.
    doppler_png: bytes | None = None
    workers: list[FakeWorker] = field(default_factory=list)

    @property
    def worker(self) -> FakeWorker:
        """The worker of the entry's latest start."""
        assert self.workers, "the integration started no worker"
        return self.workers[-1]

    async def publish(self, snapshot: Snapshot = WALKING, **changes: Any) -> Snapshot:
        """Hand a snapshot over as the worker thread does, and let Home Assistant process it."""
        sent = replace(snapshot, **changes)
        self.worker.on_snapshot(sent)
        await self.hass.async_block_till_done()
        return sent

    async def fail(self, error: SourceError) -> None:
        """Report a source failure as the worker thread does."""
        self.worker.on_error(error)
        await self.hass.async_block_till_done()

    async def recalibrated(self, started_at: float) -> None:
        """Report an automatic recalibration's start as the worker thread does."""
        assert self.worker.on_recalibration is not None
        self.worker.on_recalibration(started_at)
        await self.hass.async_block_till_done()

    def finish_calibration(self, result: Calibration | CalibrationError) -> None:
        """End the sweep under way; captures held for it are then recorded."""
        self.worker.end_sweep(result)

    def finish_captures(self) -> None:
        """Record every capture asked for and held."""
        self.worker.record_held()


class FakeWorker:
    """EngineWorker's interface (tests/integration/test_fake_worker.py holds them equal), with no thread."""

    def __init__(
        self,
        engine: FakeEngine,
        source_config: SourceConfig,
        detector: DetectorConfig,
        on_snapshot: Callable[[Snapshot], None],
        on_error: Callable[[SourceError], None],
        *,
        speed: float = 1.0,
        publish_s: float = 2.0,
        emission_on: bool = True,
        opener: Callable[[SourceConfig], AudioSource] | None = None,
        classifier: Classifier | None = None,
        power_save: bool = True,
        calibration: Calibration | None = None,
        on_calibrated: Callable[[Calibration], None] | None = None,
        last_recalibration: float | None = None,
        on_recalibration: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.engine = engine
        self.source_config = source_config
        self.detector = detector
        self.on_snapshot = on_snapshot
        self.on_error = on_error
        self.emission_on = emission_on
        self.classifier = classifier
        self.power_save = power_save
        self.calibration = calibration
        self.on_calibrated = on_calibrated
        self.last_recalibration = last_recalibration
        self.on_recalibration = on_recalibration
        self.source: AudioSource | None = None
        self.started = False
        self.stopped = False
        self.sweeps = 0  # calibrations asked for
        self.assumed_occupied = 0  # restores of an occupied room asked for
        self._sweeping: Future[Calibration] | None = None
        self._held: list[BasebandCapture[Any]] = []
        engine.workers.append(self)

    def start(self, source: AudioSource | None = None) -> None:
        """Take the source the integration opened; nothing runs until a test publishes."""
        self.source = source
        self.started = True

    def stop(self, timeout: float = 5.0) -> None:
        """Close the source and fail every request still waiting, as the real worker does."""
        self.stopped = True
        if self.source is not None:
            self.source.close()
        if self._sweeping is not None and not self._sweeping.done():
            self._sweeping.set_exception(CalibrationError("the engine stopped"))
        for capture in self._held:
            capture.abort(RecordingAborted("the engine stopped before the recording ended"))
        self._held = []

    def join(self) -> None:
        """Nothing to wait for: no thread runs."""

    @property
    def calibrating(self) -> bool:
        """A sweep is under way."""
        return self._sweeping is not None and not self._sweeping.done()

    def set_emission(self, on: bool) -> None:
        """Keep what the integration asked for."""
        self.emission_on = on

    def assume_occupied(self) -> None:
        """Count what the integration asked for."""
        self.assumed_occupied += 1

    def set_power_save(self, on: bool) -> None:
        """Keep what the integration asked for."""
        self.power_save = on

    def set_detector(self, detector: DetectorConfig) -> None:
        """Keep what the integration asked for."""
        self.detector = detector

    def avoid_carriers(self, carriers_hz: tuple[float, ...]) -> None:
        """Keep what the caller asked for."""
        self.avoid_hz = tuple(carriers_hz)

    def calibrate(self) -> Future[Calibration]:
        """A sweep: answered at once with `engine.sweep`, or left running for the test to end."""
        self.sweeps += 1
        future: Future[Calibration] = Future()
        if self.stopped:
            future.set_exception(CalibrationError("the engine stopped"))
            return future
        # Recordings asked for before the sweep and not yet started are cut short, as by the real worker.
        for capture in self._held:
            capture.abort(AbortedByCalibration("a calibration started before the recording could; record again"))
        self._held = []
        self._sweeping = future
        if self.engine.sweep is not None:
            self.end_sweep(self.engine.sweep)
        return future

    def capture[T](self, capture: BasebandCapture[T]) -> Future[T]:
        """Feed a canned clip in blocks, at once unless captures are held or a sweep runs (then after it)."""
        if self.stopped:
            capture.abort(RecordingAborted("the engine stopped before the recording ended"))
        elif self.engine.hold_captures or self.calibrating:
            self._held.append(capture)
        else:
            self._feed(capture)
        return capture.future

    def capture_baseband(self, seconds: float) -> Future[BasebandClip]:
        """A canned clip in memory, as capture() gives it."""
        return self.capture(ClipCapture(seconds))

    @property
    def held(self) -> int:
        """Recordings asked for and held (FakeEngine.hold_captures)."""
        return len(self._held)

    def doppler_png(self) -> bytes | None:
        """The engine's picture for this test."""
        return self.engine.doppler_png

    def end_sweep(self, result: Calibration | CalibrationError) -> None:
        """End the sweep under way as the real worker does: report the result, then answer the request."""
        future, self._sweeping = self._sweeping, None
        assert future is not None, "no sweep is under way"
        if isinstance(result, CalibrationError):
            future.set_exception(result)
            return
        self.calibration = result
        if self.on_calibrated is not None:
            self.on_calibrated(result)
        future.set_result(result)
        if not self.engine.hold_captures:
            self.record_held()

    def record_held(self) -> None:
        """Feed every held capture a canned clip."""
        held, self._held = self._held, []
        for capture in held:
            self._feed(capture)

    def _feed(self, capture: BasebandCapture[Any]) -> None:
        """Feed `capture` a canned clip block by block until it takes no more (in this thread: no clock, no wait)."""
        clip = canned_clip(capture.seconds, self._carrier_hz())
        for start in range(0, clip.baseband.shape[1], BLOCK):
            if capture.feed(clip.baseband[:, start : start + BLOCK], clip.rate_hz, clip.carrier_hz):
                return

    def _carrier_hz(self) -> float:
        """The carrier recordings are made at: the calibration's, else the source's."""
        return self.calibration.carrier_hz if self.calibration is not None else self.source_config.carrier_hz
