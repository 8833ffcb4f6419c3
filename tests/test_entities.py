"""Options, tuning entities, sensors and diagnostics on a running simulated room."""

from __future__ import annotations

import asyncio
import math

import pytest
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.uspd.const import DOMAIN
from custom_components.uspd.diagnostics import async_get_config_entry_diagnostics

from .helpers import WALK_PREFIX, setup_walk_entry

PREFIX = WALK_PREFIX


async def _setup(hass: HomeAssistant, options: dict | None = None) -> MockConfigEntry:
    return await setup_walk_entry(hass, options=options)


async def _scene_time(entry: MockConfigEntry, t_s: float) -> None:
    for _ in range(600):
        data = entry.runtime_data.data
        if data is not None and data.t_s >= t_s:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the engine did not advance")


async def _unload(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_options_flow_updates_the_running_engine(hass: HomeAssistant) -> None:
    entry = await _setup(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"sensitivity": 80, "clear_delay": 120, "emission": True, "power_save": False}
    )
    await hass.async_block_till_done()
    assert entry.options == {"sensitivity": 80, "clear_delay": 120, "emission": True, "power_save": False}
    worker = entry.runtime_data._worker
    assert (worker._detector.sensitivity_pct, worker._detector.hold_s) == (80.0, 120.0)
    assert worker._power_save is False
    assert hass.states.get(f"switch.{PREFIX}_power_saving").state == "off"
    assert hass.states.get(f"number.{PREFIX}_sensitivity").state == "80.0"
    assert hass.states.get(f"number.{PREFIX}_clear_delay").state == "120.0"
    await _unload(hass, entry)


async def test_numbers_set_options_and_the_engine(hass: HomeAssistant) -> None:
    entry = await _setup(hass)
    await hass.services.async_call(
        "number", "set_value", {"entity_id": f"number.{PREFIX}_clear_delay", "value": 45}, blocking=True
    )
    await hass.async_block_till_done()
    assert entry.options["clear_delay"] == 45
    assert entry.runtime_data._worker._detector.hold_s == 45.0
    await _unload(hass, entry)


@pytest.mark.usefixtures("fast_playback")
async def test_emission_off_senses_nothing_and_on_senses_again(hass: HomeAssistant) -> None:
    """Closed loop: with the tone off the simulated walker leaves no echo at all."""
    entry = await _setup(hass, {"emission": False})
    switch = f"switch.{PREFIX}_emission"
    occupancy = f"binary_sensor.{PREFIX}_occupancy"
    assert hass.states.get(switch).state == STATE_OFF
    await _scene_time(entry, 16.0)  # the walker came, stood and left
    assert hass.states.get(occupancy).state == STATE_OFF
    assert entry.runtime_data.data.emitting is False

    await hass.services.async_call("switch", "turn_on", {"entity_id": switch}, blocking=True)
    await hass.async_block_till_done()
    assert entry.options["emission"] is True
    for _ in range(600):  # the scene loops: the walker comes again
        if hass.states.get(occupancy).state == STATE_ON:
            break
        await asyncio.sleep(0.02)
    assert hass.states.get(occupancy).state == STATE_ON

    await hass.services.async_call("switch", "turn_off", {"entity_id": switch}, blocking=True)
    await hass.async_block_till_done()
    assert entry.options["emission"] is False
    assert hass.states.get(switch).state == STATE_OFF
    await _unload(hass, entry)


@pytest.mark.usefixtures("fast_playback", "entity_registry_enabled_by_default")
async def test_sensors_and_diagnostics(hass: HomeAssistant, entity_registry: er.EntityRegistry) -> None:
    entry = await _setup(hass)
    await _scene_time(entry, 4.0)
    # The first setup calibrated the simulated device: its carrier and level are in use.
    cal = entry.runtime_data.calibration
    assert cal is not None
    assert entry.data["calibration"]["carrier_hz"] == cal.carrier_hz
    assert hass.states.get(f"sensor.{PREFIX}_motion_type").state in ("none", "minor", "major")
    assert hass.states.get(f"sensor.{PREFIX}_carrier_frequency").state == str(round(cal.carrier_hz))
    assert float(hass.states.get(f"sensor.{PREFIX}_emission_level").state) == round(20 * math.log10(cal.level), 1)
    assert hass.states.get(f"sensor.{PREFIX}_classifier").state == "numpy"
    assert hass.states.get(f"binary_sensor.{PREFIX}_calibrating").state == "off"
    assert float(hass.states.get(f"sensor.{PREFIX}_carrier_snr").state) > 40
    assert float(hass.states.get(f"sensor.{PREFIX}_noise_floor").state) < -80
    assert hass.states.get(f"sensor.{PREFIX}_audio_xruns").state == "0"
    # The simulation's own script, beside the verdict: the walker came in at 2 s and stands from 5 s.
    scene = hass.states.get(f"sensor.{PREFIX}_simulated_scene").state
    assert scene in ("Someone walking", "Someone standing")
    assert scene == entry.runtime_data.data.ground_truth
    # 4 s in, no 8 s window of breathing has been seen yet.
    assert hass.states.get(f"sensor.{PREFIX}_breathing_score").state == "unknown"
    diag = await async_get_config_entry_diagnostics(hass, entry)
    assert diag["entry"]["data"] == {"backend": "simulated", "scenario": "walk_in_and_leave"}
    assert diag["available"] is True
    assert diag["latest_frame"]["carrier_hz"] == cal.carrier_hz
    assert diag["calibration"]["carrier_hz"] == cal.carrier_hz
    assert len(diag["calibration"]["measurements"]) == 26
    assert set(diag["versions"]) == {"home_assistant", "python", "numpy", "scipy"}
    await _unload(hass, entry)


async def test_noisy_diagnostics_are_disabled_by_default(
    hass: HomeAssistant, entity_registry: er.EntityRegistry
) -> None:
    entry = await _setup(hass)
    for key in ("noise_floor", "carrier_snr", "xruns", "breathing"):
        entity_id = entity_registry.async_get_entity_id("sensor", DOMAIN, f"{entry.unique_id}_{key}")
        assert entity_id is not None
        assert entity_registry.async_get(entity_id).disabled_by is er.RegistryEntryDisabler.INTEGRATION
    await _unload(hass, entry)
