"""`uspd satellite` against a real Mosquitto broker (TLS, a password): discovery, state, commands, faults."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable, Generator
from pathlib import Path

import pytest

from custom_components.uspd.satellite.discovery import COMPONENTS
from lab.mqtt_broker import MosquittoBroker, write_certificates

from .conftest import MqttProbe
from .satellite_process import Heard, SatelliteProcess, state_where

BASE = "uspd/test_room"
DISCOVERY = "homeassistant/device/test_room/config"


@pytest.fixture
def satellite(mosquitto: MosquittoBroker, tmp_path: Path) -> Generator[SatelliteProcess]:
    """A satellite process on the simulated room, played four times faster than the clock."""
    process = SatelliteProcess(mosquitto, tmp_path / "satellite", "--speed", "4")
    yield process
    process.close()


@pytest.fixture
def watcher(mqtt_probe: Callable[..., MqttProbe]) -> tuple[MqttProbe, Heard]:
    """A client that sees everything the satellite publishes."""
    probe = mqtt_probe()
    assert not probe.connect().is_failure
    probe.subscribe(f"{BASE}/#")
    probe.subscribe(DISCOVERY)
    return probe, Heard(probe.messages)


def test_discovery_state_and_commands_round_trip(
    satellite: SatelliteProcess, watcher: tuple[MqttProbe, Heard], mosquitto: MosquittoBroker
) -> None:
    probe, heard = watcher
    satellite.start()
    config = json.loads(heard.wait_for(DISCOVERY))
    assert config["dev"]["name"] == "Test room"
    assert set(config["cmps"]) == {c.key for c in COMPONENTS}
    assert config["cmps"]["occupancy"] == config["cmps"]["occupancy"] | {"p": "binary_sensor", "dev_cla": "occupancy"}
    assert [a["t"] for a in config["avty"]] == [f"{BASE}/availability", f"{BASE}/sensing"]
    assert heard.wait_for(f"{BASE}/availability") == "online"
    heard.wait_for(f"{BASE}/sensing", "online".__eq__)  # once audio flows ("offline" before, if it connected first)
    state = json.loads(heard.wait_for(f"{BASE}/state"))
    assert state["occupancy"] in ("ON", "OFF")
    assert state["sensitivity"] == 50.0

    assert probe.publish(f"{BASE}/sensitivity/set", "80")
    heard.wait_for(f"{BASE}/state", state_where("sensitivity", 80.0))
    # A bad payload is logged once and ignored; the satellite goes on and obeys the next one.
    for _ in range(3):
        assert probe.publish(f"{BASE}/clear_delay/set", "forever")
    assert probe.publish(f"{BASE}/emission/set", "OFF")
    heard.wait_for(f"{BASE}/state", state_where("emission", "OFF"))
    assert satellite.log().count("command ignored: clear_delay") == 1

    # Home Assistant announcing itself makes the satellite publish discovery again.
    mark = heard.mark()
    assert probe.publish("homeassistant/status", "online")
    assert json.loads(heard.wait_for(DISCOVERY, after=mark, timeout_s=10))["dev"]["name"] == "Test room"

    mark = heard.mark()
    satellite.signal(signal.SIGTERM)
    heard.wait_for(f"{BASE}/availability", "offline".__eq__, after=mark, timeout_s=10)
    assert satellite.wait() == 0
    assert "Traceback" not in satellite.log()
    # It said goodbye itself (a clean DISCONNECT), not through its last will.
    lines = mosquitto.log_path.read_text().splitlines()
    assert any("Client uspd-test_room" in line and line.endswith(" disconnected.") for line in lines), lines[-5:]


def test_a_killed_satellite_goes_offline_and_comes_back_with_its_settings(
    satellite: SatelliteProcess, watcher: tuple[MqttProbe, Heard]
) -> None:
    probe, heard = watcher
    satellite.start()
    assert heard.wait_for(f"{BASE}/availability") == "online"
    heard.wait_for(f"{BASE}/state")
    assert probe.publish(f"{BASE}/clear_delay/set", "120")
    heard.wait_for(f"{BASE}/state", state_where("clear_delay", 120.0))

    mark = heard.mark()
    satellite.signal(signal.SIGKILL)
    satellite.wait()
    # The broker's last will: within 1.5 keep-alives (5 s here).
    heard.wait_for(f"{BASE}/availability", "offline".__eq__, after=mark, timeout_s=12)

    mark = heard.mark()
    satellite.start()
    heard.wait_for(f"{BASE}/availability", "online".__eq__, after=mark)
    # Options were kept on disk across the crash.
    heard.wait_for(f"{BASE}/state", state_where("clear_delay", 120.0), after=mark)


def test_the_satellite_rides_out_a_broker_restart(
    satellite: SatelliteProcess, mosquitto: MosquittoBroker, mqtt_probe: Callable[..., MqttProbe]
) -> None:
    satellite.start()
    probe = mqtt_probe()
    assert not probe.connect().is_failure
    probe.subscribe(f"{BASE}/availability")
    assert Heard(probe.messages).wait_for(f"{BASE}/availability") == "online"
    probe.close()

    mosquitto.restart()  # persistence is off: every retained message is gone with it
    after = mqtt_probe()
    assert not after.connect().is_failure
    after.subscribe(DISCOVERY)
    after.subscribe(f"{BASE}/state")
    heard_after = Heard(after.messages)
    # Back within the backoff (1, 2, 5 s …): discovery and state published again.
    assert json.loads(heard_after.wait_for(DISCOVERY, timeout_s=20))["dev"]["name"] == "Test room"
    heard_after.wait_for(f"{BASE}/state", timeout_s=20)
    assert "Traceback" not in satellite.log()


@pytest.mark.parametrize(
    ("change", "says"),
    [("password", "the broker refused us"), ("ca", "certificate does not verify")],
)
def test_a_refusing_broker_is_one_clear_line_and_retried(
    mosquitto: MosquittoBroker, tmp_path: Path, change: str, says: str
) -> None:
    satellite = SatelliteProcess(mosquitto, tmp_path / "satellite")
    if change == "password":
        (tmp_path / "satellite" / "password").write_text("wrong")
    else:
        (tmp_path / "other").mkdir()
        other_ca, _, _ = write_certificates(tmp_path / "other")  # an authority that did not sign the broker's
        satellite.args[satellite.args.index("--ca-file") + 1] = str(other_ca)
    try:
        satellite.start()
        time.sleep(6)  # time for two or three attempts
        assert satellite.proc is not None
        assert satellite.proc.poll() is None  # still running, still retrying
        log = satellite.log()
        assert log.count(says) == 1, log
        assert "Traceback" not in log
    finally:
        satellite.close()


def test_two_satellites_in_one_simulated_room_keep_their_tones_apart_and_both_sense(
    mosquitto: MosquittoBroker, tmp_path: Path, mqtt_probe: Callable[..., MqttProbe]
) -> None:
    """Simulated satellites share one room's air: each renders the tones the others announce (SimulatedRoom)."""
    probe = mqtt_probe()
    assert not probe.connect().is_failure
    probe.subscribe("uspd/+/state")
    heard = Heard(probe.messages)
    rooms = [
        SatelliteProcess(mosquitto, tmp_path / name, "--speed", "4", "--scenario", "walk_in_and_leave", name=name)
        for name in ("Room A", "Room B")
    ]
    try:
        for room in rooms:
            room.start()
        deadline = time.monotonic() + 90
        carriers: dict[str, float] = {}
        occupied: set[str] = set()
        while time.monotonic() < deadline:
            heard.mark()
            for topic, payload in heard.seen:
                state = json.loads(payload)
                room_id = topic.split("/")[1]
                if state["calibrating"] == "OFF":
                    carriers[room_id] = state["carrier"]
                if state["occupancy"] == "ON":
                    occupied.add(room_id)
            settled = len(carriers) == 2 and abs(carriers["room_a"] - carriers["room_b"]) >= 3000
            if settled and occupied == {"room_a", "room_b"}:
                break
            time.sleep(0.5)
        assert len(carriers) == 2
        assert abs(carriers["room_a"] - carriers["room_b"]) >= 3000, carriers
        assert occupied == {"room_a", "room_b"}  # each still saw its walker
        assert "calibrating away from it" not in rooms[0].log()  # of two on one tone, only the later id moves
    finally:
        for room in rooms:
            room.close()
