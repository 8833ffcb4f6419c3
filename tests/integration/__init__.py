"""Tests of the Home Assistant integration (the shell around the engine)."""

from __future__ import annotations

from pathlib import Path

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.uspd.const import DOMAIN

# A fixed id keeps snapshots and issue ids stable.
ENTRY_ID = "01JUSPDTESTENTRY0000000000"
# The entity ids of the default entry: its title, as the config flow writes it, slugified.
PREFIX = "simulated_room_walk_in_and_leave"


async def setup_integration(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add the entry and set it up, with whatever worker the test's fixtures put in place."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    """The entity's state; fails the test when Home Assistant holds none for it."""
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} has no state"
    return state.state


async def record(hass: HomeAssistant, entry: MockConfigEntry) -> Path:
    """Call uspd.record for one second on the entry; the WAV's path."""
    response = await hass.services.async_call(
        DOMAIN, "record", {"config_entry_id": entry.entry_id, "duration": 1}, blocking=True, return_response=True
    )
    assert response is not None
    return Path(str(response["path"]))
