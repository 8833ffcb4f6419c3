"""One stream's running policy: which tone to play, what to publish, when the calibration has drifted.

The worker (worker.py) builds one per stream and keeps what needs a thread:
reading the source, retries, the request queues, pacing. This object has no
thread and no lock, so a test drives it block by block and reads back the
snapshots to publish, the tone, the drift, the duty cycle and the Doppler image.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .calibration import Calibration, DriftWatch
from .detector import Motion
from .emission import DEFAULT_LEVEL, Emission
from .pipeline import Engine, FrameResult
from .powersave import DutyMeter, PowerSaver
from .sources import AudioSource, Block
from .spectrogram import DopplerHistory


@dataclass(frozen=True)
class Snapshot:
    """The device's state as the integration shows it, at one analysis frame."""

    t_s: float
    motion: Motion  # as the Motion entity shows it (Decision.reported): context-aware
    occupied: bool
    score: float
    carrier_hz: float
    noise_floor_db: float
    carrier_snr_db: float
    channels: int
    audio_rate_hz: int
    xruns: int = 0  # audio over/underruns so far (sound cards)
    emitting: bool = True
    classifier: str = "baseline"  # what decides: "litert", "numpy" (the network) or "baseline"
    duty_cycle: float = 1.0  # fraction of the last minute the tone was on
    emission_level: float = DEFAULT_LEVEL  # amplitude of the tone, digital full scale = 1
    calibrating: bool = False
    stillness_db: float = math.nan  # breathing's score of the last window (engine/stillness.py)
    ground_truth: str | None = None  # what a simulated room holds now (AudioSource.ground_truth)
    model_error: str | None = None  # why the network was dropped for the baseline mid-stream (Engine.model_error)
    motion_type: Motion = Motion.NONE  # the raw state, whatever the room (Decision.motion): the Motion type sensor


@dataclass(frozen=True)
class SourceFacts:
    """What a snapshot reports of the source, fixed while a stream runs."""

    carrier_hz: float
    channels: int
    audio_rate_hz: int
    # Whether the tone asked for is the tone captured: only then do the calibration's level and SNR apply.
    closed_loop: bool

    @classmethod
    def of(cls, source: AudioSource) -> SourceFacts:
        """The facts of an opened source."""
        return cls(source.carrier_hz, source.channels, source.audio_rate_hz, source.closed_loop)


@dataclass(frozen=True)
class Outcome:
    """What a block of frames asks of the worker."""

    snapshots: tuple[Snapshot, ...]  # to publish, oldest first
    # The carrier SNR has stayed away from the calibration's for DRIFT_S with the tone on: a
    # recalibration is due, if the hourly limit (the worker's, it outlives streams) allows one.
    drifted: bool


class Session:
    """A stream's tone, power saving, drift watch, duty meter, Doppler history and snapshots.

    The worker copies the user's settings (``power_save``, ``hold_s``) in
    before each block and hands the switch to ``switch_tone``; nothing here
    is touched from another thread but the Doppler history, which locks.
    """

    def __init__(
        self,
        engine: Engine,
        facts: SourceFacts,
        calibration: Calibration | None = None,
        *,
        tone_on: bool = True,
        power_save: bool = True,
        hold_s: float = 30.0,
        publish_s: float = 2.0,
    ) -> None:
        self.engine = engine
        self.facts = facts
        cal = calibration if facts.closed_loop else None
        self.level = cal.level if cal is not None else DEFAULT_LEVEL
        # What the calibration expects the carrier SNR to read (NaN: nothing to drift from).
        self.calibrated_snr_db = cal.carrier_snr_db if cal is not None else math.nan
        self.power_save = power_save
        self.hold_s = hold_s
        self.publish_s = publish_s
        self._saver = PowerSaver(power_save)
        self._drift = DriftWatch(self.calibrated_snr_db)
        self._duty = DutyMeter()
        self._history = DopplerHistory(engine.speeds_mps, engine.plan.hop_s)
        self.emitting = tone_on  # the tone as the source plays it now
        engine.set_emitting(tone_on)
        self._last: FrameResult | None = None
        self._truth: str | None = None
        self._published_at_s = -1e9

    @property
    def emission(self) -> Emission:
        """What the source should play now."""
        return Emission(carrier_hz=self.engine.plan.carrier_hz, level=self.level, on=self.emitting)

    @property
    def duty_cycle(self) -> float:
        """Fraction of the last minute the tone was on (1.0 before anything is known)."""
        return self._duty.recent()

    def switch_tone(self, switch_on: bool) -> Emission | None:
        """Before a block: the emission to hand the source if the tone changes, else None.

        The user's switch wins; power saving may pause the tone further.
        """
        want = switch_on and self._saver.emitting
        if want == self.emitting:
            return None
        self.emitting = want
        self.engine.set_emitting(want)
        return self.emission

    def baseband(self, block: Block) -> tuple[NDArray[np.complex128], NDArray[np.float64] | None, float]:
        """The block as baseband at the engine's rate, its audible band (None: the source has none), its seconds."""
        if block.audio is not None:
            baseband, audible = self.engine.demodulate(block.audio)
            return baseband, audible, block.duration_samples / self.facts.audio_rate_hz
        assert block.baseband is not None
        return block.baseband, block.audible, block.duration_samples / self.engine.plan.baseband_rate_hz

    def process(
        self,
        baseband: NDArray[np.complex128],
        ground_truth: str | None = None,
        xruns: int = 0,
        audible: NDArray[np.float64] | None = None,
    ) -> Outcome:
        """Run a block of baseband (with its audible band, where there is one) through the engine; ``feed`` it."""
        return self.feed(self.engine.process_baseband(baseband, audible), ground_truth, xruns)

    def feed(self, results: Sequence[FrameResult], ground_truth: str | None = None, xruns: int = 0) -> Outcome:
        """The frames the engine made of one block, with what the source says of the room and its xruns now."""
        self._saver.enabled = self.power_save
        # The detector's state after the whole block: power saving re-checks from it.
        last_motion_s = self.engine.last_motion_s
        snapshots: list[Snapshot] = []
        drifted = False
        for r in results:
            self._history.append(r.frame.normalized_db)
            self._duty.add(r.decision.t_s, self.emitting)
            self._saver.update(r.decision, last_motion_s, self.hold_s)
            if self.emitting and self._drift.update(r.decision.t_s, r.carrier_snr_db):
                drifted = True
            last = self._last
            changed = (
                last is None
                or r.decision.motion != last.decision.motion
                or r.decision.reported != last.decision.reported
                or r.decision.occupied != last.decision.occupied
                or ground_truth != self._truth
            )
            self._truth = ground_truth
            self._last = r
            if changed or r.decision.t_s - self._published_at_s >= self.publish_s:
                self._published_at_s = r.decision.t_s
                snapshots.append(self._snapshot(r, xruns))
        return Outcome(tuple(snapshots), drifted)

    def doppler_image(self) -> NDArray[np.float32]:
        """The recent Doppler band, (speed bins, frames), newest on the right (safe from any thread)."""
        return self._history.image()

    def _snapshot(self, r: FrameResult, xruns: int) -> Snapshot:
        d = r.decision
        classifier = self.engine.classifier
        return Snapshot(
            t_s=d.t_s,
            motion=d.reported,
            motion_type=d.motion,
            occupied=d.occupied,
            score=d.score,
            carrier_hz=self.facts.carrier_hz,
            noise_floor_db=r.noise_floor_db,
            carrier_snr_db=r.carrier_snr_db,
            channels=self.facts.channels,
            audio_rate_hz=self.facts.audio_rate_hz,
            xruns=xruns,
            emitting=self.emitting,
            duty_cycle=self._duty.recent(),
            emission_level=self.level,
            classifier=classifier.backend if classifier is not None else "baseline",
            stillness_db=r.stillness_db,
            ground_truth=self._truth,
            model_error=self.engine.model_error,
        )
