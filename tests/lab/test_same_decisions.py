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
        "db": np.zeros((3, 4)),
        "still_db": np.array([np.nan, -np.inf, 3.0]),
    }


def test_the_same_outputs_compare_equal() -> None:
    diff = compare(_outputs(), _outputs())
    assert diff == {"frames": 3.0, "different": 0.0, "probs": 0.0, "db": 0.0, "still_db": 0.0}


def test_a_moved_decision_and_numbers_are_reported() -> None:
    after = _outputs()
    after["occupied"] = np.array([False, False, True])
    after["probs"][2, 0] += 1e-6
    after["still_db"][1] = 2.0
    diff = compare(_outputs(), after)
    assert diff["different"] == 1.0
    assert math.isclose(diff["probs"], 1e-6, rel_tol=1e-6)
    assert diff["still_db"] == math.inf


def test_a_network_that_stops_or_starts_answering_is_reported() -> None:
    after = _outputs()
    after["probs"][0] = [0.9, 0.05, 0.05]
    assert compare(_outputs(), after)["probs"] == math.inf
    fewer = {k: v[:2] for k, v in _outputs().items()}
    assert compare(_outputs(), fewer)["different"] == math.inf
