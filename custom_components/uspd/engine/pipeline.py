"""The engine: audio blocks in, one Decision per analysis frame out."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from .clutter import ClutterFilter
from .demodulate import Demodulator
from .detector import BaselineDetector, Decision, DetectorConfig
from .doppler import DopplerFrame, DopplerFramer
from .rates import BasebandPlan, plan_baseband, speed_of_sound_ms


@dataclass(frozen=True)
class EngineConfig:
    audio_rate_hz: int
    carrier_hz: float
    channels: int
    detector: DetectorConfig = field(default_factory=DetectorConfig)
    temperature_c: float = 20.0


@dataclass(frozen=True)
class FrameResult:
    decision: Decision
    frame: DopplerFrame
    noise_floor_db: float  # per Doppler bin, dB re full scale
    carrier_snr_db: float  # static paths over the noise floor


class Engine:
    """Streaming: feed any block size; results are the same whatever the split."""

    def __init__(self, config: EngineConfig) -> None:
        if not 1 <= config.channels <= 8:
            raise ValueError(f"{config.channels} microphone channels: uspd uses 1 to 8")
        self.config = config
        self.plan: BasebandPlan = plan_baseband(config.audio_rate_hz, config.carrier_hz)
        rate = self.plan.baseband_rate_hz
        self.demodulator = Demodulator(self.plan, config.channels)
        self.clutter = ClutterFilter(rate, config.channels)
        self.framer = DopplerFramer(self.plan.frame_window, self.plan.frame_hop, rate, config.channels)
        # Radial speed of each Doppler bin: the one conversion everything downstream uses.
        self.speeds_ms = self.framer.freqs_hz * speed_of_sound_ms(config.temperature_c) / (2 * self.plan.carrier_hz)
        self.detector = BaselineDetector(config.detector, self.speeds_ms)
        self._far_bins = np.abs(self.speeds_ms) >= 0.5 * np.abs(self.speeds_ms).max()
        self._settle = self.demodulator.settle_samples

    def reconfigure(self, detector: DetectorConfig) -> None:
        self.detector.reconfigure(detector)

    def reset(self) -> None:
        self._settle = self.demodulator.settle_samples
        self.demodulator.reset()
        self.clutter.reset()
        self.framer.reset()
        self.detector.reset()

    def process(self, audio: NDArray[np.floating]) -> list[FrameResult]:
        """audio: (samples, channels) float in [-1, 1]."""
        return self.process_baseband(self.demodulate(audio))

    def demodulate(self, audio: NDArray[np.floating]) -> NDArray[np.complex128]:
        """Audio → complex baseband (channels × samples), without the filters' start-up transient."""
        if audio.ndim != 2 or audio.shape[1] != self.config.channels:
            raise ValueError(f"expected (samples, {self.config.channels}) audio, got {audio.shape}")
        baseband = self.demodulator.process(audio)
        if self._settle:
            # The demodulator's start-up transient would bias the static estimate
            # for most of a second (static paths sit ~100 dB over the noise).
            drop = min(self._settle, baseband.shape[1])
            baseband = baseband[:, drop:]
            self._settle -= drop
            self.framer.skip(drop)
        return baseband

    def process_baseband(self, baseband: NDArray[np.complex128]) -> list[FrameResult]:
        """baseband: (channels, samples) complex at ``plan.baseband_rate_hz``."""
        moving = self.clutter.process(baseband)
        static_db = 20 * float(np.log10(self.clutter.static_level.mean() + 1e-30))
        results = []
        for frame in self.framer.process(moving, self.clutter.static):
            floor = self.framer.floor.power
            assert floor is not None
            noise_db = 10 * math.log10(float(floor[self._far_bins].mean()) + 1e-30)
            results.append(
                FrameResult(
                    decision=self.detector.update(frame.t_s, frame.ratio),
                    frame=frame,
                    noise_floor_db=noise_db,
                    carrier_snr_db=static_db - noise_db,
                )
            )
        return results
