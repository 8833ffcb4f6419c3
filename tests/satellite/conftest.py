"""A real Mosquitto broker per test (lab/mqtt_broker.py) and paho clients that talk to it."""

from __future__ import annotations

import queue
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from lab import mqtt_broker
from lab.mqtt_broker import MosquittoBroker

WAIT_S = 5.0


@pytest.fixture
def mosquitto(tmp_path: Path, socket_enabled: None) -> Generator[MosquittoBroker]:
    """A running broker on 127.0.0.1 (TLS and plain listeners, one password user); stopped whatever the test does.

    The Home Assistant test plugin blocks sockets; `socket_enabled` lifts that for this test while its
    connect guard still lets only 127.0.0.1 through. Its files stay in tmp_path to read after a failure.
    """
    if not mqtt_broker.available():
        pytest.skip("mosquitto is not installed (scripts/env installs Debian's mosquitto package)")
    with MosquittoBroker(tmp_path / "mosquitto") as broker:
        yield broker


class MqttProbe:
    """A paho client (its own network thread) that records what it sees in queues a test waits on."""

    def __init__(
        self,
        broker: MosquittoBroker,
        *,
        tls: bool = True,
        trust_ca: bool = True,
        credentials: tuple[str, str] | None = None,
        anonymous: bool = False,
        will: tuple[str, str] | None = None,
    ) -> None:
        self.broker = broker
        self.tls = tls
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2)
        if tls:
            # Without the test CA, paho falls back to the system's CAs, which do not know it.
            self.client.tls_set(ca_certs=str(broker.ca_path) if trust_ca else None)
        if not anonymous:
            username, password = credentials or (broker.username, broker.password)
            self.client.username_pw_set(username, password)
        if will is not None:
            self.client.will_set(will[0], will[1], qos=1, retain=True)
        self.client.reconnect_delay_set(min_delay=1, max_delay=1)
        self.connects: queue.Queue[ReasonCode] = queue.Queue()
        self.disconnects: queue.Queue[ReasonCode] = queue.Queue()
        self.messages: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _props: Any) -> None:
        if reason.is_failure:
            client.disconnect()  # a refused probe stays refused: no retrying in the background
        self.connects.put(reason)

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _props: Any
    ) -> None:
        self.disconnects.put(reason)

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.messages.put(message)

    def connect(self) -> ReasonCode:
        """Connect (TLS handshake errors raise here), start the network thread and return the CONNACK's reason."""
        port = self.broker.tls_port if self.tls else self.broker.plain_port
        self.client.connect(self.broker.host, port, keepalive=10)
        self.client.loop_start()
        return self.connects.get(timeout=WAIT_S)

    def subscribe(self, topic: str) -> None:
        """Subscribe at QoS 1 (the broker has it once its SUBACK is back)."""
        acked: queue.Queue[int] = queue.Queue()
        self.client.on_subscribe = lambda _c, _u, mid, _codes, _props: acked.put(mid)
        _, mid = self.client.subscribe(topic, qos=1)
        while acked.get(timeout=WAIT_S) != mid:
            pass

    def publish(self, topic: str, payload: str, *, retain: bool = False, timeout_s: float = WAIT_S) -> bool:
        """Publish at QoS 1; whether the broker acknowledged it within `timeout_s`."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        info.wait_for_publish(timeout=timeout_s)
        return info.is_published()

    def message(self, timeout_s: float = WAIT_S) -> mqtt.MQTTMessage:
        """The next message received (queue.Empty after `timeout_s`)."""
        return self.messages.get(timeout=timeout_s)

    def close(self) -> None:
        """Disconnect and stop the network thread (no thread outlives a test)."""
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def mqtt_probe(mosquitto: MosquittoBroker) -> Generator[Callable[..., MqttProbe]]:
    """Make MqttProbe clients of the test's broker (keyword arguments as MqttProbe's); all closed at teardown."""
    made: list[MqttProbe] = []

    def make(**options: Any) -> MqttProbe:
        probe = MqttProbe(mosquitto, **options)
        made.append(probe)
        return probe

    yield make
    for probe in made:
        probe.close()
