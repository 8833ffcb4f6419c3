"""Motion type, and the diagnostic sensors.

Carrier, noise floor, carrier SNR, emission level and duty cycle, breathing
score, classifier, xruns, and a simulated room's scene.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, SIGNAL_STRENGTH_DECIBELS, EntityCategory, UnitOfFrequency
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import UspdConfigEntry
from .engine.detector import Motion
from .engine.levels import level_dbfs
from .engine.session import Snapshot
from .entity import UspdEntity

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class UspdSensorEntityDescription(SensorEntityDescription):
    """A sensor read from the latest snapshot, on the backends that have it."""

    value_fn: Callable[[Snapshot], str | float | int | None]
    backends: frozenset[str] = frozenset({"simulated", "soundcard", "recording"})


SENSORS: tuple[UspdSensorEntityDescription, ...] = (
    UspdSensorEntityDescription(
        key="motion_type",
        translation_key="motion_type",
        device_class=SensorDeviceClass.ENUM,
        options=[m.value for m in Motion],
        value_fn=lambda s: s.motion_type.value,
    ),
    UspdSensorEntityDescription(
        key="carrier",
        translation_key="carrier",
        device_class=SensorDeviceClass.FREQUENCY,
        native_unit_of_measurement=UnitOfFrequency.HERTZ,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda s: round(s.carrier_hz),
    ),
    UspdSensorEntityDescription(
        key="noise_floor",
        translation_key="noise_floor",
        native_unit_of_measurement="dBFS",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        suggested_display_precision=1,
        value_fn=lambda s: round(s.noise_floor_db, 1),
    ),
    UspdSensorEntityDescription(
        key="carrier_snr",
        translation_key="carrier_snr",
        native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        suggested_display_precision=1,
        value_fn=lambda s: None if math.isnan(s.carrier_snr_db) else round(s.carrier_snr_db, 1),
    ),
    UspdSensorEntityDescription(
        key="emission_level",
        translation_key="emission_level",
        native_unit_of_measurement="dBFS",
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        suggested_display_precision=1,
        value_fn=lambda s: round(level_dbfs(s.emission_level), 1),
    ),
    UspdSensorEntityDescription(
        key="duty_cycle",
        translation_key="duty_cycle",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        suggested_display_precision=0,
        value_fn=lambda s: round(100 * s.duty_cycle),
    ),
    UspdSensorEntityDescription(
        key="breathing",
        translation_key="breathing",
        native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        suggested_display_precision=0,
        # Unknown until a whole window was seen since the tone last switched, and where the window's
        # slow phase was not breathing's (no oscillation, or one way only).
        value_fn=lambda s: round(s.stillness_db, 1) if math.isfinite(s.stillness_db) else None,
    ),
    UspdSensorEntityDescription(
        key="classifier",
        translation_key="classifier",
        device_class=SensorDeviceClass.ENUM,
        options=["litert", "numpy", "baseline"],
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda s: s.classifier,
    ),
    UspdSensorEntityDescription(
        key="scene",
        translation_key="scene",
        entity_category=EntityCategory.DIAGNOSTIC,
        # The simulator's own script: what a person watching the demo needs to judge the sensor.
        backends=frozenset({"simulated"}),
        value_fn=lambda s: s.ground_truth,
    ),
    UspdSensorEntityDescription(
        key="xruns",
        translation_key="xruns",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda s: s.xruns,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: UspdConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """The sensors this device's backend has."""
    backend = entry.runtime_data.source_config.backend
    async_add_entities(UspdSensor(entry.runtime_data, d) for d in SENSORS if backend in d.backends)


class UspdSensor(UspdEntity, SensorEntity):
    """A sensor whose state is its description's reading of the snapshot."""

    entity_description: UspdSensorEntityDescription

    @property
    def native_value(self) -> str | float | int | None:
        """Unknown until the engine has published."""
        data = self.coordinator.data
        return None if data is None else self.entity_description.value_fn(data)
