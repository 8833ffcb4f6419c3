"""The articulated walker sits down and stands up: whole-body Doppler while it folds, a silent handover to Seated."""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import NDArray

from custom_components.uspd.engine.classifier import Classifier
from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.engine.pipeline import Engine, EngineConfig
from custom_components.uspd.engine.tuning import TUNING
from custom_components.uspd.sim.library import TWO_MICS
from custom_components.uspd.sim.motion import WalkerMover
from custom_components.uspd.sim.render import Renderer
from custom_components.uspd.sim.scene import SEATED_TORSO_Z_M, Room, Scene, Seated, Walker

RATE = 4000.0
SEAT = (2.5, 1.5)


def _band_db(y: NDArray[np.complex128], a: float, b: float) -> float:
    """Power of mic 0 between 15 and 400 Hz of Doppler (walking and sitting both live there) in [a, b) s."""
    x = y[0, int(a * RATE) : int(b * RATE)]
    s = np.abs(np.fft.fft(x * np.hanning(len(x)))) ** 2
    f = np.abs(np.fft.fftfreq(len(x), 1 / RATE))
    return float(10 * np.log10(s[(f > 15) & (f < 400)].sum() / len(x)))


def test_sitting_down_is_major_motion_and_the_seated_person_takes_over_silently() -> None:
    walker = Walker(((0.0, 0.5, 3.5), (3.0, *SEAT)), sit_down_s=1.5)
    scene = Scene("sit", 10.0, sources=(walker, Seated(4.5, 10.0, seat_m=SEAT, activity=0.0)), seed=3)
    labels = scene.labels()
    assert (labels[0].motion, labels[0].start, labels[0].end) == ("major", 0.0, 4.5)
    y = Renderer(scene).phasors(0, int(10 * RATE), RATE, Emission())
    walking, sitting, handover = _band_db(y, 1.0, 3.0), _band_db(y, 3.0, 4.5), _band_db(y, 4.3, 4.7)
    assert abs(sitting - walking) < 10.0
    assert handover < sitting - 30.0


def test_standing_up_starts_the_walk_before_the_first_step() -> None:
    walker = Walker(((5.5, *SEAT), (8.0, 0.5, 3.5)), stand_up_s=1.5)
    scene = Scene("stand", 9.0, sources=(Seated(0.0, 4.0, seat_m=SEAT, activity=0.0), walker), seed=4)
    assert walker.start_s == 4.0
    major = [lab for lab in scene.labels() if lab.motion == "major"]
    assert (major[0].start, major[0].end) == (4.0, 8.0)
    assert scene.occupied()[0].end >= 8.0
    y = Renderer(scene).phasors(0, int(9 * RATE), RATE, Emission())
    assert _band_db(y, 4.0, 5.5) > _band_db(y, 3.6, 4.0) + 30.0


def test_a_seated_walker_ends_where_a_seated_torso_is_with_its_limbs_folded_away() -> None:
    walker = Walker(((0.0, 0.5, 3.5), (3.0, *SEAT)), sit_down_s=1.5)
    mover = WalkerMover(walker, Room(), np.random.default_rng(0))
    (_, standing), (torso, seated) = mover.scatter(np.array([2.9])), mover.scatter(np.array([4.49]))
    # Limbs in WalkerMover.PARTS order: head, two legs, two arms.
    assert np.allclose(torso.pos[0], (*SEAT, SEATED_TORSO_Z_M), atol=1e-3)
    assert standing.pos[0, 0, 2] - seated.pos[0, 0, 2] > 0.25  # the head came down
    assert np.all(seated.amp[:, 0] < 0.01 * standing.amp[:, 0])
    # Knees came forward, along the way it walked in.
    assert np.hypot(*(seated.pos[1, 0, :2] - torso.pos[0, :2])) > 0.3


def test_a_walker_rounds_its_corners() -> None:
    """Velocity is continuous through a waypoint (a body turns over ~0.5 s), so no phase kink for the Doppler."""
    walker = Walker(((0.0, 0.5, 0.5), (2.0, 2.5, 0.5), (4.0, 2.5, 2.5)), stride_m=0.0)
    mover = WalkerMover(walker, Room(), np.random.default_rng(0))
    t = np.arange(1.5, 2.5, 0.001, dtype=np.float64)
    v = np.gradient(mover.scatter(t)[0].pos[:, :2], t, axis=0)
    assert np.abs(np.diff(v, axis=0)).max() < 0.02  # m/s per ms: a turn, not a jump of 1 m/s
    assert np.allclose(v[0], (1.0, 0.0), atol=1e-6)
    assert np.allclose(v[-1], (0.0, 1.0), atol=1e-6)


def test_someone_seated_when_sensing_starts_is_recognised_within_a_minute_without_a_walk_in() -> None:
    """A reader already in the chair at t=0: minor motion and breathing open the room; nobody walked in."""
    scene = Scene(
        "already_seated", 60.0, sources=(Seated(0.0, 60.0, seat_m=(2.5, 1.35), activity=0.5),), device=TWO_MICS, seed=5
    )
    renderer = Renderer(scene)
    config = EngineConfig(scene.device.audio_rate_hz, 40000.0, renderer.channels)
    classifier = Classifier.load()
    engine = Engine(config, classifier)
    # The same engine without the slow way in: only a walk-in opens its room.
    walk_in_only = Engine(
        dataclasses.replace(config, tuning=dataclasses.replace(TUNING, settle_minor_seconds=10**9)), classifier
    )
    rate = engine.plan.baseband_rate_hz
    occupied, without = [], []
    for a in range(0, int(scene.duration_s * rate), int(rate)):
        y = renderer.render_baseband(a, int(rate), rate, Emission(carrier_hz=40000.0, level=0.5))
        occupied += [r.decision.occupied for r in engine.process_baseband(y)]
        without += [r.decision.occupied for r in walk_in_only.process_baseband(y)]
    assert not any(without)
    assert any(occupied)
    assert occupied[-1]
