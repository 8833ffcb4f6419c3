"""Bridges the engine's worker thread to Home Assistant's event loop."""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady, HomeAssistantError
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from . import repairs
from .const import DATA_CALIBRATION, DATA_LAST_RECALIBRATION, DOMAIN
from .data import (
    detector_config_from_options,
    emission_from_options,
    entry_data,
    power_save_from_options,
    source_config_from_data,
    stored_calibration,
    stored_last_recalibration,
)
from .engine.calibration import Calibration, CalibrationError
from .engine.classifier import MODEL_PATH, SELF_CHECK_PATH, Classifier, ModelError
from .engine.recorder import AbortedByCalibration, BasebandCapture, RecordingAborted
from .engine.session import Snapshot
from .engine.sources import SourceError, can_calibrate
from .engine.worker import EngineWorker
from .sim.source import open_source

_LOGGER = logging.getLogger(__name__)

# > 1 plays simulated rooms and recordings faster than the clock (tests do).
PLAYBACK_SPEED = 1.0
# Detector decisions come every 25 ms; the loop sees a change at once and
# otherwise a fresh snapshot (diagnostics) this often.
PUBLISH_INTERVAL_S = 2.0
# How much longer than asked a recording may take before the action gives up
# (plus CALIBRATE_TIMEOUT_S when it has to wait for a calibration to end).
RECORD_SLACK_S = 15.0
# A sweep plays ~0.65 s per carrier (26 at 96 kHz): well under a minute in real time.
CALIBRATE_TIMEOUT_S = 120.0

type UspdConfigEntry = ConfigEntry[UspdCoordinator]


class UspdCoordinator(DataUpdateCoordinator[Snapshot]):
    """Push coordinator: the worker thread hands snapshots over, nothing is polled."""

    config_entry: UspdConfigEntry

    def __init__(self, hass: HomeAssistant, entry: UspdConfigEntry) -> None:
        """Read the entry; nothing starts until async_start."""
        super().__init__(hass, _LOGGER, config_entry=entry, name=entry.title, update_interval=None)
        self.source_config = source_config_from_data(entry_data(entry))
        self._worker: EngineWorker | None = None
        self.recording = False  # uspd.record runs for this device (one at a time)
        self.calibration = stored_calibration(entry)

    async def async_start(self) -> None:
        """Open the source (off the loop) and start the engine thread; retry later if it fails."""
        entry = self.config_entry
        repairs.async_check_hardware(self.hass, entry, self.source_config, self.calibration)
        try:
            source = await self.hass.async_add_executor_job(open_source, self.source_config)
        except SourceError as err:
            repairs.async_source_failed(self.hass, entry, err)
            failure = ConfigEntryError if err.permanent else ConfigEntryNotReady
            raise failure(
                translation_domain=DOMAIN,
                translation_key="cannot_start",
                translation_placeholders={"error": str(err)},
            ) from err
        repairs.async_source_working(self.hass, entry)
        classifier = await self._async_load_classifier()
        options = entry.options
        self._worker = EngineWorker(
            self.source_config,
            detector_config_from_options(options),
            self._snapshot_from_thread,
            self._error_from_thread,
            speed=PLAYBACK_SPEED,
            publish_s=PUBLISH_INTERVAL_S,
            emission_on=emission_from_options(options),
            classifier=classifier,
            power_save=power_save_from_options(options),
            calibration=self.calibration,
            on_calibrated=self._calibrated_from_thread,
            last_recalibration=stored_last_recalibration(entry),
            on_recalibration=self._recalibration_from_thread,
            opener=open_source,
        )
        self._worker.start(source)
        if self.calibration is None and can_calibrate(self.source_config.backend):
            # First setup: calibrate in the background (sensing resumes with the result).
            entry.async_create_background_task(
                self.hass, self._async_first_calibration(), f"uspd calibration {entry.title}"
            )

    async def _async_first_calibration(self) -> None:
        try:
            await self.async_calibrate()
        except HomeAssistantError as err:
            _LOGGER.warning("%s: first calibration failed (%s); sensing with defaults", self.name, err)

    async def _async_load_classifier(self) -> Classifier | None:
        """The network, or None (and a repair issue): the baseline still senses without it."""
        try:
            classifier = await self.hass.async_add_executor_job(
                partial(Classifier.load, MODEL_PATH, self_check=SELF_CHECK_PATH)
            )
        except ModelError as err:
            _LOGGER.warning("%s: motion model not loaded, using the baseline detector: %s", self.name, err)
            repairs.async_model_loaded(self.hass, self.config_entry, err)
            return None
        repairs.async_model_loaded(self.hass, self.config_entry, None)
        return classifier

    async def async_calibrate(self) -> Calibration:
        """Sweep carriers and levels now; the engine senses with the result, which is kept."""
        worker = self._worker
        if worker is None:
            raise HomeAssistantError(translation_domain=DOMAIN, translation_key="not_running")
        if not can_calibrate(self.source_config.backend):
            raise HomeAssistantError(translation_domain=DOMAIN, translation_key="cannot_calibrate")
        try:
            async with asyncio.timeout(CALIBRATE_TIMEOUT_S):
                return await asyncio.wrap_future(worker.calibrate())
        except (TimeoutError, CalibrationError) as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="calibration_failed",
                translation_placeholders={"error": str(err) or "timed out"},
            ) from err

    async def async_capture[T](self, capture: BasebandCapture[T]) -> T:
        """Feed `capture` the engine's next baseband (never audio): its result, or its own OSError.

        HomeAssistantError if the engine cannot give the baseband.
        """
        worker = self._worker
        if worker is None or not self.last_update_success:
            raise HomeAssistantError(translation_domain=DOMAIN, translation_key="not_running")
        future = worker.capture(capture)
        # Asked for while a calibration runs or waits, it starts after the sweep (then at the new carrier).
        limit = capture.seconds + RECORD_SLACK_S + (CALIBRATE_TIMEOUT_S if worker.calibrating else 0.0)
        try:
            # Blocks arrive in real time; a stalled or stopped source must not hang the action.
            async with asyncio.timeout(limit):
                return await asyncio.wrap_future(future)
        except AbortedByCalibration as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="recording_aborted",
                translation_placeholders={"error": str(err)},
            ) from err
        except (TimeoutError, RecordingAborted) as err:
            raise HomeAssistantError(translation_domain=DOMAIN, translation_key="not_running") from err

    async def async_doppler_png(self) -> bytes | None:
        """The live Doppler image, rendered off the loop; None until audio has flowed."""
        worker = self._worker
        return None if worker is None else await self.hass.async_add_executor_job(worker.doppler_png)

    @callback
    def async_assume_occupied(self) -> None:
        """The occupancy entity found the room occupied before the restart: the engine holds it (Detector)."""
        if self._worker is not None:
            self._worker.assume_occupied()

    @callback
    def async_apply_options(self) -> None:
        """Hand changed options to the running engine (no restart needed)."""
        if self._worker is not None:
            options = self.config_entry.options
            self._worker.set_detector(detector_config_from_options(options))
            self._worker.set_emission(emission_from_options(options))
            self._worker.set_power_save(power_save_from_options(options))
        # The config entities show the options: let them write their state.
        self.async_update_listeners()

    async def async_stop(self) -> None:
        """Stop and join the engine thread (from the executor: join blocks)."""
        worker, self._worker = self._worker, None
        if worker is not None:
            await self.hass.async_add_executor_job(worker.stop)

    # The worker thread's callbacks: each hands its news to the event loop.

    def _snapshot_from_thread(self, snapshot: Snapshot) -> None:
        self.hass.loop.call_soon_threadsafe(self._async_snapshot, snapshot)

    def _error_from_thread(self, error: SourceError) -> None:
        self.hass.loop.call_soon_threadsafe(self._async_source_failed, error)

    def _calibrated_from_thread(self, calibration: Calibration) -> None:
        self.hass.loop.call_soon_threadsafe(self._async_calibrated, calibration)

    def _recalibration_from_thread(self, started_at: float) -> None:
        self.hass.loop.call_soon_threadsafe(self._async_recalibration_started, started_at)

    @callback
    def _async_snapshot(self, snapshot: Snapshot) -> None:
        if not self.last_update_success:
            _LOGGER.info("%s: audio source is back", self.name)
            repairs.async_source_working(self.hass, self.config_entry)
        if snapshot.model_error is not None and (self.data is None or self.data.model_error is None):
            # The network failed mid-stream; the baseline senses on, as when the model does not load.
            repairs.async_model_loaded(self.hass, self.config_entry, ModelError(snapshot.model_error))
        self.async_set_updated_data(snapshot)

    @callback
    def _async_source_failed(self, error: SourceError) -> None:
        # Logs once per outage; entities turn unavailable until the next snapshot.
        repairs.async_source_failed(self.hass, self.config_entry, error)
        self.async_set_update_error(UpdateFailed(str(error)))

    @callback
    def _async_calibrated(self, calibration: Calibration) -> None:
        """Keep it with the entry (it survives restarts) and say if it had to fall back to audible tones."""
        entry = self.config_entry
        if self._worker is None or source_config_from_data(entry_data(entry)) != self.source_config:
            # A sweep that ended while a reconfigure replaced the source (or the entry stopped): its carrier
            # belongs to the old source, and kept with the new one it could be one the new one cannot play.
            _LOGGER.debug("%s: calibration for a source no longer configured, not kept", self.name)
            return
        self.calibration = calibration
        self.hass.config_entries.async_update_entry(entry, data={**entry.data, DATA_CALIBRATION: calibration.as_dict()})
        repairs.async_check_hardware(self.hass, entry, self.source_config, calibration)

    @callback
    def _async_recalibration_started(self, started_at: float) -> None:
        """Keep the time with the entry: the hourly limit on automatic recalibrations survives restarts."""
        entry = self.config_entry
        self.hass.config_entries.async_update_entry(entry, data={**entry.data, DATA_LAST_RECALIBRATION: started_at})
