"""Bridges the engine's worker thread to Home Assistant's event loop."""

from __future__ import annotations

import logging

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .const import (
    CONF_AUDIO_RATE_HZ,
    CONF_BACKEND,
    CONF_CARRIER_HZ,
    CONF_DEVICE,
    CONF_PATH,
    CONF_SCENARIO,
    DEFAULT_AUDIO_RATE_HZ,
    DEFAULT_CARRIER_HZ,
    DOMAIN,
)
from .engine.detector import DetectorConfig
from .engine.sources import SourceConfig, SourceError, open_source
from .engine.worker import EngineWorker, Snapshot

_LOGGER = logging.getLogger(__name__)

# > 1 plays simulated rooms and recordings faster than the clock (tests do).
PLAYBACK_SPEED = 1.0
# Detector decisions come every 25 ms; the loop sees a change at once and
# otherwise a fresh snapshot (diagnostics) this often.
PUBLISH_INTERVAL_S = 2.0

# Retrying cannot fix these: the entry itself names something that does not exist.
PERMANENT_REASONS = frozenset({"unknown_backend", "unknown_scenario"})

type UspdConfigEntry = ConfigEntry[UspdCoordinator]


def source_config_from_data(data: dict[str, object]) -> SourceConfig:
    return SourceConfig(
        backend=str(data[CONF_BACKEND]),  # type: ignore[arg-type]
        scenario=str(data.get(CONF_SCENARIO, "demo_loop")),
        path=str(data.get(CONF_PATH, "")),
        device=str(data.get(CONF_DEVICE, "")),
        carrier_hz=float(data.get(CONF_CARRIER_HZ, DEFAULT_CARRIER_HZ)),  # type: ignore[arg-type]
        audio_rate_hz=int(data.get(CONF_AUDIO_RATE_HZ, DEFAULT_AUDIO_RATE_HZ)),  # type: ignore[call-overload]
    )


class UspdCoordinator(DataUpdateCoordinator[Snapshot]):
    """Push coordinator: the worker thread hands snapshots over, nothing is polled."""

    config_entry: UspdConfigEntry

    def __init__(self, hass: HomeAssistant, entry: UspdConfigEntry) -> None:
        super().__init__(hass, _LOGGER, config_entry=entry, name=entry.title, update_interval=None)
        self.source_config = source_config_from_data(dict(entry.data))
        self._worker: EngineWorker | None = None

    async def async_start(self) -> None:
        """Open the source (off the loop) and start the engine thread; retry later if it fails."""
        try:
            source = await self.hass.async_add_executor_job(open_source, self.source_config)
        except SourceError as err:
            if err.reason in PERMANENT_REASONS:
                raise ConfigEntryError(
                    translation_domain=DOMAIN,
                    translation_key="cannot_start",
                    translation_placeholders={"error": str(err)},
                ) from err
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key="cannot_start",
                translation_placeholders={"error": str(err)},
            ) from err
        self._worker = EngineWorker(
            self.source_config,
            DetectorConfig(),
            self._snapshot_from_thread,
            self._error_from_thread,
            speed=PLAYBACK_SPEED,
            publish_s=PUBLISH_INTERVAL_S,
        )
        self._worker.start(source)

    async def async_stop(self) -> None:
        """Stop and join the engine thread (from the executor: join blocks)."""
        worker, self._worker = self._worker, None
        if worker is not None:
            await self.hass.async_add_executor_job(worker.stop)

    def _snapshot_from_thread(self, snapshot: Snapshot) -> None:
        self.hass.loop.call_soon_threadsafe(self._async_snapshot, snapshot)

    def _error_from_thread(self, error: SourceError) -> None:
        self.hass.loop.call_soon_threadsafe(self._async_source_failed, error)

    @callback
    def _async_snapshot(self, snapshot: Snapshot) -> None:
        if not self.last_update_success:
            _LOGGER.info("%s: audio source is back", self.name)
        self.async_set_updated_data(snapshot)

    @callback
    def _async_source_failed(self, error: SourceError) -> None:
        # Logs once per outage; entities turn unavailable until the next snapshot.
        self.async_set_update_error(UpdateFailed(str(error)))
