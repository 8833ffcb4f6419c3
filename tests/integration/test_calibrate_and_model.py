"""Calibration and the model, through Home Assistant: button, action, persistence, repairs."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.uspd.const import DOMAIN
from custom_components.uspd.engine.calibration import Calibration, CalibrationError
from custom_components.uspd.sim.library import walk_in_and_leave

from ..helpers import write_scene_wav
from . import PREFIX, setup_integration
from .fake_worker import SWEPT, FakeEngine

STORED = Calibration(40000.0, 0.1, 25.0, False, 4.0)


@pytest.mark.usefixtures("real_worker")
async def test_first_setup_calibrates_and_the_result_survives_a_reload(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """Through the real worker: a full sweep of the simulated device, kept with the entry."""
    entry = mock_config_entry
    await setup_integration(hass, entry)
    for _ in range(500):  # the first sweep runs in the background: setup does not wait for it
        if "calibration" in entry.data:
            break
        await asyncio.sleep(0.02)
    stored = entry.data["calibration"]
    assert stored["carrier_hz"] >= 32000
    assert len(stored["measurements"]) == 26
    assert entry.runtime_data.calibration == Calibration.from_dict(stored)
    # Reloaded: the stored calibration is used as it is, no new sweep.
    with patch("custom_components.uspd.engine.worker.calibrate") as sweep:
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        await asyncio.sleep(0.5)
        assert entry.runtime_data.calibration == Calibration.from_dict(stored)
        sweep.assert_not_called()
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_the_first_sweep_is_kept_and_the_engine_restarts_with_it(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake_worker: FakeEngine
) -> None:
    assert fake_worker.worker.sweeps == 1
    assert init_integration.data["calibration"] == SWEPT.as_dict()
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    restarted = fake_worker.worker
    assert restarted.calibration == SWEPT
    assert restarted.sweeps == 0


async def test_a_failed_first_sweep_senses_with_the_defaults(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, fake_worker: FakeEngine, caplog: pytest.LogCaptureFixture
) -> None:
    fake_worker.sweep = CalibrationError("the speaker went silent")
    await setup_integration(hass, mock_config_entry)
    assert "calibration" not in mock_config_entry.data
    assert fake_worker.worker.calibration is None
    assert "first calibration failed" in caplog.text


async def test_button_and_action_calibrate_on_demand(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake_worker: FakeEngine
) -> None:
    entry = init_integration
    fake_worker.sweep = Calibration(30000.0, 0.1, 25.0, False, 4.0)
    await hass.services.async_call("button", "press", {"entity_id": f"button.{PREFIX}_calibrate"}, blocking=True)
    await hass.async_block_till_done()
    assert fake_worker.worker.sweeps == 2  # the first setup's, and the button's
    assert entry.data["calibration"]["carrier_hz"] == 30000.0
    response = await hass.services.async_call(
        DOMAIN, "calibrate", {"config_entry_id": entry.entry_id}, blocking=True, return_response=True
    )
    assert response == {
        "carrier_hz": 30000.0,
        "level_dbfs": -20.0,
        "echo_snr_db": 25.0,
        "reach_m": 4.9,  # 5 dB over the target at 4 m; absorption takes some of it
        "near_ultrasonic": False,
    }
    assert entry.runtime_data.calibration == fake_worker.sweep
    assert fake_worker.worker.sweeps == 3


async def test_a_failed_sweep_is_reported_to_whoever_asked(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake_worker: FakeEngine
) -> None:
    fake_worker.sweep = CalibrationError("the speaker went silent")
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN, "calibrate", {"config_entry_id": init_integration.entry_id}, blocking=True, return_response=True
        )
    assert err.value.translation_key == "calibration_failed"
    assert err.value.translation_placeholders == {"error": "the speaker went silent"}
    assert init_integration.data["calibration"] == SWEPT.as_dict()  # the last good one is kept


async def test_a_near_ultrasonic_calibration_raises_a_repair(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake_worker: FakeEngine
) -> None:
    issue_id = f"near_ultrasonic_{init_integration.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    fake_worker.sweep = Calibration(20000.0, 0.1, 22.0, True, 4.0)
    await hass.services.async_call(DOMAIN, "calibrate", {"config_entry_id": init_integration.entry_id}, blocking=True)
    await hass.async_block_till_done()
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["carrier"] == "20000"


class TestARecording:
    """A recording of the walk-in: nothing can be played into it, so nothing calibrates."""

    @pytest.fixture
    def entry_data(self, tmp_path: Path) -> dict[str, Any]:
        """The entry replays a recording."""
        wav = write_scene_wav(tmp_path / "walk.wav", walk_in_and_leave(duration_s=3.0))
        return {"backend": "recording", "path": str(wav)}

    async def test_it_cannot_be_calibrated(
        self, hass: HomeAssistant, init_integration: MockConfigEntry, fake_worker: FakeEngine
    ) -> None:
        """Neither at setup nor when asked."""
        assert "calibration" not in init_integration.data
        assert fake_worker.worker.sweeps == 0
        # Nobody scripted a recording: no Simulated scene sensor.
        assert hass.states.get("sensor.recording_walk_wav_simulated_scene") is None
        assert hass.states.get("sensor.recording_walk_wav_motion_type") is not None
        with pytest.raises(HomeAssistantError, match="cannot emit"):
            await hass.services.async_call(
                DOMAIN, "calibrate", {"config_entry_id": init_integration.entry_id}, blocking=True, return_response=True
            )
        assert fake_worker.worker.sweeps == 0


async def test_a_damaged_model_falls_back_to_the_baseline_with_a_repair(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, fake_worker: FakeEngine, tmp_path: Path
) -> None:
    broken = tmp_path / "uspd.tflite"
    broken.write_bytes(b"\x00" * 64)
    issue_id = f"model_{mock_config_entry.entry_id}"
    with patch("custom_components.uspd.coordinator.MODEL_PATH", broken):
        await setup_integration(hass, mock_config_entry)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "model_failed"
    assert fake_worker.worker.classifier is None  # the baseline detector senses meanwhile
    # Once the model loads again, the issue goes.
    assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert fake_worker.worker.classifier is not None


@pytest.mark.parametrize(
    "entry_data",
    [
        {
            "backend": "simulated",
            "scenario": "walk_in_and_leave",
            "calibration": STORED.as_dict(),
            "last_recalibration": 1234.5,
        }
    ],
)
async def test_the_last_recalibration_is_kept_with_the_entry(
    init_integration: MockConfigEntry, fake_worker: FakeEngine
) -> None:
    """The hourly limit on automatic recalibrations outlives restarts."""
    assert fake_worker.worker.last_recalibration == 1234.5  # handed back after a restart
    assert fake_worker.worker.calibration == STORED
    assert fake_worker.worker.sweeps == 0  # calibrated already
    await fake_worker.recalibrated(5678.0)
    assert init_integration.data["last_recalibration"] == 5678.0
    assert init_integration.data["calibration"] == STORED.as_dict()


async def test_a_sweep_ending_after_a_reconfigure_is_not_kept_with_the_new_source(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake_worker: FakeEngine
) -> None:
    """A sweep of the old source finishing once the entry names another is dropped, not merged into its data."""
    fake_worker.sweep = None  # the sweep runs until the test ends it
    worker = fake_worker.worker
    task = asyncio.ensure_future(
        hass.services.async_call(
            DOMAIN, "calibrate", {"config_entry_id": init_integration.entry_id}, blocking=True, return_response=True
        )
    )
    for _ in range(100):  # until the action has reached the engine
        if worker.calibrating:
            break
        await asyncio.sleep(0)
    assert worker.calibrating
    # A reconfigure writes the new source; the reload that follows has not stopped the old engine yet.
    hass.config_entries.async_update_entry(init_integration, data={"backend": "simulated", "scenario": "fan_only"})
    worker.end_sweep(SWEPT)
    await hass.async_block_till_done()
    await task
    assert "calibration" not in init_integration.data
    assert init_integration.data["scenario"] == "fan_only"


async def test_a_calibration_that_reaches_only_nearby_raises_a_repair_until_one_reaches_further(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake_worker: FakeEngine
) -> None:
    issue_id = f"short_reach_{init_integration.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    fake_worker.sweep = Calibration(21000.0, 0.1, 5.0, True, 4.0)  # 15 dB short of the target at 4 m
    await hass.services.async_call(DOMAIN, "calibrate", {"config_entry_id": init_integration.entry_id}, blocking=True)
    await hass.async_block_till_done()
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "short_reach_audible"  # the advice: a card whose tone is not kept quiet
    assert issue.translation_placeholders == {"name": init_integration.title, "reach": "1.9", "carrier": "21000"}
    fake_worker.sweep = Calibration(40000.0, 0.5, 10.0, False, 4.0)  # ultrasonic, but the speaker is weak there
    await hass.services.async_call(DOMAIN, "calibrate", {"config_entry_id": init_integration.entry_id}, blocking=True)
    await hass.async_block_till_done()
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "short_reach"
    fake_worker.sweep = Calibration(40000.0, 0.3, 20.0, False, 4.0)  # the device moved, or a better card
    await hass.services.async_call(DOMAIN, "calibrate", {"config_entry_id": init_integration.entry_id}, blocking=True)
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
