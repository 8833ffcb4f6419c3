"""Calibration and the model, through Home Assistant: button, action, persistence, repairs."""

from __future__ import annotations

import asyncio
from pathlib import Path
from unittest.mock import patch

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.uspd.const import DOMAIN
from custom_components.uspd.coordinator import model_issue_id, near_ultrasonic_issue_id
from custom_components.uspd.engine.calibration import Calibration
from custom_components.uspd.sim.library import walk_in_and_leave

from .helpers import WALK_PREFIX, setup_walk_entry, write_scene_wav

PREFIX = WALK_PREFIX


async def _setup(hass: HomeAssistant, data: dict | None = None) -> MockConfigEntry:
    return await setup_walk_entry(hass, data=data)


async def _calibrated(entry: MockConfigEntry) -> Calibration:
    """The first calibration runs in the background (setup does not wait for a 17 s sweep)."""
    for _ in range(500):
        if entry.runtime_data.calibration is not None:
            return entry.runtime_data.calibration
        await asyncio.sleep(0.02)
    raise AssertionError("no calibration")


async def test_first_setup_calibrates_and_the_result_survives_a_reload(hass: HomeAssistant) -> None:
    entry = await _setup(hass)
    await _calibrated(entry)
    stored = entry.data["calibration"]
    assert stored["carrier_hz"] >= 32000
    assert len(stored["measurements"]) == 26
    # Reloaded: the stored calibration is used as it is, no new sweep.
    with patch("custom_components.uspd.engine.worker.calibrate") as sweep:
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        await asyncio.sleep(0.5)
        assert entry.runtime_data.calibration == Calibration.from_dict(stored)
        sweep.assert_not_called()
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_button_and_action_calibrate_on_demand(hass: HomeAssistant) -> None:
    entry = await _setup(hass)
    await _calibrated(entry)
    fake = Calibration(30000.0, 0.1, 25.0, False, 4.0)
    with patch("custom_components.uspd.engine.worker.calibrate", return_value=fake) as sweep:
        await hass.services.async_call("button", "press", {"entity_id": f"button.{PREFIX}_calibrate"}, blocking=True)
        await hass.async_block_till_done()
        assert sweep.call_count == 1
        assert entry.data["calibration"]["carrier_hz"] == 30000.0
        response = await hass.services.async_call(
            DOMAIN, "calibrate", {"config_entry_id": entry.entry_id}, blocking=True, return_response=True
        )
    assert response == {"carrier_hz": 30000.0, "level_dbfs": -20.0, "echo_snr_db": 25.0, "near_ultrasonic": False}
    assert entry.runtime_data.calibration == fake
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_a_near_ultrasonic_calibration_raises_a_repair(hass: HomeAssistant) -> None:
    entry = await _setup(hass)
    await _calibrated(entry)
    audible = Calibration(20000.0, 0.1, 22.0, True, 4.0)
    with patch("custom_components.uspd.engine.worker.calibrate", return_value=audible):
        await entry.runtime_data.async_calibrate()
    await hass.async_block_till_done()
    issue = ir.async_get(hass).async_get_issue(DOMAIN, near_ultrasonic_issue_id(entry.entry_id))
    assert issue is not None
    assert issue.translation_placeholders["carrier"] == "20000"
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_a_recording_cannot_be_calibrated(hass: HomeAssistant, tmp_path: Path) -> None:
    wav = write_scene_wav(tmp_path / "walk.wav", walk_in_and_leave(duration_s=3.0))
    entry = await _setup(hass, {"backend": "recording", "path": str(wav)})
    assert "calibration" not in entry.data
    # Nobody scripted a recording: no Simulated scene sensor.
    assert hass.states.get(f"sensor.{PREFIX}_simulated_scene") is None
    assert hass.states.get(f"sensor.{PREFIX}_motion_type") is not None
    with pytest.raises(HomeAssistantError, match="cannot emit"):
        await hass.services.async_call(
            DOMAIN, "calibrate", {"config_entry_id": entry.entry_id}, blocking=True, return_response=True
        )
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_a_damaged_model_falls_back_to_the_baseline_with_a_repair(hass: HomeAssistant, tmp_path: Path) -> None:
    broken = tmp_path / "uspd.tflite"
    broken.write_bytes(b"\x00" * 64)
    with patch("custom_components.uspd.coordinator.MODEL_PATH", broken):
        entry = await _setup(hass)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, model_issue_id(entry.entry_id))
    assert issue is not None
    assert issue.translation_key == "model_failed"
    assert entry.runtime_data._worker._classifier is None
    # Once the model loads again, the issue goes.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, model_issue_id(entry.entry_id)) is None
    assert entry.runtime_data._worker._classifier is not None
    assert await hass.config_entries.async_unload(entry.entry_id)
