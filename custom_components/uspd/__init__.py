"""Ultrasonic presence detection (uspd) for Home Assistant."""

from __future__ import annotations

from pathlib import Path

from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN, RECORDINGS_FOLDER
from .coordinator import UspdConfigEntry, UspdCoordinator
from .recordings import find_recordings
from .repairs import async_offer_to_delete_recordings, async_remove_issues
from .services import async_setup_services

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.IMAGE,
    Platform.NUMBER,
    Platform.SENSOR,
    Platform.SWITCH,
]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Actions live for as long as Home Assistant, whatever the entries do."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: UspdConfigEntry) -> bool:
    """Start the engine for this device; ConfigEntryNotReady makes HA retry."""
    coordinator = UspdCoordinator(hass, entry)
    await coordinator.async_start()
    entry.runtime_data = coordinator
    # Entries are not unloaded when Home Assistant stops: stop the thread then too.
    entry.async_on_unload(coordinator.async_stop)

    async def _stop(_event: Event) -> None:
        await coordinator.async_stop()

    entry.async_on_unload(hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _stop))

    async def _options_updated(_hass: HomeAssistant, _entry: UspdConfigEntry) -> None:
        coordinator.async_apply_options()

    entry.async_on_unload(entry.add_update_listener(_options_updated))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: UspdConfigEntry) -> bool:
    """Unload platforms; the engine thread is stopped by the on-unload callback."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: UspdConfigEntry) -> None:
    """A removed device leaves no repair issues behind, and offers to delete its recordings."""
    async_remove_issues(hass, entry.entry_id)
    folder = Path(hass.config.path(RECORDINGS_FOLDER))
    recordings = await hass.async_add_executor_job(find_recordings, folder, entry.title)
    if recordings:
        async_offer_to_delete_recordings(hass, entry, recordings, folder)
