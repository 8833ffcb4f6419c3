"""The detector's state machine on hand-made evidence: onset, what opens an empty room, hold; the band gates."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from custom_components.uspd.engine.detector import Detector, DetectorConfig, Motion
from custom_components.uspd.engine.evidence import (
    Evidence,
    RecentMotionEnergy,
    RecentWalking,
    network_evidence,
    over_recent,
)
from custom_components.uspd.engine.tuning import TUNING
from custom_components.uspd.engine.walking import top_db

MAJOR_GATE_DB = TUNING.major_gate_db
ONSET_FRAMES = TUNING.onset_frames
# Only the plain opening run of occupy_frames, without the fast one for clear walking (its own test below).
PLAIN = dataclasses.replace(TUNING, occupy_fast_logit=math.inf)

HOP = 0.025
# A window in which the stillness meter saw someone breathing, for the hold and the settle rule alike (stillness.py).
BREATHING_DB = max(TUNING.still_on_db, TUNING.settle_still_db) + 6.0
WALK = Evidence(motion_logit=5.0, major_logit=5.0, minor_db=20.0, major_db=20.0, guard_db=0.0)
HAND = Evidence(motion_logit=5.0, major_logit=-5.0, minor_db=10.0, major_db=0.0, guard_db=0.0)
QUIET = Evidence(motion_logit=-5.0, major_logit=-5.0, minor_db=0.0, major_db=0.0, guard_db=0.0)


def _feed(det: Detector, frames: list[Evidence], t0: float = 0.0) -> list[tuple[Motion, bool]]:
    """Feed the detector one evidence per hop from `t0`: its (motion, occupied) after each."""
    out = []
    for i, ev in enumerate(frames):
        d = det.update(t0 + i * HOP, ev)
        out.append((d.motion, d.occupied))
    return out


def test_a_glimpse_of_walking_shorter_than_occupy_frames_leaves_the_room_empty() -> None:
    det = Detector(DetectorConfig(), dataclasses.replace(PLAIN, occupy_frames=6))
    # MAJOR is reported after ONSET_FRAMES, then for 3 frames: 5 in all < 6.
    got = _feed(det, [WALK] * (ONSET_FRAMES + 3) + [QUIET] * 10)
    assert any(m == Motion.MAJOR for m, _ in got)  # the motion sensor still says what it saw
    assert not any(occ for _, occ in got)


def test_walking_that_holds_opens_the_room_after_occupy_frames_and_the_hold_closes_it() -> None:
    det = Detector(DetectorConfig(hold_s=1.0), dataclasses.replace(PLAIN, occupy_frames=6))
    got = _feed(det, [WALK] * 20 + [QUIET] * 60)
    first_major = next(i for i, (m, _) in enumerate(got) if m == Motion.MAJOR)
    first_occupied = next(i for i, (_, occ) in enumerate(got) if occ)
    assert first_occupied - first_major == 5  # the sixth MAJOR frame in a row
    assert got[19][1]
    assert not got[-1][1]


def test_with_one_frame_major_opens_at_once_and_minor_motion_never_does() -> None:
    det = Detector(DetectorConfig(), dataclasses.replace(PLAIN, occupy_frames=1))
    assert not any(occ for _, occ in _feed(det, [HAND] * 40))
    got = _feed(det, [WALK] * 4, t0=1.0)
    assert got[ONSET_FRAMES - 1] == (Motion.MAJOR, True)
    # Once someone is in, their hands keep the room occupied.
    assert all(occ for _, occ in _feed(det, [HAND] * 40, t0=2.0))


def test_a_confident_major_call_needs_walking_band_energy_above_the_gate() -> None:
    sure_walk = np.array([0.001, 0.001, 0.998], dtype=np.float32)
    # The network alone would be far over the bar; the band energy caps it.
    below = network_evidence(sure_walk, (20.0, MAJOR_GATE_DB - 2.0, 0.0))
    above = network_evidence(sure_walk, (20.0, MAJOR_GATE_DB + 6.0, 0.0))
    assert below.major_logit < 0.0 < above.major_logit
    # A lower gate lets the same frame through: the knob scripts/lab tune_detector turns.
    lower = dataclasses.replace(TUNING, major_gate_db=MAJOR_GATE_DB - 4.0)
    assert network_evidence(sure_walk, (20.0, MAJOR_GATE_DB - 2.0, 0.0), lower).major_logit > 0.0
    # Without any band energy the motion call is capped as well: a silent frame cannot report motion.
    quiet = network_evidence(np.array([0.01, 0.98, 0.01], dtype=np.float32), (0.0, 0.0, 0.0))
    assert min(quiet.motion_logit, quiet.motion_cap) < 0.0


def test_a_hand_burst_s_motion_call_may_come_just_after_its_energy() -> None:
    """Tuning.motion_cap_frames: the motion gate finds its energy over the last frames, not this frame's alone.

    The network judges its whole window, so its call on a hand's burst of a
    few frames peaks as the energy has passed; the walking gates stay per frame.
    """
    frames = 4  # off as shipped (1): scripts/lab tune_detector --motion-frames
    recent = RecentMotionEnergy(frames)
    burst = [(12.0, 1.0, 0.0)] * 2 + [(0.0, 0.0, 0.0)] * (frames + 1)
    seen = [recent.push(b) for b in burst]
    assert seen[: frames + 1] == [12.0] * (frames + 1)  # the burst, then frames - 1 more
    assert seen[frames + 1] == 0.0  # and then it is gone
    sure_hand = np.array([0.01, 0.98, 0.01], dtype=np.float32)
    late = network_evidence(sure_hand, burst[-1], motion_db=seen[frames - 1])
    assert min(late.motion_logit, late.motion_cap) > 0.0  # the call just after the burst stands
    assert network_evidence(sure_hand, burst[-1]).motion_cap < 0.0  # capped by its own frame alone, it did not
    stale = network_evidence(sure_hand, burst[-1], motion_db=seen[-1])
    assert min(stale.motion_logit, stale.motion_cap) < 0.0  # once the burst left the frames, nothing stands
    # The walking cap is still this frame's own.
    sure_walk = np.array([0.001, 0.001, 0.998], dtype=np.float32)
    assert network_evidence(sure_walk, (0.0, 0.0, 0.0), motion_db=30.0).major_logit < 0.0
    recent.reset()
    assert recent.push((0.0, -3.0, 0.0)) == 0.0  # a reset forgets the burst


def test_the_opening_gate_stands_on_the_walking_band_s_recent_level_where_that_is_higher() -> None:
    """Music or a draft held the walking band at 13 dB: walking at that level opens no room; rising over it does."""
    rise = dataclasses.replace(PLAIN, recent_rise_db=3.0, recent_frames=8, occupy_frames=4)
    recent = RecentWalking(rise.recent_frames, rise.occupy_frames)
    levels = [float(x) for x in range(1, 16)]  # 15 frames, each its own level
    for i, level in enumerate(levels):
        recent.push(level)
        if i + 1 < rise.recent_frames + rise.occupy_frames:
            assert recent.levels() is None  # not a whole window heard yet
    # The last 12 heard: the 8 before the run (4..11, median 7.5) and the run's 4 (12..15, mean 13.5).
    assert recent.levels() == (7.5, 13.5)
    recent.reset()
    assert recent.levels() is None
    sure_walk = np.array([0.001, 0.001, 0.998], dtype=np.float32)
    frame = network_evidence(sure_walk, (20.0, 20.0, 0.0), rise)
    assert over_recent(frame, 13.0, 14.0, rise).occupy_cap < 0.0 < frame.occupy_cap  # a run 1 dB over the music
    assert over_recent(frame, 13.0, 16.0, rise).occupy_cap == 0.0  # 3 dB over it: at the bar
    assert over_recent(frame, 13.0, 40.0, rise) == frame  # well over it, the frame's own gate binds as ever
    assert over_recent(frame, 1.0, 2.0, rise) == frame  # a quiet band before: the gate stands on the floor
    symmetric = network_evidence(sure_walk, (20.0, 30.0, 0.0), rise, opens_no_room=True)
    assert over_recent(symmetric, 13.0, 30.0, rise).occupy_cap == -math.inf
    faint = over_recent(frame, 13.0, 14.0, rise)
    assert not any(occ for _, occ in _feed(Detector(DetectorConfig(), rise), [faint] * 40))
    assert _feed(Detector(DetectorConfig(), rise), [over_recent(frame, 13.0, 20.0, rise)] * 40)[-1][1]


def test_walking_energy_between_the_two_gates_is_reported_but_opens_no_room() -> None:
    sure_walk = np.array([0.001, 0.001, 0.998], dtype=np.float32)
    gates = dataclasses.replace(TUNING, major_gate_db=3.0, occupy_gate_db=6.0)
    faint = network_evidence(sure_walk, (20.0, 4.5, 0.0), gates)
    strong = network_evidence(sure_walk, (20.0, 9.0, 0.0), gates)
    det = Detector(DetectorConfig(), dataclasses.replace(PLAIN, occupy_frames=6))
    got = _feed(det, [faint] * 40)
    assert got[-1][0] == Motion.MAJOR  # the motion sensor reports the walk
    assert not any(occ for _, occ in got)
    # The same walk with its energy over the opening gate opens the room after occupy_frames.
    got = _feed(det, [strong] * 6, t0=1.0)
    assert [occ for _, occ in got] == [False] * 5 + [True]


def test_walking_far_over_every_bar_opens_the_room_sooner_and_walking_at_the_edge_does_not() -> None:
    """Tuning.occupy_fast_frames: a sequential test, the clearer the walk the sooner it is decided."""
    fast = dataclasses.replace(TUNING, occupy_frames=12, occupy_fast_frames=6, occupy_fast_logit=3.0)
    sure_walk = np.array([0.001, 0.001, 0.998], dtype=np.float32)
    gate = TUNING.occupy_gate_db
    # Walking-band energy 8 dB over the opening gate: 4 logits over its bar, as is the network's call.
    clear = network_evidence(sure_walk, (20.0, gate + 8.0, 0.0), fast)
    # 4 dB over it: 2 logits, under occupy_fast_logit.
    edge = network_evidence(sure_walk, (20.0, gate + 4.0, 0.0), fast)
    assert min(clear.major_logit, clear.occupy_cap) >= 3.0 > min(edge.major_logit, edge.occupy_cap) > 0.0
    got = _feed(Detector(DetectorConfig(), fast, network=True), [clear] * 20)
    first_major = next(i for i, (m, _) in enumerate(got) if m == Motion.MAJOR)
    assert next(i for i, (_, occ) in enumerate(got) if occ) - first_major == 5  # the sixth frame
    got = _feed(Detector(DetectorConfig(), fast, network=True), [edge] * 20)
    first_major = next(i for i, (m, _) in enumerate(got) if m == Motion.MAJOR)
    assert next(i for i, (_, occ) in enumerate(got) if occ) - first_major == 11  # the twelfth, as without the rule
    # One frame at the edge starts the fast count again: 4 clear MAJOR frames, 1 at the edge, 5 clear open
    # nothing; the sixth clear frame in a row opens it, while the plain run (11 frames) is still one short.
    det = Detector(DetectorConfig(), fast, network=True)
    got = _feed(det, [clear] * (ONSET_FRAMES + 3) + [edge] + [clear] * 5)
    assert not any(occ for _, occ in got)
    assert _feed(det, [clear], t0=1.0)[0][1]
    # The same run holding still (lines.held_still: perhaps a tone too young to be known as a line) waits.
    young = dataclasses.replace(clear, held_still=True)
    got = _feed(Detector(DetectorConfig(), fast, network=True), [young] * 20)
    assert next(i for i, (_, occ) in enumerate(got) if occ) - first_major == 11
    # So does a run whose energy kept one way less than a walker's (Tuning.occupy_fast_one_way: a draft's spell).
    spell = dataclasses.replace(clear, wavering=True)
    got = _feed(Detector(DetectorConfig(), fast, network=True), [spell] * 20)
    assert next(i for i, (_, occ) in enumerate(got) if occ) - first_major == 11
    # The baseline's evidence judges neither (no direction, no still bin): it waits too, as does a network that failed.
    got = _feed(Detector(DetectorConfig(), fast), [clear] * 20)
    assert next(i for i, (_, occ) in enumerate(got) if occ) - first_major == 11
    failed = Detector(DetectorConfig(), fast, network=True)
    failed.use_baseline()
    got = _feed(failed, [clear] * 20)
    assert next(i for i, (_, occ) in enumerate(got) if occ) - first_major == 11
    # Without the fast run the same clear walk waits for occupy_frames.
    plain = Detector(DetectorConfig(), dataclasses.replace(PLAIN, occupy_frames=12))
    got = _feed(plain, [clear] * 20)
    assert next(i for i, (_, occ) in enumerate(got) if occ) - first_major == 11


def test_the_opening_gate_may_weigh_the_walking_band_s_strongest_bins_and_a_still_line_still_comes_first() -> None:
    """Tuning.occupy_gate_top_bins: opening_db stands in for the band's mean; beside a line the line's rule rules."""
    sure_walk = np.array([0.001, 0.001, 0.998], dtype=np.float32)
    power = np.ones(62)
    power[[9, 31, 47, 60]] = 10**1.4  # 4 bins 14 dB over the floor: the band's mean is 4.1 dB
    bands = (20.0, 10 * math.log10(power.mean()), 0.0)
    assert bands[1] < TUNING.occupy_gate_db
    assert float(top_db(power, 4)) == pytest.approx(14.0)
    assert float(top_db(power, 8)) == pytest.approx(10 * math.log10((4 * 10**1.4 + 4) / 8))
    strongest = network_evidence(sure_walk, bands, TUNING, opening_db=float(top_db(power, 4)))
    assert strongest.occupy_cap == pytest.approx((14.0 - TUNING.occupy_gate_top_db) * TUNING.logit_per_db)
    assert strongest.occupy_cap > 0
    assert not strongest.beside_line  # a line's run restart is not triggered by this
    assert network_evidence(sure_walk, bands, TUNING).occupy_cap < 0  # the band's mean, as shipped
    beside = network_evidence(sure_walk, bands, TUNING, occupy_db=1.0, opening_db=14.0)
    assert beside.occupy_cap == pytest.approx((1.0 - TUNING.occupy_gate_db) * TUNING.logit_per_db)
    assert beside.beside_line


def test_the_opening_run_starts_again_once_a_still_line_is_recognised() -> None:
    """A tone that just switched on looks like walking until it has held still long enough to be known as a line.

    The frames counted until then were the tone's own: only what stands
    beside it from then on may open the room.
    """
    beside = dataclasses.replace(WALK, beside_line=True)
    det = Detector(DetectorConfig(), dataclasses.replace(PLAIN, occupy_frames=12))
    # MAJOR from the ONSET_FRAMES-th frame: eleven frames of the run on the whole band, one short of opening.
    got = _feed(det, [WALK] * (ONSET_FRAMES + 10) + [beside] * 11)
    assert not any(occ for _, occ in got)  # 22 frames of MAJOR, but never 12 judged the same way
    assert _feed(det, [beside], t0=1.0)[0][1]  # the twelfth beside the line opens it
    plain = Detector(DetectorConfig(), dataclasses.replace(PLAIN, occupy_frames=12))
    assert _feed(plain, [WALK] * (ONSET_FRAMES + 11))[-1][1]  # without a line, the twelfth frame opens it


def test_the_reported_motion_waits_for_what_opens_a_vacant_room_and_follows_hands_once_occupied() -> None:
    """Decision.reported (the Motion entity): nothing for hands or a glimpse in a vacant room, all once occupied."""
    # Without lingering: the raw state itself once occupied (the next test has it linger).
    det = Detector(DetectorConfig(hold_s=1.0), dataclasses.replace(PLAIN, occupy_frames=6, motion_clear_s=0.0))
    hands = [det.update(i * HOP, HAND) for i in range(40)]
    assert any(d.motion == Motion.MINOR for d in hands)  # the raw state (the Motion type sensor) saw them
    assert all(d.reported == Motion.NONE for d in hands)
    glimpse = [det.update(1.0 + i * HOP, ev) for i, ev in enumerate([WALK] * (ONSET_FRAMES + 3) + [QUIET] * 4)]
    assert any(d.motion == Motion.MAJOR for d in glimpse)
    assert all(d.reported == Motion.NONE for d in glimpse)
    walk = [det.update(2.0 + i * HOP, WALK) for i in range(12)]
    opened = next(i for i, d in enumerate(walk) if d.occupied)
    assert [d.reported for d in walk[:opened]] == [Motion.NONE] * opened
    assert all(d.reported == Motion.MAJOR for d in walk[opened:])  # on with the room, the same frame
    seated = [det.update(2.5 + i * HOP, HAND) for i in range(10)]
    assert all(d.reported == d.motion for d in seated)
    assert any(d.reported == Motion.MINOR for d in seated)


def test_a_room_assumed_occupied_is_held_by_hands_and_goes_vacant_after_the_clear_delay_without() -> None:
    """After a restart the room starts occupied; minor motion keeps it (breathing would too), nothing lets it go."""
    det = Detector(DetectorConfig(hold_s=1.0))
    det.assume_occupied(0.0)
    quiet = [det.update(i * HOP, QUIET) for i in range(1, 60)]  # 1.5 s
    assert quiet[0].occupied
    assert quiet[int(0.9 / HOP)].occupied
    assert not quiet[-1].occupied  # hold_s without motion or breathing
    det = Detector(DetectorConfig(hold_s=1.0))
    det.assume_occupied(0.0)
    seated = [det.update(i * HOP, HAND if i % 20 < 4 else QUIET) for i in range(1, 200)]  # a hand every 0.5 s
    assert all(d.occupied for d in seated)
    assert any(d.reported == Motion.MINOR for d in seated)  # an occupied room's minor motion is reported


def _seated(
    det: Detector,
    seconds: float,
    hand: Evidence,
    *,
    hands: bool = True,
    breathing: bool = True,
    quiet: Evidence = QUIET,
    score: float = BREATHING_DB,
) -> list[bool]:
    """Someone seated from t=0 (no walk-in): a hand every 2 s for 0.2 s, breathing from 8 s on: occupied per frame.

    hands False: nothing moves; breathing False: the stillness meter never sees breathing (a curtain, a fan).
    """
    out = []
    for i in range(int(seconds / HOP)):
        t = i * HOP
        ev = hand if hands and i % 80 < 8 else quiet
        still = score if breathing and t >= 8.0 else math.nan
        out.append(det.update(t, ev, still).occupied)
    return out


def test_someone_seated_from_the_start_opens_the_room_within_a_minute_from_minor_motion_and_breathing() -> None:
    got = _seated(Detector(DetectorConfig()), 60.0, HAND)
    opened_s = got.index(True) * HOP
    # Breathing's first window ends at 8 s; the rule needs minor motion in settle_minor_seconds seconds.
    assert 2.0 * (TUNING.settle_minor_seconds - 1) <= opened_s <= 60.0
    assert all(got[got.index(True) :])


def test_minor_motion_alone_or_breathing_alone_never_opens_a_vacant_room() -> None:
    # A curtain or a plant in a draft: minor motion every second, but no breathing.
    det = Detector(DetectorConfig())
    curtain = [det.update(i * HOP, HAND if i % 40 < 20 else QUIET).occupied for i in range(4800)]
    assert not any(curtain)
    assert not any(_seated(Detector(DetectorConfig()), 120.0, HAND, breathing=False))
    # Breathing with nothing else moving: it keeps an occupied room, it opens none.
    assert not any(_seated(Detector(DetectorConfig()), 120.0, HAND, hands=False))


def test_the_settle_rule_and_the_hold_each_weigh_breathing_against_their_own_threshold() -> None:
    """A seated person's hands lower breathing's score; the settle rule, which asks for them too, may ask less."""
    both = dataclasses.replace(TUNING, still_on_db=34.0, settle_still_db=28.0)
    assert any(_seated(Detector(DetectorConfig(), both), 60.0, HAND, score=31.0))
    stricter = dataclasses.replace(both, settle_still_db=32.0)
    assert not any(_seated(Detector(DetectorConfig(), stricter), 60.0, HAND, score=31.0))

    def held(score: float) -> bool:
        """Whether an occupied room where nothing moves for 40 s, breathing scored all along, is still occupied."""
        det = Detector(DetectorConfig(hold_s=30.0), both)
        det.assume_occupied(0.0)
        return [det.update(i * HOP, QUIET, score) for i in range(1, 1600)][-1].occupied

    assert not held(31.0)  # over the settle rule's, under the hold's: the room goes vacant after hold_s
    assert held(35.0)


def test_breathing_opens_a_vacant_room_only_once_it_fills_settle_breath_s_of_the_window() -> None:
    """A curtain swaying at breathing's rate reads as breathing for moments; the rule asks for seconds of it."""
    for seconds, opens in ((TUNING.settle_breath_s - 0.5, False), (TUNING.settle_breath_s + 0.5, True)):
        det = Detector(DetectorConfig())
        got = []
        for i in range(int(60.0 / HOP)):
            t = i * HOP
            # One stretch of breathing ending on a second's edge (the present second counts by its share so far).
            still = BREATHING_DB if 20.5 <= t < 20.5 + seconds else math.nan
            got.append(det.update(t, HAND if i % 80 < 8 else QUIET, still).occupied)
        assert any(got) == opens, seconds


def test_one_burst_of_minor_motion_with_breathing_does_not_open_the_room() -> None:
    det = Detector(DetectorConfig())
    burst_frames = int((TUNING.settle_minor_seconds - 2) / HOP)  # one burst spanning fewer seconds than needed
    got = [
        det.update(i * HOP, HAND if 400 <= i < 400 + burst_frames else QUIET, BREATHING_DB if i >= 320 else math.nan)
        for i in range(int(90.0 / HOP))
    ]
    assert not any(d.occupied for d in got)


def test_fan_like_minor_motion_with_breathing_never_opens_the_room() -> None:
    """Walking-band energy as much approaching as receding (symmetry.py), or energy beyond human speeds: a machine."""
    even = {"major_db": TUNING.occupy_gate_db + 3.0, "occupy_cap": -np.inf}
    for mark in (even, {"guard_db": TUNING.settle_guard_db + 6.0}, {"beside_line": True}):
        # A fan runs all the time: its marks are on every frame, the hand's too.
        machine = dataclasses.replace(QUIET, **mark)
        hand = dataclasses.replace(HAND, **mark)
        assert not any(_seated(Detector(DetectorConfig()), 120.0, hand, quiet=machine))
    # The same pattern without the machine's marks opens it.
    assert any(_seated(Detector(DetectorConfig()), 120.0, HAND))


def test_brief_energy_beyond_human_speeds_holds_no_seated_start_back_and_a_fans_does() -> None:
    """Keys or steps through the wall put it in a quarter of each second; a fan's blades fill most of the second."""
    loud = TUNING.settle_guard_db + 6.0

    def seated(filled: int) -> bool:
        """Someone seated from the start, energy beyond human speeds in the first `filled` frames of every second."""
        det = Detector(DetectorConfig())
        for i in range(int(60.0 / HOP)):
            t = i * HOP
            ev = HAND if i % 80 < 8 else QUIET
            if i % 40 < filled:
                ev = dataclasses.replace(ev, guard_db=loud)
            if det.update(t, ev, BREATHING_DB if t >= 8.0 else math.nan).occupied:
                return True
        return False

    assert TUNING.settle_machine_share < 0.25 < TUNING.settle_guard_persist < 0.9
    assert seated(10)  # a quarter of every second: more than the machine share, yet a person's room
    assert not seated(36)


def test_motion_lingers_motion_clear_s_after_the_last_motion_in_an_occupied_room_and_never_in_a_vacant_one() -> None:
    """Typing is one stretch of the Motion entity, not one per keystroke; it clears motion_clear_s after the last."""
    tuning = dataclasses.replace(PLAIN, occupy_frames=6, motion_clear_s=1.0)
    det = Detector(DetectorConfig(hold_s=3.0), tuning)
    frames = [WALK] * 20 + [HAND if i % 20 < 4 else QUIET for i in range(80)] + [QUIET] * 60  # a hand every 0.5 s
    ds = [det.update(i * HOP, ev) for i, ev in enumerate(frames)]
    assert ds[19].occupied
    assert all(d.occupied for d in ds[19:])  # 1.5 s of quiet < hold_s
    typing = ds[20:100]
    assert any(d.motion == Motion.NONE for d in typing)  # the raw state (Motion type) drops between hands
    assert all(d.reported != Motion.NONE for d in typing)
    last = max(d.t_s for d in ds if d.motion != Motion.NONE)
    after = [d for d in ds if d.t_s > last]
    assert all(d.reported == Motion.MINOR for d in after if d.t_s - last < 1.0 - 1e-6)
    assert all(d.reported == Motion.NONE for d in after if d.t_s - last >= 1.0 + 1e-6)
    assert any(d.reported == Motion.NONE for d in after)
    # A vacant room's hands are never reported, lingering or not.
    vacant = Detector(DetectorConfig(hold_s=3.0), tuning)
    assert all(vacant.update(i * HOP, ev).reported == Motion.NONE for i, ev in enumerate(frames[20:]))
    # Nor does Motion outlast the room (a hold shorter than the lingering).
    short = Detector(DetectorConfig(hold_s=0.5), tuning)
    ds = [short.update(i * HOP, ev) for i, ev in enumerate([WALK] * 20 + [QUIET] * 40)]
    assert ds[25].reported == Motion.MAJOR  # lingering
    assert all(d.reported == Motion.NONE for d in ds if not d.occupied)
    assert not ds[-1].occupied
