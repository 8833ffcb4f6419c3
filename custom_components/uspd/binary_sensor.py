"""Occupancy (the primary entity), instant motion, and whether a calibration sweep is running."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import UspdConfigEntry
from .engine.detector import Motion
from .engine.session import Snapshot
from .entity import UspdEntity

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class UspdBinarySensorEntityDescription(BinarySensorEntityDescription):
    """A binary sensor read from the latest snapshot."""

    value_fn: Callable[[Snapshot], bool]


BINARY_SENSORS: tuple[UspdBinarySensorEntityDescription, ...] = (
    UspdBinarySensorEntityDescription(
        key="occupancy",
        translation_key="occupancy",
        device_class=BinarySensorDeviceClass.OCCUPANCY,
        value_fn=lambda s: s.occupied,
    ),
    UspdBinarySensorEntityDescription(
        key="motion",
        translation_key="motion",
        device_class=BinarySensorDeviceClass.MOTION,
        value_fn=lambda s: s.motion != Motion.NONE,
    ),
    UspdBinarySensorEntityDescription(
        key="calibrating",
        translation_key="calibrating",
        device_class=BinarySensorDeviceClass.RUNNING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda s: s.calibrating,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: UspdConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Occupancy, motion and calibrating for this device."""
    async_add_entities(UspdBinarySensor(entry.runtime_data, d) for d in BINARY_SENSORS)


class UspdBinarySensor(UspdEntity, BinarySensorEntity):
    """A binary sensor whose state is its description's reading of the snapshot."""

    entity_description: UspdBinarySensorEntityDescription

    @property
    def is_on(self) -> bool | None:
        """Unknown until the engine has published."""
        data = self.coordinator.data
        return None if data is None else self.entity_description.value_fn(data)
