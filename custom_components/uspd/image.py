"""The live Doppler image: the last 20 s of the Doppler band, speed against time (never audio).

Its timestamp (the entity's state, which the recorder keeps) moves when the
picture shows something a person would see: with every update while anything
moves, and every IDLE_REFRESH_S while nothing does (an empty room's picture
is noise scrolling by). The frontend fetches the picture only while someone is
looking, and only then is it rendered.
"""

from __future__ import annotations

from homeassistant.components.image import ImageEntity, ImageEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .coordinator import UspdConfigEntry, UspdCoordinator
from .engine.detector import Motion
from .entity import UspdEntity

PARALLEL_UPDATES = 0
# A still picture's refresh: 12 states an hour instead of one every 2 s (~43,000 rows a day).
IDLE_REFRESH_S = 300.0

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
        self._moving = False

    @callback
    def _handle_coordinator_update(self) -> None:
        snapshot = self.coordinator.data
        moving = snapshot is not None and snapshot.motion_type != Motion.NONE
        now = dt_util.utcnow()
        last = self._attr_image_last_updated
        # While something moves, and once more as it stops (the picture shows it leaving).
        if moving or self._moving or last is None or (now - last).total_seconds() >= IDLE_REFRESH_S:
            self._attr_image_last_updated = now
        self._moving = moving
        super()._handle_coordinator_update()

    async def async_image(self) -> bytes | None:
        """The PNG, or None until audio has flowed."""
        return await self.coordinator.async_doppler_png()
