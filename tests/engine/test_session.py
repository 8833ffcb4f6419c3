"""A stream's running policy without a thread: power saving, drift, duty cycle, what gets published.

Power saving runs a real Engine on synthetic baseband (a static tone in
noise, plus a reflector walking at 1.2 m/s for a few seconds), block by
block as the worker does; the rest feeds hand-built frames, so each
decision is exact.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator

import numpy as np
import pytest
from numpy.typing import NDArray

from custom_components.uspd.base.acoustics import speed_of_sound_mps
from custom_components.uspd.engine.calibration import DRIFT_DB, DRIFT_S, Calibration, CarrierMeasurement
from custom_components.uspd.engine.detector import Decision, DetectorConfig, Motion
from custom_components.uspd.engine.doppler import DopplerFrame
from custom_components.uspd.engine.emission import DEFAULT_LEVEL, Emission
from custom_components.uspd.engine.pipeline import Engine, EngineConfig, FrameResult
from custom_components.uspd.engine.powersave import OFF_S, ON_S, RECHECK_S
from custom_components.uspd.engine.session import Session, Snapshot, SourceFacts
from custom_components.uspd.engine.spectrogram import SHOWN_SPEED_MPS

CARRIER_HZ = 40000.0
AUDIO_HZ = 96000
HOLD_S = 30.0
BLOCK_S = 0.1
WALK_S = (3.0, 6.0)  # when the reflector moves
FACTS = SourceFacts(CARRIER_HZ, 1, AUDIO_HZ, closed_loop=True)
# The calibration's carrier SNR: a level of 0.1 (-20 dB) over a -80 dB noise floor reads 60 dB.
CALIBRATION = Calibration(CARRIER_HZ, 0.1, 25.0, False, 4.0, (CarrierMeasurement(CARRIER_HZ, (0.0,), -80.0, 0.0),))


def _engine() -> Engine:
    """A one-mic engine at AUDIO_HZ around CARRIER_HZ that holds the room HOLD_S."""
    return Engine(EngineConfig(AUDIO_HZ, CARRIER_HZ, 1, detector=DetectorConfig(hold_s=HOLD_S)))


def _session(
    calibration: Calibration | None = None,
    facts: SourceFacts = FACTS,
    *,
    tone_on: bool = True,
    power_save: bool = True,
    publish_s: float = 2.0,
) -> Session:
    """A session on a fresh engine, with these facts and settings."""
    return Session(
        _engine(), facts, calibration, tone_on=tone_on, power_save=power_save, hold_s=HOLD_S, publish_s=publish_s
    )


def _walk_in(session: Session, seconds: float, seed: int) -> Iterator[tuple[float, NDArray[np.complex128]]]:
    """BLOCK_S blocks of baseband (start, block): a static tone in noise, and a reflector walking through WALK_S."""
    rate = session.engine.plan.baseband_rate_hz
    walking_hz = 1.2 * 2 * CARRIER_HZ / speed_of_sound_mps(20.0)
    rng = np.random.default_rng(seed)
    n = round(BLOCK_S * rate)
    for k in range(round(seconds / BLOCK_S)):
        t = (k * n + np.arange(n)) / rate
        x = 0.05 + rng.normal(0, 1e-4, n) + 1j * rng.normal(0, 1e-4, n)
        if WALK_S[0] <= t[0] < WALK_S[1]:
            x = x + 1e-2 * np.exp(2j * np.pi * walking_hz * t)
        yield float(t[0]), x[None, :]


# Power saving, through a real engine.


@pytest.mark.parametrize("power_save", [True, False])
def test_power_saving_pauses_the_tone_once_the_room_is_held_and_looks_all_the_time_before_calling_it_empty(
    power_save: bool,
) -> None:
    session = _session(power_save=power_save, publish_s=0.5)
    tone: list[tuple[float, bool]] = []  # (block start, tone during the block)
    emissions: list[Emission] = []
    snapshots: list[Snapshot] = []
    playing = session.emission.on  # what the source was last asked to play
    for start_s, baseband in _walk_in(session, 60.0, seed=1):
        emission = session.switch_tone(True)
        if emission is not None:
            emissions.append(emission)
            playing = emission.on
        published = session.process(baseband).snapshots
        assert all(s.emitting == playing for s in published)
        snapshots += published
        tone.append((start_s, playing))

    opened = next(s.t_s for s in snapshots if s.occupied)
    emptied = next(s.t_s for s in snapshots if s.t_s > opened and not s.occupied)
    assert WALK_S[0] < opened < WALK_S[1]
    last_motion_s = session.engine.last_motion_s
    assert last_motion_s is not None
    assert emptied == pytest.approx(last_motion_s + HOLD_S, abs=0.1)  # power saving never shortens the hold
    if not power_save:
        assert all(on for _, on in tone)
        assert not emissions
        return
    assert WALK_S[1] - 0.5 < last_motion_s <= WALK_S[1] + 0.2
    switches = [t for (t, on), (_, was) in zip(tone[1:], tone, strict=False) if on != was]
    # On while the room is vacant and while someone moves; paused within two blocks of the motion stopping.
    assert all(on for t, on in tone if t < WALK_S[1])
    assert WALK_S[1] <= switches[0] <= WALK_S[1] + 2 * BLOCK_S
    # Then OFF_S paused, ON_S on, and so on, each to within a block.
    assert np.allclose(np.diff(switches[:6]), [OFF_S, ON_S, OFF_S, ON_S, OFF_S], atol=BLOCK_S + 1e-9)
    # For the last RECHECK_S of the hold, and once the room is empty, the tone plays all the time.
    assert all(on for t, on in tone if t >= last_motion_s + HOLD_S - RECHECK_S)
    assert all(e.carrier_hz == session.engine.plan.carrier_hz and e.level == DEFAULT_LEVEL for e in emissions)
    assert [e.on for e in emissions] == [False, True] * (len(emissions) // 2)
    paused = [s.duty_cycle for s in snapshots if s.t_s < last_motion_s + HOLD_S - RECHECK_S]
    assert paused[-1] < 0.5  # the last minute's duty cycle falls while the tone pauses
    assert session.duty_cycle > paused[-1] + 0.2  # and climbs back once it plays all the time


def test_turning_power_saving_off_brings_a_paused_tone_back_at_the_next_block() -> None:
    session = _session(publish_s=0.5)
    for _, baseband in _walk_in(session, 8.0, seed=2):
        session.switch_tone(True)
        session.process(baseband)
    assert session.switch_tone(True) is None
    assert not session.emitting  # paused: someone is there and keeps still
    session.power_save = False
    session.process(baseband)
    assert session.switch_tone(True) == Emission(session.engine.plan.carrier_hz, DEFAULT_LEVEL, on=True)
    assert session.engine.emitting


# The user's switch and the duty cycle.


def _frame(engine: Engine, t_s: float, *, snr_db: float = 60.0) -> FrameResult:
    """A frame result at `t_s` that sees nothing."""
    return _result(engine, Decision(t_s, Motion.NONE, False, 0.0, 0.0, 0.0, 0.0), snr_db=snr_db)


def _result(engine: Engine, decision: Decision, *, snr_db: float = 60.0) -> FrameResult:
    """A frame result carrying `decision`, its spectrum rising with the time."""
    bins = len(engine.speeds_mps)
    db = np.linspace(-3.0, 30.0, bins) + decision.t_s
    frame = DopplerFrame(decision.t_s, 10 ** (db / 10), 10 ** (db / 10), db, engine.framer.freqs_hz)
    return FrameResult(decision, frame, noise_floor_db=-80.0, carrier_snr_db=snr_db, stillness_db=1.5)


def test_the_users_switch_stops_the_tone_once_and_the_duty_cycle_follows() -> None:
    session = _session(CALIBRATION, publish_s=1.0)
    hop_s = 0.5
    t = 0.0
    for _ in range(60):  # 30 s on
        assert session.switch_tone(True) is None
        session.feed([_frame(session.engine, t)])
        t += hop_s
    assert session.duty_cycle == 1.0
    assert session.switch_tone(False) == Emission(session.engine.plan.carrier_hz, CALIBRATION.level, on=False)
    assert not session.engine.emitting  # the engine blanks the frames without the tone
    published: list[Snapshot] = []
    for _ in range(60):  # 30 s off
        assert session.switch_tone(False) is None
        published += session.feed([_frame(session.engine, t)]).snapshots
        t += hop_s
    assert session.duty_cycle == pytest.approx(0.5, abs=0.02)
    assert published[-1].duty_cycle == pytest.approx(session.duty_cycle, abs=0.02)
    assert not any(s.emitting for s in published)
    assert session.switch_tone(True) == Emission(session.engine.plan.carrier_hz, CALIBRATION.level, on=True)


# The drift watch: the worker recalibrates on it, hourly limit permitting.


def _drifted_blocks(session: Session, seconds: float, snr_db: float, start_s: float = 0.0) -> list[bool]:
    """Feed one frame a second at `snr_db`; whether each block reported a drift."""
    return [session.feed([_frame(session.engine, start_s + i, snr_db=snr_db)]).drifted for i in range(int(seconds))]


def test_a_drift_is_reported_once_it_has_lasted_drift_s_for_as_long_as_it_lasts() -> None:
    session = _session(CALIBRATION)
    assert session.calibrated_snr_db == pytest.approx(60.0)
    drifted = _drifted_blocks(session, DRIFT_S + 10, 60.0 - DRIFT_DB - 1)
    assert drifted.index(True) == DRIFT_S
    assert all(drifted[int(DRIFT_S) :])  # each block asks again: the worker's hourly limit may have said no
    # Back within DRIFT_DB: no drift, and one coming back later starts its count again.
    assert not any(_drifted_blocks(session, 5, 60.0 - DRIFT_DB + 1, DRIFT_S + 10))
    assert _drifted_blocks(session, DRIFT_S + 1, 60.0 + DRIFT_DB + 1, DRIFT_S + 15).index(True) == DRIFT_S


@pytest.mark.parametrize(
    ("calibration", "facts", "tone_on"),
    [
        (None, FACTS, True),  # nothing to drift from
        (CALIBRATION, SourceFacts(CARRIER_HZ, 1, AUDIO_HZ, closed_loop=False), True),  # a recording: not its tone
        (CALIBRATION, FACTS, False),  # without the tone the SNR means nothing
    ],
)
def test_no_drift_without_a_calibration_of_this_loop_or_without_the_tone(
    calibration: Calibration | None, facts: SourceFacts, tone_on: bool
) -> None:
    session = _session(calibration, facts, tone_on=tone_on)
    assert not any(_drifted_blocks(session, 2 * DRIFT_S, 0.0))
    expected_level = CALIBRATION.level if calibration is not None and facts.closed_loop else DEFAULT_LEVEL
    assert session.emission == Emission(session.engine.plan.carrier_hz, expected_level, on=tone_on)


# What gets published.


def test_snapshots_are_published_on_every_change_and_otherwise_every_publish_s() -> None:
    session = _session(CALIBRATION, publish_s=1.0)
    engine = session.engine
    hop_s = 0.25
    script = {  # t_s: (motion, occupied, ground truth) from then on
        0.0: (Motion.NONE, False, "empty"),
        2.5: (Motion.MAJOR, False, "empty"),
        3.0: (Motion.MAJOR, True, "empty"),
        4.75: (Motion.NONE, True, "empty"),
        5.0: (Motion.NONE, True, "someone sits"),
    }
    published: list[Snapshot] = []
    states: dict[float, tuple[Motion, bool, str]] = {}
    state = script[0.0]
    for first in np.arange(0.0, 8.0, 2 * hop_s):  # two frames a block
        results = []
        for t in (float(first), float(first) + hop_s):
            state = states[t] = script.get(t, state)
            results.append(_result(engine, Decision(t, state[0], state[1], 0.5, 1.0, 2.0, 0.0)))
        published += session.feed(results, ground_truth=state[2]).snapshots
    # The first frame, each change of motion, occupancy or ground truth at once, the rest every second.
    assert [s.t_s for s in published] == [0.0, 1.0, 2.0, 2.5, 3.0, 4.0, 4.75, 5.0, 6.0, 7.0]
    assert all((s.motion_type, s.occupied, s.ground_truth) == states[s.t_s] for s in published)
    # The Motion entity's view: the walking glimpse at 2.5 s while vacant is not reported, from 3.0 s on it is.
    assert [s.motion for s in published if s.t_s in (2.5, 3.0)] == [Motion.NONE, Motion.MAJOR]


def test_a_snapshot_is_published_when_the_motion_entity_clears_though_the_raw_state_did_not_change() -> None:
    session = _session(CALIBRATION, publish_s=10.0)
    decisions = [
        Decision(1.0, Motion.MINOR, True, 0.5, 0.0, 0.0, 0.0, Motion.MINOR),
        Decision(1.1, Motion.NONE, True, 0.5, 0.0, 0.0, 0.0, Motion.MINOR),  # lingering: Motion stays on
        Decision(1.2, Motion.NONE, True, 0.5, 0.0, 0.0, 0.0, Motion.MINOR),
        Decision(1.3, Motion.NONE, True, 0.5, 0.0, 0.0, 0.0, Motion.NONE),  # cleared
    ]
    published = session.feed([_result(session.engine, d) for d in decisions]).snapshots
    assert [(s.t_s, s.motion, s.motion_type) for s in published] == [
        (1.0, Motion.MINOR, Motion.MINOR),
        (1.1, Motion.MINOR, Motion.NONE),
        (1.3, Motion.NONE, Motion.NONE),
    ]


def test_a_snapshot_reports_the_source_the_calibration_and_the_frame() -> None:
    facts = SourceFacts(41000.0, 2, AUDIO_HZ, closed_loop=True)
    calibration = dataclasses.replace(
        CALIBRATION,
        carrier_hz=41000.0,
        measurements=(dataclasses.replace(CALIBRATION.measurements[0], carrier_hz=41000.0),),
    )
    session = Session(Engine(EngineConfig(AUDIO_HZ, 41000.0, 2)), facts, calibration)
    (snapshot,) = session.feed(
        [_result(session.engine, Decision(1.5, Motion.MINOR, True, 0.75, 0.0, 0.0, 0.0), snr_db=42.0)],
        ground_truth="someone reads",
        xruns=4,
    ).snapshots
    assert snapshot == Snapshot(
        t_s=1.5,
        motion=Motion.MINOR,
        occupied=True,
        score=0.75,
        carrier_hz=41000.0,
        noise_floor_db=-80.0,
        carrier_snr_db=42.0,
        channels=2,
        audio_rate_hz=AUDIO_HZ,
        xruns=4,
        emitting=True,
        classifier="baseline",
        duty_cycle=1.0,
        emission_level=CALIBRATION.level,
        stillness_db=1.5,
        ground_truth="someone reads",
        motion_type=Motion.MINOR,
    )


# The Doppler image.


def test_the_doppler_image_keeps_the_shown_band_newest_frame_on_the_right() -> None:
    session = _session()
    engine = session.engine
    assert session.doppler_image().shape[1] == 1  # nothing yet: one blank column
    results = [_frame(engine, 0.1 * i) for i in range(10)]
    session.feed(results)
    image = session.doppler_image()
    shown = np.abs(engine.speeds_mps) <= SHOWN_SPEED_MPS
    assert image.shape == (int(shown.sum()), 10)
    newest = results[-1].frame.normalized_db[shown][::-1]  # approaching speeds on top
    assert np.allclose(image[:, -1], newest.astype(np.float32))
    assert not math.isclose(float(image[0, 0]), float(image[0, -1]))
