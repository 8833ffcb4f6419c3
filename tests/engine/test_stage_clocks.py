"""The stages' own clocks: frame and breathing times count from the stream's start, gaps included; tuning's sources."""

from __future__ import annotations

import ast
import dataclasses
import inspect

import numpy as np
from numpy.typing import NDArray

from custom_components.uspd.engine import tuning
from custom_components.uspd.engine.detector import Motion
from custom_components.uspd.engine.doppler import DopplerFramer
from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.engine.pipeline import Engine, EngineConfig
from custom_components.uspd.engine.stillness import WINDOW_S, StillnessMeter
from custom_components.uspd.sim import library
from custom_components.uspd.sim.render import Renderer

RATE = 4000.0


def _tone_audio(seconds: float, fs: int = 96000, carrier_hz: float = 40000.0) -> NDArray[np.float64]:
    """Two mics of a steady tone in a little noise."""
    t = np.arange(int(seconds * fs)) / fs
    rng = np.random.default_rng(5)
    tone = 0.1 * np.cos(2 * np.pi * carrier_hz * t)
    return np.stack([tone, tone], axis=1) + 1e-4 * rng.normal(size=(len(t), 2))


def test_frame_times_count_the_start_up_transient_that_audio_drops() -> None:
    from_audio = Engine(EngineConfig(96000, 40000.0, 2))
    audio = _tone_audio(0.5)
    frames = [r.frame for a in range(0, len(audio), 4001) for r in from_audio.process(audio[a : a + 4001])]
    plan = from_audio.plan
    settle = from_audio.demodulator.settle_samples
    assert settle > 0
    assert frames[0].t_s == (settle + plan.frame_window) / plan.baseband_rate_hz
    assert np.allclose(np.diff([f.t_s for f in frames]), plan.hop_s)
    # Baseband straight from a source drops nothing: its first frame ends one window in.
    from_baseband = Engine(EngineConfig(96000, 40000.0, 2))
    baseband = np.ones((2, plan.frame_window), dtype=np.complex128)
    (first,) = from_baseband.process_baseband(baseband)
    assert first.frame.t_s == plan.frame_window / plan.baseband_rate_hz


def test_a_framer_block_that_starts_later_times_its_frames_from_there() -> None:
    framer = DopplerFramer(128, 100, RATE, 2)
    x = np.ones((2, 300), dtype=np.complex128)
    frames = framer.process(x, x, start_sample=500)
    assert [f.t_s for f in frames] == [(500 + 128) / RATE, (600 + 128) / RATE]
    assert framer.next_sample == 800
    # Without a start, a block follows the last.
    assert [f.t_s for f in framer.process(x, x)] == [(700 + 128) / RATE, (800 + 128) / RATE, (900 + 128) / RATE]


def _breathing(seconds: float) -> NDArray[np.complex128]:
    """Two mics: a static phasor, a torso echo whose path breathes (4 mm at 0.25 Hz), and mic noise, at RATE."""
    t = np.arange(int(seconds * RATE)) / RATE
    k = 2 * np.pi * 40000 / 343.0
    torso = 3e-3 * np.exp(-2j * k * 0.002 * np.sin(2 * np.pi * 0.25 * t))
    rng = np.random.default_rng(8)
    noise = 1e-5 * (rng.normal(size=(2, len(t))) + 1j * rng.normal(size=(2, len(t))))
    paths: NDArray[np.complex128] = np.vstack([1.0 + torso, 0.5j + 0.8 * torso * 1j])
    return paths + noise


def test_breathing_heard_after_a_gap_is_scored_as_a_fresh_window() -> None:
    x = _breathing(30.0)
    before, gap = int(10 * RATE), int(2 * RATE)
    heard = StillnessMeter(RATE, 2)
    heard.push(x[:, :before], 0)
    heard.push(x[:, before + gap :], before + gap)  # the samples between were never heard (the tone was off)
    fresh = StillnessMeter(RATE, 2)
    fresh.push(x[:, before + gap :], before + gap)
    assert heard.next_sample == fresh.next_sample == x.shape[1]
    assert heard.score_at(before / RATE) > tuning.TUNING.still_on_db  # a whole window before the gap
    after = np.arange((before + gap) / RATE + WINDOW_S, 30.0, 0.025, dtype=np.float64)
    a = np.array([heard.score_at(t) for t in after])
    b = np.array([fresh.score_at(t) for t in after])
    assert np.array_equal(a, b)
    assert (b > tuning.TUNING.still_on_db).all()


def test_the_engine_says_when_motion_last_kept_the_room() -> None:
    scene = library.walk_in_and_leave(duration_s=6.0)
    renderer = Renderer(scene)
    engine = Engine(EngineConfig(scene.device.audio_rate_hz, 40000.0, renderer.channels))
    assert engine.last_motion_s is None
    rate = engine.plan.baseband_rate_hz
    baseband = renderer.render_baseband(0, int(6.0 * rate), rate, Emission())
    decisions = [r.decision for r in engine.process_baseband(baseband)]
    held = [d.t_s for d in decisions if d.occupied and d.motion != Motion.NONE]
    assert held  # the walk opened the room
    assert engine.last_motion_s is not None
    assert max(held) <= engine.last_motion_s <= decisions[-1].t_s


def test_every_tuned_value_names_the_lab_command_that_chose_it() -> None:
    body = next(node for node in ast.parse(inspect.getsource(tuning)).body if isinstance(node, ast.ClassDef)).body
    fields = [
        (node.target.id, body[i + 1])
        for i, node in enumerate(body)
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    ]
    assert len(fields) == len(dataclasses.fields(tuning.Tuning))
    for name, doc in fields:
        assert isinstance(doc, ast.Expr), name
        assert isinstance(doc.value, ast.Constant), name
        assert isinstance(doc.value.value, str), name
        assert "`scripts/lab " in doc.value.value, name
