"""Diagnostics download: configuration, calibration, the latest frame statistics, versions; never audio."""

from __future__ import annotations

import dataclasses
import platform
from typing import Any

import numpy as np
import scipy
from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import __version__ as HA_VERSION
from homeassistant.core import HomeAssistant

from .const import CONF_DEVICE, CONF_PATH, DATA_CALIBRATION
from .coordinator import UspdConfigEntry

# Where the person keeps files and what their sound card is called are theirs, not a bug report's.
TO_REDACT = {CONF_PATH, CONF_DEVICE}


async def async_get_config_entry_diagnostics(hass: HomeAssistant, entry: UspdConfigEntry) -> dict[str, Any]:
    """What the entry holds and the engine reads now; never audio."""
    coordinator = entry.runtime_data
    snapshot = coordinator.data
    data = {k: v for k, v in entry.data.items() if k != DATA_CALIBRATION}
    calibration = coordinator.calibration
    return {
        "entry": {"title": entry.title, "data": async_redact_data(data, TO_REDACT), "options": dict(entry.options)},
        "calibration": None if calibration is None else {**calibration.as_dict(), "reach_m": calibration.reach_m},
        "source": async_redact_data(dataclasses.asdict(coordinator.source_config), TO_REDACT),
        "available": coordinator.last_update_success,
        "last_error": None if coordinator.last_exception is None else str(coordinator.last_exception),
        "latest_frame": None if snapshot is None else dataclasses.asdict(snapshot),
        "versions": {
            "home_assistant": HA_VERSION,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
        },
    }
