"""The test broker is a real Mosquitto: TLS that verifies, passwords that are checked, wills, restarts."""

from __future__ import annotations

import os
import queue
import select
import signal
import socket
import ssl
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from lab import mqtt_broker
from lab.mqtt_broker import BrokerError, MosquittoBroker

from .conftest import MqttProbe

REFUSED = {"Bad user name or password", "Not authorized"}

# A client in its own process, so that killing it closes its socket without an MQTT DISCONNECT.
WILL_CLIENT = """
import os
import paho.mqtt.client as mqtt
client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
client.tls_set(ca_certs=os.environ["CA"])
client.username_pw_set(os.environ["MQTT_USER"], os.environ["MQTT_PASSWORD"])
client.will_set(os.environ["TOPIC"], "offline", qos=1, retain=True)
client.on_connect = lambda *args: print("connected", args[3], flush=True)
client.connect(os.environ["HOST"], int(os.environ["PORT"]), keepalive=10)
client.loop_forever()
"""


def test_tls_with_password_round_trips_a_retained_message(
    mosquitto: MosquittoBroker, mqtt_probe: Callable[..., MqttProbe]
) -> None:
    publisher = mqtt_probe()
    assert str(publisher.connect()) == "Success"
    assert publisher.publish("uspd/test/state", "on", retain=True)
    reader = mqtt_probe()
    assert str(reader.connect()) == "Success"
    reader.subscribe("uspd/test/#")
    message = reader.message()
    assert (message.topic, message.payload, message.retain) == ("uspd/test/state", b"on", True)


@pytest.mark.parametrize("tls", [True, False], ids=["tls", "plain"])
def test_a_wrong_password_is_refused(mqtt_probe: Callable[..., MqttProbe], tls: bool) -> None:
    probe = mqtt_probe(tls=tls, credentials=("uspd", "not the password"))
    assert str(probe.connect()) in REFUSED


@pytest.mark.parametrize("tls", [True, False], ids=["tls", "plain"])
def test_an_anonymous_client_is_refused(mqtt_probe: Callable[..., MqttProbe], tls: bool) -> None:
    probe = mqtt_probe(tls=tls, anonymous=True)
    assert str(probe.connect()) in REFUSED


def test_the_plain_listener_takes_the_password(mqtt_probe: Callable[..., MqttProbe]) -> None:
    assert str(mqtt_probe(tls=False).connect()) == "Success"


def test_a_client_that_does_not_trust_the_ca_fails_verification(mqtt_probe: Callable[..., MqttProbe]) -> None:
    probe = mqtt_probe(trust_ca=False)
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        probe.connect()


def test_the_certificate_names_the_loopback_address(mosquitto: MosquittoBroker) -> None:
    context = ssl.create_default_context(cafile=mosquitto.ca_path)
    with (
        socket.create_connection((mosquitto.host, mosquitto.tls_port), timeout=5) as sock,
        pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"),
    ):
        context.wrap_socket(sock, server_hostname="example.org")


def test_a_user_added_while_running_can_connect_at_once(
    mosquitto: MosquittoBroker, mqtt_probe: Callable[..., MqttProbe]
) -> None:
    assert str(mqtt_probe(credentials=("homeassistant", "secret")).connect()) in REFUSED
    mosquitto.add_user("homeassistant", "secret")
    assert str(mqtt_probe(credentials=("homeassistant", "secret")).connect()) == "Success"


def test_the_acl_is_enforced_after_set_acl(mosquitto: MosquittoBroker, mqtt_probe: Callable[..., MqttProbe]) -> None:
    mosquitto.set_acl(f"user {mosquitto.username}\ntopic read uspd/#\ntopic readwrite uspd/mine/#\n")
    probe = mqtt_probe()
    assert str(probe.connect()) == "Success"
    probe.subscribe("uspd/#")
    # Mosquitto acknowledges a publish it may not forward, and drops it: only the allowed one comes back.
    assert probe.publish("uspd/other/state", "denied")
    assert probe.publish("uspd/mine/state", "allowed")
    assert probe.message().payload == b"allowed"
    with pytest.raises(queue.Empty):
        probe.message(timeout_s=0.3)


@pytest.mark.parametrize("how", ["restart", "kill and start"])
def test_a_client_reconnects_after_the_broker_comes_back(
    mosquitto: MosquittoBroker, mqtt_probe: Callable[..., MqttProbe], how: str
) -> None:
    probe = mqtt_probe()
    assert str(probe.connect()) == "Success"
    old_pid = mosquitto.pid
    ports = (mosquitto.tls_port, mosquitto.plain_port)
    if how == "restart":
        mosquitto.restart()
    else:
        mosquitto.kill()
        assert not mosquitto.running
        mosquitto.start()
    assert mosquitto.pid not in (None, old_pid)
    assert (mosquitto.tls_port, mosquitto.plain_port) == ports
    probe.disconnects.get(timeout=5)
    assert str(probe.connects.get(timeout=5)) == "Success"
    probe.subscribe("uspd/again")
    assert probe.publish("uspd/again", "back")
    assert probe.message().payload == b"back"


def test_a_paused_broker_answers_nothing_until_resumed(
    mosquitto: MosquittoBroker, mqtt_probe: Callable[..., MqttProbe]
) -> None:
    probe = mqtt_probe()
    assert str(probe.connect()) == "Success"
    mosquitto.pause()
    assert not probe.publish("uspd/test/state", "on", timeout_s=0.3)
    mosquitto.resume()
    assert probe.publish("uspd/test/state", "on")


def test_a_killed_clients_last_will_is_delivered(
    mosquitto: MosquittoBroker, mqtt_probe: Callable[..., MqttProbe]
) -> None:
    watcher = mqtt_probe()
    assert str(watcher.connect()) == "Success"
    watcher.subscribe("uspd/test/availability")
    env = {
        **os.environ,
        "CA": str(mosquitto.ca_path),
        "MQTT_USER": mosquitto.username,
        "MQTT_PASSWORD": mosquitto.password,
        "TOPIC": "uspd/test/availability",
        "HOST": mosquitto.host,
        "PORT": str(mosquitto.tls_port),
    }
    client = subprocess.Popen([sys.executable, "-c", WILL_CLIENT], env=env, stdout=subprocess.PIPE, text=True)
    assert client.stdout is not None
    try:
        ready, _, _ = select.select([client.stdout], [], [], 20)
        assert ready, "the will client did not connect"
        assert client.stdout.readline().strip() == "connected Success"
        with pytest.raises(queue.Empty):
            watcher.message(timeout_s=0.2)
        client.send_signal(signal.SIGKILL)
        client.wait(timeout=5)
        message = watcher.message()
        assert (message.topic, message.payload) == ("uspd/test/availability", b"offline")
    finally:
        client.kill()
        client.wait(timeout=5)
        client.stdout.close()


def test_close_leaves_no_process_and_no_folder(socket_enabled: None) -> None:
    if not mqtt_broker.available():
        pytest.skip("mosquitto is not installed (scripts/env installs Debian's mosquitto package)")
    with MosquittoBroker() as broker:
        pid = broker.pid
        workdir = broker.workdir
        assert pid is not None
        assert workdir.is_dir()
    assert broker.pid is None
    assert not workdir.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_broker_that_cannot_listen_says_why(tmp_path: Path, socket_enabled: None) -> None:
    if not mqtt_broker.available():
        pytest.skip("mosquitto is not installed (scripts/env installs Debian's mosquitto package)")
    broker = MosquittoBroker(tmp_path)
    with socket.create_server((broker.host, broker.plain_port)), pytest.raises(BrokerError, match="in use"):
        broker.start()
    assert not broker.running
    broker.close()
