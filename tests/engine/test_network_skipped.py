"""Where the band energy alone rules motion out, the network is not asked: the frame decides the same regardless."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest

from custom_components.uspd.engine.classifier import Classifier
from custom_components.uspd.engine.detector import Detector, DetectorConfig, Motion
from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.engine.evidence import energy_caps, network_evidence
from custom_components.uspd.engine.pipeline import Engine, EngineConfig
from custom_components.uspd.engine.tuning import TUNING, Tuning
from custom_components.uspd.sim import library
from custom_components.uspd.sim.render import Renderer
from custom_components.uspd.sim.scene import Scene

EXTREMES = [
    np.array([0.0, 0.0, 1.0], dtype=np.float32),  # sure someone walks
    np.array([0.0, 1.0, 0.0], dtype=np.float32),  # sure of minor motion
    np.array([1.0, 0.0, 0.0], dtype=np.float32),  # sure of nothing
]


@pytest.mark.parametrize("sensitivity", [0.0, 30.0, 50.0, 70.0])
def test_a_ruled_out_frame_decides_the_same_whatever_the_network_says(sensitivity: float) -> None:
    rng = np.random.default_rng(int(sensitivity))
    detector = Detector(DetectorConfig(sensitivity_pct=sensitivity), network=True)
    ruled_out = asked = 0
    states = set()
    for i in range(4000):
        t = i * 0.025
        # Bursts of walking-band energy between quiet stretches, so the detector visits every state.
        loud = (i // 60) % 3 == 0
        bands = (rng.normal(6 if loud else 0, 3), rng.normal(10 if loud else 0, 4), rng.normal(0, 1))
        probs = rng.dirichlet([0.05, 0.3, 30] if loud else [1, 1, 1]).astype(np.float32)
        if detector.rules_out_motion(*energy_caps(bands)):
            ruled_out += 1
            decisions = []
            for p in [None, *EXTREMES]:
                trial = copy.deepcopy(detector)
                d = trial.update(t, network_evidence(p, bands, occupy_db=None))
                decisions.append((d.motion, d.occupied, d.reported))
            assert len(set(decisions)) == 1, (i, bands, decisions)
            assert decisions[0][0] == Motion.NONE
            ev = network_evidence(None, bands)
        else:
            asked += 1
            ev = network_evidence(probs, bands)
        states.add(detector.update(t, ev).motion)
    assert states == {Motion.NONE, Motion.MINOR, Motion.MAJOR}
    # At high sensitivity the bars sit under the noise (100 %: -4 dB) and the network is asked nearly always.
    assert ruled_out > 10
    assert asked > 500


def _asked(scene: Scene, tuning: Tuning = TUNING) -> tuple[float, bool]:
    renderer = Renderer(scene)
    engine = Engine(EngineConfig(96000, 40000.0, renderer.channels, tuning=tuning), Classifier.load(prefer="numpy"))
    rate = engine.plan.baseband_rate_hz
    results = engine.process_baseband(renderer.render_baseband(0, int(scene.duration_s * rate), rate, Emission()))
    judged = [r for r in results if r.frame.t_s > 1.5]  # past the cold start, when the network is not asked at all
    return sum(r.probs is not None for r in judged) / len(judged), any(r.decision.occupied for r in results)


def test_an_empty_room_seldom_asks_the_network_and_a_walk_asks_it() -> None:
    quiet, opened = _asked(library.empty_room(duration_s=8.0))
    assert quiet < 0.2
    assert not opened
    busy, opened = _asked(library.walk_in_and_leave(duration_s=8.0))
    assert busy > 0.2
    assert opened


def test_an_empty_room_asks_the_network_no_more_with_the_motion_gate_over_recent_frames() -> None:
    """Tuning.motion_cap_frames weighs recent frames only while the room is occupied.

    Each frame the gate may pass is one the network is asked about, and in an
    empty room the noise's chance peaks would pass it frame after frame.
    """
    quiet, _ = _asked(library.empty_room(duration_s=8.0))
    recent = dataclasses.replace(TUNING, motion_cap_frames=4)
    assert _asked(library.empty_room(duration_s=8.0), recent)[0] == quiet
    busy, _ = _asked(library.walk_in_and_leave(duration_s=8.0))
    assert _asked(library.walk_in_and_leave(duration_s=8.0), recent)[0] > busy  # once someone is in, it does


def test_a_ruled_out_frame_scores_zero_and_a_sensitivity_raised_meanwhile_cannot_make_it_motion() -> None:
    detector = Detector(DetectorConfig(sensitivity_pct=0.0), network=True)
    bands = (1.0, 1.0, 0.0)
    assert detector.rules_out_motion(*energy_caps(bands))
    # The worker may raise the sensitivity between the check and the update (another thread): still no motion.
    detector.reconfigure(DetectorConfig(sensitivity_pct=100.0))
    d = detector.update(0.0, network_evidence(None, bands))
    assert d.motion == Motion.NONE
    assert d.score < 1e-20
