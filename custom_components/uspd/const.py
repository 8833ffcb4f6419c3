"""Constants of the uspd integration."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "uspd"

CONF_BACKEND: Final = "backend"
CONF_SCENARIO: Final = "scenario"
CONF_PATH: Final = "path"
CONF_DEVICE: Final = "device"
CONF_CARRIER_HZ: Final = "carrier_hz"
CONF_AUDIO_RATE_HZ: Final = "audio_rate_hz"
CONF_MICS: Final = "mics"
# Entry data written by the integration itself: the last calibration of this device,
DATA_CALIBRATION: Final = "calibration"
# and when (Unix time) its last automatic recalibration started: at most one an hour, restarts or not.
DATA_LAST_RECALIBRATION: Final = "last_recalibration"

BACKEND_SIMULATED: Final = "simulated"
BACKEND_SOUNDCARD: Final = "soundcard"
BACKEND_RECORDING: Final = "recording"
BACKENDS: Final = (BACKEND_SIMULATED, BACKEND_SOUNDCARD, BACKEND_RECORDING)

DEFAULT_CARRIER_HZ: Final = 40000
DEFAULT_AUDIO_RATE_HZ: Final = 96000

# Options (options flow and the config entities share them).
CONF_SENSITIVITY: Final = "sensitivity"
CONF_CLEAR_DELAY: Final = "clear_delay"
CONF_EMISSION: Final = "emission"
CONF_POWER_SAVE: Final = "power_save"
DEFAULT_SENSITIVITY: Final = 50.0
DEFAULT_CLEAR_DELAY_S: Final = 30.0
MIN_CLEAR_DELAY_S: Final = 5.0
MAX_CLEAR_DELAY_S: Final = 3600.0

# Where uspd.record writes, under the config directory; each file is named after its device.
RECORDINGS_FOLDER: Final = "uspd_recordings"
