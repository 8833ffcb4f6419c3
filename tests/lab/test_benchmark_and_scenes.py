"""The lab: seeds that never overlap, the benchmark deciding as the engine does, and the scenes it draws."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from custom_components.uspd.base.acoustics import speed_of_sound_mps
from custom_components.uspd.engine.classifier import Classifier
from custom_components.uspd.engine.detector import DetectorConfig, Motion
from custom_components.uspd.engine.direction import one_way_shares
from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.engine.lines import LineMemory, find_lines, held_still, lines_in
from custom_components.uspd.engine.pipeline import Engine, EngineConfig, FrameResult
from custom_components.uspd.engine.tuning import TUNING, Tuning
from custom_components.uspd.engine.walking import WALKING_IN_LINE, top_db, walking_db, walking_power
from custom_components.uspd.sim.render import Renderer
from custom_components.uspd.sim.scene import Curtain, Fan, Interferer, Music, Scene, Seated, Walker
from lab import seeds


def test_training_mining_and_evaluation_seeds_never_overlap() -> None:
    from lab import eval as lab_eval
    from lab import train, tune_detector

    splits = list(seeds.SPLITS.values())
    for i, a in enumerate(splits):
        for b in splits[i + 1 :]:
            assert a.stop <= b.start or b.stop <= a.start
    # What the lab's commands actually draw, at their default sizes.
    evaluated = {job[0] for jobs in lab_eval.suite(1.0, 20.0).values() for job in jobs}
    mined = {job[0] for r in range(4) for job in train.mining_jobs(int(r * 5 * 60), 5.0)}
    mined |= {job[0] for r in range(4) for job in train.wide_mining_jobs(int(r * 2 * 60), 2.0)}
    stream, home, distracted = tune_detector.tuning_jobs(20.0)
    tuned = {job[0] for job in [*stream, *home, *distracted]}
    assert tuned <= set(seeds.MINING)
    wide_seated = {job[0] for job in tune_detector.wide_seated_jobs()}
    widened = {job[0] for job in train.wide_mining_jobs(0, 12.0)}
    assert wide_seated <= set(seeds.MINING)
    assert not wide_seated & (mined | tuned | widened)  # --settle's seated starts are scenes of their own
    assert home  # the gates are tuned on curtains and tones too
    assert distracted  # and on walk-ins they must not lock out
    training = train.training_jobs(320, 120, 80, 300, 300, 160)
    trained = [job[0] for job in training]
    assert set(trained) <= set(seeds.TRAIN)
    assert len(set(trained)) == len(trained)  # the extra walks, widened, card and far-seat scenes are their own
    assert {job[3] for job in training[-460:-160]} == {44100, 48000}  # --card-scenes: consumer cards' rates
    assert {job[1] for job in training[-160:]} == {"seated_far", "enter_sit_far"}
    assert evaluated <= set(seeds.EVAL)
    assert mined <= set(seeds.MINING)
    assert len(evaluated) == sum(len(j) for j in lab_eval.suite(1.0, 20.0).values())  # no seed reused across sets


def test_the_benchmark_counts_walks_from_within_four_metres() -> None:
    from lab import eval as lab_eval
    from lab.dataset import SceneFrames

    t = np.arange(0.0, 20.0, 0.025, dtype=np.float32)
    y = np.zeros(len(t), dtype=np.int8)
    y[(t >= 2) & (t < 6)] = 2  # a walk that comes within 4 m at 3 s
    y[(t >= 10) & (t < 14)] = 2  # a walk that stays 5 m away
    frames = SceneFrames("s", "walk", t, np.zeros((len(t), 4), np.float16), y, y > 0,
                         np.zeros((len(t), 3), np.float32), 96000, 40000.0, 1,
                         np.full(len(t), np.nan, np.float32))  # fmt: skip
    rng = np.where((t >= 3) & (t < 6), 3.0, 5.0)
    motion = np.where(t >= 3.2, 2, 0).astype(np.int8)
    hit, total, latency, beyond = lab_eval.major_events([frames], [lab_eval.Run(motion, y > 0)], [rng])
    assert (hit, total, beyond) == (1, 1, 1)
    assert latency == [pytest.approx(0.2, abs=0.03)]  # from reaching 4 m, not from the door
    missed = lab_eval.major_events([frames], [lab_eval.Run(np.zeros(len(t), np.int8), y > 0)], [rng])
    assert missed[:2] == (0, 1)


def _engine_results(scene: Scene, emission: Emission, classifier: Classifier, tuning: Tuning) -> list[FrameResult]:
    """The engine over the scene's baseband render at 40 kHz, fed in the lab's blocks: each frame's result."""
    from lab.dataset import BLOCK_S

    renderer = Renderer(scene)
    engine = Engine(EngineConfig(scene.device.audio_rate_hz, 40000.0, renderer.channels, tuning=tuning), classifier)
    rate = engine.plan.baseband_rate_hz
    block, total = int(BLOCK_S * rate), int(scene.duration_s * rate)
    out = []
    for start in range(0, total, block):
        count = min(block, total - start)
        bb = renderer.render_baseband(start, count, rate, emission)
        out += engine.process_baseband(bb, renderer.render_reference(start, count, rate, emission))
    return out


@pytest.mark.parametrize("other", ["nothing", "top", "tone", "known", "clipped", "draft", "music", "hand", "hand_bar"])
def test_the_benchmark_decides_frame_for_frame_as_the_engine_does(other: str) -> None:
    """The lab's detector run over cached frames makes the engine's decisions, cold start included.

    The walker is already moving when sensing starts: the engine does not ask
    the network about its first half second, and opens no room before the
    one-way rule has a whole window of frames to judge, so neither may the
    benchmark. With
    another device's tone coming on in the walking band (1.3 m/s) as they walk
    (the fast opening on, Tuning.occupy_fast_frames): the window rules (a
    young tone held still, then a line) judge alike too. With a ceiling fan's
    strong draft and the one-way rule, and the fast opening's, at shares it
    must judge (direction.py): that rule's second of history too. With
    still lines known after 20 frames (lines.LineMemory) and a tone there
    before them that drops 10 dB for a moment: the line kept through the
    windows the dropout breaks; or one at the top of the scale: the known
    line's skirt. With music
    through the speaker from the start, and the opening gate standing 3 dB
    over the walking band's recent level (Tuning.recent_rise_db; 0 as
    shipped) with a short memory: its window of levels too. With someone
    who walks in and sits down to work: the motion gate's recent frames
    (Tuning.motion_cap_frames), or another motion bar for the network
    (Tuning.network_motion_bias_logit; here the band energy, not the bar,
    limits the hand's frames below it, so a higher one shows the bar at work).
    With the opening gate on the walking band's strongest bins
    (Tuning.occupy_gate_top_bins; off as shipped): the newest frame's row.
    """
    from lab import eval as lab_eval
    from lab.dataset import frames_of
    from lab.scenes import Draw

    walker = Walker(((0.0, 0.5, 3.5), (5.0, 2.5, 1.0)))
    sounds: dict[str, tuple[Interferer | Fan | Music, ...]] = {
        "nothing": (),
        "top": (),
        "tone": (Interferer(40300.0, -70.0, start_s=1.5),),
        # Two devices' tones on one frequency, the stronger gone for 30 ms: what is left is 10 dB weaker.
        "known": (
            Interferer(39900.0, -68.0, start_s=0.2),
            Interferer(39900.0, -60.0, start_s=0.2, end_s=1.8),
            Interferer(39900.0, -60.0, start_s=1.83),
        ),
        "clipped": (Interferer(39900.0, -45.0, start_s=0.2),),
        "draft": (Fan(0.0, 5.0, airflow_jitter_mps=1.5, jitter_band_hz=(0.5, 20.0)),),
        "music": (Music(0.0, 5.0, pm_dbc=-30.0),),
    }
    if other.startswith("hand"):  # they walk in, so the room is occupied, and sit down to work
        seat = (3.0, 2.0)
        sitting = Seated(2.0, 6.0, seat_m=seat, activity=1.0, torso_ts_db=-12.0)
        scene = Scene("walk_in", 6.0, sources=(Walker(((0.0, 0.5, 3.5), (2.0, *seat))), sitting), seed=13)
    else:
        scene = Scene("walk_in", 5.0, sources=(walker, *sounds[other]), seed=11)
    emission = Emission(carrier_hz=40000.0)
    frames = frames_of(Draw(scene, emission.carrier_hz, emission.level, "walk"))
    classifier = Classifier.load(prefer="numpy")
    probs = np.stack([classifier.probs(w) for w in lab_eval.network_windows(frames)])
    fast_one_way = 0.97 if other == "draft" else TUNING.occupy_fast_one_way
    one_way = (40, 0.9) if other == "draft" else (TUNING.one_way_frames, TUNING.one_way_share)
    knobs = {
        "motion_cap_frames": 4 if other == "hand" else TUNING.motion_cap_frames,  # off as shipped (1)
        "network_motion_bias_logit": 8.0 if other == "hand_bar" else TUNING.network_motion_bias_logit,
        "occupy_fast_one_way": fast_one_way,
        "one_way_frames": one_way[0],
        "one_way_share": one_way[1],
        "recent_frames": 20 if other == "music" else TUNING.recent_frames,
        "recent_rise_db": 3.0 if other == "music" else TUNING.recent_rise_db,
        "line_known_frames": 20 if other in ("known", "clipped") else TUNING.line_known_frames,
        # Asking more of the strongest bins than the shipped gate asks of the mean: the room opens later.
        "occupy_gate_top_bins": 8 if other == "top" else TUNING.occupy_gate_top_bins,
        "occupy_gate_top_db": 20.0 if other == "top" else TUNING.occupy_gate_top_db,
    }
    run = lab_eval.run_detector(frames, probs, DetectorConfig(), **knobs)  # type: ignore[arg-type]

    tuning = dataclasses.replace(TUNING, **knobs)  # type: ignore[arg-type]
    results = _engine_results(scene, emission, classifier, tuning)
    code = {Motion.NONE: 0, Motion.MINOR: 1, Motion.MAJOR: 2}
    assert [r.frame.t_s for r in results] == pytest.approx(frames.t.tolist(), abs=1e-3)
    assert [code[r.decision.motion] for r in results] == run.motion.tolist()
    assert [r.decision.occupied for r in results] == run.occupied.tolist()
    assert run.reported is not None
    assert [r.decision.reported != Motion.NONE for r in results] == run.reported.tolist()  # the Motion entity
    assert run.motion[: lab_eval.network_start(frames)].max() == 0  # nothing judged while the engine starts
    assert run.motion.max() == 2  # and the walk is seen once it may be
    assert run.occupied.any()
    # No room opens before a whole one-way window was judged (DirectionHistory.full), then the walker's does.
    run_frames = min(TUNING.occupy_frames, TUNING.occupy_fast_frames)
    assert np.argmax(run.occupied) >= lab_eval.network_start(frames) + one_way[0] - 1 + run_frames - 1
    plain = lab_eval.run_detector(frames, probs, DetectorConfig())
    if other == "tone":  # the young tone was there to be judged, and the fast run opened the room sooner
        walking = walking_db(lab_eval.network_windows(frames))
        assert held_still(walking, walking.argmax(axis=-1), TUNING.occupy_fast_frames).any()
        slow = lab_eval.run_detector(frames, probs, DetectorConfig(), occupy_fast_frames=TUNING.occupy_frames)
        assert np.argmax(run.occupied) < np.argmax(slow.occupied)
    if other in ("known", "clipped"):  # the memory kept the line through the dropout; the known line took its skirt
        windows, start = lab_eval.network_windows(frames), lab_eval.network_start(frames)
        first = find_lines(windows)
        kept = lab_eval.remembered_lines(windows, tuning, start)
        # The lab's two passes are the engine's one, frame by frame (pipeline._evidence's calls).
        memory, walking = LineMemory(tuning), walking_db(windows)
        for k in range(start, len(windows)):
            step = lines_in(windows[k], walking[k], walking[k].argmax(axis=-1), tuning, memory.known_bin())
            step = memory.update(step, int(WALKING_IN_LINE[walking[k, -1].argmax()]))
            assert bool(step.still) == bool(kept.still[k]), k
            assert int(step.line_bin) == int(kept.line_bin[k]), k
            assert (step.own == kept.own[k]).all(), k
        if other == "known":
            assert (kept.still & ~first.still)[start:].any()
        else:
            assert ((kept.own & ~first.own).any(axis=-1) & first.still)[start:].any()
    if other == "draft":  # the draft swung the band both ways as the walker came: those frames were judged
        shares = one_way_shares(walking_power(lab_eval.network_windows(frames)[:, -1, :]), 40)
        # In frames that could open the room: a whole window judged (DirectionHistory.full), the room still vacant.
        could = (np.arange(len(shares)) >= lab_eval.network_start(frames) + 39) & ~run.occupied & (run.motion == 2)
        assert (could & (shares < 0.9)).any()
        assert (could & (shares >= 0.9) & (shares < fast_one_way)).any()  # and the fast run's, apart
        assert np.argmax(run.occupied) >= np.argmax(plain.occupied)
    if other == "music":  # the band's recent level raised the opening gate in frames that could open a room
        recent, _ = lab_eval.recent_walking_db(frames, 20, TUNING.occupy_frames, lab_eval.network_start(frames))
        assert ((recent + 3.0 > TUNING.occupy_gate_db) & (run.motion == 2)).any()
        off = lab_eval.run_detector(frames, probs, DetectorConfig(), **{**knobs, "recent_rise_db": -math.inf})  # type: ignore[arg-type]
        assert np.argmax(run.occupied) > np.argmax(off.occupied)  # so the engine, deciding alike, stood on it too
    if other == "hand":  # the gate's recent frames let hand motion through that this frame's energy alone would not
        one = {**knobs, "motion_cap_frames": 1}
        own = lab_eval.run_detector(frames, probs, DetectorConfig(), **one)  # type: ignore[arg-type]
        assert ((run.motion > 0) & (own.motion == 0) & (frames.y == 1)).any()
    if other == "top":  # the strongest bins' gate, asking more than the band's mean did, held the opening back
        assert np.argmax(run.occupied) > np.argmax(plain.occupied)
        # The frame that opened it: its newest row's strongest bins over the gate, less the run's hysteresis.
        newest = walking_power(lab_eval.network_windows(frames)[:, -1, :])
        opened = int(np.argmax(run.occupied))
        assert top_db(newest[opened], 8) > 20.0 - TUNING.hysteresis_db
    if other == "hand_bar":  # the higher bar refuses hand frames the shipped bar calls motion
        assert ((run.motion == 0) & (plain.motion > 0) & (frames.y == 1)).any()


def test_a_gust_the_one_way_rule_lets_through_opens_no_room_in_the_engine_nor_the_benchmark() -> None:
    """A strong draft switched on in an empty room, the one-way rule all but off: the turn rule alone keeps it shut.

    Without the turn rule (turn_share inf) both the lab's run and the engine
    open the room at the same frame; with it, neither does. So the engine
    applies the rule as the benchmark does, and a decision hangs on it.
    """
    from lab import eval as lab_eval
    from lab.dataset import frames_of
    from lab.scenes import Draw

    scene = Scene("walk_in", 6.0, sources=(Fan(1.5, 6.0, airflow_jitter_mps=2.5, jitter_band_hz=(0.5, 20.0)),), seed=18)
    emission = Emission(carrier_hz=40000.0)
    frames = frames_of(Draw(scene, emission.carrier_hz, emission.level, "walk"))
    classifier = Classifier.load(prefer="numpy")
    probs = np.stack([classifier.probs(w) for w in lab_eval.network_windows(frames)])
    opened = []
    for turn_share in (math.inf, TUNING.turn_share):
        # The one-way rule judges no frame two-way once its window is full (share 0.01); it still waits for that.
        knobs = {"one_way_share": 0.01, "occupy_fast_one_way": 0.01, "turn_share": turn_share}
        run = lab_eval.run_detector(frames, probs, DetectorConfig(), **knobs)  # type: ignore[arg-type]
        results = _engine_results(scene, emission, classifier, dataclasses.replace(TUNING, **knobs))  # type: ignore[arg-type]
        assert [r.decision.occupied for r in results] == run.occupied.tolist()
        opened.append(bool(run.occupied.any()))
    assert opened == [True, False]


def test_far_seats_lie_beyond_the_standard_suite_s_and_within_the_shifted_suite_s() -> None:
    """Training's far seats fill the ring where the standard suite seats nobody; the shifted suite seats further."""
    from lab.scenes import FAR_SEAT_M, NEAR_SEAT_M, draw
    from lab.shifted import SHIFTED

    def seat_distances(kind: str) -> list[float]:
        out = []
        for seed in range(seeds.TRAIN.start + 95_000, seeds.TRAIN.start + 95_030):
            scene = draw(seed, kind).scene  # type: ignore[arg-type]
            (sitting,) = [s for s in scene.sources if isinstance(s, Seated)]
            out.append(float(np.hypot(*np.subtract(sitting.seat_m, scene.device.speaker_m[:2]))))
        return out

    for kind in ("seated_far", "enter_sit_far"):
        far = seat_distances(kind)
        assert min(far) >= FAR_SEAT_M[0], (kind, far)
        assert max(far) <= FAR_SEAT_M[1], (kind, far)
    near = seat_distances("seated") + seat_distances("enter_sit")
    assert max(near) <= NEAR_SEAT_M[1] == FAR_SEAT_M[0]
    assert SHIFTED.seat_within_m > FAR_SEAT_M[1]


def test_the_distracted_walk_ins_have_their_distractor_there_first() -> None:
    """lab/scenes.py enter_distracted: one tone, fan, music or curtain each, on before the walker; tones in the band."""
    from lab import eval as lab_eval
    from lab.scenes import draw

    kinds = set()
    for seed, kind, seconds, rate in lab_eval.suite(1.0, 20.0)["enter_distracted"][:40]:
        d = draw(seed, kind, seconds, rate)
        walker = next(s for s in d.scene.sources if isinstance(s, Walker))
        (other,) = [s for s in d.scene.sources if s.kind not in ("walker", "seated")]
        kinds.add(other.kind)
        assert other.start_s < walker.start_s
        if isinstance(other, Interferer):
            c = speed_of_sound_mps(d.scene.room.temperature_c)
            speed = abs(other.freq_hz - d.carrier_hz) * c / (2 * d.carrier_hz)
            assert 0.4 - 1e-9 <= speed <= 4.5 + 1e-9  # inside the walking band, where it looks like someone
    assert kinds == {"interferer", "fan", "pedestal_fan", "music", "curtain"}


def test_the_readers_sit_for_minutes_and_leave_with_time_to_go_vacant() -> None:
    """lab/scenes.py enter_read: a walk-in, minutes of sparse hand bursts, a walk-out a minute before the end."""
    from lab import eval as lab_eval
    from lab.scenes import draw

    jobs = lab_eval.suite(1.0, 20.0)["enter_read"]
    assert len(jobs) == 60
    assert all(seed in seeds.EVAL for seed, *_ in jobs)
    activities = []
    for seed, kind, seconds, rate in jobs[:30]:
        scene = draw(seed, kind, seconds, rate).scene
        (sit,) = [s for s in scene.sources if isinstance(s, Seated)]
        walkers = [s for s in scene.sources if isinstance(s, Walker)]
        assert len(walkers) == 2
        assert walkers[0].end_s <= sit.start_s < sit.end_s <= walkers[1].start_s
        assert sit.end_s - sit.start_s >= 150.0
        activities.append(sit.activity)
        # Out of the room with more than the hold (and its margin) left to see the room go vacant.
        assert max(span.end for span in scene.occupied()) <= seconds - 45.0
    assert min(activities) >= 0.08
    assert max(activities) <= 0.4
    assert max(activities) - min(activities) > 0.2


def test_readers_called_vacant_counts_each_fall_while_seated_and_the_wait_after_leaving() -> None:
    from lab import eval as lab_eval
    from lab.dataset import SceneFrames
    from lab.scenes import draw

    seed, kind, seconds, rate = lab_eval.suite(1.0, 20.0)["enter_read"][3]
    assert kind is not None
    scene = draw(seed, kind, seconds, rate).scene
    (sit,) = [s for s in scene.sources if isinstance(s, Seated)]
    gone = max(span.end for span in scene.occupied())
    t = np.arange(0.025, seconds, 0.025)
    y = np.zeros(len(t), dtype=np.int8)
    for start in np.arange(sit.start_s + 2.0, sit.end_s, 8.0):
        if not 60.0 <= start < 100.0:  # 40 s with no hand moving
            y[(t >= start) & (t < start + 1.0)] = 1
    frames = SceneFrames(
        "reader", kind, t.astype(np.float32), np.zeros((len(t), 1), np.float16), y, np.zeros(len(t), bool),
        np.zeros((len(t), 3), np.float32), 96000, 40000.0, 2, np.full(len(t), np.nan, np.float32),
    )  # fmt: skip
    occupied = (t >= 6.0) & ~((t >= 95.0) & (t < 101.0)) & ~((t >= 130.0) & (t < 130.5)) & (t < gone + 31.0)
    run = lab_eval.Run(np.zeros(len(t), np.int8), occupied)
    hit, times, hours, after, still = lab_eval.seated_called_vacant([scene], [frames], [run], 30.0)
    assert (hit, times, still) == (1, 2, 1)
    assert hours == pytest.approx((sit.end_s - max(6.0, sit.start_s)) / 3600, abs=1e-4)
    assert after == [pytest.approx(31.0, abs=0.03)]


def test_the_lab_s_curtains_sway_at_the_design_s_speeds() -> None:
    """Curtains move at ~0.01-0.3 m/s; faster is walking speed, and the lab must not teach otherwise."""
    import math

    from lab.scenes import draw

    speeds = [
        2 * math.pi * s.sway_hz * s.sway_m
        for i in range(60)
        for s in draw(1_080_000 + i, "negative_home", 60.0).scene.sources
        if isinstance(s, Curtain)
    ]
    assert len(speeds) >= 60
    assert min(speeds) >= 0.01
    assert max(speeds) <= 0.3
    assert max(speeds) > 0.2  # the whole range, not a corner of it


def test_seated_starts_count_the_rooms_that_opened_and_when_they_first_did() -> None:
    from lab import eval as lab_eval
    from lab.dataset import SceneFrames

    t = np.arange(0.025, 30.0, 0.025)

    def frames() -> SceneFrames:
        return SceneFrames(
            "seated", "seated", t.astype(np.float32), np.zeros((len(t), 1), np.float16), np.zeros(len(t), np.int8),
            np.ones(len(t), bool), np.zeros((len(t), 3), np.float32), 96000, 40000.0, 2,
            np.full(len(t), np.nan, np.float32),
        )  # fmt: skip

    never = np.zeros(len(t), bool)
    twice = (t >= 12.0) & (t < 14.0) | (t >= 20.0)  # opened, went vacant, opened again: the first time counts
    runs = [lab_eval.Run(np.zeros(len(t), np.int8), occupied) for occupied in (never, twice)]
    opened, firsts = lab_eval.seated_starts_opened([frames(), frames()], runs)
    assert opened == 1
    assert firsts == [pytest.approx(12.0, abs=0.03)]
    # As the report files them, for the seated set of either suite, and without drawing on the shared bootstrap.
    runs.append(lab_eval.Run(np.zeros(len(t), np.int8), t >= 16.0))
    for name in ("seated", "shifted_seated"):
        row: dict[str, object] = {}
        shared = np.random.default_rng(0)
        three = [frames(), frames(), frames()]
        lab_eval.figures(row, name.removeprefix("shifted_"), [], three, runs, [], DetectorConfig(), shared)
        assert row["seated_from_the_start_occupied"] == (2, 3, *lab_eval.wilson(2, 3))
        median = row["seated_from_the_start_occupied_after_median_s"]
        assert isinstance(median, tuple)
        assert median[0] == pytest.approx(14.0, abs=0.03)
        assert shared.random() == np.random.default_rng(0).random()  # the other figures' intervals stay as they were
