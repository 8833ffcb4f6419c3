"""Occupancy (the primary entity), instant motion, and whether a calibration sweep is running."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import STATE_ON, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity

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
    async_add_entities(
        (UspdOccupancySensor if d.key == "occupancy" else UspdBinarySensor)(entry.runtime_data, d)
        for d in BINARY_SENSORS
    )


class UspdBinarySensor(UspdEntity, BinarySensorEntity):
    """A binary sensor whose state is its description's reading of the snapshot."""

    entity_description: UspdBinarySensorEntityDescription

    @property
    def is_on(self) -> bool | None:
        """Unknown until the engine has published."""
        data = self.coordinator.data
        return None if data is None else self.entity_description.value_fn(data)


class UspdOccupancySensor(UspdBinarySensor, RestoreEntity):
    """Occupancy, restored across restarts and reloads: someone seated then is not dropped by a restart."""

    async def async_added_to_hass(self) -> None:
        """If the room was occupied before, the engine holds it until hold_s passes without motion or breathing."""
        await super().async_added_to_hass()
        last = await self.async_get_last_state()
        data = self.coordinator.data
        if last is not None and last.state == STATE_ON and (data is None or not data.occupied):
            self.coordinator.async_assume_occupied()
