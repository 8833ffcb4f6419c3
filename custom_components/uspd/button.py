"""Calibrate: sweep carriers and levels for this device in this room now."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import UspdConfigEntry
from .entity import UspdEntity

PARALLEL_UPDATES = 1

CALIBRATE = ButtonEntityDescription(key="calibrate", translation_key="calibrate", entity_category=EntityCategory.CONFIG)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: UspdConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """The calibrate button for this device."""
    async_add_entities([UspdCalibrateButton(entry.runtime_data, CALIBRATE)])


class UspdCalibrateButton(UspdEntity, ButtonEntity):
    """Sweeps carriers and levels when pressed."""

    async def async_press(self) -> None:
        """Calibrate now; a failure reaches the person who pressed it."""
        await self.coordinator.async_calibrate()
