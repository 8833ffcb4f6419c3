"""The satellite in this process (its code measured), against the real broker: commands, carriers, the CLI."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable, Generator
from pathlib import Path

import pytest

from custom_components.uspd.satellite.cli import main
from custom_components.uspd.satellite.config import build_config
from custom_components.uspd.satellite.satellite import Satellite
from lab.mqtt_broker import MosquittoBroker

from .conftest import MqttProbe
from .satellite_process import Heard, state_where

BASE = "uspd/den"


def _settings(broker: MosquittoBroker, folder: Path) -> dict[str, object]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "password").write_text(broker.password)
    return {
        "name": "Den",
        "broker": broker.url(tls=True),
        "ca_file": str(broker.ca_path),
        "username": broker.username,
        "password_file": str(folder / "password"),
        "backend": "simulated",
        "scenario": "walk_in_and_leave",
        "state_dir": str(folder / "state"),
        "speed": 4,
        "keepalive": 5,
    }


@pytest.fixture
def running(mosquitto: MosquittoBroker, tmp_path: Path) -> Generator[Satellite]:
    """A satellite serving its broker in a thread of this process; stopped at teardown."""
    satellite = Satellite(build_config(_settings(mosquitto, tmp_path), environ={}))
    stop = threading.Event()
    satellite.start()
    thread = threading.Thread(target=satellite.run, args=(stop,), name="satellite")
    thread.start()
    yield satellite
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive()


@pytest.fixture
def heard(mqtt_probe: Callable[..., MqttProbe]) -> tuple[MqttProbe, Heard]:
    """A client that sees the satellite's topics."""
    probe = mqtt_probe()
    assert not probe.connect().is_failure
    probe.subscribe(f"{BASE}/#")
    return probe, Heard(probe.messages)


def test_commands_calibration_and_another_device_s_tone(
    running: Satellite, heard: tuple[MqttProbe, Heard], caplog: pytest.LogCaptureFixture
) -> None:
    probe, log = heard
    state = json.loads(log.wait_for(f"{BASE}/state", state_where("calibrating", "OFF")))
    assert state["sensitivity"] == 50.0
    for key, payload, field, value in (
        ("sensitivity", "65", "sensitivity", 65.0),
        ("power_save", "OFF", "power_save", "OFF"),
        ("emission", "OFF", "emission", "OFF"),
        ("emission", "ON", "emission", "ON"),
    ):
        mark = log.mark()
        assert probe.publish(f"{BASE}/{key}/set", payload)
        log.wait_for(f"{BASE}/state", state_where(field, value), after=mark)
    assert running.options.sensitivity_pct == 65.0
    assert running.worker is not None
    assert running.worker.calibration is not None
    mine = running.worker.calibration.carrier_hz

    assert probe.publish(f"{BASE}/calibrate/set", "now please")  # refused, once
    assert probe.publish(f"{BASE}/sensitivity/set", b"\xff\xfe".decode("latin-1"))
    # Another uspd device announces our own tone; "aaa" sorts first, so this one moves away from it.
    assert probe.publish("uspd/aaa/carrier", json.dumps({"carrier_hz": mine}), retain=True)
    mark = log.mark()
    log.wait_for(f"{BASE}/state", state_where("calibrating", "ON"), after=mark)
    moved = json.loads(log.wait_for(f"{BASE}/state", state_where("calibrating", "OFF"), after=mark))
    assert abs(moved["carrier"] - mine) >= 3000
    assert "command ignored: calibrate" in caplog.text
    # An unreadable announcement and a cleared one forget that device.
    assert probe.publish("uspd/aaa/carrier", "garbage", retain=True)
    assert probe.publish("uspd/aaa/carrier", "", retain=True)
    # Pressed, it calibrates again.
    mark = log.mark()
    assert probe.publish(f"{BASE}/calibrate/set", "PRESS")
    log.wait_for(f"{BASE}/state", state_where("calibrating", "ON"), after=mark)
    assert probe.publish("homeassistant/status", "online")
    log.wait_for(f"{BASE}/availability", "online".__eq__, after=mark)


def test_the_command_line_runs_until_sigterm(mosquitto: MosquittoBroker, tmp_path: Path) -> None:
    settings = _settings(mosquitto, tmp_path)
    args = ["satellite", "-v", "--id", "den"]
    for key in ("name", "broker", "ca_file", "username", "password_file", "backend", "state_dir"):
        args += [f"--{key.replace('_', '-')}", str(settings[key])]
    timer = threading.Timer(6.0, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    started = time.monotonic()
    try:
        assert main(args) == 0
    finally:
        timer.cancel()
    assert time.monotonic() - started < 30
    assert (tmp_path / "state" / "den" / "state.json").is_file()


def test_a_config_file_and_the_command_line_together(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "satellite.toml"
    config.write_text('name = "Den"\nbroker = "ftp://nowhere"\n')
    assert main(["satellite", "--config", str(config)]) == 2
    assert "mqtts://HOST" in capsys.readouterr().err
    assert main(["satellite", "--config", str(config), "--name", "###", "--broker", "mqtt://x"]) == 2
    assert "--id" in capsys.readouterr().err
    assert main(["satellite", "--config", str(tmp_path / "none.toml")]) == 2
    assert "No such file" in capsys.readouterr().err


def test_detect_is_the_engine_s(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["detect", str(tmp_path / "missing.wav")]) == 2
    assert "missing.wav" in capsys.readouterr().err


def test_a_network_cut_is_ridden_out(running: Satellite, mosquitto: MosquittoBroker) -> None:
    """The broker stops answering (SIGSTOP: the socket stays open, nothing moves), then comes back."""
    assert running.link.connected.wait(15)
    mosquitto.pause()
    try:
        # Without answers to its keep-alives (5 s here) the satellite calls the connection lost and retries.
        deadline = time.monotonic() + 30
        while running.link.connected.is_set() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not running.link.connected.is_set()
    finally:
        mosquitto.resume()
    assert running.link.connected.wait(30)  # back, and sensing went on meanwhile
    assert running.worker is not None
    assert running.retained.get(running.topics.sensing) == "online"


def test_a_missing_sound_card_is_one_line_and_retried(
    mosquitto: MosquittoBroker, tmp_path: Path, mqtt_probe: Callable[..., MqttProbe], caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(mosquitto, tmp_path) | {"backend": "soundcard", "device": "No such card", "keepalive": 5}
    del settings["scenario"], settings["speed"]
    satellite = Satellite(build_config(settings, environ={}))
    probe = mqtt_probe()
    assert not probe.connect().is_failure
    probe.subscribe(f"{BASE}/sensing")
    heard = Heard(probe.messages)
    stop = threading.Event()
    satellite.start()
    thread = threading.Thread(target=satellite.run, args=(stop,), name="satellite")
    thread.start()
    try:
        assert heard.wait_for(f"{BASE}/sensing") == "offline"
        time.sleep(4)  # two or three retries (1, 2 s …)
        failures = [r for r in caplog.records if "audio source failed" in r.getMessage()]
        assert len(failures) == 1, [r.getMessage() for r in failures]
        assert "No such card" in failures[0].getMessage()
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()


def test_hostile_messages_end_nothing(running: Satellite, heard: tuple[MqttProbe, Heard]) -> None:
    """Anyone who may publish can send anything; the satellite logs and goes on (retained: it would come back)."""
    probe, log = heard
    log.wait_for(f"{BASE}/state")
    for topic, payload in (
        ("uspd/evil/carrier", '{"carrier_hz": 1' + "0" * 400 + "}"),
        ("uspd/evil/carrier", "[" * 100_000),
        ("uspd/bad id!/carrier", '{"carrier_hz": 40000}'),
        (f"{BASE}/sensitivity/set", "1" * 100_000),
    ):
        assert probe.publish(topic, payload, retain=True)
    mark = log.mark()
    assert probe.publish(f"{BASE}/sensitivity/set", "42")
    log.wait_for(f"{BASE}/state", state_where("sensitivity", 42.0), after=mark)
    assert running.link.connected.is_set()


def test_a_command_the_broker_kept_is_not_replayed(
    mosquitto: MosquittoBroker, tmp_path: Path, mqtt_probe: Callable[..., MqttProbe]
) -> None:
    """`mqtt.publish` with retain: true would otherwise turn the tone off (or calibrate) at every reconnect."""
    probe = mqtt_probe()
    assert not probe.connect().is_failure
    assert probe.publish(f"{BASE}/emission/set", "OFF", retain=True)
    probe.subscribe(f"{BASE}/state")
    heard = Heard(probe.messages)
    satellite = Satellite(build_config(_settings(mosquitto, tmp_path), environ={}))
    stop = threading.Event()
    satellite.start()
    thread = threading.Thread(target=satellite.run, args=(stop,), name="satellite")
    thread.start()
    try:
        assert json.loads(heard.wait_for(f"{BASE}/state"))["emission"] == "ON"
        assert satellite.link.connected.wait(10)
        time.sleep(1)  # the retained command, delivered with the subscription, has been seen and ignored
        assert satellite.options.emission
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
