"""Diagnostics download: configuration, the latest frame statistics, versions; never audio."""

from __future__ import annotations

import dataclasses
import platform
from typing import Any

import numpy as np
import scipy
from homeassistant.const import __version__ as HA_VERSION
from homeassistant.core import HomeAssistant

from .coordinator import UspdConfigEntry


async def async_get_config_entry_diagnostics(hass: HomeAssistant, entry: UspdConfigEntry) -> dict[str, Any]:
    coordinator = entry.runtime_data
    snapshot = coordinator.data
    return {
        "entry": {"title": entry.title, "data": dict(entry.data), "options": dict(entry.options)},
        "source": dataclasses.asdict(coordinator.source_config),
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
