"""Setting up, running and unloading an entry: the engine started and stopped, failures, repairs."""

from __future__ import annotations

import asyncio
import threading
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP, STATE_OFF, STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, State, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_state_change_event
from pytest_homeassistant_custom_component.common import MockConfigEntry, mock_restore_cache

from custom_components.uspd.const import DOMAIN
from custom_components.uspd.engine.detector import Motion
from custom_components.uspd.engine.sources import SourceError

from . import PREFIX, setup_integration, state_of
from .fake_worker import VACANT, WALKING, FakeEngine

OCCUPANCY = f"binary_sensor.{PREFIX}_occupancy"
MOTION = f"binary_sensor.{PREFIX}_motion"


def _engine_threads() -> list[threading.Thread]:
    """The engine threads running now."""
    return [t for t in threading.enumerate() if t.name == "uspd-engine"]


async def test_setup_starts_the_engine_on_the_entry_s_source_and_unload_stops_it(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake_worker: FakeEngine
) -> None:
    worker = fake_worker.worker
    assert init_integration.state is ConfigEntryState.LOADED
    assert worker.started
    assert worker.source is not None  # opened (and so tested) before the engine starts
    assert worker.source_config.scenario == "walk_in_and_leave"
    assert worker.classifier is not None  # the shipped model loaded
    assert state_of(hass, OCCUPANCY) == STATE_UNKNOWN  # nothing heard yet

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    # Unloaded, not removed: the entry is still there.
    assert [entry.state for entry in hass.config_entries.async_entries(DOMAIN)] == [ConfigEntryState.NOT_LOADED]
    assert worker.stopped


async def test_home_assistant_stop_stops_the_engine(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake_worker: FakeEngine
) -> None:
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert fake_worker.worker.stopped


async def _setup_with_failing_source(hass: HomeAssistant, entry: MockConfigEntry, error: SourceError) -> None:
    """Add the entry and set it up on a source that fails to open with `error`."""
    entry.add_to_hass(hass)
    with patch("custom_components.uspd.coordinator.open_source", side_effect=error):
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()


async def test_setup_retries_when_the_source_cannot_start(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, fake_worker: FakeEngine
) -> None:
    await _setup_with_failing_source(hass, mock_config_entry, SourceError("device_busy", "the sound card is busy"))
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert "the sound card is busy" in (mock_config_entry.reason or "")
    assert fake_worker.workers == []


@pytest.mark.parametrize(
    ("entry_data", "message"),
    [
        ({"backend": "bogus"}, "unknown backend"),
        ({"backend": "simulated", "scenario": "no_such_room"}, "unknown scenario"),
    ],
)
async def test_an_impossible_entry_fails_without_retrying(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, fake_worker: FakeEngine, message: str
) -> None:
    mock_config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    assert message in (mock_config_entry.reason or "")
    assert fake_worker.workers == []


@pytest.mark.parametrize("entry_data", [{"backend": "recording", "path": "/nonexistent/x.wav"}])
async def test_a_missing_recording_is_retried(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, fake_worker: FakeEngine
) -> None:
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert "cannot open /nonexistent/x.wav" in (mock_config_entry.reason or "")
    assert fake_worker.workers == []


@pytest.mark.usefixtures("real_worker")
async def test_occupancy_follows_a_simulated_walker(hass: HomeAssistant, mock_config_entry: MockConfigEntry) -> None:
    """End to end on the real engine thread: walk in at 2 s, stand, leave at 12–15 s (scene time, played 50× fast)."""
    turned_on: dict[str, list[float]] = {OCCUPANCY: [], MOTION: []}

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        # The snapshot that turned it on is the coordinator's data now: a busy machine may poll much later.
        if (new := event.data["new_state"]) is not None and new.state == STATE_ON:
            turned_on[event.data["entity_id"]].append(mock_config_entry.runtime_data.data.t_s)

    async_track_state_change_event(hass, [OCCUPANCY, MOTION], _changed)
    await setup_integration(hass, mock_config_entry)
    assert len(_engine_threads()) == 1
    for _ in range(400):
        if state_of(hass, OCCUPANCY) == STATE_ON:
            break
        await asyncio.sleep(0.05)
    assert state_of(hass, OCCUPANCY) == STATE_ON
    # Both turned on during the walk-in (from 2 s; the walker stands from 5 s).
    assert 2.0 <= turned_on[OCCUPANCY][0] <= 4.0
    assert 2.0 <= turned_on[MOTION][0] <= 4.0
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert _engine_threads() == []


@pytest.mark.parametrize(
    ("changes", "occupancy", "motion"),
    [
        ({}, STATE_OFF, STATE_OFF),
        # A hand moved in a vacant room: the Motion type sensor says minor, Motion waits for what opens the room.
        ({"motion_type": Motion.MINOR}, STATE_OFF, STATE_OFF),
        ({"occupied": True, "motion": Motion.MINOR, "motion_type": Motion.MINOR}, STATE_ON, STATE_ON),
        ({"occupied": True}, STATE_ON, STATE_OFF),  # someone still: occupied without motion
        ({"occupied": True, "motion": Motion.MAJOR}, STATE_ON, STATE_ON),
    ],
)
async def test_occupancy_and_motion_follow_each_snapshot(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    fake_worker: FakeEngine,
    changes: dict[str, Any],
    occupancy: str,
    motion: str,
) -> None:
    await fake_worker.publish(VACANT, **changes)
    assert state_of(hass, OCCUPANCY) == occupancy
    assert state_of(hass, MOTION) == motion


async def test_unavailable_with_a_repair_while_the_source_fails_then_back(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake_worker: FakeEngine
) -> None:
    registry = ir.async_get(hass)
    issue_id = f"source_failed_{init_integration.entry_id}"
    await fake_worker.publish(WALKING)
    assert state_of(hass, OCCUPANCY) == STATE_ON

    await fake_worker.fail(SourceError("device_lost", "the sound card stopped delivering audio"))
    assert state_of(hass, OCCUPANCY) == STATE_UNAVAILABLE
    issue = registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "device_lost"

    # The next snapshot from the engine brings the entities back, and clears the repair.
    await fake_worker.publish(VACANT)
    assert state_of(hass, OCCUPANCY) == STATE_OFF
    assert registry.async_get_issue(DOMAIN, issue_id) is None


async def test_a_failure_nobody_can_repair_makes_no_issue(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake_worker: FakeEngine
) -> None:
    await fake_worker.publish(WALKING)
    await fake_worker.fail(SourceError("no_audio", "the recording holds no audio"))
    assert state_of(hass, OCCUPANCY) == STATE_UNAVAILABLE
    assert not [i for (domain, _), i in ir.async_get(hass).issues.items() if domain == DOMAIN]


@pytest.mark.parametrize(
    "entry_data",
    [{"backend": "soundcard", "device": "Echo-Cancel Source", "audio_rate_hz": 48000, "carrier_hz": 20000}],
)
async def test_sound_card_repairs_are_raised_and_cleared_on_removal(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    entry = mock_config_entry
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


@pytest.mark.parametrize(("before", "assumed"), [(STATE_ON, 1), (STATE_OFF, 0)])
async def test_an_occupied_room_is_restored_across_a_restart(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, fake_worker: FakeEngine, before: str, assumed: int
) -> None:
    """Occupancy on before the restart: the engine is told to hold the room (it clears after the clear delay)."""
    mock_restore_cache(hass, [State(OCCUPANCY, before)])
    await setup_integration(hass, mock_config_entry)
    assert fake_worker.worker.assumed_occupied == assumed
