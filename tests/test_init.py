"""Setting up, running and unloading an entry with a real engine thread."""

from __future__ import annotations

import asyncio
import threading
from unittest.mock import patch

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP, STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.uspd.const import DOMAIN
from custom_components.uspd.engine.sources import SourceError
from custom_components.uspd.sim.source import open_source

OCCUPANCY = "binary_sensor.simulated_room_walk_in_and_leave_occupancy"
MOTION = "binary_sensor.simulated_room_walk_in_and_leave_motion"


def _entry(scenario: str = "walk_in_and_leave") -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Simulated room ({scenario.replace('_', ' ')})",
        unique_id=f"simulated_{scenario}",
        data={"backend": "simulated", "scenario": scenario},
    )


def _engine_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "uspd-engine"]


async def _wait_for(hass: HomeAssistant, entity_id: str, state: str, within: float) -> float:
    loop = asyncio.get_running_loop()
    start = loop.time()
    while loop.time() - start < within:
        current = hass.states.get(entity_id)
        if current is not None and current.state == state:
            return loop.time() - start
        await asyncio.sleep(0.05)
    raise AssertionError(f"{entity_id} never became {state}: {hass.states.get(entity_id)}")


async def test_setup_and_unload_stop_the_thread(hass: HomeAssistant) -> None:
    entry = _entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert len(_engine_threads()) == 1
    assert hass.states.get(OCCUPANCY) is not None

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert _engine_threads() == []


async def test_home_assistant_stop_stops_the_thread(hass: HomeAssistant) -> None:
    entry = _entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert _engine_threads() == []


async def _setup_with_failing_source(hass: HomeAssistant, entry: MockConfigEntry, error: SourceError) -> None:
    entry.add_to_hass(hass)
    with patch("custom_components.uspd.coordinator.open_source", side_effect=error):
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()


async def test_setup_retries_when_the_source_cannot_start(hass: HomeAssistant) -> None:
    entry = _entry()
    await _setup_with_failing_source(hass, entry, SourceError("device_busy", "the sound card is busy"))
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert "the sound card is busy" in (entry.reason or "")
    assert _engine_threads() == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"backend": "bogus"}, "unknown backend"),
        ({"backend": "simulated", "scenario": "no_such_room"}, "unknown scenario"),
    ],
)
async def test_an_impossible_entry_fails_without_retrying(hass: HomeAssistant, data: dict, message: str) -> None:
    entry = MockConfigEntry(domain=DOMAIN, title="broken", unique_id="broken", data=data)
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert message in (entry.reason or "")
    assert _engine_threads() == []


async def test_a_missing_recording_is_retried(hass: HomeAssistant, tmp_path: object) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN, title="rec", unique_id="rec", data={"backend": "recording", "path": "/nonexistent/x.wav"}
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert "cannot open /nonexistent/x.wav" in (entry.reason or "")


@pytest.mark.usefixtures("fast_playback")
async def test_occupancy_follows_a_simulated_walker(hass: HomeAssistant) -> None:
    """Walk in at 2 s, stand, leave at 12–15 s (scene time, played 50× fast)."""
    entry = _entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await _wait_for(hass, OCCUPANCY, STATE_ON, within=20)
    coordinator = entry.runtime_data
    assert coordinator.data.occupied
    assert 2.0 <= coordinator.data.t_s <= 4.0  # turned on during the walk-in
    assert hass.states.get(MOTION).state == STATE_ON
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.usefixtures("fast_playback")
async def test_empty_room_stays_vacant(hass: HomeAssistant) -> None:
    entry = _entry("empty_room")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    occupancy = "binary_sensor.simulated_room_empty_room_occupancy"
    await _wait_for(hass, occupancy, STATE_OFF, within=10)
    coordinator = entry.runtime_data
    # ~15 s of scene time (played 50× fast): it must never turn on.
    for _ in range(400):
        assert hass.states.get(occupancy).state == STATE_OFF
        if coordinator.data is not None and coordinator.data.t_s >= 15.0:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the engine did not advance")
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.usefixtures("fast_playback")
async def test_unavailable_while_the_source_fails_then_recovers(hass: HomeAssistant) -> None:
    entry = _entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await _wait_for(hass, OCCUPANCY, STATE_OFF, within=10)

    coordinator = entry.runtime_data
    seen: list[str] = []

    @callback
    def _record(event: Event[EventStateChangedData]) -> None:
        if (new := event.data["new_state"]) is not None:
            seen.append(new.state)

    unsub = async_track_state_change_event(hass, [OCCUPANCY], _record)
    # The device vanishes: the worker reports it from its thread.
    coordinator._error_from_thread(SourceError("device_lost", "the sound card stopped delivering audio"))
    for _ in range(200):
        if STATE_UNAVAILABLE in seen and seen[-1] != STATE_UNAVAILABLE:
            break
        await asyncio.sleep(0.05)
    unsub()
    assert STATE_UNAVAILABLE in seen
    # The next snapshot from the engine brings the entity back.
    assert seen[-1] in (STATE_ON, STATE_OFF)
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


def test_worker_retries_a_failing_source() -> None:
    """A source that fails to open is retried with backoff; errors are reported each time."""
    from custom_components.uspd.engine.detector import DetectorConfig
    from custom_components.uspd.engine.sources import SourceConfig
    from custom_components.uspd.engine.worker import EngineWorker

    errors: list[SourceError] = []
    snapshots: list[object] = []
    attempts = {"n": 0}
    got_snapshot = threading.Event()

    def opener(config: SourceConfig):  # type: ignore[no-untyped-def]
        attempts["n"] += 1
        if attempts["n"] == 1:
            raise SourceError("device_busy", "busy")
        return open_source(config)

    def on_snapshot(s: object) -> None:
        snapshots.append(s)
        got_snapshot.set()

    with patch("custom_components.uspd.engine.worker.BACKOFF_S", (0.01,)):
        worker = EngineWorker(
            SourceConfig(scenario="empty_room"), DetectorConfig(), on_snapshot, errors.append, speed=100, opener=opener
        )
        worker.start()
        assert got_snapshot.wait(10)
        worker.stop()
    assert [e.reason for e in errors] == ["device_busy"]
    assert attempts["n"] == 2
    assert snapshots


async def test_sound_card_repairs_are_raised_and_cleared_on_removal(hass: HomeAssistant) -> None:
    from homeassistant.helpers import issue_registry as ir

    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Headset",
        unique_id="soundcard_headset",
        data={"backend": "soundcard", "device": "Echo-Cancel Source", "audio_rate_hz": 48000, "carrier_hz": 20000},
    )
    await _setup_with_failing_source(hass, entry, SourceError("device_busy", "Echo-Cancel Source cannot be opened"))
    assert entry.state is ConfigEntryState.SETUP_RETRY
    registry = ir.async_get(hass)
    keys = {
        issue.translation_key
        for (domain, _), issue in registry.issues.items()
        if domain == DOMAIN and entry.entry_id in issue.issue_id
    }
    assert keys == {"device_busy", "near_ultrasonic", "audio_effects"}
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert not [i for (domain, _), i in registry.issues.items() if domain == DOMAIN]


def test_capture_effects_are_recognised_by_name() -> None:
    from custom_components.uspd.engine.sources.soundcard import audio_effects

    assert audio_effects("Echo-Cancel Source") == "Echo-Cancel"
    assert audio_effects("alsa_input.usb-Jabra.noise_suppression") == "noise_suppress"
    assert audio_effects("webrtc processing") == "webrtc"
    assert audio_effects("USB Audio Device: hw:1,0") is None
    assert audio_effects("pulse") is None
