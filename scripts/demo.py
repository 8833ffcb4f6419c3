"""Start Home Assistant with uspd on the simulated room, onboarded, with a demo user.

Everything goes through Home Assistant's own HTTP APIs (onboarding, auth,
config-entry flows), exactly as a person clicking through the UI would.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import importlib.util
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

REPO = Path(__file__).resolve().parents[1]
# The lab's helpers (Home Assistant's HTTP API, the broker), which this script, run by path, does not see by itself.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from lab.ha_http import ProcessExited, onboard_user, wait_until_answers  # noqa: E402
from lab.ha_http import request as _request  # noqa: E402

if TYPE_CHECKING:
    from lab.mqtt_broker import MosquittoBroker

USER, PASSWORD = "demo", "uspd-demo"
DEFAULT_PORT = 8123
MARKER = ".uspd-demo"
# Home Assistant stops in a few seconds here; a stop must end within 30 s, so one that hangs is killed
# after this (its own stage limits are longer, for installations with many integrations).
STOP_TIMEOUT_S = 25.0
CONFIG = """\
homeassistant:
  name: uspd demo
  unit_system: metric
  time_zone: UTC
  country: NL
  latitude: 52.37
  longitude: 4.89
  elevation: 0
frontend:
config:
api:
history:
logbook:
automation: []
{http}logger:
  default: warning
  logs:
    custom_components.uspd: info
    homeassistant.bootstrap: info
"""


ROOM = "Living room"
OCCUPANCY = "binary_sensor.living_room_occupancy"
MOTION = "binary_sensor.living_room_motion"
MOTION_TYPE = "sensor.living_room_motion_type"
SCENE = "sensor.living_room_simulated_scene"
DOPPLER = "image.living_room_doppler"
DOPPLER_AXES = (
    "**Reading the Doppler image.** Time runs left to right over the last 20 s, newest on the right. "
    "Height is speed along the sound's path: the middle row is still, above it things coming closer, below "
    "it things moving away, up to 4.5 m/s at the edges. Colour is echo strength above the noise "
    "(dark blue: nothing, yellow: strong). A walker paints a broad band with the flicker of legs; "
    "typing, a few thin specks near the middle; a ceiling fan, a faint haze on both sides at once."
)
STORY = (
    "**The scene** (loops every 120 s): someone walks in at about 5 s, sits and types, and leaves "
    "at about 45 s; occupancy clears 30 s later. From 85 s to 115 s a ceiling fan runs with nobody "
    "there: it must not count as a person."
)
DASHBOARD: dict[str, Any] = {
    "version": 1,
    "minor_version": 1,
    "key": "lovelace",
    "data": {
        "config": {
            "title": "uspd demo",
            "views": [
                {
                    "title": ROOM,
                    "path": "uspd",
                    # The main column is wide enough for the Doppler image to be read.
                    "type": "sidebar",
                    "cards": [
                        {
                            "type": "vertical-stack",
                            "cards": [
                                {"type": "heading", "heading": "What the sensor hears: Doppler speed against time"},
                                # No name or state across the picture: it would hide the receding speeds.
                                {"type": "picture-entity", "entity": DOPPLER, "show_name": False, "show_state": False},
                            ],
                        },
                        {
                            "type": "history-graph",
                            "title": "Last 5 minutes",
                            "hours_to_show": 0.0834,
                            "entities": [
                                {"entity": OCCUPANCY, "name": "Occupancy"},
                                {"entity": MOTION, "name": "Motion"},
                                {"entity": SCENE, "name": "In the room"},
                            ],
                        },
                        {
                            "type": "entities",
                            "title": "Right now",
                            "view_layout": {"position": "sidebar"},
                            "entities": [
                                {"entity": OCCUPANCY, "name": "Occupancy"},
                                {"entity": MOTION, "name": "Motion"},
                                {"entity": MOTION_TYPE, "name": "Motion type"},
                                {"entity": SCENE, "name": "In the room (simulated)"},
                            ],
                        },
                        {"type": "markdown", "view_layout": {"position": "sidebar"}, "content": DOPPLER_AXES},
                        {"type": "markdown", "view_layout": {"position": "sidebar"}, "content": STORY},
                    ],
                }
            ],
        }
    },
}


@dataclass(frozen=True)
class Room:
    """A satellite's simulated room: the device's name, its topic id, the scene it plays and what that shows."""

    name: str
    node_id: str
    scene: str
    story: str

    @property
    def entities(self) -> tuple[str, str, str]:
        """Occupancy, motion and motion type, the ids its MQTT discovery gives them."""
        return (
            f"binary_sensor.{self.node_id}_occupancy",
            f"binary_sensor.{self.node_id}_motion",
            f"sensor.{self.node_id}_motion_type",
        )


# --satellites N starts the first N, each a different scene (sim.library), at the clock's speed.
ROOMS = (
    Room("Kitchen", "kitchen", "walk_in_and_leave", "someone walks in, stands a few seconds and leaves, every 20 s"),
    Room("Bedroom", "bedroom", "reading_for_ten_minutes", "someone walks in and reads for ten minutes, barely moving"),
    Room("Hallway", "hallway", "demo_loop", "the Living room's 120 s loop"),
    Room("Bathroom", "bathroom", "fan_only", "a ceiling fan, nobody there"),
    Room("Office", "office", "pedestal_fan_and_clicks", "a pedestal fan, keys and a cough; nobody there"),
    Room("Dining room", "dining_room", "minor_motion_nobody_entered", "a curtain in a draft, a swaying plant"),
    Room("Guest room", "guest_room", "empty_room", "nobody, nothing moving"),
    Room("Study", "study", "walker_behind_wall", "someone walks past beyond the wall; nobody inside"),
)
MQTT_USER = "homeassistant"  # Home Assistant's own broker user; the satellites share the broker's default user
# A satellite shows up in Home Assistant within seconds; its first calibration takes under a minute.
SATELLITE_START_LIMIT_S = 120.0
# Stopped satellites publish "offline" and exit at once; one that hangs is killed after this.
SATELLITE_STOP_S = 5.0


def _dashboard(rooms: tuple[Room, ...]) -> dict[str, Any]:
    """The demo's dashboard; with satellites, every room's occupancy, motion and motion type beside the Living room."""
    if not rooms:
        return DASHBOARD
    dashboard = copy.deepcopy(DASHBOARD)
    cards: list[dict[str, Any]] = dashboard["data"]["config"]["views"][0]["cards"]
    rows: list[dict[str, Any]] = []
    for room in rooms:
        occupancy, motion, motion_type = room.entities
        rows += [
            {"type": "section", "label": f"{room.name}: {room.story}"},
            {"entity": occupancy, "name": "Occupancy"},
            {"entity": motion, "name": "Motion"},
            {"entity": motion_type, "name": "Motion type"},
        ]
    history = {
        "type": "history-graph",
        "title": "Occupancy in every room, last 5 minutes",
        "hours_to_show": 0.0834,
        "entities": [{"entity": OCCUPANCY, "name": ROOM}]
        + [{"entity": room.entities[0], "name": room.name} for room in rooms],
    }
    satellites = {
        "type": "entities",
        "title": "Satellites (through MQTT)",
        "view_layout": {"position": "sidebar"},
        "entities": rows,
    }
    # The history beside the Living room's own, the satellites' state right under its "Right now".
    right_now = next(i for i, card in enumerate(cards) if card.get("title") == "Right now")
    cards.insert(right_now + 1, satellites)
    cards.insert(2, history)
    return dashboard


class DemoError(Exception):
    """Something the person running the demo can act on: one line, no traceback."""


class Stop(Exception):
    """Ctrl-C, SIGTERM or a closed terminal (SIGHUP): stop Home Assistant cleanly."""


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _on_signal(signum: int, _frame: object) -> None:
    # One stop is enough: a second Ctrl-C, or the same stop relayed as SIGTERM, must not cut the
    # first one short; a shutdown that hangs is killed after STOP_TIMEOUT_S anyway.
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    raise Stop(signal.Signals(signum).name)


def _wait_until_up(base: str, proc: subprocess.Popen[bytes], log: Path, limit_s: float = 300) -> None:
    try:
        answered = wait_until_answers(base, proc.poll, limit_s)
    except ProcessExited as exited:
        raise DemoError(f"Home Assistant exited during start-up (code {exited.code}); see {log}") from None
    if not answered:
        raise DemoError(f"Home Assistant did not answer on {base} within {limit_s:.0f} s; see {log}")


def _onboard_and_configure(base: str) -> str:
    """Onboard the demo user and add uspd on the simulated room; the user's access token."""
    token = onboard_user(base, "Demo", USER, PASSWORD)
    flow = _request(f"{base}/api/config/config_entries/flow", {"handler": "uspd"}, token)
    flow = _request(f"{base}/api/config/config_entries/flow/{flow['flow_id']}", {"backend": "simulated"}, token)
    flow = _request(
        f"{base}/api/config/config_entries/flow/{flow['flow_id']}", {"scenario": "demo_loop", "name": ROOM}, token
    )
    if flow.get("type") != "create_entry":
        raise DemoError(f"could not configure uspd: {flow.get('errors') or flow}")
    return token


def _upload(base: str, token: str, path: Path) -> str:
    """Upload a file as the frontend's file picker does; the id a flow's file field takes."""
    boundary = secrets.token_hex(16)
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        "Content-Type: application/x-x509-ca-cert\r\n\r\n"
    ).encode()
    body += path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"}
    req = urllib.request.Request(f"{base}/api/file_upload", data=body, headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return str(json.loads(resp.read())["file_id"])


def _configure_mqtt(base: str, token: str, satellites: Satellites) -> None:
    """Home Assistant's MQTT integration on the demo's broker, through its config flow as a person fills it in.

    TLS, verified against the broker's own CA, uploaded as the form's file field: the set-up the
    satellites' docs recommend, not an anonymous plain-text broker.
    """
    broker = satellites.broker
    assert broker is not None
    flow = _request(f"{base}/api/config/config_entries/flow", {"handler": "mqtt"}, token)
    if flow.get("step_id") != "broker":
        raise DemoError(f"Home Assistant's MQTT set-up did not ask for a broker: {flow}")
    # The flow loads file_upload (an MQTT dependency), so the upload comes after it started.
    certificate = _upload(base, token, broker.ca_path)
    answer = {
        "broker": broker.host,
        "port": broker.tls_port,
        "username": MQTT_USER,
        "password": satellites.mqtt_password,
        "other_settings": {
            "set_client_cert": False,
            "set_ca_cert": "custom",
            "certificate": certificate,
            "transport": "tcp",
        },
    }
    flow = _request(f"{base}/api/config/config_entries/flow/{flow['flow_id']}", answer, token)
    if flow.get("type") != "create_entry":
        raise DemoError(
            f"Home Assistant's MQTT integration could not use the demo's broker: {flow.get('errors') or flow}"
        )


class Satellites:
    """The demo's MQTT broker and its `uspd satellite` processes, one per room; `stop` ends every one of them."""

    def __init__(self, config: Path, rooms: tuple[Room, ...]) -> None:
        self.folder = config / "satellites"
        self.rooms = rooms
        self.broker: MosquittoBroker | None = None
        self.mqtt_password = secrets.token_urlsafe(16)  # Home Assistant's; it goes into its config flow
        self.procs: dict[Room, subprocess.Popen[bytes]] = {}

    def start_broker(self) -> None:
        """Mosquitto on loopback (TLS from its own CA, a password per client); its files in the config dir."""
        from lab.mqtt_broker import BrokerError, MosquittoBroker

        workdir = self.folder.parent / "mosquitto"
        try:
            self.broker = MosquittoBroker(workdir)
            self.broker.add_user(MQTT_USER, self.mqtt_password)
            _write_secret(self.folder / "password", self.broker.password)
            # The broker runs in its own session (lab/mqtt_broker.py): a terminal's Ctrl-C leaves it serving
            # until the satellites and Home Assistant have left, and stop() ends it with SIGTERM.
            self.broker.start()
        except BrokerError as err:
            where = "" if str(workdir) in str(err) else f"; see {workdir}"
            raise DemoError(f"the MQTT broker did not start: {_one_line(str(err))}{where}") from None
        except OSError as err:
            raise DemoError(f"cannot write the MQTT broker's files in {workdir}: {err.strerror or err}") from None

    def start(self) -> None:
        """One `uspd satellite` per room on the simulated room, each in a session of its own (the demo stops it)."""
        assert self.broker is not None
        for room in self.rooms:
            folder = self.folder / room.node_id
            folder.mkdir(parents=True, exist_ok=True)
            args = [
                sys.executable,
                "-m",
                "custom_components.uspd.satellite",
                "satellite",
                "--name",
                room.name,
                "--id",
                room.node_id,
                "--broker",
                self.broker.url(tls=True),
                "--ca-file",
                str(self.broker.ca_path),
                "--username",
                self.broker.username,
                "--password-file",
                str(self.folder / "password"),
                "--backend",
                "simulated",
                "--scenario",
                room.scene,
                "--state-dir",
                str(folder / "state"),
            ]
            with (folder / "satellite.log").open("ab") as log:
                self.procs[room] = subprocess.Popen(
                    args, cwd=REPO, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
                )

    def check(self) -> None:
        """DemoError naming the first satellite that has stopped by itself, with its last log line."""
        for room, proc in self.procs.items():
            if (code := proc.poll()) is not None:
                log = self._log(room)
                if code < 0:
                    raise DemoError(f"the {room.name} satellite was killed ({signal.Signals(-code).name}); see {log}")
                # A setting it refused is its last line.
                raise DemoError(f"the {room.name} satellite stopped (code {code}): {_last_problem(log)}; see {log}")

    def _log(self, room: Room) -> Path:
        return self.folder / room.node_id / "satellite.log"

    def wait_seen(self, base: str, token: str, limit_s: float = SATELLITE_START_LIMIT_S) -> None:
        """Return once Home Assistant shows every satellite's occupancy, and not as unavailable."""
        deadline = time.monotonic() + limit_s
        waiting = list(self.rooms)
        while waiting:
            self.check()
            states = {s["entity_id"]: s["state"] for s in _request(f"{base}/api/states", token=token)}
            waiting = [r for r in waiting if states.get(r.entities[0], "unavailable") == "unavailable"]
            if waiting and time.monotonic() > deadline:
                log = self._log(waiting[0])
                raise DemoError(
                    f"Home Assistant did not show the {waiting[0].name} satellite within {limit_s:.0f} s "
                    f"(its log: {_last_problem(log)}); see {log}"
                )
            if waiting:
                time.sleep(1.0)

    def terminate(self) -> None:
        """Ask every satellite to stop (SIGTERM, as systemd does): each publishes "offline" and exits."""
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        """Stop the satellites (killed if one hangs), then the broker; nothing is left running."""
        self.terminate()
        deadline = time.monotonic() + SATELLITE_STOP_S
        for room, proc in self.procs.items():
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(
                    f"The {room.name} satellite did not stop within {SATELLITE_STOP_S:.0f} s: killed.", file=sys.stderr
                )
                proc.kill()
                proc.wait()
        if self.broker is not None:
            self.broker.stop(timeout_s=SATELLITE_STOP_S)


def _write_secret(path: Path, text: str) -> None:
    """A file only its owner reads (a password)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(text)


def _last_problem(log: Path) -> str:
    """A satellite log's last warning or error (what went wrong), else its last line."""
    try:
        lines = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "no log"
    problems = [line for line in lines if "WARNING" in line or "ERROR" in line or "error:" in line]
    return (problems or lines or ["nothing logged"])[-1]


def _one_line(text: str) -> str:
    """A multi-line error (what failed, then a log's tail) as one line: its first and its last line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        return lines[0] if lines else "no reason given"
    return f"{lines[0].rstrip(':')}: {lines[-1]}"


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("", port))
        except OSError as err:
            raise DemoError(
                f"port {port} is in use ({err.strerror}): stop what runs there, or pass --port PORT"
            ) from None


def _prepare_config(config: Path, port: int, rooms: tuple[Room, ...] = ()) -> None:
    """A fresh config directory: wiped on every start, so only one the demo made itself is ever wiped."""
    try:
        if config.exists() and any(config.iterdir()) and not (config / MARKER).exists():
            raise DemoError(f"{config} is not empty and was not made by the demo: pass another --config-dir")
        shutil.rmtree(config, ignore_errors=True)
        (config / "custom_components").mkdir(parents=True)
        (config / MARKER).write_text("made by scripts/demo; wiped on its next start\n")
        (config / "custom_components" / "uspd").symlink_to(REPO / "custom_components" / "uspd")
        # http: in YAML is deprecated; it is written only for a non-default port.
        http = f"http:\n  server_port: {port}\n" if port != DEFAULT_PORT else ""
        (config / "configuration.yaml").write_text(CONFIG.format(http=http))
        # Location and units come from configuration.yaml, so the onboarding steps
        # after "user" are done already; the core_config step would also add
        # weather and radio integrations the demo does not install.
        (config / ".storage").mkdir()
        (config / ".storage" / "onboarding").write_text(
            json.dumps(
                {
                    "version": 4,
                    "minor_version": 1,
                    "key": "onboarding",
                    "data": {"done": ["core_config", "analytics", "integration"]},
                }
            )
        )
        (config / ".storage" / "lovelace").write_text(json.dumps(_dashboard(rooms)))
    except OSError as err:
        raise DemoError(f"cannot write the config directory {config}: {err.strerror or err}") from None


def _stop(proc: subprocess.Popen[bytes] | None, satellites: Satellites | None = None) -> int:
    """Ask Home Assistant to shut down (SIGTERM, as its own stop does) and wait; kill it only if it hangs.

    Home Assistant runs in a session of its own, so a terminal's Ctrl-C reaches only this script, which
    owns the shutdown: one clean stop, never two signals racing. Satellites are asked to stop first, stop
    while Home Assistant does, and are waited for; the broker goes last. 130 if Home Assistant never started.
    """
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    if satellites is not None:
        satellites.terminate()
    code = 130 if proc is None else _stop_home_assistant(proc)
    if satellites is not None:
        satellites.stop()
    return code


def _stop_home_assistant(proc: subprocess.Popen[bytes]) -> int:
    """SIGTERM to Home Assistant, then its exit code (0 for a clean stop); killed if it hangs."""
    code = proc.poll()
    if code is None:
        print("Stopping Home Assistant …", flush=True)
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=STOP_TIMEOUT_S)
            # Stopped by our SIGTERM before its own handlers were installed (early in start-up): still clean.
            code = 0 if code == -signal.SIGTERM else code
        except subprocess.TimeoutExpired:
            print(f"Home Assistant did not stop within {STOP_TIMEOUT_S:.0f} s: killed.", file=sys.stderr, flush=True)
            proc.kill()
            proc.wait()
            code = 1
    # Anything Home Assistant started and left behind goes with it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    return code


def _run(args: argparse.Namespace) -> int:
    config = Path(args.config_dir).expanduser().resolve()
    _check_port_free(args.port)
    rooms = ROOMS[: args.satellites]
    if rooms:
        _check_satellites_can_run()
    _prepare_config(config, args.port, rooms)
    base = f"http://localhost:{args.port}"
    log = config / "home-assistant.log"
    satellites = Satellites(config, rooms) if rooms else None
    proc: subprocess.Popen[bytes] | None = None
    try:
        if satellites is not None:
            print("Starting the MQTT broker …", flush=True)
            satellites.start_broker()
        print(f"Starting Home Assistant (config in {config}) …", flush=True)
        proc = subprocess.Popen(
            [sys.executable, "-m", "homeassistant", "--config", str(config), "--skip-pip"], start_new_session=True
        )
        _wait_until_up(base, proc, log)
        token = _onboard_and_configure(base)
        if satellites is not None:
            _configure_mqtt(base, token, satellites)
            print(f"Starting {len(rooms)} satellite{'s' if len(rooms) > 1 else ''} …", flush=True)
            satellites.start()
            satellites.wait_seen(base, token)
        print(
            f"\nuspd demo is running at {base}\n  user: {USER}\n  password: {PASSWORD}\n"
            "  scenario: someone walks in (~5 s), sits and types, leaves (~45 s); a fan runs with nobody "
            "there (85–115 s); it loops every 120 s.\n"
            + _satellites_banner(satellites)
            + f"  {f'Stops after {args.seconds:.0f} s.' if args.seconds else 'Press Ctrl-C to stop.'}\n",
            flush=True,
        )
        print(f"DEMO_READY {time.time():.3f}", flush=True)
        return _serve(proc, args.seconds, log, satellites)
    except (Stop, KeyboardInterrupt):
        return _stop(proc, satellites)
    except urllib.error.URLError as err:
        _stop(proc, satellites)
        raise DemoError(f"Home Assistant refused the demo's set-up: {err}") from None
    except BaseException:
        _stop(proc, satellites)
        raise


def _check_satellites_can_run() -> None:
    """DemoError before anything starts if this environment cannot run a broker or a satellite."""
    from lab import mqtt_broker

    if not mqtt_broker.available():
        raise DemoError("--satellites needs Mosquitto, which scripts/env installs (Debian's mosquitto package)")
    if importlib.util.find_spec("paho") is None:
        raise DemoError("--satellites needs paho-mqtt, which this environment lacks (for Home Assistant's MQTT)")


def _satellites_banner(satellites: Satellites | None) -> str:
    """The satellites' lines of the ready banner ('' without satellites)."""
    if satellites is None or satellites.broker is None:
        return ""
    lines = [
        f"  satellites, through the MQTT broker at {satellites.broker.url(tls=True)} (logs in {satellites.folder}):"
    ]
    lines += [f"    {room.name} ({room.scene}): {room.story}" for room in satellites.rooms]
    return "\n".join(lines) + "\n"


def _serve(proc: subprocess.Popen[bytes], seconds: float | None, log: Path, satellites: Satellites | None) -> int:
    """Home Assistant's exit code once --for has elapsed; DemoError if it, or a satellite, stopped by itself first."""
    deadline = None if seconds is None else time.monotonic() + seconds
    while True:
        left_s = math.inf if deadline is None else deadline - time.monotonic()
        if left_s <= 0:
            return _stop(proc, satellites)  # --for elapsed
        try:
            code = proc.wait(timeout=min(left_s, 1.0))
        except subprocess.TimeoutExpired:
            if satellites is not None:
                satellites.check()
            continue
        raise DemoError(f"Home Assistant stopped by itself (code {code}); see {log}")


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number of seconds")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f"{text} is not a TCP port")
    return value


def _satellite_count(text: str) -> int:
    value = int(text)
    if not 1 <= value <= len(ROOMS):
        raise argparse.ArgumentTypeError(f"{text} is not a number of satellites from 1 to {len(ROOMS)}")
    return value


def main() -> int:
    """Run the demo until Ctrl-C, --for, or Home Assistant stops; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--for", dest="seconds", type=_seconds, help="run this long, then stop (default: until Ctrl-C)")
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT)
    parser.add_argument("--config-dir", default="/tmp/uspd-demo", help="wiped and recreated on every start")
    parser.add_argument(
        "--satellites",
        type=_satellite_count,
        default=0,
        metavar="N",
        help=f"also run N uspd satellites (1 to {len(ROOMS)}), each a simulated room with its own scene, "
        "through a local MQTT broker",
    )
    args = parser.parse_args()
    for sig in STOP_SIGNALS:
        signal.signal(sig, _on_signal)
    try:
        code = _run(args)
    except DemoError as err:
        print(f"scripts/demo: {err}", file=sys.stderr, flush=True)
        return 1
    except (Stop, KeyboardInterrupt):
        return 130  # stopped before Home Assistant was started
    print("Home Assistant stopped." if code == 0 else f"Home Assistant stopped with code {code}.", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
