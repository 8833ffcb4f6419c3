"""MQTT load: many satellites' traffic into one broker and one Home Assistant; how soon it shows a change, and the CPU.

    scripts/env python -m lab.bench_mqtt --satellites 100 --minutes 3 [--seed N] [--out FILE]

Starts a real Mosquitto (lab/mqtt_broker.py; its plain listener with a
password: TLS costs the broker little per message and is left out) and a real
Home Assistant process (lab/home_assistant.py: onboarded, its MQTT integration
set up through the config flow, the recorder on). Then --satellites replayed
satellites in this process: each has a satellite's real discovery config,
topics and broker link (satellite/discovery.py, topics.py, link.py: one
connection, QoS 1, retained, the link's 50 ms poll), and publishes the state a
satellite publishes, at once when occupancy, motion or motion type change and
otherwise every 60 s, from a seeded model of a room's decisions
(lab/home_traffic.py): no signal processing.

Each change of an occupancy, motion or motion type entity is noted with the
time it was handed to the link; Home Assistant's websocket API
(subscribe_entities for those entities, as the frontend subscribes) stamps
each state change on arrival, and the latency is the difference. The
measurement starts once Home Assistant shows every satellite's first state.
The CPU of the broker, of Home Assistant and of this process (the load
generator and the websocket client) comes from /proc over the measurement.

Last, one real satellite (`uspd satellite --backend simulated`: 4 mics at
96 kHz, the demo's scene) runs against the same broker at real time; its CPU
per second of audio is read after its calibration, and the simulator's render
of the same scene is timed alone, so the rest is the engine and the link.

`--receiver mqtt` puts a plain MQTT subscriber in Home Assistant's place
(the broker's share alone, and what the tests run).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import math
import os
import platform
import queue
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from custom_components.uspd.engine.blas import limit_blas_threads
from custom_components.uspd.engine.session import Snapshot
from custom_components.uspd.engine.sources import SourceConfig
from custom_components.uspd.satellite.config import BrokerConfig
from custom_components.uspd.satellite.discovery import COMMAND_KEYS, OFF, ON, discovery_config, encode, state_payload
from custom_components.uspd.satellite.link import Link, Retained
from custom_components.uspd.satellite.options import Options
from custom_components.uspd.satellite.satellite import DIAGNOSTIC_INTERVAL_S
from custom_components.uspd.satellite.topics import ONLINE, Topics
from custom_components.uspd.sim.source import SimulatedRoom
from lab.home_assistant import EntityWatcher, HomeAssistantError, HomeAssistantProcess
from lab.home_traffic import Decision, HomeModel, room_timeline, with_refreshes
from lab.mqtt_broker import BrokerError, MosquittoBroker

_LOGGER = logging.getLogger(__name__)
# The entities whose changes are timed: what an automation reads.
TRACKED = ("occupancy", "motion", "motion_type")
MODEL = "uspd satellite (replayed)"
RECEIVERS = ("home-assistant", "mqtt")
GOAL_P95_S = 1.0
WARMUP_TIMEOUT_S = 600.0
DRAIN_TIMEOUT_S = 30.0
REAL_START_TIMEOUT_S = 240.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# What Home Assistant shows.


def ha_state(value: object) -> str:
    """The state Home Assistant shows for a value of the state JSON (ON/OFF → on/off)."""
    if value == ON:
        return "on"
    if value == OFF:
        return "off"
    return str(value)


@dataclasses.dataclass
class Summary:
    """Median, 95th and 99th percentiles and maximum of some latencies, in seconds, and how many exceed the goal."""

    count: int
    median_s: float
    p95_s: float
    p99_s: float
    max_s: float
    over_goal: int

    @classmethod
    def of(cls, values_s: Sequence[float]) -> Summary:
        """The summary of `values_s` (NaN for none)."""
        if not values_s:
            return cls(0, math.nan, math.nan, math.nan, math.nan, 0)
        values = np.asarray(values_s, dtype=float)
        p50, p95, p99 = (float(p) for p in np.percentile(values, [50, 95, 99]))
        return cls(len(values), p50, p95, p99, float(values.max()), int(np.sum(values > GOAL_P95_S)))


class Ledger:
    """Each published change of a tracked entity, matched in order with the change the receiver saw (thread-safe).

    Until `arm` it only keeps what the receiver shows now (the warm-up); from then on every change
    published is expected, and each one seen is matched with the oldest one pending for its entity.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed = False
        self._pending: dict[str, deque[tuple[str, float, float]]] = defaultdict(deque)
        self.states: dict[str, str] = {}
        self.latencies_s: list[float] = []
        self.inside_s: list[float] = []  # to Home Assistant's last_changed: without the websocket's delivery
        self.expected = 0
        self.unexpected: list[str] = []
        self.unavailable = 0

    def arm(self) -> None:
        """From now on, expect and match."""
        with self._lock:
            self._armed = True

    def expect(self, entity_id: str, value: str, sent_s: float, sent_wall_s: float) -> None:
        """A change handed to the broker link at `sent_s` (monotonic) and `sent_wall_s` (epoch)."""
        with self._lock:
            if self._armed:
                self._pending[entity_id].append((value, sent_s, sent_wall_s))
                self.expected += 1

    def observe(self, entity_id: str, value: str, arrived_s: float, changed_wall_s: float | None = None) -> None:
        """The receiver saw `entity_id` change to `value` at `arrived_s` (monotonic)."""
        with self._lock:
            self.states[entity_id] = value
            if not self._armed:
                return
            if value in ("unavailable", "unknown"):
                self.unavailable += 1
                return
            pending = self._pending[entity_id]
            if not pending or pending[0][0] != value:
                if len(self.unexpected) < 100:  # bounded: a few say what went wrong
                    self.unexpected.append(f"{entity_id} → {value}")
                return
            _, sent_s, sent_wall_s = pending.popleft()
            self.latencies_s.append(arrived_s - sent_s)
            if changed_wall_s is not None:
                self.inside_s.append(changed_wall_s - sent_wall_s)

    def pending(self) -> int:
        """Changes published and not seen yet."""
        with self._lock:
            return sum(len(p) for p in self._pending.values())

    def shows(self, expected: dict[str, str]) -> int:
        """How many of `expected`'s entities the receiver shows with that value now."""
        with self._lock:
            return sum(self.states.get(entity_id) == value for entity_id, value in expected.items())


# The replayed satellites.


class ReplayedSatellite:
    """One satellite without sensing: its real discovery, topics and broker link, publishing replayed decisions."""

    def __init__(self, index: int, broker: BrokerConfig, ledger: Ledger, rng: random.Random) -> None:
        self.topics = Topics(f"bench_{index:03d}")
        self.name = f"Bench {index:03d}"
        self.ledger = ledger
        self._rng = rng
        self.carrier_hz = 38000.0 + 500.0 * (index % 9)
        self._noise_floor_db = rng.uniform(-118.0, -110.0)
        self._snr_db = rng.uniform(35.0, 55.0)
        self.retained = Retained()
        config = discovery_config(self.topics, self.name, MODEL)
        self.entity_ids = {key: str(config["cmps"][key]["def_ent_id"]) for key in TRACKED}
        self.retained.set(self.topics.discovery, encode(config))
        self.retained.set(self.topics.sensing, ONLINE)
        self.retained.set(self.topics.carrier, encode({"carrier_hz": round(self.carrier_hz)}))
        self.link = Link(
            broker, self.topics, self.retained, self._command, COMMAND_KEYS, client_id=f"uspd-{self.topics.node_id}"
        )
        self.shown: dict[str, str] = {}
        self.published = 0
        self._occupancy_changed: str | None = None
        self._occupied: bool | None = None

    def _command(self, key: str, payload: str) -> None:
        """Nobody sends commands here; one would only be logged."""
        _LOGGER.debug("%s: command %s=%r ignored", self.topics.node_id, key, payload)

    def snapshot(self, decision: Decision) -> Snapshot:
        """The snapshot a satellite would hold: the decision, and diagnostics that drift by tenths of a dB."""
        rng = self._rng
        return Snapshot(
            t_s=decision.t_s,
            motion=decision.motion,
            occupied=decision.occupied,
            score=0.0,
            carrier_hz=self.carrier_hz,
            noise_floor_db=self._noise_floor_db + rng.gauss(0.0, 0.15),
            carrier_snr_db=self._snr_db + rng.gauss(0.0, 0.3),
            channels=4,
            audio_rate_hz=96000,
            classifier="numpy",
            duty_cycle=0.5 if decision.occupied else 1.0,
            stillness_db=rng.gauss(40.0 if decision.occupied else 20.0, 3.0),
            motion_type=decision.motion_type,
        )

    def publish(self, decision: Decision) -> None:
        """Hand the state for `decision` to the link, noting each tracked entity that changes with it."""
        if decision.occupied != self._occupied:
            self._occupied = decision.occupied
            self._occupancy_changed = datetime.now(UTC).isoformat(timespec="seconds")
        state = state_payload(self.snapshot(decision), Options(), self._occupancy_changed)
        shown = {entity_id: ha_state(state[key]) for key, entity_id in self.entity_ids.items()}
        sent_s, sent_wall_s = time.monotonic(), time.time()
        for entity_id, value in shown.items():
            if self.shown.get(entity_id) != value:
                self.ledger.expect(entity_id, value, sent_s, sent_wall_s)
        self.shown = shown
        self.published += 1
        self.retained.set(self.topics.state, encode(state))


class Fleet:
    """The replayed satellites, each with its link's thread; `replay` plays their timelines at real time."""

    def __init__(
        self, broker: MosquittoBroker, count: int, seed: int, model: HomeModel, ledger: Ledger, duration_s: float
    ) -> None:
        config = BrokerConfig(
            broker.host, broker.plain_port, tls=False, username=broker.username, password=broker.password
        )
        self.satellites = [
            ReplayedSatellite(i, config, ledger, random.Random(f"{seed}:{i}:diagnostics")) for i in range(count)
        ]
        self.timelines = [
            with_refreshes(
                room_timeline(model, random.Random(f"{seed}:{i}:room"), duration_s), duration_s, DIAGNOSTIC_INTERVAL_S
            )
            for i in range(count)
        ]
        self.duration_s = duration_s
        self.stop = threading.Event()
        self._threads = [
            threading.Thread(target=s.link.run, args=(self.stop,), name=f"bench-link-{i}", daemon=True)
            for i, s in enumerate(self.satellites)
        ]

    @property
    def entity_ids(self) -> list[str]:
        """Every tracked entity of every satellite."""
        return [entity_id for s in self.satellites for entity_id in s.entity_ids.values()]

    def shown(self) -> dict[str, str]:
        """What each tracked entity was last published with."""
        return {entity_id: value for s in self.satellites for entity_id, value in s.shown.items()}

    def start(self) -> None:
        """Connect every satellite and publish its state at time 0 (discovery, availability and state, retained)."""
        for satellite, timeline in zip(self.satellites, self.timelines, strict=True):
            satellite.publish(timeline[0])
        for thread in self._threads:
            thread.start()

    def replay(self) -> None:
        """Publish every later decision at its time from now on; returns after `duration_s`."""
        events = sorted(
            (decision.t_s, i, decision) for i, timeline in enumerate(self.timelines) for decision in timeline[1:]
        )
        start_s = time.monotonic()
        for t_s, i, decision in events:
            delay_s = start_s + t_s - time.monotonic()
            if delay_s > 0 and self.stop.wait(delay_s):
                return
            self.satellites[i].publish(decision)
        self.stop.wait(max(0.0, start_s + self.duration_s - time.monotonic()))

    def published(self) -> int:
        """State messages handed to the links so far."""
        return sum(s.published for s in self.satellites)

    def close(self) -> None:
        """Stop every link (each says offline on its way out) and wait for its thread."""
        self.stop.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=10.0)


# What stands in Home Assistant's place, or Home Assistant itself.


class Receiver(Protocol):
    """Sees tracked entities change and tells the ledger, from a thread of its own."""

    def start(self) -> None:
        """Connect and subscribe; returns once it is listening."""

    def close(self) -> None:
        """Disconnect and end its thread."""


class MqttReceiver:
    """A plain MQTT subscriber in Home Assistant's place: each state message's tracked values, as HA would show them."""

    def __init__(self, broker: MosquittoBroker, fleet: Fleet, ledger: Ledger) -> None:
        self.broker = broker
        self.ledger = ledger
        self._entities = {s.topics.state: s.entity_ids for s in fleet.satellites}
        self._last: dict[str, str] = {}
        self._subscribed: queue.Queue[int] = queue.Queue()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="uspd-bench-receiver")
        self.client.username_pw_set(broker.username, broker.password)
        self.client.on_message = self._message
        self.client.on_subscribe = lambda _c, _u, mid, _codes, _props: self._subscribed.put(mid)

    def _message(self, _client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        arrived_s = time.monotonic()
        entities = self._entities.get(message.topic)
        if entities is None:
            return
        state = json.loads(message.payload)
        for key, entity_id in entities.items():
            value = ha_state(state.get(key))
            if self._last.get(entity_id) != value:
                self._last[entity_id] = value
                self.ledger.observe(entity_id, value, arrived_s)

    def start(self) -> None:
        """Connect and subscribe to every state topic (QoS 1, as Home Assistant subscribes)."""
        self.client.connect(self.broker.host, self.broker.plain_port, keepalive=30)
        self.client.loop_start()
        _, mid = self.client.subscribe("uspd/+/state", qos=1)
        try:
            while self._subscribed.get(timeout=10.0) != mid:
                pass
        except queue.Empty:
            raise BrokerError("the broker did not acknowledge the receiver's subscription within 10 s") from None

    def close(self) -> None:
        """Disconnect and stop the network thread."""
        self.client.disconnect()
        self.client.loop_stop()


# CPU.


def cpu_s(pid: int) -> float:
    """CPU seconds (user and system, every thread) a process has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class CpuMeter:
    """CPU share (% of one core) of some processes between `start` and `stop`."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self._start: dict[str, float] = {}
        self._started_s = 0.0
        self.wall_s = math.nan
        self.percent: dict[str, float] = {}

    def start(self) -> None:
        """Take the first reading."""
        self._started_s = time.monotonic()
        self._start = {name: cpu_s(pid) for name, pid in self.pids.items()}

    def stop(self) -> None:
        """Take the second reading; the shares are in `percent`, over `wall_s`."""
        self.wall_s = time.monotonic() - self._started_s
        self.percent = {name: 100.0 * (cpu_s(pid) - self._start[name]) / self.wall_s for name, pid in self.pids.items()}


# One real satellite.


@dataclasses.dataclass
class RealSatellite:
    """One `uspd satellite` process on the simulated room: CPU per second of audio, and what it sent."""

    seconds: float
    cpu_per_audio_s: float
    render_per_audio_s: float
    state_messages: int
    carrier_hz: float


def real_satellite(broker: MosquittoBroker, folder: Path, seconds: float) -> RealSatellite:
    """Run `uspd satellite --backend simulated` at real time; CPU over `seconds` after its calibration."""
    folder.mkdir(parents=True, exist_ok=True)
    password_file = folder / "password"
    password_file.write_text(broker.password)
    topics = Topics("real_room")
    heard: queue.Queue[tuple[str, bytes]] = queue.Queue()
    probe = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="uspd-bench-probe")
    probe.username_pw_set(broker.username, broker.password)
    probe.on_message = lambda _c, _u, message: heard.put((message.topic, message.payload))
    probe.connect(broker.host, broker.plain_port, keepalive=30)
    probe.subscribe([(topics.state, 1), (topics.carrier, 1)])
    probe.loop_start()
    command = [
        sys.executable, "-m", "custom_components.uspd.satellite", "satellite", "--name", "Real room",
        "--broker", broker.url(tls=False), "--username", broker.username, "--password-file", str(password_file),
        "--backend", "simulated", "--state-dir", str(folder / "state"),
    ]  # fmt: skip
    with (folder / "satellite.log").open("ab") as log:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        carrier_hz = SourceConfig().carrier_hz
        deadline = time.monotonic() + REAL_START_TIMEOUT_S
        while True:  # sensing, calibrated: its state says so
            topic, payload = heard.get(timeout=max(0.1, deadline - time.monotonic()))
            if topic == topics.carrier:
                carrier_hz = float(json.loads(payload)["carrier_hz"])
            elif json.loads(payload).get("calibrating") == OFF:
                break
        while not heard.empty():
            heard.get_nowait()
        start_cpu_s, start_s = cpu_s(proc.pid), time.monotonic()
        time.sleep(seconds)
        used_s, wall_s = cpu_s(proc.pid) - start_cpu_s, time.monotonic() - start_s
        messages = sum(topic == topics.state for topic, _ in iter_queue(heard))
    except queue.Empty:
        raise BrokerError(
            f"the real satellite sent no calibrated state within {REAL_START_TIMEOUT_S:.0f} s; "
            f"see {folder / 'satellite.log'}"
        ) from None
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        probe.disconnect()
        probe.loop_stop()
    return RealSatellite(wall_s, used_s / wall_s, render_cpu_per_audio_s(carrier_hz, wall_s), messages, carrier_hz)


def iter_queue[T](items: queue.Queue[T]) -> list[T]:
    """Everything in a queue now."""
    out = []
    while not items.empty():
        out.append(items.get_nowait())
    return out


def render_cpu_per_audio_s(carrier_hz: float, seconds: float) -> float:
    """CPU seconds the simulator takes to render a second of the demo's room (4 mics, 96 kHz passband), alone."""
    limit_blas_threads()
    room = SimulatedRoom(SourceConfig(backend="simulated", carrier_hz=carrier_hz))
    blocks = max(1, round(seconds / room.block_seconds))
    start_s = time.thread_time()
    for _ in range(blocks):
        room.read()
    return (time.thread_time() - start_s) / (blocks * room.block_seconds)


# The run.


@dataclasses.dataclass
class Report:
    """What a run measured."""

    satellites: int
    ledger: Ledger
    load_before: tuple[float, float, float]
    warmup_s: float = math.nan
    window_s: float = math.nan
    messages: int = 0
    pending: int = 0
    cpu_percent: dict[str, float] = dataclasses.field(default_factory=dict)
    ha_version: str | None = None
    real: RealSatellite | None = None

    @property
    def latency(self) -> Summary:
        """From a change handed to the link to its arrival at the receiver."""
        return Summary.of(self.ledger.latencies_s)

    @property
    def inside(self) -> Summary:
        """From a change handed to the link to Home Assistant's last_changed (its own clock)."""
        return Summary.of(self.ledger.inside_s)

    @property
    def ok(self) -> bool:
        """The invariants: every change published was seen, in order, and nothing else."""
        return (
            self.ledger.expected > 0
            and self.pending == 0
            and not self.ledger.unexpected
            and self.ledger.unavailable == 0
            and len(self.ledger.latencies_s) == self.ledger.expected
            and min(self.ledger.latencies_s) >= 0.0
        )


def run(args: argparse.Namespace, model: HomeModel | None = None) -> Report:
    """Broker, receiver and the replayed fleet; then, if asked, one real satellite on the same broker."""
    model = model or HomeModel()
    duration_s = 60.0 * args.minutes
    report = Report(args.satellites, Ledger(), os.getloadavg())
    ledger = report.ledger
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="uspd-bench-mqtt-")))
        broker = stack.enter_context(MosquittoBroker(folder / "broker"))
        fleet = Fleet(broker, args.satellites, args.seed, model, ledger, duration_s)
        pids = {"broker": _pid(broker.pid)}
        # Closed in reverse: the receiver, Home Assistant, then the fleet (before the real satellite runs).
        with contextlib.ExitStack() as parts:
            parts.callback(fleet.close)
            receiver: Receiver
            if args.receiver == "home-assistant":
                ha = parts.enter_context(HomeAssistantProcess(folder / "home-assistant"))
                ha.add_mqtt(broker)
                pids["Home Assistant"] = _pid(ha.pid)
                report.ha_version = ha.version()
                receiver = EntityWatcher(ha, fleet.entity_ids, ledger.observe)
            else:
                receiver = MqttReceiver(broker, fleet, ledger)
            pids["load generator (this process)"] = os.getpid()
            receiver.start()
            parts.callback(receiver.close)
            started_s = time.monotonic()
            fleet.start()
            _warm_up(fleet, ledger, started_s)
            report.warmup_s = time.monotonic() - started_s
            ledger.arm()
            meter = CpuMeter(pids)
            meter.start()
            fleet.replay()
            meter.stop()
            report.window_s, report.cpu_percent = meter.wall_s, meter.percent
            report.messages = fleet.published() - args.satellites  # those at time 0 were the warm-up's
            drain_until_s = time.monotonic() + DRAIN_TIMEOUT_S
            while ledger.pending() and time.monotonic() < drain_until_s:
                time.sleep(0.1)
            report.pending = ledger.pending()
        if args.real_seconds > 0:
            report.real = real_satellite(broker, folder / "real", args.real_seconds)
    return report


def _pid(pid: int | None) -> int:
    if pid is None:
        raise BrokerError("a process the benchmark started is not running")
    return pid


def _warm_up(fleet: Fleet, ledger: Ledger, started_s: float) -> None:
    """Wait until the receiver shows every satellite's first state (Home Assistant made every entity)."""
    expected = fleet.shown()
    deadline = started_s + WARMUP_TIMEOUT_S
    while (shown := ledger.shows(expected)) < len(expected):
        if time.monotonic() > deadline:
            raise BrokerError(
                f"after {WARMUP_TIMEOUT_S:.0f} s the receiver shows {shown} of {len(expected)} entities' first state"
            )
        time.sleep(0.2)


def format_report(report: Report, args: argparse.Namespace, model: HomeModel | None = None) -> str:
    """The text report: the command, the set-up, the figures, the invariants."""
    model = model or HomeModel()
    latency, inside = report.latency, report.inside
    ms = 1000.0
    command = f"$ scripts/env python -m lab.bench_mqtt --satellites {args.satellites} --minutes {args.minutes:g}"
    command += f" --seed {args.seed}"
    if args.receiver != "home-assistant":
        command += f" --receiver {args.receiver}"
    if args.real_seconds != DEFAULT_REAL_SECONDS:
        command += f" --real-seconds {args.real_seconds:g}"
    if args.out is not None:
        command += f" --out {args.out}"
    receiver = (
        f"Home Assistant {report.ha_version} (its MQTT integration, recorder on), changes stamped on arrival "
        "at its websocket (subscribe_entities)"
        if args.receiver == "home-assistant"
        else "a plain MQTT subscriber in Home Assistant's place"
    )
    lines = [
        command,
        f"machine: {os.cpu_count()} cores, {platform.machine()}, load average before the run "
        f"{report.load_before[0]:.2f} (shared with other work)",
        f"broker: Mosquitto on 127.0.0.1, plain listener with a password; receiver: {receiver}",
        f"traffic: {report.satellites} replayed satellites (one connection each, QoS 1, retained), seeded home model "
        f"(seed {args.seed}: {model.occupied_share:.0%} of rooms occupied on average, a state message at each "
        f"change of occupancy, motion or motion type and otherwise every {DIAGNOSTIC_INTERVAL_S:.0f} s)",
        f"warm-up: every satellite's first state shown after {report.warmup_s:.1f} s "
        f"({3 * report.satellites} tracked entities)",
        f"measured over {report.window_s:.1f} s: {report.messages} state messages "
        f"({report.messages / report.window_s:.1f} /s), {report.ledger.expected} changes of tracked entities",
        f"latency, change → receiver: median {latency.median_s * ms:.0f} ms, p95 {latency.p95_s * ms:.0f} ms, "
        f"p99 {latency.p99_s * ms:.0f} ms, max {latency.max_s * ms:.0f} ms ({latency.count} changes, "
        f"{latency.over_goal} over {GOAL_P95_S:g} s)",
    ]
    if inside.count:
        lines.append(
            f"latency, change → Home Assistant's last_changed: median {inside.median_s * ms:.0f} ms, "
            f"p95 {inside.p95_s * ms:.0f} ms, p99 {inside.p99_s * ms:.0f} ms, max {inside.max_s * ms:.0f} ms"
        )
    lines.append(
        "CPU over the measurement (% of one core): "
        + ", ".join(f"{name} {percent:.1f}" for name, percent in report.cpu_percent.items())
    )
    met = latency.p95_s <= GOAL_P95_S
    lines.append(f"goal p95 ≤ {GOAL_P95_S:g} s: {'met' if met else 'NOT met'}")
    if report.real is not None:
        real = report.real
        lines.append(
            f"one real satellite (uspd satellite --backend simulated, demo_loop, 4 mics at 96 kHz, real time, "
            f"after its calibration, {real.seconds:.0f} s): {real.cpu_per_audio_s * 1000:.0f} ms CPU per second of "
            f"audio, of which the simulator's render (timed alone) {real.render_per_audio_s * 1000:.0f} ms and the "
            f"engine and link {(real.cpu_per_audio_s - real.render_per_audio_s) * 1000:.0f} ms; it sent "
            f"{real.state_messages} state messages ({60 * real.state_messages / real.seconds:.1f} /min)"
        )
    held = report.ok
    lines.append(
        f"invariants: {'held' if held else 'FAILED'} (matched {len(report.ledger.latencies_s)} of "
        f"{report.ledger.expected}, pending {report.pending}, unexpected {len(report.ledger.unexpected)}, "
        f"unavailable {report.ledger.unavailable})"
    )
    if report.ledger.unexpected:
        lines.append("unexpected: " + "; ".join(report.ledger.unexpected[:5]))
    return "\n".join(lines) + "\n"


DEFAULT_REAL_SECONDS = 120.0


def _positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not 0 < value < math.inf:
            raise argparse.ArgumentTypeError(f"{text} is not positive")
        return value

    return parse


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command's options."""
    parser = argparse.ArgumentParser(prog="python -m lab.bench_mqtt", description=__doc__.split("\n\n")[0])
    parser.add_argument("--satellites", type=_positive(int), default=100, help="replayed satellites (default 100)")
    parser.add_argument("--minutes", type=_positive(float), default=3.0, help="measurement after warm-up (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="the home model's seed (default 0)")
    parser.add_argument("--receiver", choices=RECEIVERS, default="home-assistant", help="default home-assistant")
    parser.add_argument(
        "--real-seconds", type=float, default=DEFAULT_REAL_SECONDS,
        help=f"one real satellite's CPU over this long (default {DEFAULT_REAL_SECONDS:g}: its scene's loop; 0 skips)",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    if args.real_seconds < 0 or not math.isfinite(args.real_seconds):
        parser.error(f"--real-seconds {args.real_seconds} must be 0 or more")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run, print the report (and write it to --out); 1 if an invariant failed or a part would not start."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # A hundred links each say they connected.
    logging.getLogger("custom_components.uspd.satellite").setLevel(logging.WARNING)
    try:
        report = run(args)
    except (BrokerError, HomeAssistantError, OSError) as err:
        print(f"lab.bench_mqtt: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130  # everything it started is stopped on the way out
    text = format_report(report, args)
    print(text, end="")
    if args.out is not None:
        args.out.write_text(text)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
