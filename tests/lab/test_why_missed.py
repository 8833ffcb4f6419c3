"""lab.why_missed: the benchmark's walks, counted as the Motion entity counts them, and only walk sets."""

from __future__ import annotations

import math

import numpy as np
import pytest

from custom_components.uspd.engine.detector import Detector, DetectorConfig, Motion
from custom_components.uspd.engine.evidence import Evidence
from custom_components.uspd.engine.tuning import TUNING
from custom_components.uspd.sim.scene import Fan, Music, PedestalFan
from lab import why_missed
from lab.dataset import SceneFrames
from lab.eval import MINOR_SETS, WALK_SETS, Run, major_events
from lab.scenes import draw

from .refusal import refusal


def _scene(y: np.ndarray) -> SceneFrames:
    n = len(y)
    return SceneFrames(
        name="s",
        kind="walk",
        t=(np.arange(n, dtype=np.float32) + 1) * 0.025,
        x=np.zeros((n, 8), dtype=np.float16),
        y=y.astype(np.int8),
        occupied=y > 0,
        bands=np.zeros((n, 3), dtype=np.float32),
        rate_hz=96000,
        carrier_hz=40000.0,
        mics=1,
        still_db=np.full(n, np.nan, dtype=np.float32),
    )


def test_only_walks_of_half_a_second_that_come_within_4_m_are_weighed() -> None:
    y = np.zeros(200, dtype=np.int8)
    y[10:15] = 2  # 0.1 s: too short
    y[30:80] = 2  # near from frame 60
    y[100:180] = 2  # never within 4 m
    rng = np.full(200, 6.0)
    rng[60:70] = 3.0
    s = _scene(y)
    out = why_missed.walks(s, rng)
    assert [(a, b) for a, b, _ in out] == [(30, 80)]
    assert list(out[0][2]) == list(range(60, 70))
    nothing = Run(np.zeros(200, dtype=np.int8), np.zeros(200, dtype=bool))
    _, total, _, beyond = major_events([s], [nothing], [rng])
    assert (total, beyond) == (1, 1)  # the benchmark weighs the same one walk, and leaves out the far one


@pytest.mark.parametrize(
    ("major_at", "occupied_from", "hit"),
    [
        (50, 0, True),  # MAJOR in an occupied room during the walk
        (50, 60, False),  # MAJOR before the room opened, nothing after
        (95, 0, True),  # within 0.5 s (20 frames) of the walk's end
        (105, 0, False),  # later than that
    ],
)
def test_a_walk_is_reported_as_the_benchmark_counts_it(major_at: int, occupied_from: int, hit: bool) -> None:
    y = np.zeros(200, dtype=np.int8)
    y[30:80] = 2
    s = _scene(y)
    motion = np.zeros(200, dtype=np.int8)
    motion[major_at] = 2
    occupied = np.arange(200) >= occupied_from
    r = Run(motion, occupied)
    assert why_missed.reported(s, r, 30, 80) is hit
    hits, total, _, _ = major_events([s], [r], [np.full(200, 2.0)], entity=True)
    assert (hits, total) == (int(hit), 1)


def test_reach_bands_end_at_the_range_walks_are_counted_within() -> None:
    assert [why_missed.reach_band(m) for m in (0.5, 2.0, 2.9, 3.99, 4.0, 20.0)] == [
        "under 2 m",
        "2-3 m",
        "2-3 m",
        "3-4 m",
        "4 m or more",
        "4 m or more",
    ]


def test_the_longest_run() -> None:
    assert why_missed.longest_run(np.array([1, 1, 0, 1, 1, 1, 0], dtype=bool)) == 3
    assert why_missed.longest_run(np.zeros(4, dtype=bool)) == 0


def test_every_walk_set_the_benchmark_counts_is_explained(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    err = refusal(why_missed.main, ["why_missed", "--set", "seated"], monkeypatch, capsys)
    assert all(name in err for name in WALK_SETS)  # near_ultrasonic, the 48 kHz set, too


def test_a_set_with_nobody_walking_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "shifted_walk_fan" in refusal(
        why_missed.main, ["why_missed", "--suite", "shifted", "--set", "shifted_negative_tone"], monkeypatch, capsys
    )


def test_a_missed_hand_burst_is_put_down_to_what_stood_in_its_way() -> None:
    net = np.array([0, 1, 1, 0, 0], dtype=bool)
    energy = np.array([1, 0, 0, 1, 0], dtype=bool)
    none = np.zeros(5, dtype=bool)
    assert why_missed.burst_cause(net, energy, 2) == "the network and the energy in other frames"
    assert why_missed.burst_cause(none, energy, 2) == "the network"
    assert why_missed.burst_cause(net, none, 2) == "the motion gate"
    assert why_missed.burst_cause(none, none, 2) == "neither the network nor the energy"
    assert why_missed.burst_cause(net, net, 2).startswith("too brief")


def test_hand_bursts_are_explained_only_in_sets_with_someone_seated(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    err = refusal(why_missed.main, ["why_missed", "--set", "walk_fan", "--minor"], monkeypatch, capsys)
    assert all(name in err for name in MINOR_SETS)  # every set with seated people
    assert "walk_fan'" in err


def test_the_network_s_motion_bar_sits_lower_exactly_where_the_detector_is_in_context() -> None:
    # A walk opens the room, then a quiet wait past the context window, a walk-in again.
    detector = Detector(DetectorConfig(hold_s=1e4), network=True)
    walking = Evidence(motion_logit=9.0, major_logit=9.0, minor_db=20.0, major_db=20.0, guard_db=0.0)
    quiet = Evidence(motion_logit=-9.0, major_logit=-9.0, minor_db=0.0, major_db=0.0, guard_db=0.0)
    frame_s = 0.5
    t = np.arange(1400) * frame_s
    walks = (t < 10.0) | ((t >= 500.0) & (t < 505.0))
    truth, expected, motion, occupied = [], [], [], []
    for ti, w in zip(t, walks, strict=True):
        truth.append(detector.in_context(float(ti)))
        # The bar the detector applies to the network's motion logit (its bias already taken off), as P(motion).
        bar = detector._bars()[0] - (detector.context_boost_logit if truth[-1] else 0.0)  # noqa: SLF001
        expected.append(1.0 / (1.0 + math.exp(-(bar + TUNING.network_motion_bias_logit))))
        d = detector.update(float(ti), walking if w else quiet)
        motion.append(2 if d.motion == Motion.MAJOR else int(d.motion != Motion.NONE))
        occupied.append(d.occupied)
    bars = why_missed.network_motion_bars(t, np.array(motion), np.array(occupied))
    assert bars == pytest.approx(expected, abs=1e-12)
    assert len(set(np.round(bars, 9))) >= 3  # out of context, in context, and held by hysteresis
    in_context = np.array(truth)
    assert not in_context[(t > 320.0) & (t < 500.0)].any()  # the context window passed
    assert in_context[t > 505.0].any()  # and the walk-in brought it back


def test_the_tuning_streams_offer_their_walks_and_no_hand_bursts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    err = refusal(why_missed.main, ["why_missed", "--suite", "tuning", "--set", "home"], monkeypatch, capsys)
    assert "widened" in err
    assert "distracted" in err
    err = refusal(
        why_missed.main, ["why_missed", "--suite", "tuning", "--set", "widened", "--minor"], monkeypatch, capsys
    )
    assert "--minor" in err


def test_a_walk_is_tallied_by_what_else_sounds_in_its_room() -> None:
    assert why_missed.beside(draw(20_000, "walk_music", 20.0, None).scene.sources) == "music"
    fan = draw(10_000, "walk_fan", 20.0, None).scene.sources
    assert any(isinstance(s, Fan | PedestalFan) for s in fan)
    assert why_missed.beside(fan) == "a fan"
    alone = draw(0, "walk", 20.0, None).scene.sources
    assert not any(isinstance(s, Fan | PedestalFan | Music) for s in alone)
    assert why_missed.beside(alone) == "neither"
    # A room with music and a fan in it is tallied with music.
    assert why_missed.beside((*fan, *draw(20_000, "walk_music", 20.0, None).scene.sources)) == "music"
