"""What a source failure says about itself: whether retrying can help, whether a person can fix it."""

from __future__ import annotations

import pytest

from custom_components.uspd.engine.sources import SourceConfig, SourceError, can_calibrate, open_source
from custom_components.uspd.sim import source as sim_source


def test_an_entry_naming_what_does_not_exist_fails_for_good() -> None:
    with pytest.raises(SourceError) as unknown_backend:
        open_source(SourceConfig(backend="bogus"))  # type: ignore[arg-type]
    with pytest.raises(SourceError) as unknown_scenario:
        sim_source.open_source(SourceConfig(backend="simulated", scenario="no_such_room"))
    for err in (unknown_backend.value, unknown_scenario.value):
        assert err.permanent
        assert not err.repairable


@pytest.mark.parametrize("reason", ["portaudio_missing", "device_not_found", "device_busy", "device_lost"])
def test_a_sound_card_a_person_can_fix_is_retried(reason: str) -> None:
    err = SourceError(reason, "the card")
    assert err.repairable
    assert not err.permanent


def test_a_missing_recording_is_retried_without_a_repair() -> None:
    with pytest.raises(SourceError) as missing:
        open_source(SourceConfig(backend="recording", path="/nonexistent/x.wav"))
    assert missing.value.reason == "file_not_found"
    assert not missing.value.permanent
    assert not missing.value.repairable


def test_only_sources_that_hear_their_own_tone_calibrate() -> None:
    room = sim_source.open_source(SourceConfig(backend="simulated", scenario="empty_room"))
    try:
        assert can_calibrate("simulated") is room.closed_loop is True
    finally:
        room.close()
    assert can_calibrate("soundcard")
    assert not can_calibrate("recording")


def test_a_sweep_on_the_simulated_room_leaves_its_script_where_it_is() -> None:
    room = sim_source.SimulatedRoom(SourceConfig(backend="simulated", scenario="walk_in_and_leave", loop=False))
    assert room.read() is not None
    position_s = room.position_s
    twin = room.calibration_twin()
    for _ in range(10):
        assert twin.read() is not None
    assert room.position_s == position_s
    assert room.xruns == 0  # rendered on demand: nothing overruns
