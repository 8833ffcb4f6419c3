"""lab.tune_detector: which of a stream's scenes are walk-ins, and which of those never opened the room."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from custom_components.uspd.engine.detector import DetectorConfig
from custom_components.uspd.engine.tuning import TUNING
from custom_components.uspd.sim.scene import Impulses, Interferer, Room, Scene
from lab import eval as lab_eval
from lab import tune_detector
from lab.dataset import SceneFrames
from lab.scenes import Draw, draw


def _frames(occupied_from_s: float | None, walks: tuple[float, float] | None) -> SceneFrames:
    t = np.arange(0.0, 10.0, 0.025, dtype=np.float32)
    y = np.zeros(len(t), dtype=np.int8)
    if walks is not None:
        y[(t >= walks[0]) & (t < walks[1])] = 2
    occupied = np.zeros(len(t), dtype=bool) if occupied_from_s is None else t >= occupied_from_s
    return SceneFrames("s", "wide_walk", t, np.zeros((len(t), 4), np.float16), y, occupied,
                       np.zeros((len(t), 3), np.float32), 96000, 40000.0, 1,
                       np.full(len(t), np.nan, np.float32))  # fmt: skip


def test_a_walk_in_is_a_room_empty_at_the_start_that_someone_then_occupies() -> None:
    assert tune_detector.walked_in(_frames(2.0, (2.0, 5.0)))
    assert not tune_detector.walked_in(_frames(0.0, (2.0, 5.0)))  # someone there from the start
    assert not tune_detector.walked_in(_frames(None, None))  # an empty room


def test_a_walk_in_is_missed_only_if_the_room_never_opens_from_its_first_walking_frame() -> None:
    s = _frames(2.0, (2.0, 5.0))
    motion = np.zeros(len(s.t), dtype=np.int8)

    def run(opened_from_s: float | None) -> lab_eval.Run:
        occupied = np.zeros(len(s.t), dtype=bool) if opened_from_s is None else s.t >= opened_from_s
        return lab_eval.Run(motion, occupied)

    assert not tune_detector._missed_walk_in(s, run(2.4))  # noqa: SLF001
    assert not tune_detector._missed_walk_in(s, run(8.0))  # noqa: SLF001  (late, but it opened)
    assert tune_detector._missed_walk_in(s, run(None))  # noqa: SLF001
    # Open only before the walk (a false opening) and shut again by then: the walk-in itself was missed.
    early = np.zeros(len(s.t), dtype=bool)
    early[:40] = True
    assert tune_detector._missed_walk_in(s, lab_eval.Run(motion, early))  # noqa: SLF001


def test_slow_tones_counts_the_tones_in_the_slow_bins(monkeypatch: pytest.MonkeyPatch) -> None:
    """--split prints how many tones the streams hold where slow lines are looked for: 0.067-0.4 m/s of Doppler."""
    # At 20 kHz and the engine's 20 °C (343.2 m/s) that is 7.8-46.6 Hz off the carrier, whatever the room's air
    # (46 Hz is 0.405 m/s at the room's 35 °C).
    tones = (Interferer(20010.0, -60.0), Interferer(19954.0, -50.0), Interferer(20050.0, -40.0), Interferer(20005.0))
    scene = Scene("s", 10.0, sources=(*tones, Impulses(0.0, 10.0)), room=Room(temperature_c=35.0))
    monkeypatch.setattr(tune_detector, "draw", lambda *job: Draw(scene, 20000.0, 0.3, "negative_home"))
    assert tune_detector.slow_tones([(1, "negative_home", 10.0, None)] * 2) == [-60.0, -50.0] * 2


def test_seated_since_the_start_counts_when_the_room_opened_without_a_walk() -> None:
    """--settle: scenes only the settle rule can open, and how many it did, how soon."""
    seated, walked_in, walked_too = _frames(0.0, None), _frames(2.0, (2.0, 5.0)), _frames(0.0, (6.0, 8.0))
    assert tune_detector.seated_from_start(seated)
    assert not tune_detector.seated_from_start(walked_in)
    assert not tune_detector.seated_from_start(walked_too)  # someone walks in it: a walk may open the room
    assert not tune_detector.seated_from_start(_frames(None, None))
    motion = np.zeros(len(seated.t), dtype=np.int8)
    runs = {
        0: lab_eval.Run(motion, seated.t >= 3.0),
        1: lab_eval.Run(motion, seated.t >= 7.0),
        2: lab_eval.Run(motion, np.zeros(len(seated.t), dtype=bool)),
    }
    assert tune_detector._settled([seated] * 3, runs, [0, 1, 2]).split() == ["2/3", "(5.0)"]  # noqa: SLF001
    assert tune_detector._settled([seated] * 3, runs, [2]).split() == ["0/1", "(-)"]  # noqa: SLF001


def test_the_widened_seated_starts_seat_someone_from_the_first_frame_and_walk_nobody_into_the_room() -> None:
    """--settle's widened column: what only the settle rule can open, with the widened physics' seats and clicks."""
    from custom_components.uspd.sim.scene import Seated, Walker

    jobs = tune_detector.wide_seated_jobs()
    assert len(jobs) == tune_detector.WIDE_SEATED_SCENES
    reach, walkers = [], 0
    for job in jobs[:20]:
        scene = draw(*job).scene
        (sit,) = [s for s in scene.sources if isinstance(s, Seated)]
        assert sit.start_s == 0.0
        assert sit.end_s == job[2]
        # A walker here is one behind the wall (footsteps through it), never in the room.
        others = dataclasses.replace(scene, sources=tuple(s for s in scene.sources if not isinstance(s, Seated)))
        assert others.occupied() == []
        walkers += sum(isinstance(s, Walker) for s in others.sources)
        reach.append(math.dist(sit.seat_m, scene.device.speaker_m[:2]))
    assert max(reach) > 1.5  # seats further than the standard draws' 1.5 m
    assert walkers  # steps through the wall are drawn: the check above looks at some


def test_settle_guard_sweeps_how_long_the_guard_must_hold_and_nothing_else(monkeypatch: pytest.MonkeyPatch) -> None:
    """--settle-guard: from every frame counting (the rule before) to none, each line reaching the detector."""
    now = tune_detector.Setting(1.5, 4.5, 12, None, 9, None)
    lines = tune_detector.settle_settings(now, "guard")
    assert [s.settle_guard_persist for s in lines] == list(tune_detector.SETTLE_GUARD_CHOICES)
    assert lines[0].settle_guard_persist == 0.0
    assert math.isinf(lines[-1].settle_guard_persist)
    assert {dataclasses.replace(s, settle_guard_persist=now.settle_guard_persist) for s in lines} == {now}
    assert {s.settle_guard_persist for s in tune_detector.settle_settings(now, "")} == {now.settle_guard_persist}

    seen: list[float] = []

    class Stop(Exception):
        pass

    def detector(_config: object, tuning: object, **_: object) -> None:
        seen.append(tuning.settle_guard_persist)  # type: ignore[attr-defined]
        raise Stop

    monkeypatch.setattr(lab_eval, "Detector", detector)
    with pytest.raises(Stop):
        lab_eval.run_detector(_frames(None, None), None, DetectorConfig(), settle_guard_persist=0.8)
    assert seen == [0.8]


def test_settle_db_sweeps_breathings_score_for_settling_and_nothing_else(monkeypatch: pytest.MonkeyPatch) -> None:
    """--settle-db: from the hold's threshold down, each line reaching the detector; the hold's own stays."""
    now = tune_detector.Setting(1.5, 4.5, 12, None, 9, None)
    lines = tune_detector.settle_settings(now, "db")
    assert [s.settle_still_db for s in lines] == list(tune_detector.SETTLE_DB_CHOICES)
    assert lines[0].settle_still_db == TUNING.still_on_db  # the rule as it was: the hold's threshold
    assert {dataclasses.replace(s, settle_still_db=now.settle_still_db) for s in lines} == {now}
    assert {s.settle_still_db for s in tune_detector.settle_settings(now, "guard")} == {now.settle_still_db}

    seen: list[tuple[float, float]] = []

    class Stop(Exception):
        pass

    def detector(_config: object, tuning: object, **_: object) -> None:
        seen.append((tuning.settle_still_db, tuning.still_on_db))  # type: ignore[attr-defined]
        raise Stop

    monkeypatch.setattr(lab_eval, "Detector", detector)
    with pytest.raises(Stop):
        lab_eval.run_detector(_frames(None, None), None, DetectorConfig(), settle_still_db=25.0)
    assert seen == [(25.0, TUNING.still_on_db)]
