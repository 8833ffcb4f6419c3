"""Faults through the real worker and the coordinator: a device failing, an entry unloading while the engine is busy.

The entry's source (the simulated room, played 50x fast by `real_worker`) is
wrapped in the engine tests' `Faulty`, which blocks, raises or slows chosen
reads. Each entry starts with a kept calibration, so no first sweep runs
unless a test asks for one.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.uspd.const import DOMAIN, RECORDINGS_FOLDER
from custom_components.uspd.engine.calibration import Calibration
from custom_components.uspd.engine.sources import AudioSource, SourceConfig, SourceError
from custom_components.uspd.repairs import source_issue_id
from custom_components.uspd.sim.source import open_source

from ..engine.test_fault_injection import Faulty
from . import PREFIX, setup_integration

KEPT = Calibration(40000.0, 0.1, 25.0, False, 4.0)
OCCUPANCY = f"binary_sensor.{PREFIX}_occupancy"

pytestmark = [
    pytest.mark.usefixtures("real_worker"),
    pytest.mark.parametrize(
        "entry_data", [{"backend": "simulated", "scenario": "walk_in_and_leave", "calibration": KEPT.as_dict()}]
    ),
]


@contextmanager
def _faulty(*wrappers: Callable[[AudioSource], AudioSource]) -> Iterator[list[AudioSource]]:
    """The entry's sources, the n-th opened wrapped by the n-th of `wrappers` (later ones as they are)."""
    opened: list[AudioSource] = []

    def opener(config: SourceConfig) -> AudioSource:
        source = open_source(config)
        if len(opened) < len(wrappers):
            source = wrappers[len(opened)](source)
        opened.append(source)
        return source

    with patch("custom_components.uspd.coordinator.open_source", opener):
        yield opened


def _engine_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "uspd-engine" and t.is_alive()}


async def _until(predicate: Callable[[], bool], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "never happened"
        await asyncio.sleep(0.01)


def _saved(hass: HomeAssistant) -> list[Path]:
    """Recordings a person would find (temporary, hidden names aside)."""
    folder = Path(hass.config.path(RECORDINGS_FOLDER))
    return [p for p in folder.glob("*") if not p.name.startswith(".")] if folder.exists() else []


async def test_a_device_lost_mid_stream_is_unavailable_with_its_repair_then_senses_again(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    states: list[str] = []
    issues: list[str] = []

    def on_state(event: Event[Any]) -> None:
        if event.data["entity_id"] == OCCUPANCY and event.data["new_state"] is not None:
            states.append(event.data["new_state"].state)

    def on_issue(event: Event[Any]) -> None:
        if event.data["issue_id"] == source_issue_id(mock_config_entry.entry_id):
            issues.append(event.data["action"])

    hass.bus.async_listen(EVENT_STATE_CHANGED, on_state)
    hass.bus.async_listen(ir.EVENT_REPAIRS_ISSUE_REGISTRY_UPDATED, on_issue)

    def lost(n: int) -> None:
        if n == 80:  # 4 s of the room
            raise SourceError("device_lost", "the device stopped delivering audio")

    with (
        patch("custom_components.uspd.engine.worker.BACKOFF_S", (0.2,)),
        _faulty(lambda s: Faulty(s, before=lost)) as opened,
    ):
        await setup_integration(hass, mock_config_entry)
        await _until(lambda: STATE_UNAVAILABLE in states)
        await _until(lambda: states[-1] != STATE_UNAVAILABLE and issues[-1:] == ["remove"])
        assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    assert issues[:2] == ["create", "remove"]  # raised while it failed, cleared once audio came back
    assert len(opened) == 2  # reopened once
    assert ir.async_get(hass).async_get_issue(DOMAIN, source_issue_id(mock_config_entry.entry_id)) is None


async def test_a_read_that_hangs_through_an_unload_then_fails_raises_no_repair(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """The driver returns from a read only once the entry is unloading, with an error: nobody is told."""
    stuck, release = threading.Event(), threading.Event()

    def hang(n: int) -> None:
        if n == 40:
            stuck.set()
            assert release.wait(30)
            raise SourceError("device_lost", "the device was unplugged")

    before = _engine_threads()
    with _faulty(lambda s: Faulty(s, before=hang)):
        await setup_integration(hass, mock_config_entry)
        await _until(stuck.is_set)
        unload = hass.async_create_task(hass.config_entries.async_unload(mock_config_entry.entry_id))
        await asyncio.sleep(0.2)  # the unload now waits on the engine thread
        release.set()
        assert await unload
        await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.NOT_LOADED
    assert _engine_threads() <= before
    assert ir.async_get(hass).async_get_issue(DOMAIN, source_issue_id(mock_config_entry.entry_id)) is None


async def test_unloading_during_a_calibration_ends_the_action_at_once_and_keeps_the_old_calibration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    sweeping = threading.Event()

    def slow(_n: int) -> None:
        sweeping.set()
        time.sleep(0.01)  # a sweep of seconds, not of a blink

    before = _engine_threads()
    with _faulty(lambda s: Faulty(s, twin_before=slow)):
        await setup_integration(hass, mock_config_entry)
        calibrate = hass.async_create_task(
            hass.services.async_call(
                DOMAIN,
                "calibrate",
                {"config_entry_id": mock_config_entry.entry_id},
                blocking=True,
                return_response=True,
            )
        )
        await _until(sweeping.is_set)
        began = time.monotonic()
        assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
        with pytest.raises(HomeAssistantError) as err:
            await calibrate
        took = time.monotonic() - began
    assert err.value.translation_key == "calibration_failed"
    assert took < 3.0  # not the action's 120 s, not the rest of the sweep
    assert Calibration.from_dict(mock_config_entry.data["calibration"]) == KEPT
    assert _engine_threads() <= before


async def test_unloading_during_a_recording_ends_the_action_and_leaves_no_recording(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    before = _engine_threads()
    await setup_integration(hass, mock_config_entry)
    await _until(lambda: mock_config_entry.runtime_data.data is not None)
    record = hass.async_create_task(
        hass.services.async_call(
            DOMAIN, "record", {"config_entry_id": mock_config_entry.entry_id, "duration": 600}, blocking=True
        )
    )
    started = mock_config_entry.runtime_data.data.t_s
    await _until(lambda: mock_config_entry.runtime_data.data.t_s > started + 5.0)  # 5 s of it recorded
    began = time.monotonic()
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    with pytest.raises(HomeAssistantError) as err:
        await record
    assert err.value.translation_key == "not_running"
    assert time.monotonic() - began < 3.0
    assert _saved(hass) == []
    assert _engine_threads() <= before


async def test_a_calibration_during_a_recording_cuts_it_short_with_the_reason_and_is_kept(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    await setup_integration(hass, mock_config_entry)
    await _until(lambda: mock_config_entry.runtime_data.data is not None)
    record = hass.async_create_task(
        hass.services.async_call(
            DOMAIN, "record", {"config_entry_id": mock_config_entry.entry_id, "duration": 300}, blocking=True
        )
    )
    started = mock_config_entry.runtime_data.data.t_s
    await _until(lambda: mock_config_entry.runtime_data.data.t_s > started + 2.0)
    response = await hass.services.async_call(
        DOMAIN, "calibrate", {"config_entry_id": mock_config_entry.entry_id}, blocking=True, return_response=True
    )
    assert response is not None
    with pytest.raises(HomeAssistantError) as err:
        await record
    assert err.value.translation_key == "recording_aborted"
    assert _saved(hass) == []
    swept = Calibration.from_dict(mock_config_entry.data["calibration"])
    assert swept.carrier_hz == response["carrier_hz"]
    assert len(swept.measurements) > 1  # a real sweep, not the kept one
    await _until(lambda: mock_config_entry.runtime_data.data.carrier_hz == swept.carrier_hz)  # senses with it
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
