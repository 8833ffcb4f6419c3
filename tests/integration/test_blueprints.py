"""The shipped blueprints: valid for Home Assistant, and doing what they say on a live automation."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import load_yaml
from pytest_homeassistant_custom_component.common import async_fire_time_changed, async_mock_service

BLUEPRINTS = Path(__file__).resolve().parents[2] / "blueprints" / "automation" / "uspd"
ROOM = "binary_sensor.living_room_occupancy"


@pytest.mark.parametrize("path", sorted(BLUEPRINTS.glob("*.yaml")), ids=lambda p: p.name)
def test_blueprint_is_valid(path: Path) -> None:
    config = load_yaml(path)
    assert isinstance(config, dict)
    blueprint = Blueprint(config, expected_domain="automation", schema=AUTOMATION_BLUEPRINT_SCHEMA)
    occupancy = blueprint.inputs["occupancy_entity"]["selector"]["entity"]["filter"][0]
    assert occupancy == {"integration": "uspd", "domain": ["binary_sensor"], "device_class": ["occupancy"]}
    assert blueprint.metadata["source_url"].endswith(f"blueprints/automation/uspd/{path.name}")


def test_there_are_at_least_three() -> None:
    assert len(list(BLUEPRINTS.glob("*.yaml"))) >= 3


async def _automation(hass: HomeAssistant, tmp_path: Path, name: str, inputs: dict[str, Any]) -> None:
    """Set up one automation from blueprint `name` on the occupancy sensor ROOM."""
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(BLUEPRINTS, tmp_path / "blueprints" / "automation" / "uspd")
    hass.states.async_set(ROOM, "off", {"device_class": "occupancy"})
    config = {
        "automation": [{"use_blueprint": {"path": f"uspd/{name}", "input": {"occupancy_entity": ROOM, **inputs}}}]
    }
    assert await async_setup_component(hass, "automation", config)
    await hass.async_block_till_done()


async def test_light_follows_occupancy(hass: HomeAssistant, tmp_path: Path, freezer: FrozenDateTimeFactory) -> None:
    on = async_mock_service(hass, "light", "turn_on")
    off = async_mock_service(hass, "light", "turn_off")
    target = {"entity_id": "light.living_room"}
    await _automation(hass, tmp_path, "occupancy_light.yaml", {"light_target": target, "vacant_minutes": 2})

    hass.states.async_set(ROOM, "on", {"device_class": "occupancy"})
    await hass.async_block_till_done()
    assert [c.data["entity_id"] for c in on] == [["light.living_room"]]

    hass.states.async_set(ROOM, "off", {"device_class": "occupancy"})
    await hass.async_block_till_done()
    freezer.tick(timedelta(minutes=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert not off  # not vacant long enough yet
    freezer.tick(timedelta(minutes=1, seconds=5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert [c.data["entity_id"] for c in off] == [["light.living_room"]]


async def test_nobody_here_turns_things_off(
    hass: HomeAssistant, tmp_path: Path, freezer: FrozenDateTimeFactory
) -> None:
    off = async_mock_service(hass, "homeassistant", "turn_off")
    things = {"entity_id": ["switch.tv", "fan.ceiling"]}
    await _automation(hass, tmp_path, "nobody_here.yaml", {"things": things, "vacant_minutes": 10})
    hass.states.async_set(ROOM, "on", {"device_class": "occupancy"})
    await hass.async_block_till_done()
    hass.states.async_set(ROOM, "off", {"device_class": "occupancy"})
    await hass.async_block_till_done()
    freezer.tick(timedelta(minutes=10, seconds=5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert [c.data["entity_id"] for c in off] == [["switch.tv", "fan.ceiling"]]


@pytest.mark.parametrize(("clock", "expected"), [("08:30:00", 1), ("22:00:00", 0)])
async def test_arrival_runs_its_action_only_during_the_hours(
    hass: HomeAssistant, tmp_path: Path, freezer: FrozenDateTimeFactory, clock: str, expected: int
) -> None:
    await hass.config.async_set_time_zone("UTC")
    now = dt_util.parse_datetime(f"2026-11-24T{clock}+00:00")
    assert now is not None
    freezer.move_to(now)
    scene = async_mock_service(hass, "scene", "turn_on")
    action = [{"action": "scene.turn_on", "target": {"entity_id": "scene.morning"}}]
    await _automation(
        hass,
        tmp_path,
        "arrival_during_hours.yaml",
        {"after": "07:00:00", "before": "10:00:00", "arrival_action": action},
    )
    hass.states.async_set(ROOM, "on", {"device_class": "occupancy"})
    await hass.async_block_till_done()
    assert len(scene) == expected
