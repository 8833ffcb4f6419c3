"""Self-calibration on simulated devices whose speakers and mics differ (ground truth from the simulator)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from custom_components.uspd.engine.calibration import (
    AUDIBLE_BELOW_HZ,
    TARGET_ECHO_SNR_DB,
    Calibration,
    CalibrationError,
    CarrierMeasurement,
    calibrate,
    candidate_carriers,
    choose,
    echo_reach_m,
    echo_snr_at,
    level_cap,
)
from custom_components.uspd.engine.detector import Motion
from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.engine.pipeline import Engine, EngineConfig
from custom_components.uspd.engine.sources import SourceConfig, open_source
from custom_components.uspd.sim.library import empty_room
from custom_components.uspd.sim.render import Renderer, speaker_gain_db
from custom_components.uspd.sim.scene import Device, Interferer, Scene, Walker
from custom_components.uspd.sim.source import SimulatedRoom

from ..helpers import write_scene_wav

FLAT = Device()  # flat to 38 kHz, gentle roll-off
DULL = dataclasses.replace(FLAT, speaker_rolloff_hz=30000.0, speaker_rolloff_db_per_khz=6.0)
DEAD = dataclasses.replace(FLAT, speaker_rolloff_hz=23000.0, speaker_rolloff_db_per_khz=40.0)


def _calibrate(device: Device, *sources: Interferer) -> Calibration:
    """The calibration of `device` in a simulated room holding `sources`."""
    scene = Scene("calibration", 60.0, sources=sources, device=device, seed=5)
    room = SimulatedRoom(SourceConfig(baseband=True, loop=True), scene=scene)
    return calibrate(room)


@pytest.fixture(scope="module")
def flat() -> Calibration:
    """The calibration of the flat device in a quiet room."""
    return _calibrate(FLAT)


def test_sweep_covers_the_band_the_hardware_allows() -> None:
    assert candidate_carriers(96000)[0] == 18000
    assert candidate_carriers(96000)[-1] == 43000
    assert candidate_carriers(48000) == [18000.0, 19000.0, 20000.0, 21000.0]


def test_different_speakers_get_different_correct_carriers(flat: Calibration) -> None:
    dull = _calibrate(DULL)
    assert flat.carrier_hz >= 32000
    assert dull.carrier_hz < flat.carrier_hz
    assert not flat.near_ultrasonic
    assert not dull.near_ultrasonic
    # The measured response follows the simulated speaker's (mic gains and room aside).
    for cal, dev in ((flat, FLAT), (dull, DULL)):
        measured = {m.carrier_hz: float(np.mean(m.response_db)) for m in cal.measurements}
        truth = {f: speaker_gain_db(dev, f) for f in measured}
        diffs = np.array([measured[f] - truth[f] for f in measured])
        assert np.ptp(diffs) < 6.0, diffs
    for cal in (flat, dull):
        assert cal.level <= level_cap(cal.carrier_hz)
        assert cal.echo_snr_db >= TARGET_ECHO_SNR_DB - 0.1


def test_the_lowest_sufficient_level_is_chosen(flat: Calibration) -> None:
    assert flat.level < 0.5  # the flat speaker needs less than the cap
    # And that level really shows a person walking towards the device from 4 m.
    walker = Walker(((0.0, 2.5, 3.95), (4.0, 2.5, 1.2)))
    scene = Scene("far walk", 4.0, sources=(walker,), device=FLAT, seed=6)
    r = Renderer(scene)
    engine = Engine(EngineConfig(96000, flat.carrier_hz, r.channels))
    bb = r.render_baseband(0, 16000, 4000.0, Emission(carrier_hz=flat.carrier_hz, level=flat.level))
    assert any(x.decision.motion == Motion.MAJOR for x in engine.process_baseband(bb))


def test_dead_speaker_above_24_khz_falls_back_to_near_ultrasound() -> None:
    cal = _calibrate(DEAD)
    assert cal.near_ultrasonic
    assert cal.carrier_hz < AUDIBLE_BELOW_HZ
    assert cal.level <= level_cap(cal.carrier_hz)


def test_an_interfering_tone_is_avoided(flat: Calibration) -> None:
    tone = Interferer(freq_hz=flat.carrier_hz + 300.0, level_dbfs=-60.0)
    cal = _calibrate(FLAT, tone)
    bad = next(m for m in cal.measurements if m.carrier_hz == flat.carrier_hz)
    assert bad.interferer_db > 10
    assert abs(cal.carrier_hz - tone.freq_hz) > 1000


def test_recordings_cannot_be_calibrated(tmp_path: Path) -> None:
    path = write_scene_wav(tmp_path / "room.wav", empty_room(duration_s=1.0))
    replay = open_source(SourceConfig(backend="recording", path=str(path)))
    try:
        with pytest.raises(CalibrationError, match="recording"):
            calibrate(replay)
    finally:
        replay.close()


def test_choice_is_a_pure_function_of_measurements() -> None:
    ms = [
        CarrierMeasurement(20000.0, (-20.0,), -130.0, 0.0),
        CarrierMeasurement(30000.0, (-25.0,), -130.0, 0.0),
        CarrierMeasurement(40000.0, (-90.0,), -130.0, 0.0),  # dead
    ]
    cal = choose(ms)
    assert cal.carrier_hz == 30000.0
    assert Calibration.from_dict(cal.as_dict()) == cal


def test_another_uspd_device_s_tone_and_its_doppler_band_are_kept_clear_of() -> None:
    ms = [CarrierMeasurement(float(f), (-25.0,), -130.0, 0.0) for f in range(30000, 44000, 1000)]
    assert choose(ms).carrier_hz == 43000.0
    # Another device plays 42 kHz: 40 kHz is the highest 3 kHz or more away from it.
    assert choose(ms, avoid_hz=(42000.0,)).carrier_hz == 39000.0
    assert choose(ms, avoid_hz=(42000.0, 36500.0)).carrier_hz == 33000.0
    # When every carrier is near someone else's, a carrier is still chosen (sensing beats silence).
    assert choose(ms[:2], avoid_hz=(30500.0,)).carrier_hz == 31000.0


def test_a_simulated_room_hears_another_device_s_tone_and_the_sweep_leaves_it() -> None:
    room = SimulatedRoom(SourceConfig(scenario="empty_room", baseband=True))
    first = calibrate(room)
    # Another uspd device in the room plays 500 Hz off that tone: inside its Doppler band. (Exactly on it, it would
    # look like a static echo, which the listen removes: announcements over MQTT cover that case.)
    room.hear_tones([first.carrier_hz + 500.0])
    second = calibrate(room)
    heard = next(m for m in second.measurements if m.carrier_hz == first.carrier_hz)
    assert heard.interferer_db >= 10.0  # measured with our tone off: the other device's, over the noise
    assert second.carrier_hz != first.carrier_hz
    room.hear_tones([])
    assert calibrate(room).carrier_hz == first.carrier_hz  # gone again: the room is as it was


def test_the_reach_is_where_calibration_s_own_prediction_meets_its_target() -> None:
    """A device whose capped level falls short at 4 m reaches its target nearer: as far as the sonar equation says."""
    short = CarrierMeasurement(20000.0, (-20.0, -22.0), -110.0, 0.0)
    cal = choose([short])
    assert cal.level == level_cap(20000.0)
    assert cal.echo_snr_db < TARGET_ECHO_SNR_DB - 10  # over 10 dB short at 4 m
    reach = cal.reach_m
    assert 1.0 < reach < 3.0
    assert echo_snr_at(short, cal.level, reach) == pytest.approx(TARGET_ECHO_SNR_DB, abs=0.2)
    # 40·log R alone: 12 dB short is 10^(-12/40) of the range; absorption, less at a shorter range, adds a little.
    assert 4.0 * 10 ** (-12 / 40) < echo_reach_m(40000.0, TARGET_ECHO_SNR_DB - 12, 4.0) < 3.3
    assert echo_reach_m(30000.0, TARGET_ECHO_SNR_DB, 4.0) == 4.0  # at the target exactly: range_m, not a hair short
    assert echo_reach_m(30000.0, TARGET_ECHO_SNR_DB + 60, 4.0) == 20.0  # clipped to a room's scale
    assert echo_reach_m(30000.0, TARGET_ECHO_SNR_DB - 80, 4.0) == 0.1
