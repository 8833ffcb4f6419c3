"""What a config entry holds, and what the engine makes of it: the source to open and the detector's settings."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any, Required, TypedDict, cast

from homeassistant.config_entries import ConfigEntry

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
)
from .engine.calibration import Calibration
from .engine.detector import DetectorConfig
from .engine.sources import Backend, SourceConfig

_LOGGER = logging.getLogger(__name__)


class UspdEntryData(TypedDict, total=False):
    """A config entry's data: the source the config flow tested, and what the integration keeps with it."""

    backend: Required[Backend]
    scenario: str  # simulated
    path: str  # recording
    device: str  # soundcard, with its rate, carrier and mics
    audio_rate_hz: int
    carrier_hz: float
    mics: int
    calibration: dict[str, Any]  # the last calibration (Calibration.as_dict)
    last_recalibration: float  # Unix time the last automatic recalibration started


def entry_data(entry: ConfigEntry[Any]) -> UspdEntryData:
    """The entry's data as the config flow wrote it (Home Assistant hands it over as a plain mapping)."""
    return cast(UspdEntryData, entry.data)


def source_config_from_data(data: UspdEntryData) -> SourceConfig:
    """The source an entry names; fields its backend leaves out take the defaults."""
    return SourceConfig(
        backend=data[CONF_BACKEND],
        scenario=str(data.get(CONF_SCENARIO, "demo_loop")),
        path=str(data.get(CONF_PATH, "")),
        device=str(data.get(CONF_DEVICE, "")),
        carrier_hz=float(data.get(CONF_CARRIER_HZ, DEFAULT_CARRIER_HZ)),
        audio_rate_hz=int(data.get(CONF_AUDIO_RATE_HZ, DEFAULT_AUDIO_RATE_HZ)),
        mics=int(data.get(CONF_MICS, 0)),
    )


def stored_calibration(entry: ConfigEntry[Any]) -> Calibration | None:
    """The calibration kept with the entry; None when there is none, or it is unreadable (it is then redone)."""
    stored = entry_data(entry).get(DATA_CALIBRATION)
    if not isinstance(stored, dict):
        return None
    try:
        return Calibration.from_dict(stored)
    except (KeyError, TypeError, ValueError):
        _LOGGER.warning("%s: stored calibration unreadable, calibrating again", entry.title)
        return None


def stored_last_recalibration(entry: ConfigEntry[Any]) -> float | None:
    """When the last automatic recalibration started (Unix time), if the entry holds a usable time."""
    stored: object = entry_data(entry).get(DATA_LAST_RECALIBRATION)
    if isinstance(stored, int | float) and not isinstance(stored, bool) and math.isfinite(stored):
        return float(stored)
    return None


def detector_config_from_options(options: Mapping[str, Any]) -> DetectorConfig:
    """The detector's settings from the options (the options flow and the config entities write them)."""
    return DetectorConfig(
        sensitivity_pct=float(options.get(CONF_SENSITIVITY, DEFAULT_SENSITIVITY)),
        hold_s=float(options.get(CONF_CLEAR_DELAY, DEFAULT_CLEAR_DELAY_S)),
    )


def power_save_from_options(options: Mapping[str, Any]) -> bool:
    """Whether the tone pauses while presence is confirmed (on unless turned off)."""
    return bool(options.get(CONF_POWER_SAVE, True))


def emission_from_options(options: Mapping[str, Any]) -> bool:
    """Whether the tone plays at all (on unless turned off)."""
    return bool(options.get(CONF_EMISSION, True))
