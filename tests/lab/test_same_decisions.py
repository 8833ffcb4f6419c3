"""lab.same_decisions: a moved decision or number is reported, the same outputs are not."""

from __future__ import annotations

import math

import numpy as np

from lab.same_decisions import compare


def _outputs() -> dict[str, np.ndarray]:
    return {
        "motion": np.array(["none", "major", "minor"]),
        "occupied": np.array([False, True, True]),
        "reported": np.array(["none", "major", "minor"]),
        "probs": np.array([[np.nan] * 3, [0.1, 0.2, 0.7], [0.3, 0.6, 0.1]]),
        "score": np.array([0.0, 0.9, 0.6]),
        "db": np.zeros((3, 4)),
        "still_db": np.array([np.nan, -np.inf, 3.0]),
    }


def test_the_same_outputs_compare_equal() -> None:
    diff = compare(_outputs(), _outputs())
    assert diff == {
        "frames": 3.0,
        "different": 0.0,
        "asked_before": 2.0,
        "asked_after": 2.0,
        "probs": 0.0,
        "score": 0.0,
        "db": 0.0,
        "still_db": 0.0,
    }


def test_a_moved_decision_and_numbers_are_reported() -> None:
    after = _outputs()
    after["occupied"] = np.array([False, False, True])
    after["probs"][2, 0] += 1e-6
    after["still_db"][1] = 2.0
    diff = compare(_outputs(), after)
    assert diff["different"] == 1.0
    assert math.isclose(diff["probs"], 1e-6, rel_tol=1e-6)
    assert diff["still_db"] == math.inf


def test_frames_where_one_run_did_not_ask_the_network_are_counted_not_compared() -> None:
    after = _outputs()
    after["probs"][1] = np.nan  # not asked, and so scored 0
    after["score"][1] = 0.0
    diff = compare(_outputs(), after)
    assert (diff["asked_before"], diff["asked_after"], diff["probs"], diff["score"]) == (2.0, 1.0, 0.0, 0.0)
    after["probs"][2, 1] = 0.5
    assert math.isclose(compare(_outputs(), after)["probs"], 0.1, rel_tol=1e-9)


def test_a_run_with_fewer_frames_differs_everywhere() -> None:
    fewer = {k: v[:2] for k, v in _outputs().items()}
    assert compare(_outputs(), fewer)["different"] == math.inf
