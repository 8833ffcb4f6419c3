"""A satellite's settings, names, controls and store: every bad value is one clear line, nothing is lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from custom_components.uspd.engine.calibration import Calibration
from custom_components.uspd.satellite.config import (
    KEYS,
    PASSWORD_ENV,
    ConfigError,
    build_config,
    read_config_file,
)
from custom_components.uspd.satellite.options import CommandError, Options
from custom_components.uspd.satellite.store import Store, Stored
from custom_components.uspd.satellite.topics import TopicError, Topics, check_node_id, node_id_for

BROKER = "mqtts://broker.lan"


def test_a_room_name_becomes_a_topic_id_mqtt_can_hold() -> None:
    assert node_id_for("Living room") == "living_room"
    assert node_id_for("Küche / Bad #2+") == "kuche_bad_2"
    with pytest.raises(TopicError, match="--id"):
        node_id_for("#/+")
    assert check_node_id("den-2") == "den-2"
    for bad in ("a/b", "a+", "a#", "", "x" * 65, "a b"):
        with pytest.raises(TopicError):
            check_node_id(bad)


def test_every_topic_lies_under_the_satellite_s_own_base() -> None:
    topics = Topics("den")
    assert topics.discovery == "homeassistant/device/den/config"
    own = [topics.availability, topics.sensing, topics.state, topics.carrier, topics.command("emission")]
    assert all(t.startswith("uspd/den/") for t in own)
    assert not any(c in t for t in own for c in "+#")


def test_settings_from_the_command_line() -> None:
    config = build_config({"name": "Den", "broker": "mqtts://broker.lan", "backend": "simulated"}, environ={})
    assert config.topics.node_id == "den"
    assert (config.broker.host, config.broker.port, config.broker.tls) == ("broker.lan", 8883, True)
    assert config.source.backend == "simulated"
    plain = build_config({"name": "Den", "broker": "mqtt://10.0.0.2:1884"}, environ={})
    assert (plain.broker.port, plain.broker.tls, plain.source.backend) == (1884, False, "soundcard")


def test_the_password_comes_from_a_file_or_the_environment_and_is_never_shown(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("s3cret-value\n")
    config = build_config({"name": "Den", "broker": BROKER, "username": "u", "password_file": str(secret)}, environ={})
    assert config.broker.password == "s3cret-value"
    assert "s3cret" not in repr(config)
    from_env = build_config({"name": "Den", "broker": BROKER, "username": "u"}, environ={PASSWORD_ENV: "e-secret"})
    assert from_env.broker.password == "e-secret"
    assert "e-secret" not in repr(from_env)


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"broker": BROKER}, "name is required"),
        ({"name": "Den"}, "broker is required"),
        ({"name": "Den", "broker": "http://x"}, "mqtts://HOST"),
        ({"name": "Den", "broker": "mqtts://u:p@x"}, "not in the URL"),
        ({"name": "Den", "broker": "mqtt://x:99999"}, "broker"),
        ({"name": "Den", "broker": BROKER, "password_file": "/nonexistent/pw", "username": "u"}, "password file"),
        ({"name": "Den", "broker": BROKER, "backend": "radio"}, "backend"),
        ({"name": "Den", "broker": BROKER, "backend": "recording"}, "--path"),
        ({"name": "Den", "broker": BROKER, "backend": "simulated", "scenario": "disco"}, "demo_loop"),
        ({"name": "Den", "broker": BROKER, "rate": "fast"}, "not a number"),
        ({"name": "Den", "broker": BROKER, "rate": 10_000_000}, "outside"),
        ({"name": "Den", "broker": BROKER, "keepalive": float("nan")}, "outside"),
        ({"name": "Den", "broker": "mqtt://x", "ca_file": "/etc/hostname"}, "TLS"),
        ({"name": "Den", "broker": BROKER, "ca_file": "/nonexistent/ca.crt"}, "no such file"),
        ({"name": "Den", "broker": BROKER, "discovery_prefix": "home/#"}, "cannot be a topic"),
        ({"name": "Den", "broker": BROKER, "ca_file": "/etc/hostname"}, "cannot be used"),
        ({"name": "Den", "broker": "mqtts://a..b"}, "host name"),
        ({"name": "###", "broker": BROKER}, "--id"),
    ],
)
def test_a_setting_that_cannot_work_is_one_clear_error(settings: dict[str, object], says: str) -> None:
    with pytest.raises((ConfigError, TopicError), match=says):
        build_config(settings, environ={})


def test_a_password_without_a_user_is_refused() -> None:
    with pytest.raises(ConfigError, match="username"):
        build_config({"name": "Den", "broker": BROKER}, environ={PASSWORD_ENV: "x"})


def test_a_config_file_holds_the_same_settings(tmp_path: Path) -> None:
    path = tmp_path / "satellite.toml"
    path.write_text('name = "Living room"\nbroker = "mqtts://ha.local"\nbackend = "simulated"\nrate = 192000\n')
    assert build_config(read_config_file(path), environ={}).source.audio_rate_hz == 192000
    path.write_text('name = "x"\npassword = "in the file"\n')
    with pytest.raises(ConfigError, match="unknown setting"):
        read_config_file(path)
    path.write_text("name = [unclosed\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        read_config_file(path)
    with pytest.raises(ConfigError, match="No such file"):
        read_config_file(tmp_path / "missing.toml")
    assert "password" not in KEYS  # only a file or the environment holds it


def test_state_lives_where_systemd_says(tmp_path: Path) -> None:
    config = build_config({"name": "Den", "broker": BROKER}, environ={"STATE_DIRECTORY": str(tmp_path)})
    assert config.state_dir == tmp_path / "den"


@pytest.mark.parametrize(
    ("key", "payload", "field", "value"),
    [
        ("sensitivity", "75", "sensitivity_pct", 75.0),
        ("sensitivity", " 0 ", "sensitivity_pct", 0.0),
        ("clear_delay", "600.0", "clear_delay_s", 600.0),
        ("emission", "OFF", "emission", False),
        ("power_save", "ON", "power_save", True),
    ],
)
def test_a_valid_command_changes_its_option(key: str, payload: str, field: str, value: object) -> None:
    assert getattr(Options(power_save=False).with_command(key, payload), field) == value


@pytest.mark.parametrize(
    ("key", "payload"),
    [
        ("sensitivity", "101"),
        ("sensitivity", "nan"),
        ("sensitivity", "high"),
        ("clear_delay", "1"),
        ("clear_delay", "inf"),
        ("emission", "on"),
        ("emission", "1"),
        ("power_save", ""),
        ("volume", "3"),
    ],
)
def test_a_bad_command_is_refused_with_its_reason(key: str, payload: str) -> None:
    with pytest.raises(CommandError, match=key):
        Options().with_command(key, payload)


def test_options_calibration_and_occupancy_survive_a_restart(tmp_path: Path) -> None:
    store = Store(tmp_path / "den")
    assert store.load() == Stored()  # first start
    calibration = Calibration(carrier_hz=38000.0, level=0.3, echo_snr_db=18.0, near_ultrasonic=False, range_m=4.0)
    kept = Stored(Options(sensitivity_pct=70.0, emission=False), calibration, 1.7e9, True, "2026-12-03T22:00:00+00:00")
    store.save(kept)
    assert Store(tmp_path / "den").load() == kept
    assert [p.name for p in (tmp_path / "den").iterdir()] == ["state.json"]  # nothing staged is left


@pytest.mark.parametrize("text", ["{not json", "[]", '{"options": {"sensitivity_pct": "x"}, "calibration": {}}'])
def test_an_unreadable_store_is_set_aside_and_the_satellite_starts_fresh(tmp_path: Path, text: str) -> None:
    store = Store(tmp_path)
    store.path.write_text(text)
    loaded = store.load()
    assert loaded.calibration is None
    assert loaded.options == Options() or text.startswith('{"options"')
    if not store.path.exists():
        assert store.path.with_suffix(".bad").read_text() == text


def test_out_of_range_stored_options_take_their_defaults(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.path.write_text(json.dumps({"options": {"sensitivity_pct": 500, "clear_delay_s": 60, "emission": "yes"}}))
    assert store.load().options == Options(clear_delay_s=60.0)
