"""The detector's state machine on hand-made evidence: onset, what opens an empty room, hold."""

from __future__ import annotations

from custom_components.uspd.engine.detector import (
    ONSET_FRAMES,
    Detector,
    DetectorConfig,
    Evidence,
    Motion,
)

HOP = 0.025
WALK = Evidence(motion_logit=5.0, major_logit=5.0, minor_db=20.0, major_db=20.0, guard_db=0.0)
HAND = Evidence(motion_logit=5.0, major_logit=-5.0, minor_db=10.0, major_db=0.0, guard_db=0.0)
QUIET = Evidence(motion_logit=-5.0, major_logit=-5.0, minor_db=0.0, major_db=0.0, guard_db=0.0)


def _feed(det: Detector, frames: list[Evidence], t0: float = 0.0) -> list[tuple[Motion, bool]]:
    out = []
    for i, ev in enumerate(frames):
        d = det.update(t0 + i * HOP, ev)
        out.append((d.motion, d.occupied))
    return out


def test_a_glimpse_of_walking_shorter_than_occupy_frames_leaves_the_room_empty() -> None:
    det = Detector(DetectorConfig(), occupy_frames=6)
    # MAJOR is reported after ONSET_FRAMES, then for 3 frames: 5 in all < 6.
    got = _feed(det, [WALK] * (ONSET_FRAMES + 3) + [QUIET] * 10)
    assert any(m == Motion.MAJOR for m, _ in got)  # the motion sensor still says what it saw
    assert not any(occ for _, occ in got)


def test_walking_that_holds_opens_the_room_after_occupy_frames_and_the_hold_closes_it() -> None:
    det = Detector(DetectorConfig(hold_s=1.0), occupy_frames=6)
    got = _feed(det, [WALK] * 20 + [QUIET] * 60)
    first_major = next(i for i, (m, _) in enumerate(got) if m == Motion.MAJOR)
    first_occupied = next(i for i, (_, occ) in enumerate(got) if occ)
    assert first_occupied - first_major == 5  # the sixth MAJOR frame in a row
    assert got[19][1]
    assert not got[-1][1]


def test_with_one_frame_major_opens_at_once_and_minor_motion_never_does() -> None:
    det = Detector(DetectorConfig(), occupy_frames=1)
    assert not any(occ for _, occ in _feed(det, [HAND] * 40))
    got = _feed(det, [WALK] * 4, t0=1.0)
    assert got[ONSET_FRAMES - 1] == (Motion.MAJOR, True)
    # Once someone is in, their hands keep the room occupied.
    assert all(occ for _, occ in _feed(det, [HAND] * 40, t0=2.0))
