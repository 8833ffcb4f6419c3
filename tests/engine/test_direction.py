"""direction.py: a walker's walking-band energy keeps one side of the carrier; a draft's swings both ways."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from numpy.typing import NDArray

from custom_components.uspd.engine.detector import Detector, DetectorConfig, Motion
from custom_components.uspd.engine.direction import (
    DirectionHistory,
    against_share,
    against_shares,
    one_way_share,
    one_way_shares,
    side_difference,
)
from custom_components.uspd.engine.evidence import Evidence
from custom_components.uspd.engine.features import GRID_BINS, GRID_SPEEDS_MPS, scale_db
from custom_components.uspd.engine.tuning import TUNING
from custom_components.uspd.engine.walking import TOWARDS, WALKING_BINS, walking_power

RNG = np.random.default_rng(5)


def _rows(speeds_mps: list[float], level_db: float = 20.0, rng: np.random.Generator = RNG) -> NDArray[np.float64]:
    """Walking-band power over the floor, a frame per speed: noise (~0 dB) and echo energy around that speed."""
    db = rng.normal(0.0, 2.0, (len(speeds_mps), GRID_BINS))
    for row, v in enumerate(speeds_mps):
        db[row] += level_db * np.exp(-0.5 * ((GRID_SPEEDS_MPS - v) / 0.2) ** 2)
    return walking_power(scale_db(db))


def test_the_approaching_side_is_the_positive_one() -> None:
    coming, going = (side_difference(row) for row in _rows([1.0, -1.0]))
    assert coming > 0 > going
    # The sign follows the grid's approaching bins, the same the symmetry rule weighs.
    assert (GRID_SPEEDS_MPS[WALKING_BINS][TOWARDS] > 0).all()


def _differences(rows: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.array([side_difference(row) for row in rows])


def test_a_walker_keeps_one_way_and_a_draft_does_not() -> None:
    walker = _differences(_rows([1.1 + 0.1 * np.sin(k / 3) for k in range(40)]))  # gait wobbles its speed
    assert one_way_share(walker) > 0.95
    # The draft: every echo seems to move one way, then the other, a few times a second.
    draft = _differences(_rows([0.8 * np.sign(np.sin(2 * np.pi * 3 * k * 0.025 + 0.3)) for k in range(40)]))
    assert one_way_share(draft) < 0.3
    assert one_way_share(np.zeros(40)) == 1.0  # silence says nothing either way


def test_the_history_covers_the_last_frames_and_a_reset_forgets() -> None:
    rows = _rows(list(RNG.uniform(-2.0, 2.0, 100)))
    d = _differences(rows)
    history = DirectionHistory(40)
    streamed, full = [], []
    for k, row in enumerate(rows):
        if k == 70:  # a reset (the tone switched) is a window of silence
            history.reset()
        history.push(row)
        streamed.append(history.share())
        full.append(history.full)
    # A whole window judged since the start: frames 39-69; the 30 after the reset are too few.
    assert [k for k, f in enumerate(full) if f] == list(range(39, 70))
    padded = np.concatenate([np.zeros(39), d[:70], np.zeros(39), d[70:]])
    expected = [one_way_share(padded[k : k + 40]) for k in range(70)]
    expected += [one_way_share(padded[109 + k : 149 + k]) for k in range(30)]
    assert streamed == pytest.approx(expected, abs=1e-12)
    assert one_way_shares(rows[:70], 40).tolist() == streamed[:70]  # the lab's, bit for bit


def test_a_frame_turned_against_the_last_few_is_told_from_a_walker() -> None:
    n, rng = TUNING.turn_frames, np.random.default_rng(12)
    walker = _differences(_rows([1.1 + 0.1 * np.sin(k / 3) for k in range(n)], rng=rng))
    assert against_share(walker) < 0.05
    # A draft just come on: a third of a second one way, so its 1 s window may still keep that way, then its eddy turns.
    gust = _differences(_rows([0.8] * (n - 3) + [-0.8] * 3, rng=rng))
    assert against_share(gust) > TUNING.turn_share
    # A walker whose first frames were noise: that noise weighs little against their echo (counted, it would not).
    arriving = _differences(_rows([0.0] * (n - 4) + [1.2] * 4, rng=rng))
    assert against_share(arriving) < TUNING.turn_share
    assert against_share(np.zeros(n)) == 0.0  # silence turns nowhere


def test_the_turn_is_judged_over_the_last_frames_as_the_lab_judges_it() -> None:
    rows = _rows(list(RNG.uniform(-2.0, 2.0, 60)))
    d = _differences(rows)
    history = DirectionHistory(40)
    streamed = []
    for row in rows:
        history.push(row)
        streamed.append(history.against(12))
    padded = np.concatenate([np.zeros(11), d])
    assert streamed == pytest.approx([against_share(padded[k : k + 12]) for k in range(60)], abs=1e-12)
    assert against_shares(rows, 12, 40).tolist() == streamed  # the lab's, bit for bit
    assert history.against(80) == pytest.approx(against_share(d[-40:]), abs=1e-12)  # never beyond the window


def test_walking_that_swings_both_ways_opens_no_room() -> None:
    walk = Evidence(motion_logit=5.0, major_logit=5.0, minor_db=20.0, major_db=20.0, guard_db=0.0)

    def feed(frames: list[Evidence]) -> list[tuple[Motion, bool]]:
        # The plain run (the fast one, clear walking's, would open after fewer frames: test_detector.py).
        det = Detector(DetectorConfig(), dataclasses.replace(TUNING, occupy_fast_logit=math.inf), network=True)
        return [(d.motion, d.occupied) for d in (det.update(k * 0.025, ev) for k, ev in enumerate(frames))]

    draft = dataclasses.replace(walk, two_way=True)
    got = feed([draft] * 80)
    assert all(m == Motion.MAJOR for m, _ in got[TUNING.onset_frames :])  # the raw motion sensor still says so
    assert not any(occ for _, occ in got)
    # One frame the draft swung back breaks the run: occupy_frames of one-way walking after it open the room.
    got = feed([walk] * 10 + [draft] + [walk] * (TUNING.occupy_frames - 1))
    assert not any(occ for _, occ in got)
    assert feed([walk] * 10 + [draft] + [walk] * TUNING.occupy_frames)[-1][1]
    # It breaks the fast run (clear walking's, as shipped) as well: occupy_fast_frames after it open the room.
    fast = TUNING.occupy_fast_frames
    assert fast < TUNING.occupy_frames
    det = Detector(DetectorConfig(), TUNING, network=True)
    opened = [det.update(k * 0.025, ev).occupied for k, ev in enumerate([walk] * 3 + [draft] + [walk] * (fast - 1))]
    assert not any(opened)
    assert det.update(1.0, walk).occupied
