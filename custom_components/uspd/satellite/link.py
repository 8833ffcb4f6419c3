"""The satellite's broker connection: connect, serve, and on any failure say why once and try again.

It runs in the thread that calls `run` and is the only one that touches the
paho client; the rest of the satellite hands it the latest value of each
retained topic (`Retained`), so a long outage holds one message per topic,
never a queue that grows. On every (re)connection, and whenever Home
Assistant announces itself online, everything is published again.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from .config import BrokerConfig, tls_context
from .topics import OFFLINE, ONLINE, Topics

_LOGGER = logging.getLogger(__name__)
BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
# A connection that lasted this long was healthy: the next failure starts the backoff over.
HEALTHY_S = 30.0
# How often the loop looks for something to publish while the socket is quiet: the latency it adds.
POLL_S = 0.05
QOS = 1


def _why(err: OSError | ValueError) -> str:
    """A connection failure in words a person can act on."""
    if isinstance(err, ssl.SSLCertVerificationError):
        return f"the broker's certificate does not verify ({err.verify_message})"
    if isinstance(err, ssl.SSLError):
        return f"TLS failed ({err.reason or err})"
    if isinstance(err, ConnectionRefusedError):
        return "nothing accepts connections there (is the broker running, is the port right?)"
    if isinstance(err, TimeoutError):
        return "no answer in time (a firewall, or a TLS port that is not the broker's?)"
    if isinstance(err, ValueError):
        return f"the host name cannot be used ({err})"
    return err.strerror or str(err) or type(err).__name__


class Retained:
    """The latest payload of each retained topic, and which changed since they were last sent (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, str] = {}
        self._changed: set[str] = set()
        self.wake = threading.Event()

    def set(self, topic: str, payload: str) -> None:
        """Publish `payload` on `topic` as soon as connected (an unchanged payload is not sent again)."""
        with self._lock:
            if self._values.get(topic) == payload:
                return
            self._values[topic] = payload
            self._changed.add(topic)
        self.wake.set()

    def get(self, topic: str) -> str | None:
        """The payload `topic` has now."""
        with self._lock:
            return self._values.get(topic)

    def mark_changed(self, topic: str) -> None:
        """Send `topic` again at the next chance."""
        with self._lock:
            if topic in self._values:
                self._changed.add(topic)

    def take_changed(self) -> list[tuple[str, str]]:
        """What changed since the last call, and forget that it did."""
        with self._lock:
            changed = [(t, self._values[t]) for t in sorted(self._changed)]
            self._changed.clear()
        return changed

    def take_all(self) -> list[tuple[str, str]]:
        """Everything, discovery first (Home Assistant must know the device before its state)."""
        with self._lock:
            self._changed.clear()
            return sorted(self._values.items(), key=lambda item: not item[0].endswith("/config"))


class Link:
    """One satellite's connection to its broker."""

    def __init__(
        self,
        broker: BrokerConfig,
        topics: Topics,
        retained: Retained,
        on_command: Callable[[str, str], None],
        commands: tuple[str, ...],
        on_carrier: Callable[[str, str], None] | None = None,
        *,
        client_id: str,
    ) -> None:
        self.broker = broker
        self.topics = topics
        self.retained = retained
        self._on_command = on_command
        self._on_carrier = on_carrier
        self._command_topics = {topics.command(key): key for key in commands}
        self.connected = threading.Event()
        self._refused: str | None = None
        self._failed_topics: set[str] = set()
        self._sub_refusals_logged = False
        self._republish = threading.Event()
        self._last_error: str | None = None
        self.client_id = client_id
        self._client = self._make_client(client_id)

    def _make_client(self, client_id: str) -> mqtt.Client:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311)
        client.enable_logger(logging.getLogger(f"{__name__}.paho"))
        # A satellite that dies without saying goodbye is marked offline by the broker.
        client.will_set(self.topics.availability, OFFLINE, qos=QOS, retain=True)
        if self.broker.username is not None:
            client.username_pw_set(self.broker.username, self.broker.password)
        if self.broker.tls:
            client.tls_set_context(tls_context(self.broker))
        # Only the latest of each topic matters; nothing piles up while the socket is slow.
        client.max_queued_messages_set(256)
        client.on_connect = self._connected
        client.on_disconnect = self._disconnected
        client.on_message = self._message
        client.on_subscribe = self._subscribed
        return client

    def run(self, stop: threading.Event) -> None:
        """Connect and serve until `stop` is set, reconnecting with backoff; says goodbye on the way out."""
        failures = 0
        while not stop.is_set():
            started = time.monotonic()
            error = self._session(stop)
            if stop.is_set():
                break
            if time.monotonic() - started >= HEALTHY_S:
                failures = 0
            elif error == "the connection was lost" and failures == 3:
                # A broker drops the older of two clients with one id: two satellites given one name fight so.
                _LOGGER.warning("connections keep dropping: is another satellite using the id %s?", self.client_id)
            delay = BACKOFF_S[min(failures, len(BACKOFF_S) - 1)]
            failures += 1
            self._report(error, delay)
            stop.wait(delay)
        self._goodbye()

    def _session(self, stop: threading.Event) -> str:
        """One connection, from connect to its loss; returns why it ended."""
        self._refused = None
        failed = self._connect()
        if failed is not None:
            return failed
        while not stop.is_set():
            rc = self._client.loop(timeout=POLL_S)
            if rc != mqtt.MQTT_ERR_SUCCESS:
                break
            if self.connected.is_set():
                self._flush()
        if stop.is_set():
            return "stopped"  # still connected: run() says goodbye
        self.connected.clear()
        return self._refused or "the connection was lost"

    def _connect(self) -> str | None:
        """Open the connection (TCP, TLS, CONNECT); why it failed, in words, or None."""
        try:
            self._client.connect(self.broker.host, self.broker.port, keepalive=self.broker.keepalive_s)
        except (OSError, ValueError) as err:  # ssl's errors are OSErrors; ValueError: a host IDNA cannot encode
            return _why(err)
        return None

    def _flush(self) -> None:
        everything = self._republish.is_set()
        self._republish.clear()
        self.retained.wake.clear()
        if everything:
            self._client.publish(self.topics.availability, ONLINE, qos=QOS, retain=True)
        for topic, payload in self.retained.take_all() if everything else self.retained.take_changed():
            if self._client.publish(topic, payload, qos=QOS, retain=True).rc != mqtt.MQTT_ERR_SUCCESS:
                self.retained.mark_changed(topic)  # the queue is full (a stalled broker): try again next turn

    def _report(self, error: str, delay_s: float) -> None:
        # One line per distinct reason; a reason that repeats is logged at debug only.
        if error != self._last_error:
            _LOGGER.warning("broker %s: %s; retrying in %.0f s (and on)", self.broker.where, error, delay_s)
            self._last_error = error
        else:
            _LOGGER.debug("broker %s: %s; retrying in %.0f s", self.broker.where, error, delay_s)

    def _goodbye(self) -> None:
        """Say offline ourselves (a clean disconnect sends no last will), then disconnect."""
        if self.connected.is_set() and self._client.is_connected():
            info = self._client.publish(self.topics.availability, OFFLINE, qos=QOS, retain=True)
            deadline = time.monotonic() + 2.0
            while not info.is_published() and time.monotonic() < deadline:
                if self._client.loop(timeout=POLL_S) != mqtt.MQTT_ERR_SUCCESS:
                    break
            self._client.disconnect()
        self.connected.clear()

    # paho's callbacks: they run inside loop(), in this same thread.

    def _connected(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason.is_failure:
            self._refused = f"the broker refused us: {reason}"
            return
        _LOGGER.info("connected to %s as %s", self.broker.where, self.topics.node_id)
        self._last_error = None
        # Its own commands, Home Assistant's status, and (read only) the tones other uspd devices announce.
        topics = [*self._command_topics, self.topics.ha_status]
        if self._on_carrier is not None:
            topics.append(self.topics.carriers)
        client.subscribe([(topic, QOS) for topic in topics])
        self._republish.set()  # availability, discovery and state, in the loop's next turn
        self.connected.set()

    def _subscribed(
        self,
        client: mqtt.Client,
        userdata: object,
        mid: int,
        reasons: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        # A broker whose ACL denies our topics answers the SUBSCRIBE with failures: say so, or controls die silently.
        if any(r.is_failure for r in reasons) and not self._sub_refusals_logged:
            self._sub_refusals_logged = True
            _LOGGER.warning("the broker refused some subscriptions (its ACL?): Home Assistant's controls may not work")

    def _disconnected(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.DisconnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self.connected.clear()

    def _message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        # Whatever anyone publishes must not end the satellite: paho would raise it out of loop().
        try:
            self._handle(message)
        except Exception as err:  # noqa: BLE001 - logged once per topic, and the message dropped
            if message.topic not in self._failed_topics and len(self._failed_topics) < 64:
                self._failed_topics.add(message.topic)
                _LOGGER.warning("message on %r ignored: %s", message.topic[:80], type(err).__name__)

    def _handle(self, message: mqtt.MQTTMessage) -> None:
        try:
            payload = message.payload.decode("utf-8")
        except UnicodeDecodeError:
            payload = "\ufffd"  # not text: every control refuses it, and says so
        if message.topic == self.topics.ha_status:
            if payload == ONLINE:
                _LOGGER.info("Home Assistant is online: publishing discovery and state again")
                self._republish.set()
            return
        key = self._command_topics.get(message.topic)
        if key is not None:
            if message.retain:
                # A command kept by the broker would replay at every reconnect (a calibration each time).
                _LOGGER.debug("retained command on %s ignored", message.topic)
            else:
                self._on_command(key, payload)
            return
        parts = message.topic.split("/")
        announcement = len(parts) == 3 and parts[2] == "carrier" and parts[1] != self.topics.node_id
        if announcement and self._on_carrier is not None:
            self._on_carrier(parts[1], payload)
