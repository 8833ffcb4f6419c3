"""Bridges the engine's worker thread to Home Assistant's event loop."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady, HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util
from homeassistant.util import slugify

from .const import (
    CONF_AUDIO_RATE_HZ,
    CONF_BACKEND,
    CONF_CARRIER_HZ,
    CONF_CLEAR_DELAY,
    CONF_DEVICE,
    CONF_EMISSION,
    CONF_MICS,
    CONF_PATH,
    CONF_POWER_SAVE,
    CONF_SCENARIO,
    CONF_SENSITIVITY,
    DATA_CALIBRATION,
    DATA_LAST_RECALIBRATION,
    DEFAULT_AUDIO_RATE_HZ,
    DEFAULT_CARRIER_HZ,
    DEFAULT_CLEAR_DELAY_S,
    DEFAULT_SENSITIVITY,
    DOMAIN,
    ULTRASONIC_MIN_RATE_HZ,
)
from .engine.calibration import Calibration, CalibrationError
from .engine.classifier import MODEL_PATH, Classifier, ModelError
from .engine.detector import DetectorConfig
from .engine.recorder import AbortedByCalibration, Label, RecordingAborted, write_baseband_recording
from .engine.sources import SourceConfig, SourceError
from .engine.sources.soundcard import audio_effects
from .engine.worker import EngineWorker, Snapshot
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
# Sources that play what they are asked to (a recording cannot): they calibrate.
CALIBRATED_BACKENDS = frozenset({"simulated", "soundcard"})

# Retrying cannot fix these: the entry itself names something that does not exist.
PERMANENT_REASONS = frozenset({"unknown_backend", "unknown_scenario"})
# Failures a person can act on get a repair issue (the rest only make entities unavailable).
REPAIRABLE_REASONS = frozenset(
    {"portaudio_missing", "device_not_found", "device_busy", "device_lost", "unsupported_rate", "unsupported_channels"}
)

type UspdConfigEntry = ConfigEntry[UspdCoordinator]


def source_issue_id(entry_id: str) -> str:
    return f"source_failed_{entry_id}"


def near_ultrasonic_issue_id(entry_id: str) -> str:
    return f"near_ultrasonic_{entry_id}"


def model_issue_id(entry_id: str) -> str:
    return f"model_{entry_id}"


def audio_effects_issue_id(entry_id: str) -> str:
    return f"audio_effects_{entry_id}"


def source_config_from_data(data: dict[str, object]) -> SourceConfig:
    return SourceConfig(
        backend=str(data[CONF_BACKEND]),  # type: ignore[arg-type]
        scenario=str(data.get(CONF_SCENARIO, "demo_loop")),
        path=str(data.get(CONF_PATH, "")),
        device=str(data.get(CONF_DEVICE, "")),
        carrier_hz=float(data.get(CONF_CARRIER_HZ, DEFAULT_CARRIER_HZ)),  # type: ignore[arg-type]
        audio_rate_hz=int(data.get(CONF_AUDIO_RATE_HZ, DEFAULT_AUDIO_RATE_HZ)),  # type: ignore[call-overload]
        mics=int(data.get(CONF_MICS, 0)),  # type: ignore[call-overload]
    )


def detector_config_from_options(options: Mapping[str, Any]) -> DetectorConfig:
    return DetectorConfig(
        sensitivity_pct=float(options.get(CONF_SENSITIVITY, DEFAULT_SENSITIVITY)),
        hold_s=float(options.get(CONF_CLEAR_DELAY, DEFAULT_CLEAR_DELAY_S)),
    )


def power_save_from_options(options: Mapping[str, Any]) -> bool:
    return bool(options.get(CONF_POWER_SAVE, True))


def emission_from_options(options: Mapping[str, Any]) -> bool:
    return bool(options.get(CONF_EMISSION, True))


class UspdCoordinator(DataUpdateCoordinator[Snapshot]):
    """Push coordinator: the worker thread hands snapshots over, nothing is polled."""

    config_entry: UspdConfigEntry

    def __init__(self, hass: HomeAssistant, entry: UspdConfigEntry) -> None:
        super().__init__(hass, _LOGGER, config_entry=entry, name=entry.title, update_interval=None)
        self.source_config = source_config_from_data(dict(entry.data))
        self._worker: EngineWorker | None = None
        self.calibration = self._stored_calibration()

    def _stored_calibration(self) -> Calibration | None:
        stored = self.config_entry.data.get(DATA_CALIBRATION)
        if not isinstance(stored, dict):
            return None
        try:
            return Calibration.from_dict(stored)
        except (KeyError, TypeError, ValueError):
            _LOGGER.warning("%s: stored calibration unreadable, calibrating again", self.config_entry.title)
            return None

    def _stored_last_recalibration(self) -> float | None:
        stored = self.config_entry.data.get(DATA_LAST_RECALIBRATION)
        if isinstance(stored, int | float) and not isinstance(stored, bool) and math.isfinite(stored):
            return float(stored)
        return None

    @property
    def _issue_id(self) -> str:
        return source_issue_id(self.config_entry.entry_id)

    def _set_issue(
        self,
        issue_id: str,
        translation_key: str | None,
        severity: ir.IssueSeverity = ir.IssueSeverity.WARNING,
        **placeholders: str,
    ) -> None:
        """Raise the repair issue with this key, or clear it when the key is None."""
        if translation_key is None:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=severity,
            translation_key=translation_key,
            translation_placeholders={"name": self.config_entry.title, **placeholders},
        )

    def _raise_issue(self, error: SourceError) -> None:
        if error.reason in REPAIRABLE_REASONS:
            self._set_issue(self._issue_id, error.reason, ir.IssueSeverity.ERROR, error=str(error))

    def _check_hardware_warnings(self) -> None:
        """Say so when a sound card can only sense with audible tones, or its capture path filters them out."""
        cfg = self.source_config
        entry_id = self.config_entry.entry_id
        soundcard = cfg.backend == "soundcard"
        cal = self.calibration
        audible = (soundcard and cfg.audio_rate_hz < ULTRASONIC_MIN_RATE_HZ) or (
            cal is not None and cal.near_ultrasonic
        )
        carrier = cal.carrier_hz if cal is not None else cfg.carrier_hz
        self._set_issue(
            near_ultrasonic_issue_id(entry_id), "near_ultrasonic" if audible else None, carrier=f"{carrier:.0f}"
        )
        effect = audio_effects(cfg.device) if soundcard else None
        self._set_issue(
            audio_effects_issue_id(entry_id),
            "audio_effects" if effect else None,
            device=cfg.device,
            effect=effect or "",
        )

    async def async_start(self) -> None:
        """Open the source (off the loop) and start the engine thread; retry later if it fails."""
        self._check_hardware_warnings()
        try:
            source = await self.hass.async_add_executor_job(open_source, self.source_config)
        except SourceError as err:
            self._raise_issue(err)
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
        ir.async_delete_issue(self.hass, DOMAIN, self._issue_id)
        classifier = await self._async_load_classifier()
        options = self.config_entry.options
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
            last_recalibration=self._stored_last_recalibration(),
            on_recalibration=self._recalibration_from_thread,
            opener=open_source,
        )
        self._worker.start(source)
        if self.calibration is None and self.source_config.backend in CALIBRATED_BACKENDS:
            # First setup: calibrate in the background (sensing resumes with the result).
            self.config_entry.async_create_background_task(
                self.hass, self._async_first_calibration(), f"uspd calibration {self.config_entry.title}"
            )

    async def _async_first_calibration(self) -> None:
        try:
            await self.async_calibrate()
        except HomeAssistantError as err:
            _LOGGER.warning("%s: first calibration failed (%s); sensing with defaults", self.name, err)

    async def async_calibrate(self) -> Calibration:
        """Sweep carriers and levels now; the engine senses with the result, which is kept."""
        worker = self._worker
        if worker is None:
            raise HomeAssistantError(translation_domain=DOMAIN, translation_key="not_running")
        if self.source_config.backend not in CALIBRATED_BACKENDS:
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

    def _calibrated_from_thread(self, calibration: Calibration) -> None:
        self.hass.loop.call_soon_threadsafe(self._async_calibrated, calibration)

    @callback
    def _async_calibrated(self, calibration: Calibration) -> None:
        """Keep it with the entry (it survives restarts) and say if it had to fall back to audible tones."""
        self.calibration = calibration
        entry = self.config_entry
        self.hass.config_entries.async_update_entry(entry, data={**entry.data, DATA_CALIBRATION: calibration.as_dict()})
        self._check_hardware_warnings()

    def _recalibration_from_thread(self, started_at: float) -> None:
        self.hass.loop.call_soon_threadsafe(self._async_recalibration_started, started_at)

    @callback
    def _async_recalibration_started(self, started_at: float) -> None:
        """Keep the time with the entry: the hourly limit on automatic recalibrations survives restarts."""
        entry = self.config_entry
        self.hass.config_entries.async_update_entry(entry, data={**entry.data, DATA_LAST_RECALIBRATION: started_at})

    async def _async_load_classifier(self) -> Classifier | None:
        """The network, or None (and a repair issue): the baseline still senses without it."""
        issue_id = model_issue_id(self.config_entry.entry_id)
        try:
            classifier = await self.hass.async_add_executor_job(Classifier.load, MODEL_PATH)
        except ModelError as err:
            _LOGGER.warning("%s: motion model not loaded, using the baseline detector: %s", self.name, err)
            self._set_issue(issue_id, "model_failed", error=str(err))
            return None
        self._set_issue(issue_id, None)
        return classifier

    async def async_record(self, seconds: float, label: Label | None, folder: Path) -> Path:
        """Record the next `seconds` of baseband (never audio) as a labelled recording in `folder`."""
        worker = self._worker
        if worker is None or not self.last_update_success:
            raise HomeAssistantError(translation_domain=DOMAIN, translation_key="not_running")
        capture = worker.capture_baseband(seconds)
        # Asked for while a calibration runs or waits, it starts after the sweep (then at the new carrier).
        limit = seconds + RECORD_SLACK_S + (CALIBRATE_TIMEOUT_S if worker.calibrating else 0.0)
        try:
            # Blocks arrive in real time; a stalled or stopped source must not hang the action.
            async with asyncio.timeout(limit):
                clip = await asyncio.wrap_future(capture)
        except AbortedByCalibration as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="recording_aborted",
                translation_placeholders={"error": str(err)},
            ) from err
        except (TimeoutError, RecordingAborted) as err:
            raise HomeAssistantError(translation_domain=DOMAIN, translation_key="not_running") from err
        name = f"{slugify(self.config_entry.title)}_{dt_util.utcnow():%Y%m%dT%H%M%S}.wav"

        def _write() -> Path:
            folder.mkdir(parents=True, exist_ok=True)
            return write_baseband_recording(folder / name, clip, label, scene=self.config_entry.title)

        return await self.hass.async_add_executor_job(_write)

    async def async_doppler_png(self) -> bytes | None:
        """The live Doppler image, rendered off the loop; None until audio has flowed."""
        worker = self._worker
        return None if worker is None else await self.hass.async_add_executor_job(worker.doppler_png)

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

    def _snapshot_from_thread(self, snapshot: Snapshot) -> None:
        self.hass.loop.call_soon_threadsafe(self._async_snapshot, snapshot)

    def _error_from_thread(self, error: SourceError) -> None:
        self.hass.loop.call_soon_threadsafe(self._async_source_failed, error)

    @callback
    def _async_snapshot(self, snapshot: Snapshot) -> None:
        if not self.last_update_success:
            _LOGGER.info("%s: audio source is back", self.name)
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id)
        self.async_set_updated_data(snapshot)

    @callback
    def _async_source_failed(self, error: SourceError) -> None:
        # Logs once per outage; entities turn unavailable until the next snapshot.
        self._raise_issue(error)
        self.async_set_update_error(UpdateFailed(str(error)))
