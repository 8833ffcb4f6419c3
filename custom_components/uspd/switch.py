"""Emission on/off (with the tone off nothing is sensed, nor heard) and power saving."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import CONF_EMISSION, CONF_POWER_SAVE
from .coordinator import UspdConfigEntry
from .data import emission_from_options, power_save_from_options
from .entity import UspdEntity

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class UspdSwitchEntityDescription(SwitchEntityDescription):
    """A switch that is an option of the entry."""

    option: str
    value_fn: Callable[[Mapping[str, Any]], bool]


SWITCHES = (
    UspdSwitchEntityDescription(
        key="emission",
        translation_key="emission",
        entity_category=EntityCategory.CONFIG,
        option=CONF_EMISSION,
        value_fn=emission_from_options,
    ),
    UspdSwitchEntityDescription(
        key="power_save",
        translation_key="power_save",
        entity_category=EntityCategory.CONFIG,
        option=CONF_POWER_SAVE,
        value_fn=power_save_from_options,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: UspdConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Emission and power saving for this device."""
    async_add_entities(UspdOptionSwitch(entry.runtime_data, d) for d in SWITCHES)


class UspdOptionSwitch(UspdEntity, SwitchEntity):
    """A switch that is an option: it works (and stays available) while the engine is down."""

    entity_description: UspdSwitchEntityDescription

    @property
    def available(self) -> bool:
        """Always: options can change while the audio source is down."""
        return True

    @property
    def is_on(self) -> bool:
        """The option's value, or its default."""
        return self.entity_description.value_fn(self.coordinator.config_entry.options)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Store the option on."""
        self._set(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Store the option off."""
        self._set(False)

    def _set(self, on: bool) -> None:
        entry = self.coordinator.config_entry
        self.hass.config_entries.async_update_entry(
            entry, options={**entry.options, self.entity_description.option: on}
        )
        self.async_write_ha_state()
