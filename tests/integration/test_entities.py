"""Options, the config entities that write them, and the sensors that show a snapshot."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.uspd.const import DOMAIN

from . import PREFIX, state_of
from .fake_worker import WALKING, FakeEngine


async def test_options_flow_updates_the_running_engine(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake_worker: FakeEngine
) -> None:
    entry = init_integration
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"sensitivity": 80, "clear_delay": 120, "emission": True, "power_save": False}
    )
    await hass.async_block_till_done()
    assert entry.options == {"sensitivity": 80, "clear_delay": 120, "emission": True, "power_save": False}
    worker = fake_worker.worker
    assert (worker.detector.sensitivity_pct, worker.detector.hold_s) == (80.0, 120.0)
    assert worker.power_save is False
    assert worker.emission_on is True
    assert state_of(hass, f"switch.{PREFIX}_power_saving") == STATE_OFF
    assert state_of(hass, f"number.{PREFIX}_sensitivity") == "80.0"
    assert state_of(hass, f"number.{PREFIX}_clear_delay") == "120.0"
    assert fake_worker.workers == [worker]  # applied to the running engine, not by a restart


@pytest.mark.parametrize(
    ("number", "value", "option", "detector"),
    [
        ("clear_delay", 45, "clear_delay", ("hold_s", 45.0)),
        ("sensitivity", 35, "sensitivity", ("sensitivity_pct", 35.0)),
    ],
)
async def test_numbers_set_options_and_the_engine(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    fake_worker: FakeEngine,
    number: str,
    value: float,
    option: str,
    detector: tuple[str, float],
) -> None:
    entity_id = f"number.{PREFIX}_{number}"
    await hass.services.async_call("number", "set_value", {"entity_id": entity_id, "value": value}, blocking=True)
    await hass.async_block_till_done()
    assert init_integration.options[option] == value
    assert getattr(fake_worker.worker.detector, detector[0]) == detector[1]
    assert float(state_of(hass, entity_id)) == value


@pytest.mark.parametrize(("switch", "option"), [("emission", "emission"), ("power_saving", "power_save")])
@pytest.mark.parametrize("entry_options", [{"emission": False, "power_save": False}])
async def test_switches_set_options_and_the_engine(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake_worker: FakeEngine, switch: str, option: str
) -> None:
    entity_id = f"switch.{PREFIX}_{switch}"
    worker = fake_worker.worker
    asked: Callable[[], bool] = {"emission": lambda: worker.emission_on, "power_save": lambda: worker.power_save}[
        option
    ]
    assert state_of(hass, entity_id) == STATE_OFF
    assert asked() is False  # the engine started as the options say

    await hass.services.async_call("switch", "turn_on", {"entity_id": entity_id}, blocking=True)
    await hass.async_block_till_done()
    assert init_integration.options[option] is True
    assert asked() is True
    assert state_of(hass, entity_id) == STATE_ON

    await hass.services.async_call("switch", "turn_off", {"entity_id": entity_id}, blocking=True)
    await hass.async_block_till_done()
    assert init_integration.options[option] is False
    assert asked() is False
    assert state_of(hass, entity_id) == STATE_OFF


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_sensors_show_the_latest_snapshot(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake_worker: FakeEngine
) -> None:
    def state(key: str) -> str:
        return state_of(hass, f"sensor.{PREFIX}_{key}")

    assert state("motion_type") == STATE_UNKNOWN  # nothing heard yet
    await fake_worker.publish(WALKING, noise_floor_db=-96.44, carrier_snr_db=58.26, xruns=3, duty_cycle=0.254)
    assert state("motion_type") == "major"
    assert state("carrier_frequency") == "40000"
    assert state("noise_floor") == "-96.4"
    assert state("carrier_snr") == "58.3"
    assert state("emission_level") == "-20.0"  # 0.1 of full scale
    assert state("emission_duty_cycle") == "25"
    assert state("breathing_score") == "11.5"
    assert state("classifier") == "numpy"
    assert state("audio_xruns") == "3"
    assert state("simulated_scene") == "Someone walking"  # the simulator's script, beside the verdict
    # What the engine cannot say yet, the sensors do not make up.
    await fake_worker.publish(WALKING, carrier_snr_db=float("nan"), stillness_db=float("nan"))
    assert state("carrier_snr") == STATE_UNKNOWN
    assert state("breathing_score") == STATE_UNKNOWN


async def test_the_calibrating_sensor_follows_the_engine(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake_worker: FakeEngine
) -> None:
    calibrating = f"binary_sensor.{PREFIX}_calibrating"
    await fake_worker.publish(WALKING, calibrating=True)
    assert state_of(hass, calibrating) == STATE_ON
    await fake_worker.publish(WALKING)
    assert state_of(hass, calibrating) == STATE_OFF


async def test_noisy_diagnostics_are_disabled_by_default(
    hass: HomeAssistant, init_integration: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    for key in ("noise_floor", "carrier_snr", "xruns", "breathing", "emission_level"):
        entity_id = entity_registry.async_get_entity_id("sensor", DOMAIN, f"{init_integration.unique_id}_{key}")
        assert entity_id is not None
        entry = entity_registry.async_get(entity_id)
        assert entry is not None
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION


@pytest.mark.parametrize("entry_options", [{"emission": False}])
@pytest.mark.usefixtures("init_integration")
async def test_the_engine_starts_with_the_entry_s_options(fake_worker: FakeEngine) -> None:
    worker = fake_worker.worker
    assert worker.emission_on is False
    assert worker.power_save is True  # on unless turned off
    assert (worker.detector.sensitivity_pct, worker.detector.hold_s) == (50.0, 30.0)
