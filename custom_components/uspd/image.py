"""The live Doppler image: the last 20 s of the Doppler band, speed against time (never audio).

Its timestamp moves with each update from the engine; the frontend fetches
the picture only while someone is looking, and only then is it rendered.
"""

from __future__ import annotations

from homeassistant.components.image import ImageEntity, ImageEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .coordinator import UspdConfigEntry, UspdCoordinator
from .entity import UspdEntity

PARALLEL_UPDATES = 0

DOPPLER = ImageEntityDescription(key="doppler", translation_key="doppler")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: UspdConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """The live Doppler image of this device."""
    async_add_entities([UspdDopplerImage(hass, entry.runtime_data)])


class UspdDopplerImage(UspdEntity, ImageEntity):
    """The Doppler band over the last 20 s, rendered when fetched."""

    _attr_content_type = "image/png"

    def __init__(self, hass: HomeAssistant, coordinator: UspdCoordinator) -> None:
        UspdEntity.__init__(self, coordinator, DOPPLER)
        ImageEntity.__init__(self, hass)

    @callback
    def _handle_coordinator_update(self) -> None:
        self._attr_image_last_updated = dt_util.utcnow()
        super()._handle_coordinator_update()

    async def async_image(self) -> bytes | None:
        """The PNG, or None until audio has flowed."""
        return await self.coordinator.async_doppler_png()
