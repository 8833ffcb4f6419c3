"""The engine: audio blocks in, one Decision per analysis frame out."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from ..base.acoustics import speed_of_sound_mps
from .calibration import static_db
from .classifier import Classifier
from .clutter import ClutterFilter
from .demodulate import AudibleBand, Demodulator
from .detector import Decision, Detector, DetectorConfig
from .direction import DirectionHistory
from .doppler import DopplerFrame, DopplerFramer
from .evidence import (
    NO_EVIDENCE,
    BandEvidence,
    Evidence,
    RecentMotionEnergy,
    RecentWalking,
    energy_caps,
    network_evidence,
    over_recent,
)
from .features import CONTEXT_FRAMES, FeatureStack
from .lines import LineMemory, beside_db, held_still, lines_in
from .rates import BasebandPlan, plan_baseband
from .reference import SpeakerReferences
from .stillness import StillnessMeter
from .symmetry import symmetric_power
from .tuning import TUNING, Tuning
from .walking import WALKING_IN_LINE, WalkingWindow, top_db

_LOGGER = logging.getLogger(__name__)

# Audio is in [-1, 1] (a float recording may exceed it a little); past a
# million times full scale a sample can only be corrupt (a float64 WAV can
# hold 1e300, whose square is +Inf downstream). Such samples count as
# non-finite.
MAX_ABS_SAMPLE = 1e6


def finite_samples[T: (np.float64, np.complex128)](x: NDArray[T]) -> tuple[NDArray[T], int]:
    """X with every NaN, ±Inf or absurd sample (|x| > MAX_ABS_SAMPLE, per part) replaced by 0, and their count.

    x itself is returned (not copied) when all is well, which is one dot
    product of its parts with themselves: no allocation on the common path.
    Any NaN, Inf or absurd part makes that sum NaN, Inf or over
    MAX_ABS_SAMPLE²; only then is each sample looked at.
    """
    flat = np.ascontiguousarray(x).reshape(-1)
    if flat.dtype == np.complex128:
        flat = flat.view(np.float64)
    with np.errstate(over="ignore", invalid="ignore"):  # a corrupt sample's square may overflow: that is the point
        energy = float(np.dot(flat, flat))
    if energy <= MAX_ABS_SAMPLE**2:  # NaN compares false
        return x, 0
    parts = (x.real, x.imag) if np.iscomplexobj(x) else (x,)
    bad = np.zeros(x.shape, dtype=bool)
    for p in parts:
        bad |= ~(np.abs(p) <= MAX_ABS_SAMPLE)  # NaN compares false
    if not bad.any():  # loud, yet every sample within bounds
        return x, 0
    clean = x.copy()
    clean[bad] = 0
    return clean, int(bad.sum())


@dataclass(frozen=True)
class EngineConfig:
    """The stream (rates, carrier, microphones), the user's detector options, and the values the lab tuned."""

    audio_rate_hz: int
    carrier_hz: float
    channels: int
    detector: DetectorConfig = field(default_factory=DetectorConfig)
    temperature_c: float = 20.0
    tuning: Tuning = TUNING


@dataclass(frozen=True)
class FrameResult:
    """What the engine says about one analysis frame: the decision and what it was made from."""

    decision: Decision
    frame: DopplerFrame
    noise_floor_db: float  # per Doppler bin, dB re full scale
    carrier_snr_db: float  # static paths over the noise floor
    # The network's (background, minor, major) where it was asked: not while blanked, nor where the band energy
    # alone ruled motion out (Detector.rules_out_motion; the decision's score is 0 there).
    probs: NDArray[np.float32] | None = None
    stillness_db: float = math.nan  # breathing's score of the window ending here (stillness.py)


# After the tone starts or stops, the static paths step by ~100 dB; the
# clutter filter restarts (running mean) and its leftovers are gone by then.
TONE_SETTLE_S = 0.3
# At a cold start the network is not asked for this long: the clutter filter
# settles (TONE_SETTLE_S) and the noise floor has seen 20 frames. At 1 s it
# missed four of the 40 real phone clips (three over before it was asked); at
# 0.5 s none, and the benchmark's cold starts in empty rooms open no room and
# turn Motion on no more (lab/README.md, "Real recordings").
NETWORK_START_S = 0.5


def network_start_frames(plan: BasebandPlan) -> int:
    """How many frames after a cold start the network is not asked about (NETWORK_START_S)."""
    return math.ceil(NETWORK_START_S / plan.hop_s)


class Engine:
    """Streaming: feed any block size; results are the same whatever the split.

    With a classifier, the network decides (its evidence feeds the detector's
    state machine); without one, the band-energy baseline does.

    Non-finite input (NaN, ±Inf, or past MAX_ABS_SAMPLE) is replaced by 0 at
    the door, audio and baseband alike, and counted in ``nonfinite_samples``;
    the first of a stream is logged as a warning. One NaN would otherwise
    stay in the filters' state for the rest of the stream.
    """

    def __init__(self, config: EngineConfig, classifier: Classifier | None = None) -> None:
        if not 1 <= config.channels <= 8:
            raise ValueError(f"{config.channels} microphone channels: uspd uses 1 to 8")
        self.config = config
        self.plan: BasebandPlan = plan_baseband(config.audio_rate_hz, config.carrier_hz)
        rate = self.plan.baseband_rate_hz
        self.demodulator = Demodulator(self.plan, config.channels)
        # Music cancelled from the audible band (reference.py), where the tuning turns it on; None: not at all.
        self.audible = AudibleBand(self.plan) if config.tuning.music_reference else None
        self.speaker_references = SpeakerReferences(rate) if config.tuning.music_reference else None
        self.clutter = ClutterFilter(rate, config.channels)
        self.stillness = StillnessMeter(rate, config.channels)
        self.framer = DopplerFramer(
            self.plan.frame_window, self.plan.frame_hop, rate, config.channels, config.tuning.music_reference
        )
        # Radial speed of each Doppler bin: the one conversion everything downstream uses.
        self.speeds_mps = self.framer.freqs_hz * speed_of_sound_mps(config.temperature_c) / (2 * self.plan.carrier_hz)
        self.bands = BandEvidence(self.speeds_mps, config.tuning)
        self.classifier = classifier
        self.features = FeatureStack(self.speeds_mps, CONTEXT_FRAMES if classifier is None else classifier.frames)
        self.walking = WalkingWindow(slow=math.isfinite(config.tuning.weak_line_db))
        self.line_memory = LineMemory(config.tuning)
        self.direction = DirectionHistory(config.tuning.one_way_frames)
        self.recent_motion = RecentMotionEnergy(config.tuning.motion_cap_frames)
        self.recent_walking = RecentWalking(config.tuning.recent_frames, config.tuning.occupy_frames)
        self.detector = Detector(config.detector, config.tuning, network=classifier is not None)
        far = np.abs(self.speeds_mps) >= 0.5 * np.abs(self.speeds_mps).max()
        # The mean over the far bins as one product (the noise floor's level, every frame).
        self._far_mean = far / far.sum()
        self._settle = self.demodulator.settle_samples
        # Baseband samples since the stream started, the demodulator's dropped start-up transient
        # included: where the next block sits in the stream, so frame times count from the stream's start.
        self._stream_samples = 0
        self.emitting = True
        self._blank_frames = 0
        # The frames a tone switched on or off disturbs: the clutter filter's
        # restart, plus one analysis window.
        self._settle_frames = math.ceil(TONE_SETTLE_S / self.plan.hop_s) + math.ceil(
            self.plan.frame_window / self.plan.frame_hop
        )
        self._carrier_snr_db = math.nan
        if classifier is not None:
            self._blank_frames = network_start_frames(self.plan)
        # Samples replaced at the door since this stream started (reset()).
        self.nonfinite_samples = 0
        # Why the network was dropped for the baseline mid-stream (it raised, or gave non-finite output).
        self.model_error: str | None = None

    @property
    def last_motion_s(self) -> float | None:
        """When motion last kept (or made) the room occupied, or a still person was last known there."""
        return self.detector.last_motion_s

    def assume_occupied(self) -> None:
        """The room was occupied when sensing last stopped (a restart): it is held from now on, see Detector."""
        self.detector.assume_occupied(self._stream_samples / self.plan.baseband_rate_hz)

    def reconfigure(self, detector: DetectorConfig) -> None:
        """The user's detector options changed; the stream carries on."""
        self.detector.reconfigure(detector)

    def set_emitting(self, on: bool) -> None:
        """The tone was switched on or off (power saving, the user): blank the disturbed frames.

        Frames without the tone, and those the switch disturbs, carry no
        evidence: the detector sees "no motion", so hold times keep counting
        (power saving re-checks before they run out).
        """
        if on == self.emitting:
            return
        self.emitting = on
        self.clutter.reset()
        self.stillness.restart(math.ceil(TONE_SETTLE_S * self.plan.baseband_rate_hz))
        self._blank_frames = self._settle_frames

    def reset(self) -> None:
        """A new stream: every stage starts over, and the stream's clock at zero."""
        self._settle = self.demodulator.settle_samples
        self._stream_samples = 0
        self.nonfinite_samples = 0
        if self.classifier is not None:
            self._blank_frames = network_start_frames(self.plan)
        self.demodulator.reset()
        if self.audible is not None and self.speaker_references is not None:
            self.audible.reset()
            self.speaker_references.reset()
        self.clutter.reset()
        self.stillness.restart()
        self.framer.reset()
        self._restart_windows()
        self.detector.reset()

    def _restart_windows(self) -> None:
        """The network's window and everything the rules keep over it start afresh, as at a cold start."""
        self.features.reset()
        self.walking.reset()
        self.line_memory.reset()
        self.direction.reset()
        self.recent_motion.reset()
        self.recent_walking.reset()

    def process(self, audio: NDArray[np.floating]) -> list[FrameResult]:
        """audio: (samples, channels) float in [-1, 1]."""
        return self.process_baseband(*self.demodulate(audio))

    def demodulate(self, audio: NDArray[np.floating]) -> tuple[NDArray[np.complex128], NDArray[np.float64] | None]:
        """Audio → complex baseband (channels × samples) and the audible band (samples), without the start-up.

        The audible band (demodulate.AudibleBand: the mics' mean below 1 kHz, the same samples) is what
        reference.SpeakerReferences needs to remove music's distortion, where Tuning.music_reference turns
        that on (None otherwise); it stays in memory, a block at a time.
        """
        if audio.ndim != 2 or audio.shape[1] != self.config.channels:
            raise ValueError(f"expected (samples, {self.config.channels}) audio, got {audio.shape}")
        clean = self._admit(np.asarray(audio, dtype=np.float64), "audio")
        baseband = self.demodulator.process(clean)
        audible = self.audible.process(clean) if self.audible is not None else None
        if self._settle:
            # The demodulator's start-up transient would bias the static estimate
            # for most of a second (static paths sit ~100 dB over the noise).
            drop = min(self._settle, baseband.shape[1])
            baseband = baseband[:, drop:]
            audible = audible[drop:] if audible is not None else None
            self._settle -= drop
            self._stream_samples += drop
        return baseband, audible

    def process_baseband(
        self, baseband: NDArray[np.complex128], audible: NDArray[np.float64] | None = None
    ) -> list[FrameResult]:
        """baseband: (channels, samples) complex at ``plan.baseband_rate_hz``; audible: the same samples' band.

        Without the audible band (a baseband recording, a source that has none), or with
        Tuning.music_reference off, music is not cancelled from what the speaker plays (reference.py); the
        multi-mic canceller still works.
        """
        baseband = self._admit(np.asarray(baseband, dtype=np.complex128), "baseband")
        references = None
        if audible is not None and self.speaker_references is not None:
            if audible.shape != baseband.shape[1:]:
                raise ValueError(f"audible band of {audible.shape} for baseband of {baseband.shape}")
            references = self.speaker_references.process(self._admit(np.asarray(audible, dtype=np.float64), "audible"))
        start = self._stream_samples
        self._stream_samples += baseband.shape[1]
        moving = self.clutter.process(baseband)
        # Without the tone there is no breathing to hear: the meter is not fed, and starts its window over after.
        if self.emitting:
            self.stillness.push(baseband, start)
        results = []
        frames = self.framer.process(moving, self.clutter.static, start, references)
        static = static_db(self.clutter.static_level) if frames else math.nan  # carrier_snr_db's, once a block
        for frame in frames:
            floor = self.framer.floor.power
            assert floor is not None
            noise_db = 10 * math.log10(float(floor @ self._far_mean) + 1e-30)
            if self.emitting and not self._blank_frames:
                self._carrier_snr_db = static - noise_db  # calibration.carrier_snr_db
            evidence, probs = self._evidence(frame)
            still_db = self.stillness.score_at(frame.t_s)
            results.append(
                FrameResult(
                    decision=self.detector.update(frame.t_s, evidence, still_db),
                    frame=frame,
                    noise_floor_db=noise_db,
                    carrier_snr_db=self._carrier_snr_db,
                    probs=probs,
                    stillness_db=still_db,
                )
            )
        return results

    def _admit[T: (np.float64, np.complex128)](self, x: NDArray[T], kind: str) -> NDArray[T]:
        """The door: non-finite samples become 0 and are counted; the stream's first is logged."""
        clean, bad = finite_samples(x)
        if bad:
            if not self.nonfinite_samples:
                _LOGGER.warning(
                    "non-finite %s samples (NaN, Inf, or over a million times full scale): %d replaced by 0;"
                    " later ones in this stream are only counted",
                    kind,
                    bad,
                )
            self.nonfinite_samples += bad
        return clean

    def _drop_network(self, why: str, frame: DopplerFrame) -> tuple[Evidence, None]:
        """Sense on with the band-energy baseline for the rest of the stream, and say why."""
        _LOGGER.warning("%s: using the band-energy baseline", why)
        self.model_error = why
        self.classifier = None
        self.detector.use_baseline()
        return self.bands(frame.ratio), None

    def _evidence(self, frame: DopplerFrame) -> tuple[Evidence, NDArray[np.float32] | None]:
        if self._blank_frames or not self.emitting:
            # Without our tone there is nothing to see (the closed-loop room
            # returns no echoes then): the frames are not judged at all, nor
            # those the switch disturbs. The network never saw either.
            self._blank_frames = max(0, self._blank_frames - 1)
            self._restart_windows()
            return NO_EVIDENCE, None
        if self.classifier is None:
            return self.bands(frame.ratio), None
        tuning = self.config.tuning
        window = self.features.push(frame.normalized_db)  # the network's (a lab model's may be longer)
        stack = window[-CONTEXT_FRAMES:]  # the rules'
        self.walking.push(stack[-1])
        self.direction.push(self.walking.power[-1])
        bands = self.bands.bands(frame.ratio)
        recent_db = self.recent_motion.push(bands)
        self.recent_walking.push(bands[1])
        moving_db = recent_db if self.detector.occupied else None
        probs = None
        # Most frames of a quiet room: the band energy alone keeps the detector at no motion, so the
        # network's answer could not change what the frame decides (Detector.rules_out_motion).
        ruled_out = self.detector.rules_out_motion(*energy_caps(bands, tuning, moving_db))
        if not ruled_out:
            try:
                probs = self.classifier.probs(window)
            except Exception as err:  # noqa: BLE001 - whatever a damaged model raises, the baseline senses on
                return self._drop_network(f"the motion model failed: {err}", frame)
            if not np.all(np.isfinite(probs)):
                return self._drop_network("the motion model gave non-finite probabilities", frame)
        walking = self.walking
        lines = lines_in(
            stack,
            walking.db,
            walking.peaks,
            tuning,
            self.line_memory.known_bin(),
            walking.slow_peaks if walking.slow else None,
            walking.slow_top_db if walking.slow else None,
        )
        lines = self.line_memory.update(lines, int(WALKING_IN_LINE[walking.peaks[-1]]))
        beside = float(beside_db(lines)) if lines.still else math.nan  # NaN: no still line (most frames)
        # Symmetry stops a room opening, impossible in a ruled-out frame, and marks a frame machine-like
        # (Detector._machine_like) only where the walking band reaches the opening gate.
        symmetry_counts = not ruled_out or bands[1] >= tuning.occupy_gate_db
        evidence = network_evidence(
            probs,
            bands,
            tuning,
            opens_no_room=symmetry_counts and bool(symmetric_power(walking.power, tuning, without=lines.own)),
            occupy_db=None if math.isnan(beside) else beside,
            motion_db=moving_db,
            opening_db=float(top_db(walking.power[-1], tuning.occupy_gate_top_bins))
            if tuning.occupy_gate_top_bins
            else None,
        )
        # What follows matters only to a frame that may be MAJOR, and so open a room: its major logit over the
        # lowest bar walking has (the threshold less hysteresis).
        if evidence.major_logit <= self.detector.threshold_logit() - tuning.hysteresis_logit:
            return evidence, probs
        # The opening gate stands on the walking band's recent level where that is higher (Tuning.recent_rise_db);
        # an occupied room opens nothing, and a walker in it (MAJOR) keeps it so: no median to take there.
        vacant = not self.detector.occupied
        if tuning.recent_rise_db > -math.inf and vacant and (levels := self.recent_walking.levels()) is not None:
            evidence = over_recent(evidence, *levels, tuning)
        # A tone just come on holds its bin still; a walker's gait moves theirs (Tuning.occupy_fast_frames). Asked, as
        # the median, only where the frame may open a vacant room.
        fast = tuning.occupy_fast_frames
        if vacant and fast < tuning.occupy_frames and bool(held_still(walking.db, walking.peaks, fast, tuning)):
            evidence = replace(evidence, held_still=True)
        # Whether the band kept one way (direction.py): until a whole window has been judged (after a cold start,
        # or the tone back on) a draft cannot be told from a walker, and no room opens: a ceiling fan switched on
        # 0.8 s into sensing did (lab/README.md, "Real recordings").
        # A fast opening asks more of it: a draft's one-way spells last long enough for 100 ms of clear walking.
        # A frame turned against the last few hundred ms is a draft's eddy, not a walker's step (direction.py).
        share = self.direction.share() if self.direction.full else 0.0
        if share < tuning.one_way_share or self.direction.against(tuning.turn_frames) >= tuning.turn_share:
            evidence = replace(evidence, two_way=True)
        elif share < tuning.occupy_fast_one_way and tuning.occupy_fast_frames < tuning.occupy_frames:
            evidence = replace(evidence, wavering=True)
        return evidence, probs
