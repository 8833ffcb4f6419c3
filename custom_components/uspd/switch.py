"""Emission on/off: with the tone off nothing is sensed (and nothing is heard)."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import CONF_EMISSION
from .coordinator import UspdConfigEntry, emission_from_options
from .entity import UspdEntity

PARALLEL_UPDATES = 0

EMISSION = SwitchEntityDescription(key="emission", translation_key="emission", entity_category=EntityCategory.CONFIG)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: UspdConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    async_add_entities([UspdEmissionSwitch(entry.runtime_data, EMISSION)])


class UspdEmissionSwitch(UspdEntity, SwitchEntity):
    @property
    def available(self) -> bool:
        return True

    @property
    def is_on(self) -> bool:
        return emission_from_options(self.coordinator.config_entry.options)

    async def async_turn_on(self, **kwargs: Any) -> None:
        self._set(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        self._set(False)

    def _set(self, on: bool) -> None:
        entry = self.coordinator.config_entry
        self.hass.config_entries.async_update_entry(entry, options={**entry.options, CONF_EMISSION: on})
        self.async_write_ha_state()
