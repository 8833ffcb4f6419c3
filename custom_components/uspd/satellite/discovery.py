"""What Home Assistant's MQTT discovery is told about a satellite, and the state it then reads.

One device-based config (``homeassistant/device/<id>/config``) lists every
entity (``cmps``) under one device block; the two availability topics and the
state topic are shared options every entity inherits, and each entity picks
its value out of the state's JSON.
The entities are the integration's own: occupancy first, then motion, motion
type, the diagnostics and the controls.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..engine.detector import Motion
from ..engine.levels import level_dbfs
from ..engine.session import Snapshot
from . import VERSION
from .options import CLEAR_DELAY_RANGE_S, SENSITIVITY_RANGE_PCT, Options
from .topics import OFFLINE, ONLINE, Topics

ON = "ON"
OFF = "OFF"
PRESS = "PRESS"
PROJECT_URL = "https://github.com/uspd-dev/uspd"


@dataclass(frozen=True)
class Component:
    """One entity: its platform, what discovery says of it, and its value in the state JSON."""

    key: str
    platform: str
    config: Mapping[str, Any]
    value: Callable[[Snapshot], str | float | int | None] | None = None  # None: the value is an option's
    command: bool = False  # Home Assistant sends commands to Topics.command(key)
    extra: Mapping[str, Any] = field(default_factory=dict)


def _on_off(flag: bool) -> str:
    return ON if flag else OFF


def _rounded(value: float, digits: int = 1) -> float | None:
    return round(value, digits) if math.isfinite(value) else None


DIAGNOSTIC = {"ent_cat": "diagnostic"}
CONFIG = {"ent_cat": "config"}

COMPONENTS: tuple[Component, ...] = (
    # The primary entity: named after the device itself.
    Component("occupancy", "binary_sensor", {"name": None, "dev_cla": "occupancy"}, lambda s: _on_off(s.occupied)),
    Component(
        "motion", "binary_sensor", {"name": "Motion", "dev_cla": "motion"}, lambda s: _on_off(s.motion != Motion.NONE)
    ),
    Component(
        "motion_type",
        "sensor",
        {"name": "Motion type", "dev_cla": "enum", "ops": [m.value for m in Motion], "ic": "mdi:run"},
        lambda s: s.motion_type.value,
    ),
    Component(
        "carrier",
        "sensor",
        {"name": "Carrier", "dev_cla": "frequency", "unit_of_meas": "Hz", "stat_cla": "measurement", **DIAGNOSTIC},
        lambda s: round(s.carrier_hz),
    ),
    Component(
        "noise_floor",
        "sensor",
        {"name": "Noise floor", "unit_of_meas": "dBFS", "stat_cla": "measurement", **DIAGNOSTIC},
        lambda s: _rounded(s.noise_floor_db),
    ),
    Component(
        "carrier_snr",
        "sensor",
        {
            "name": "Carrier SNR",
            "dev_cla": "signal_strength",
            "unit_of_meas": "dB",
            "stat_cla": "measurement",
            **DIAGNOSTIC,
        },
        lambda s: _rounded(s.carrier_snr_db),
    ),
    Component(
        "emission_level",
        "sensor",
        {"name": "Emission level", "unit_of_meas": "dBFS", "stat_cla": "measurement", **DIAGNOSTIC},
        lambda s: _rounded(level_dbfs(s.emission_level)),
    ),
    Component(
        "duty_cycle",
        "sensor",
        {"name": "Duty cycle", "unit_of_meas": "%", "stat_cla": "measurement", **DIAGNOSTIC},
        lambda s: round(100 * s.duty_cycle),
    ),
    Component(
        "breathing",
        "sensor",
        {
            "name": "Breathing",
            "dev_cla": "signal_strength",
            "unit_of_meas": "dB",
            "stat_cla": "measurement",
            **DIAGNOSTIC,
        },
        lambda s: _rounded(s.stillness_db),
    ),
    Component(
        "classifier",
        "sensor",
        {"name": "Classifier", "dev_cla": "enum", "ops": ["litert", "numpy", "baseline"], **DIAGNOSTIC},
        lambda s: s.classifier,
    ),
    Component(
        "xruns",
        "sensor",
        {"name": "Audio dropouts", "stat_cla": "total_increasing", **DIAGNOSTIC},
        lambda s: s.xruns,
    ),
    Component(
        "calibrating",
        "binary_sensor",
        {"name": "Calibrating", "dev_cla": "running", **DIAGNOSTIC},
        lambda s: _on_off(s.calibrating),
    ),
    Component(
        "occupancy_changed",
        "sensor",
        {"name": "Occupancy changed", "dev_cla": "timestamp", "ic": "mdi:clock-outline", **DIAGNOSTIC},
    ),
    Component(
        "sensitivity",
        "number",
        {
            "name": "Sensitivity",
            "min": SENSITIVITY_RANGE_PCT[0],
            "max": SENSITIVITY_RANGE_PCT[1],
            "step": 1,
            "unit_of_meas": "%",
            "mode": "slider",
            **CONFIG,
        },
        command=True,
    ),
    Component(
        "clear_delay",
        "number",
        {
            "name": "Clear delay",
            "dev_cla": "duration",
            "min": CLEAR_DELAY_RANGE_S[0],
            "max": CLEAR_DELAY_RANGE_S[1],
            "step": 1,
            "unit_of_meas": "s",
            "mode": "box",
            **CONFIG,
        },
        command=True,
    ),
    Component("emission", "switch", {"name": "Emission", "ic": "mdi:volume-high", **CONFIG}, command=True),
    Component("power_save", "switch", {"name": "Power saving", "ic": "mdi:leaf", **CONFIG}, command=True),
    Component("calibrate", "button", {"name": "Calibrate", "ic": "mdi:tune-vertical", **CONFIG}, command=True),
)
COMMAND_KEYS = tuple(c.key for c in COMPONENTS if c.command)


def discovery_config(topics: Topics, name: str, model: str) -> dict[str, Any]:
    """The device-based discovery payload: one device, every entity, availability from both topics."""
    components: dict[str, dict[str, Any]] = {}
    for c in COMPONENTS:
        cmp: dict[str, Any] = {"p": c.platform, "uniq_id": f"uspd_{topics.node_id}_{c.key}", **c.config}
        # Stable entity ids a person can guess: binary_sensor.living_room_occupancy.
        cmp["def_ent_id"] = f"{c.platform}.{topics.node_id}_{c.key}"
        if c.platform != "button":
            cmp["val_tpl"] = f"{{{{ value_json.{c.key} }}}}"
        if c.command:
            cmp["cmd_t"] = topics.command(c.key)
        if c.platform == "button":
            cmp["pl_prs"] = PRESS
        components[c.key] = cmp
    return {
        "dev": {
            "ids": [f"uspd_{topics.node_id}"],
            "name": name,
            "mf": "uspd",
            "mdl": model,
            "sw": VERSION,
        },
        "o": {"name": "uspd", "sw": VERSION, "url": PROJECT_URL},
        # Shared by every entity (a "~" base is per entity in device discovery, so topics are written out).
        # Both must say online: the process is connected, and its audio source delivers.
        "avty": [
            {"t": topics.availability, "pl_avail": ONLINE, "pl_not_avail": OFFLINE},
            {"t": topics.sensing, "pl_avail": ONLINE, "pl_not_avail": OFFLINE},
        ],
        "avty_mode": "all",
        "stat_t": topics.state,
        "qos": 1,
        "cmps": components,
    }


def state_payload(snapshot: Snapshot, options: Options, occupancy_changed: str | None) -> dict[str, Any]:
    """The state JSON every entity reads its value from (`occupancy_changed`: ISO time of the last change)."""
    state: dict[str, Any] = {c.key: c.value(snapshot) for c in COMPONENTS if c.value is not None}
    state["sensitivity"] = options.sensitivity_pct
    state["clear_delay"] = options.clear_delay_s
    state["emission"] = _on_off(options.emission)
    state["power_save"] = _on_off(options.power_save)
    state["occupancy_changed"] = occupancy_changed
    return state


def encode(payload: Mapping[str, Any]) -> str:
    """Compact JSON, as it goes on the wire."""
    return json.dumps(payload, separators=(",", ":"), allow_nan=False)
