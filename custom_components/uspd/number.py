"""Tuning: sensitivity and clear delay (stored as the entry's options, applied live)."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.number import NumberDeviceClass, NumberEntity, NumberEntityDescription, NumberMode
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import (
    CONF_CLEAR_DELAY,
    CONF_SENSITIVITY,
    DEFAULT_CLEAR_DELAY_S,
    DEFAULT_SENSITIVITY,
    MAX_CLEAR_DELAY_S,
    MIN_CLEAR_DELAY_S,
)
from .coordinator import UspdConfigEntry
from .entity import UspdEntity

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class UspdNumberEntityDescription(NumberEntityDescription):
    """A number that is an option of the entry, with its default."""

    option: str
    default: float


NUMBERS: tuple[UspdNumberEntityDescription, ...] = (
    UspdNumberEntityDescription(
        key="sensitivity",
        translation_key="sensitivity",
        entity_category=EntityCategory.CONFIG,
        native_min_value=0,
        native_max_value=100,
        native_step=1,
        native_unit_of_measurement=PERCENTAGE,
        mode=NumberMode.SLIDER,
        option=CONF_SENSITIVITY,
        default=DEFAULT_SENSITIVITY,
    ),
    UspdNumberEntityDescription(
        key="clear_delay",
        translation_key="clear_delay",
        entity_category=EntityCategory.CONFIG,
        device_class=NumberDeviceClass.DURATION,
        native_min_value=MIN_CLEAR_DELAY_S,
        native_max_value=MAX_CLEAR_DELAY_S,
        native_step=1,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        mode=NumberMode.BOX,
        option=CONF_CLEAR_DELAY,
        default=DEFAULT_CLEAR_DELAY_S,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: UspdConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Sensitivity and clear delay for this device."""
    async_add_entities(UspdNumber(entry.runtime_data, d) for d in NUMBERS)


class UspdNumber(UspdEntity, NumberEntity):
    """A number that reads and writes one option."""

    entity_description: UspdNumberEntityDescription

    @property
    def available(self) -> bool:
        """Settings can be changed while the audio source is down."""
        return True

    @property
    def native_value(self) -> float:
        """The option's value, or its default."""
        d = self.entity_description
        return float(self.coordinator.config_entry.options.get(d.option, d.default))

    async def async_set_native_value(self, value: float) -> None:
        """Store the option; the update listener hands it to the engine."""
        entry = self.coordinator.config_entry
        self.hass.config_entries.async_update_entry(
            entry, options={**entry.options, self.entity_description.option: value}
        )
        self.async_write_ha_state()
