"""Breathing keeps a still person's room occupied (engine/stillness.py), and nothing else does."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from numpy.typing import NDArray

from custom_components.uspd.engine.detector import Detector, DetectorConfig
from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.engine.evidence import NO_EVIDENCE, Evidence
from custom_components.uspd.engine.pipeline import Engine, EngineConfig
from custom_components.uspd.engine.stillness import (
    WINDOW_S,
    StillnessMeter,
    slow_phase_score,
    still_since,
    window_features,
)
from custom_components.uspd.engine.tuning import TUNING
from custom_components.uspd.sim.library import TWO_MICS
from custom_components.uspd.sim.render import Renderer
from custom_components.uspd.sim.scene import Fan, PedestalFan, Scene, Seated

STILL_ON_DB = TUNING.still_on_db

RATE = 4000.0
K = 2 * np.pi * 40000 / 343.0  # wavenumber at 40 kHz


def _chest(
    seconds: float, breath_hz: float = 0.25, depth_m: float = 0.004, echo: float = 3e-3
) -> NDArray[np.complex128]:
    """Two mics: a static phasor, a torso echo whose path breathes, and mic noise."""
    t = np.arange(int(seconds * RATE)) / RATE
    rng = np.random.default_rng(5)
    d = depth_m / 2 * np.sin(2 * np.pi * breath_hz * t)
    torso = echo * np.exp(-2j * K * d)
    noise = 1e-5 * (rng.normal(size=(2, len(t))) + 1j * rng.normal(size=(2, len(t))))
    paths: NDArray[np.complex128] = np.vstack([1.0 + torso, 0.5j + 0.8 * torso * 1j])
    return paths + noise


def _slow(x: NDArray[np.complex128]) -> NDArray[np.complex128]:
    """The baseband averaged 200 samples at a time: the slow phase the meter reads."""
    slow: NDArray[np.complex128] = x.reshape(x.shape[0], -1, 200).mean(axis=2)
    return slow


def test_a_breathing_chest_scores_far_over_the_threshold_and_noise_far_under() -> None:
    assert slow_phase_score(_slow(_chest(WINDOW_S)), 20.0) > STILL_ON_DB + 10
    rng = np.random.default_rng(1)
    shape = (2, int(WINDOW_S * RATE))
    noise: NDArray[np.complex128] = rng.normal(size=shape) + 1j * rng.normal(size=shape)
    quiet = 1.0 + 1e-5 * noise
    assert slow_phase_score(_slow(quiet), 20.0) < 10.0


def test_turbulence_a_step_and_a_drift_are_not_breathing() -> None:
    rng = np.random.default_rng(2)
    n = int(WINDOW_S * 20)
    t = np.arange(n) / 20
    # Airflow: a broadband wobble of the static paths' phase, 0.3-9 Hz (fans).
    f = np.exp(rng.uniform(np.log(0.3), np.log(9.0), 40))
    wobble = (rng.normal(size=40)[:, None] / np.sqrt(f)[:, None] * np.sin(2 * np.pi * f[:, None] * t)).sum(axis=0)
    fan = np.exp(0.01j * wobble)[None, :] * np.ones((2, 1))
    assert slow_phase_score(fan, 20.0) < STILL_ON_DB
    # A door swinging shut: the static paths step once; warming air: the phase ramps.
    step = np.ones((2, n), dtype=complex)
    step[:, n // 2 :] *= np.exp(0.3j)
    assert slow_phase_score(step, 20.0) == -math.inf
    swing = np.exp(0.5j * np.clip((t - 3.0) / 3.0, 0, 1))[None, :] * np.ones((2, 1))
    assert slow_phase_score(swing, 20.0) == -math.inf
    ramp = np.exp(0.2j * t)[None, :] * np.ones((2, 1))
    assert slow_phase_score(ramp, 20.0) < STILL_ON_DB
    # Another device's tone 1 Hz off the carrier: a steady small turn, one way only.
    tone = 1.0 + 0.01 * np.exp(2j * np.pi * 1.0 * t)[None, :] * np.ones((2, 1))
    ratio_db, crossings, balance_db = window_features(tone, 20.0)
    # As strong and as periodic as breathing...
    assert ratio_db > STILL_ON_DB
    assert crossings >= 2
    # ...but never coming back.
    assert balance_db < -20
    assert slow_phase_score(tone, 20.0) == -math.inf
    assert window_features(_slow(_chest(WINDOW_S)), 20.0)[2] > -3


def test_the_meter_is_the_same_whatever_the_blocks_and_never_looks_ahead() -> None:
    x = _chest(20.0)
    whole = StillnessMeter(RATE, 2)
    whole.push(x)
    split = StillnessMeter(RATE, 2)
    for start in range(0, x.shape[1], 777):
        split.push(x[:, start : start + 777])
    times = np.arange(0.0, 20.0, 0.025, dtype=np.float64)
    a = np.array([whole.score_at(t) for t in times])
    b = np.array([split.score_at(t) for t in times])
    assert np.array_equal(np.isnan(a), np.isnan(b))
    assert np.allclose(a[~np.isnan(a)], b[~np.isnan(b)])
    # The first window ends WINDOW_S into the stream: nothing before it.
    assert np.isnan(a[times < WINDOW_S - 1e-6]).all()
    assert (a[times >= WINDOW_S] > STILL_ON_DB).all()


def test_a_tone_switch_starts_the_window_over() -> None:
    engine = Engine(EngineConfig(96000, 40000.0, 2))
    x = _chest(12.0)
    engine.process_baseband(x[:, : int(10 * RATE)])
    assert engine.stillness.score_at(10.0) > STILL_ON_DB
    engine.set_emitting(False)
    engine.set_emitting(True)
    results = engine.process_baseband(x[:, int(10 * RATE) :])
    assert all(math.isnan(r.stillness_db) for r in results)


def _detector_at(t: float, ev: Evidence, still_db: float, det: Detector) -> bool:
    """Whether the detector holds the room at `t` on this evidence and breathing's score of the window ending then."""
    return det.update(t, ev, still_db).occupied


def test_stillness_keeps_an_occupied_room_and_opens_none() -> None:
    walking = Evidence(5.0, 5.0, 20.0, 20.0, 0.0)
    det = Detector(DetectorConfig(hold_s=30.0), dataclasses.replace(TUNING, occupy_frames=1))
    # Vacant: breathing alone never opens the room.
    breathing = STILL_ON_DB + 1
    assert not any(_detector_at(t, NO_EVIDENCE, breathing, det) for t in np.arange(0.0, 60.0, 0.5, dtype=np.float64))
    for t in (60.0, 60.025, 60.05):
        det.update(t, walking)
    assert det.occupied
    # Still for two minutes, breathing seen throughout: occupied all along.
    assert all(_detector_at(t, NO_EVIDENCE, breathing, det) for t in np.arange(61.0, 180.0, 0.5, dtype=np.float64))
    # They leave at 180 s: the windows ending later saw no breathing. Vacant a hold after the last window's start.
    last_start = 179.5 - WINDOW_S
    occupied = {t: _detector_at(t, NO_EVIDENCE, math.nan, det) for t in np.arange(180.0, 230.0, 0.5, dtype=np.float64)}
    assert all(v for t, v in occupied.items() if t <= last_start + 30.0)
    assert not any(v for t, v in occupied.items() if t > last_start + 30.0)


def test_still_since_is_the_windows_start_and_only_over_the_threshold() -> None:
    assert still_since(100.0, STILL_ON_DB + 1) == pytest.approx(100.0 - WINDOW_S)
    assert still_since(100.0, STILL_ON_DB - 1) is None
    assert still_since(100.0, math.nan) is None


def _scores(scene: Scene) -> NDArray[np.float64]:
    """The engine's stillness score at every frame of the scene, at the device's own rate, 40 kHz."""
    renderer = Renderer(scene)
    engine = Engine(EngineConfig(scene.device.audio_rate_hz, 40000.0, renderer.channels))
    rate = engine.plan.baseband_rate_hz
    out: list[float] = []
    for a in range(0, int(scene.duration_s * rate), int(rate)):
        y = renderer.render_baseband(a, int(rate), rate, Emission(carrier_hz=40000.0, level=0.5))
        out += [r.stillness_db for r in engine.process_baseband(y)]
    return np.asarray(out, dtype=np.float64)


def test_a_simulated_still_sitter_is_seen_and_fans_are_not() -> None:
    sitter = Scene("still", 30.0, sources=(Seated(0.0, 30.0, seat_m=(2.5, 2.0), activity=0.0),), device=TWO_MICS)
    scores = _scores(sitter)
    seen = scores[~np.isnan(scores)]
    assert len(seen) > 0.6 * len(scores)
    assert (seen >= STILL_ON_DB).mean() > 0.95
    for fan in (Fan(0.0, 30.0), PedestalFan(0.0, 30.0)):
        scores = _scores(Scene("fan", 30.0, sources=(fan,), device=TWO_MICS, seed=8))
        assert np.nanmax(scores) < STILL_ON_DB - 3
