"""A satellite's settings: from the command line, a small TOML file, or both (the command line wins).

Secrets never pass on the command line (any user can read another's
arguments): the broker's password comes from a file or from the
environment, and no representation of the settings shows it.
"""

from __future__ import annotations

import os
import ssl
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..engine.sources import SourceConfig
from ..sim.library import SCENARIOS
from .topics import DISCOVERY_PREFIX, Topics, check_node_id, node_id_for

PASSWORD_ENV = "USPD_MQTT_PASSWORD"
DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}
BACKENDS = ("soundcard", "simulated", "recording")
# The broker declares us gone after 1.5 keep-alives without a packet; Home Assistant then shows us unavailable.
DEFAULT_KEEPALIVE_S = 30


class ConfigError(ValueError):
    """A setting that cannot work, said in one line."""


@dataclass(frozen=True)
class BrokerConfig:
    """Where the broker is and how to prove who we are."""

    host: str
    port: int
    tls: bool
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: Path | None = None  # None: the system's certificate authorities
    cert_file: Path | None = None  # a client certificate, for brokers that ask for one
    key_file: Path | None = None
    keepalive_s: int = DEFAULT_KEEPALIVE_S

    @property
    def where(self) -> str:
        """The broker as a log line names it (never with credentials)."""
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


@dataclass(frozen=True)
class SatelliteConfig:
    """Everything `uspd satellite` needs."""

    name: str
    topics: Topics
    broker: BrokerConfig
    source: SourceConfig
    state_dir: Path
    speed: float = 1.0  # simulated rooms and recordings only: > 1 plays them faster than the clock


# Every key a config file may hold, as the command line spells them (with "_" for "-").
KEYS = (
    "name",
    "id",
    "broker",
    "username",
    "password_file",
    "ca_file",
    "cert_file",
    "key_file",
    "keepalive",
    "discovery_prefix",
    "state_dir",
    "backend",
    "device",
    "scenario",
    "path",
    "rate",
    "carrier",
    "mics",
    "speed",
)


def read_config_file(path: Path) -> dict[str, Any]:
    """The settings a TOML file holds; ConfigError for a file that cannot be read or holds unknown keys."""
    try:
        with path.open("rb") as f:
            raw = tomllib.load(f)
    except OSError as err:
        raise ConfigError(f"{path}: {err.strerror}") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML ({err})") from err
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(KEYS)}")
    return raw


def tls_context(broker: BrokerConfig) -> ssl.SSLContext:
    """The TLS set-up for the broker: its authority (or the system's), our certificate if any; ConfigError if bad."""
    try:
        context = ssl.create_default_context(cafile=str(broker.ca_file) if broker.ca_file else None)
        if broker.cert_file is not None:
            context.load_cert_chain(str(broker.cert_file), str(broker.key_file) if broker.key_file else None)
    except (OSError, ssl.SSLError, ValueError) as err:
        which = broker.cert_file if broker.cert_file else broker.ca_file
        raise ConfigError(f"certificate {which}: cannot be used ({getattr(err, 'strerror', None) or err})") from err
    return context


def build_config(settings: dict[str, Any], environ: Mapping[str, str] | None = None) -> SatelliteConfig:
    """Check and combine the settings (a file's, overlaid with the command line's; None means not given)."""
    env = os.environ if environ is None else environ
    given = {k: v for k, v in settings.items() if v is not None}
    name = _text(given, "name", required=True)
    node_id = check_node_id(_text(given, "id")) if "id" in given else node_id_for(name)
    topics = Topics(node_id, _text(given, "discovery_prefix") or DISCOVERY_PREFIX)
    if any(c in topics.discovery_prefix for c in "+#\0") or not topics.discovery_prefix:
        raise ConfigError(f"discovery_prefix {topics.discovery_prefix!r} cannot be a topic")
    return SatelliteConfig(
        name=name,
        topics=topics,
        broker=_broker(given, env),
        source=_source(given),
        state_dir=Path(_text(given, "state_dir") or _default_state_dir(env)) / node_id,
        speed=_number(given, "speed", 1.0, 0.1, 1000.0),
    )


def _broker(given: dict[str, Any], env: Mapping[str, str]) -> BrokerConfig:
    url = _text(given, "broker", required=True)
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ConfigError(f"broker {url!r}: give it as mqtts://HOST[:PORT] (TLS) or mqtt://HOST[:PORT]")
    if parts.username or parts.password:
        raise ConfigError("broker: put the username in --username and the password in a file, not in the URL")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError as err:
        raise ConfigError(f"broker {url!r}: {err}") from err
    password = env.get(PASSWORD_ENV) or None
    if "password_file" in given:
        password = _read_secret(Path(_text(given, "password_file")))
    username = _text(given, "username") or None
    if password is not None and username is None:
        raise ConfigError("a password needs a username (--username)")
    files = {k: Path(_text(given, k)) for k in ("ca_file", "cert_file", "key_file") if k in given}
    for key, path in files.items():
        if not path.is_file():
            raise ConfigError(f"{key.replace('_', '-')} {path}: no such file")
    if files and parts.scheme != "mqtts":
        raise ConfigError("certificates need TLS: give the broker as mqtts://…")
    try:
        parts.hostname.encode("idna")
    except UnicodeError as err:
        raise ConfigError(f"broker {url!r}: the host name cannot be used ({err})") from None
    broker = BrokerConfig(
        host=parts.hostname,
        port=port,
        tls=parts.scheme == "mqtts",
        username=username,
        password=password,
        ca_file=files.get("ca_file"),
        cert_file=files.get("cert_file"),
        key_file=files.get("key_file"),
        keepalive_s=int(_number(given, "keepalive", DEFAULT_KEEPALIVE_S, 5, 3600)),
    )
    if broker.tls:
        tls_context(broker)  # a file that is not a certificate fails here, in one line, not at every retry
    return broker


def _source(given: dict[str, Any]) -> SourceConfig:
    backend = _text(given, "backend") or "soundcard"
    if backend not in BACKENDS:
        raise ConfigError(f"backend {backend!r}: one of {', '.join(BACKENDS)}")
    if backend == "recording" and "path" not in given:
        raise ConfigError("the recording backend needs --path FILE.wav")
    scenario = _text(given, "scenario")
    if backend == "simulated" and scenario and scenario not in SCENARIOS:
        raise ConfigError(f"scenario {scenario!r}: one of {', '.join(SCENARIOS)}")
    defaults = SourceConfig()
    return SourceConfig(
        backend=backend,  # type: ignore[arg-type]  # checked against BACKENDS above
        scenario=_text(given, "scenario") or defaults.scenario,
        path=_text(given, "path"),
        device=_text(given, "device") or "default",  # ALSA's and PulseAudio's default device
        audio_rate_hz=int(_number(given, "rate", defaults.audio_rate_hz, 8000, 384000)),
        carrier_hz=_number(given, "carrier", defaults.carrier_hz, 1000, 190000),
        mics=int(_number(given, "mics", 0, 0, 8)),
    )


def _default_state_dir(env: Mapping[str, str]) -> str:
    """Systemd's StateDirectory= when run as a service, else the user's state folder."""
    if env.get("STATE_DIRECTORY"):
        return env["STATE_DIRECTORY"].split(":")[0]
    base = env.get("XDG_STATE_HOME") or str(Path(env.get("HOME", "/tmp")) / ".local" / "state")
    return str(Path(base) / "uspd-satellite")


def _read_secret(path: Path) -> str:
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except OSError as err:
        raise ConfigError(f"password file {path}: {err.strerror}") from err
    except UnicodeDecodeError as err:
        raise ConfigError(f"password file {path}: not text") from err
    if not secret:
        raise ConfigError(f"password file {path} is empty")
    return secret


def _text(given: dict[str, Any], key: str, *, required: bool = False) -> str:
    value = given.get(key)
    if value is None:
        if required:
            raise ConfigError(f"{key} is required (--{key.replace('_', '-')} or in the config file)")
        return ""
    if isinstance(value, bool | dict | list):
        raise ConfigError(f"{key}: {value!r} is not text")
    text = str(value).strip()
    if required and not text:
        raise ConfigError(f"{key} is empty")
    return text


def _number(given: dict[str, Any], key: str, default: float, low: float, high: float) -> float:
    value = given.get(key, default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key}: {value!r} is not a number") from None
    if not low <= number <= high:  # NaN fails too
        raise ConfigError(f"{key}: {number:g} is outside {low:g}…{high:g}")
    return number
