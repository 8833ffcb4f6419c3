"""Home Assistant's own MQTT integration, on the same real broker, makes the satellite's entities and drives them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from homeassistant.const import EVENT_STATE_CHANGED, STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, State, callback
from pytest_homeassistant_custom_component.common import MockConfigEntry

from lab.mqtt_broker import MosquittoBroker

from .satellite_process import SatelliteProcess

OCCUPANCY = "binary_sensor.test_room_occupancy"
CLEAR_DELAY = "number.test_room_clear_delay"


async def _until(hass: HomeAssistant, test: Callable[[], bool], what: str, timeout_s: float = 60.0) -> None:
    """Wait until `test()` holds, looking again at every state change."""
    changed = asyncio.Event()

    @callback
    def state_changed(_event: Event[EventStateChangedData]) -> None:
        changed.set()

    unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, state_changed)
    try:
        async with asyncio.timeout(timeout_s):
            while not test():
                await changed.wait()
                changed.clear()
    except TimeoutError:
        raise AssertionError(f"{what}: not within {timeout_s} s") from None
    finally:
        unsubscribe()


def _state(hass: HomeAssistant, entity_id: str) -> State | None:
    return hass.states.get(entity_id)


@pytest.mark.usefixtures("mock_hass_config")  # the MQTT integration reads configuration.yaml
async def test_the_satellite_s_occupancy_turns_on_at_the_walk_in_and_off_after_leaving(
    hass: HomeAssistant, mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    mqtt_entry = MockConfigEntry(
        domain="mqtt",
        data={
            "broker": mosquitto.host,
            "port": mosquitto.tls_port,
            "username": mosquitto.username,
            "password": mosquitto.password,
            "certificate": mosquitto.ca_path.read_text(),
        },
        version=2,
        minor_version=1,
    )
    mqtt_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mqtt_entry.entry_id)
    # The demo's loop: someone walks in at 4 s, sits, leaves at 40–45 s; played 8 times faster than the clock.
    satellite = SatelliteProcess(mosquitto, tmp_path / "satellite", "--speed", "8", "--scenario", "demo_loop")
    await hass.async_add_executor_job(satellite.start)
    try:
        await _until(hass, lambda: (s := _state(hass, OCCUPANCY)) is not None and s.state != STATE_UNAVAILABLE, "seen")
        occupancy = _state(hass, OCCUPANCY)
        assert occupancy is not None
        assert occupancy.attributes["device_class"] == "occupancy"
        assert occupancy.attributes["friendly_name"] == "Test room"  # the primary entity is named after its device

        # A control, through Home Assistant and the broker to the satellite and back.
        await hass.services.async_call("number", "set_value", {"entity_id": CLEAR_DELAY, "value": 5}, blocking=True)
        await _until(hass, lambda: (s := _state(hass, CLEAR_DELAY)) is not None and s.state == "5.0", "clear delay")

        await _until(hass, lambda: (s := _state(hass, OCCUPANCY)) is not None and s.state == STATE_ON, "walk-in")
        await _until(hass, lambda: (s := _state(hass, OCCUPANCY)) is not None and s.state == STATE_OFF, "left")

        # Stopped, the satellite says so, and Home Assistant shows it unavailable.
        await hass.async_add_executor_job(satellite.close_gently)
        await _until(hass, lambda: (s := _state(hass, OCCUPANCY)) is not None and s.state == STATE_UNAVAILABLE, "gone")
    finally:
        await hass.async_add_executor_job(satellite.close)
        assert await hass.config_entries.async_unload(mqtt_entry.entry_id)
    assert "Traceback" not in satellite.log()
