"""Base entity: one device per config entry."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import UspdCoordinator

MODELS = {
    "simulated": "Simulated room",
    "soundcard": "Sound card",
    "recording": "Recording replay",
}


class UspdEntity(CoordinatorEntity[UspdCoordinator]):
    """An entity of the one device this config entry is."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: UspdCoordinator, description: EntityDescription) -> None:
        super().__init__(coordinator)
        self.entity_description = description
        entry = coordinator.config_entry
        assert entry.unique_id is not None
        self._attr_unique_id = f"{entry.unique_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.unique_id)},
            name=entry.title,
            manufacturer="uspd",
            model=MODELS.get(coordinator.source_config.backend, coordinator.source_config.backend),
        )
