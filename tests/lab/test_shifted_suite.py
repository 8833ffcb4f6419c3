"""The shifted suite draws beyond training, on seeds of its own, one distractor class per empty room."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from custom_components.uspd.sim.scene import (
    Curtain,
    Fan,
    Impulses,
    Interferer,
    Music,
    PedestalFan,
    Seated,
    Walker,
)
from lab import seeds
from lab.scenes import KINDS, draw
from lab.shifted import DISTRACTOR_CLASSES, SHIFTED_KINDS


def test_the_shifted_suite_has_seeds_of_its_own_and_never_reuses_one() -> None:
    from lab import eval as lab_eval

    jobs = [job for js in lab_eval.shifted_suite(1.0, 20.0).values() for job in js]
    drawn = {job[0] for job in jobs}
    assert drawn <= set(seeds.SHIFTED)
    assert len(drawn) == len(jobs)
    assert not drawn & {job[0] for js in lab_eval.suite(1.0, 20.0).values() for job in js}
    # Training never draws a shifted kind: they are named only by this suite.
    assert not set(SHIFTED_KINDS) & set(KINDS)
    # Every empty-room class has its own hours (20 h over six classes: 3.3 h each).
    for cls in DISTRACTOR_CLASSES:
        assert len(lab_eval.shifted_suite(1.0, 20.0)[f"shifted_negative_{cls}"]) == 200


def test_each_empty_room_holds_its_class_and_nobody() -> None:
    expected = {
        "ceiling_fan": Fan,
        "pedestal_fan": PedestalFan,
        "music": Music,
        "curtain": Curtain,
        "tone": Interferer,
        "impulses": Impulses,
    }
    for cls, kind in expected.items():
        for seed in range(seeds.SHIFTED.start, seeds.SHIFTED.start + 6):
            scene = draw(seed, f"shifted_{cls}", 60.0).scene  # type: ignore[arg-type]
            assert scene.occupied() == []  # a walker behind the wall is outside
            assert any(isinstance(s, kind) for s in scene.sources)
            others = {type(s) for s in scene.sources} - {kind, Walker}
            assert not others, (cls, others)


def test_the_shifted_physics_reaches_beyond_training_s_ranges() -> None:
    base = seeds.SHIFTED.start
    devices = [draw(base + i, "shifted_walk", 20.0).scene.device for i in range(40)]
    assert all(d.bits == 24 and d.antialias_hz is not None for d in devices)
    assert all(0.45 * d.audio_rate_hz <= d.antialias_hz <= 0.5 * d.audio_rate_hz for d in devices)  # type: ignore[operator]
    assert max(abs(g) for d in devices for g in d.mic_gain_db) > 2.5  # training: σ = 1 dB
    assert max(abs(s) for d in devices for s in d.mic_tilt_db_per_khz) > 1.2
    assert {d.audio_rate_hz for d in devices} >= {44100, 48000, 96000}
    fans = [draw(base + i, "shifted_ceiling_fan", 60.0).scene.sources[0] for i in range(30)]
    assert all(isinstance(f, Fan) and f.flash_lobe_deg > 0 for f in fans)
    tips = [2 * math.pi * f.radius_m * f.rpm / 60 for f in fans if isinstance(f, Fan)]
    assert max(tips) <= 17.0 + 1e-9
    assert max(tips) > 10.0
    # The draft: 0.05-0.5 % of the speed of sound (training: 0.01-0.1 m/s, under 0.03 %).
    assert max(f.airflow_jitter_mps for f in fans if isinstance(f, Fan)) > 0.5
    curtains = [
        s for i in range(30) for s in draw(base + i, "shifted_curtain", 60.0).scene.sources if isinstance(s, Curtain)
    ]
    assert all(c.wave_m > 0 for c in curtains)
    assert max(2 * math.pi * c.sway_hz * c.sway_m for c in curtains) <= 0.3 + 1e-9
    music = [draw(base + i, "shifted_music", 60.0).scene.sources[0] for i in range(10)]
    assert all(isinstance(m, Music) and m.multipath for m in music)


def test_walks_cross_the_line_of_sight_and_keep_far_away() -> None:
    base = seeds.SHIFTED.start
    radial_share, far = [], 0
    for i in range(120):
        scene = draw(base + i, "shifted_walk", 20.0).scene
        walker = next(s for s in scene.sources if isinstance(s, Walker))
        dev = np.asarray(scene.device.speaker_m[:2])
        wp = np.asarray(walker.waypoints)
        ranges = np.linalg.norm(wp[:, 1:] - dev, axis=1)
        far += bool(ranges.min() >= 4.0)
        steps = np.linalg.norm(np.diff(wp[:, 1:], axis=0), axis=1).sum()
        if steps > 0:
            radial_share.append(abs(np.diff(ranges)).sum() / steps)
    assert far >= 5  # walkers that never come within 4 m
    assert min(radial_share) < 0.4  # walks mostly across the line of sight


def test_seats_reach_further_than_training_s() -> None:
    base = seeds.SHIFTED.start
    reach = []
    for i in range(60):
        scene = draw(base + i, "shifted_seated", 30.0).scene
        seat = next(s for s in scene.sources if isinstance(s, Seated)).seat_m
        reach.append(math.dist(seat, scene.device.speaker_m[:2]))
    assert max(reach) > 1.6
    assert max(reach) <= 2.5 + 1e-9


def test_the_side_by_side_table_says_where_a_goal_holds_only_on_the_point_estimate() -> None:
    from lab.compare_suites import compare
    from lab.eval import poisson_rate, wilson

    standard: dict[str, dict[str, Any]] = {
        "negative/network": {
            "motion_entity_false_alarms_by_source": {"music": [0, 3.0, *poisson_rate(0, 3.0)]},
            "occupancy_false_alarms_by_source": {"music": [1, 3.0, *poisson_rate(1, 3.0)]},
        },
        "walk/network": {"motion_entity_walks_detected": [98, 100, *wilson(98, 100)]},
        "seated/network": {
            "seated_from_the_start_occupied": [66, 100, *wilson(66, 100)],
            "seated_from_the_start_occupied_after_median_s": [13.0, 12.0, 14.5],
        },
    }
    shifted: dict[str, dict[str, Any]] = {
        "shifted_negative_music/network": {
            "hours": 3.0,
            "motion_entity_false_alarms_per_h": [0, *poisson_rate(0, 3.0)],  # 0 [0, 1.23]: the point only
            "occupancy_false_alarms_per_h": [9, *poisson_rate(9, 3.0)],  # 3 / h: missed
        },
        "shifted_negative_tone/network": {"hours": 6.0, "motion_entity_false_alarms_per_h": [0, *poisson_rate(0, 6.0)]},
        "shifted_walk/network": {"motion_entity_walks_detected": [300, 300, *wilson(300, 300)]},
        "shifted_seated/network": {
            "seated_from_the_start_occupied": [0, 30, *wilson(0, 30)],
            "seated_from_the_start_occupied_after_median_s": [math.nan, math.nan, math.nan],  # none opened
        },
    }
    rows = {line.split(" | ")[1]: line for line in compare(standard, shifted).splitlines()[2:]}
    assert rows["Motion turn-ons, empty room, music"].endswith("| point only |")
    assert rows["Motion turn-ons, empty room, tone"].endswith("| yes |")  # 0 in 6 h: under 1 / h on the interval
    assert rows["false occupancies, music"].endswith("| no |")
    assert "3.00 [" in rows["false occupancies, music"]
    assert "98.0 %" in rows["walks reported by Motion (the room opens)"]
    assert rows["walks reported by Motion (the room opens)"].endswith("| point only |")  # 300/300: lower bound < 99 %
    assert rows["false occupancies, ceiling fan"].endswith("| — |")  # no data, no verdict
    seated = rows["seated from the start, no walk-in: the room occupied within the scene's 30 s"]
    assert "66.0 % [" in seated
    assert seated.endswith("| 0.0 % [0.0, 11.4] (0/30) | — | no |")
    assert rows["the same, when it opened, median"] == (
        "| 6: ≤ 60 s | the same, when it opened, median | 13.0 s [12.0, 14.5] | — | — | — |"
    )
