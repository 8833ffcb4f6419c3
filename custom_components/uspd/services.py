"""Actions: uspd.record saves a labelled baseband recording (never audible-band audio); uspd.calibrate sweeps."""

from __future__ import annotations

from pathlib import Path

import probatio as vol
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.service import async_register_admin_service

from .const import DOMAIN, RECORDINGS_FOLDER
from .coordinator import UspdConfigEntry
from .engine.levels import level_dbfs
from .engine.recorder import MAX_SECONDS

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
    folder = Path(call.hass.config.path(RECORDINGS_FOLDER))
    path = await entry.runtime_data.async_record(call.data[ATTR_DURATION], call.data.get(ATTR_LABEL), folder)
    return {"path": str(path), "labels": str(path.with_suffix(".json"))}


async def _async_calibrate(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call.hass, call.data[ATTR_CONFIG_ENTRY])
    cal = await entry.runtime_data.async_calibrate()
    return {
        "carrier_hz": cal.carrier_hz,
        "level_dbfs": round(level_dbfs(cal.level), 1),
        "echo_snr_db": cal.echo_snr_db,
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
