"""Actions: uspd.record saves a labelled baseband recording (never audible-band audio); uspd.calibrate sweeps."""

from __future__ import annotations

import shutil
from pathlib import Path

import probatio as vol
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.service import async_register_admin_service
from homeassistant.util import dt as dt_util

from .base.audio import MAX_MICS, MIN_AUDIO_RATE_HZ
from .const import DOMAIN, RECORDINGS_FOLDER
from .coordinator import UspdConfigEntry, UspdCoordinator
from .engine.levels import level_dbfs
from .engine.rates import TARGET_BASEBAND_HZ, decimation_for
from .engine.recorder import MAX_SECONDS, RecordingCapture, recording_bytes
from .engine.session import Snapshot
from .recordings import recording_prefix

ATTR_CONFIG_ENTRY = "config_entry_id"
ATTR_DURATION = "duration"
ATTR_LABEL = "label"

RECORD_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY): cv.string,
        vol.Optional(ATTR_DURATION, default=30): vol.All(vol.Coerce(float), vol.Range(min=1, max=MAX_SECONDS)),
        vol.Optional(ATTR_LABEL): vol.In(["minor", "major", "empty"]),
    }
)

CALIBRATE_SCHEMA = vol.Schema({vol.Required(ATTR_CONFIG_ENTRY): cv.string})


def _entry(hass: HomeAssistant, entry_id: str) -> UspdConfigEntry:
    entry: UspdConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN or entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="entry_not_loaded", translation_placeholders={"entry": entry_id}
        )
    return entry


async def _async_record(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call.hass, call.data[ATTR_CONFIG_ENTRY])
    coordinator = entry.runtime_data
    if coordinator.recording:
        # One at a time: each holds a file open and the disk's free space to itself.
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="recording_busy")
    coordinator.recording = True
    try:
        path = await _async_save_recording(call, entry.title, coordinator)
    finally:
        coordinator.recording = False
    return {"path": str(path), "labels": str(path.with_suffix(".json"))}


async def _async_save_recording(call: ServiceCall, title: str, coordinator: UspdCoordinator) -> Path:
    """Check the disk, then stream the engine's baseband to a file; any failure a translated error, nothing left."""
    seconds: float = call.data[ATTR_DURATION]
    folder = Path(call.hass.config.path(RECORDINGS_FOLDER))
    need = recording_bytes(seconds, *_mics_and_rate(coordinator.data))
    free = await call.hass.async_add_executor_job(_free_bytes, folder)
    if free < need:
        # Found now, not after minutes of recording.
        raise _not_saved(f"{need // 1_000_000} MB needed, {free // 1_000_000} MB free")
    stem = f"{recording_prefix(title)}{dt_util.utcnow():%Y%m%dT%H%M%S}"
    recording = RecordingCapture(seconds, folder, stem, call.data.get(ATTR_LABEL), scene=title, max_bytes=need)
    try:
        # The engine's thread writes the file as the baseband comes (never this loop).
        return await coordinator.async_capture(recording)
    except OSError as err:
        raise _not_saved(err.strerror or str(err)) from err


def _not_saved(error: str) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN, translation_key="recording_not_saved", translation_placeholders={"error": error}
    )


def _mics_and_rate(snapshot: Snapshot | None) -> tuple[int, float]:
    """The mics and baseband rate the engine records at; before its first snapshot, the most they can be."""
    if snapshot is None:
        # Rounding the decimation moves the rate by at most half a step, most at the lowest audio rate.
        return MAX_MICS, TARGET_BASEBAND_HZ * (1 + 0.5 / decimation_for(MIN_AUDIO_RATE_HZ))
    return snapshot.channels, snapshot.audio_rate_hz / decimation_for(snapshot.audio_rate_hz)


def _free_bytes(folder: Path) -> int:
    """Free space where the recording will go (its nearest existing parent while the folder is not made yet)."""
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    return shutil.disk_usage(folder).free


async def _async_calibrate(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call.hass, call.data[ATTR_CONFIG_ENTRY])
    cal = await entry.runtime_data.async_calibrate()
    return {
        "carrier_hz": cal.carrier_hz,
        "level_dbfs": round(level_dbfs(cal.level), 1),
        "echo_snr_db": cal.echo_snr_db,
        "reach_m": round(cal.reach_m, 1),
        "near_ultrasonic": cal.near_ultrasonic,
    }


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register uspd.calibrate and uspd.record for admins."""
    # Admin only: one writes files into the config dir, the other plays probes through the speaker.
    async_register_admin_service(
        hass, DOMAIN, "calibrate", _async_calibrate, CALIBRATE_SCHEMA, SupportsResponse.OPTIONAL
    )
    async_register_admin_service(hass, DOMAIN, "record", _async_record, RECORD_SCHEMA, SupportsResponse.OPTIONAL)
