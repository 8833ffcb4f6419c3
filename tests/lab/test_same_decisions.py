"""lab.same_decisions: a moved decision or number is reported, the same outputs are not."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

from custom_components.uspd.engine.detector import Detector
from lab import same_decisions
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


def test_the_command_as_written_saves_compares_and_catches_a_moved_decision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """lab.same_decisions --save, then --against: the same engine decides the same, a changed one is caught."""
    saved = tmp_path / "before.npz"
    monkeypatch.setattr(sys, "argv", ["same_decisions", "--kinds", "walk", "--save", str(saved)])
    same_decisions.main()
    assert "1 scenes saved" in capsys.readouterr().out
    monkeypatch.setattr(sys, "argv", ["same_decisions", "--kinds", "walk", "--against", str(saved)])
    same_decisions.main()
    assert "the same decisions in all 1 scenes" in capsys.readouterr().out
    # A detector whose threshold sits 3 logits higher: some of the walk's frames must decide differently.
    threshold = Detector.threshold_logit
    monkeypatch.setattr(Detector, "threshold_logit", lambda self: threshold(self) + 3.0)
    with pytest.raises(SystemExit) as stop:
        same_decisions.main()
    assert stop.value.code == 1
    assert "decisions moved in 1 of 1 scenes" in capsys.readouterr().out
