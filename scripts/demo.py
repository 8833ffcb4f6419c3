"""Start Home Assistant with uspd on the simulated room, onboarded, with a demo user.

Everything goes through Home Assistant's own HTTP APIs (onboarding, auth,
config-entry flows), exactly as a person clicking through the UI would.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
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
DASHBOARD = {
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


def _request(url: str, data: dict[str, Any] | None = None, token: str | None = None, form: bool = False) -> Any:
    headers = {}
    body = None
    if data is not None:
        if form:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=body, headers=headers, method="POST" if data is not None else "GET")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"null")


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
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise DemoError(f"Home Assistant exited during start-up (code {proc.returncode}); see {log}")
        try:
            _request(f"{base}/api/onboarding")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
        else:
            return
    raise DemoError(f"Home Assistant did not answer on {base} within {limit_s:.0f} s; see {log}")


def _onboard_and_configure(base: str) -> None:
    client = f"{base}/"
    created = _request(
        f"{base}/api/onboarding/users",
        {"client_id": client, "name": "Demo", "username": USER, "password": PASSWORD, "language": "en"},
    )
    tokens = _request(
        f"{base}/auth/token",
        {"grant_type": "authorization_code", "code": created["auth_code"], "client_id": client},
        form=True,
    )
    token = tokens["access_token"]
    flow = _request(f"{base}/api/config/config_entries/flow", {"handler": "uspd"}, token)
    flow = _request(f"{base}/api/config/config_entries/flow/{flow['flow_id']}", {"backend": "simulated"}, token)
    flow = _request(
        f"{base}/api/config/config_entries/flow/{flow['flow_id']}", {"scenario": "demo_loop", "name": ROOM}, token
    )
    if flow.get("type") != "create_entry":
        raise DemoError(f"could not configure uspd: {flow.get('errors') or flow}")


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("", port))
        except OSError as err:
            raise DemoError(
                f"port {port} is in use ({err.strerror}): stop what runs there, or pass --port PORT"
            ) from None


def _prepare_config(config: Path, port: int) -> None:
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
        (config / ".storage" / "lovelace").write_text(json.dumps(DASHBOARD))
    except OSError as err:
        raise DemoError(f"cannot write the config directory {config}: {err.strerror or err}") from None


def _stop(proc: subprocess.Popen[bytes]) -> int:
    """Ask Home Assistant to shut down (SIGTERM, as its own stop does) and wait; kill it only if it hangs.

    Home Assistant runs in a session of its own, so a terminal's Ctrl-C reaches only this script, which
    owns the shutdown: one clean stop, never two signals racing.
    """
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
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
    _prepare_config(config, args.port)
    base = f"http://localhost:{args.port}"
    log = config / "home-assistant.log"
    print(f"Starting Home Assistant (config in {config}) …", flush=True)
    proc: subprocess.Popen[bytes] | None = None
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "homeassistant", "--config", str(config), "--skip-pip"], start_new_session=True
        )
        _wait_until_up(base, proc, log)
        _onboard_and_configure(base)
        print(
            f"\nuspd demo is running at {base}\n  user: {USER}\n  password: {PASSWORD}\n"
            "  scenario: someone walks in (~5 s), sits and types, leaves (~45 s); a fan runs with nobody "
            "there (85–115 s); it loops every 120 s.\n"
            f"  {f'Stops after {args.seconds:.0f} s.' if args.seconds else 'Press Ctrl-C to stop.'}\n",
            flush=True,
        )
        print(f"DEMO_READY {time.time():.3f}", flush=True)
        return _serve(proc, args.seconds, log)
    except (Stop, KeyboardInterrupt):
        return 130 if proc is None else _stop(proc)
    except urllib.error.URLError as err:
        if proc is not None:
            _stop(proc)
        raise DemoError(f"Home Assistant refused the demo's set-up: {err}") from None
    except BaseException:
        if proc is not None:
            _stop(proc)
        raise


def _serve(proc: subprocess.Popen[bytes], seconds: float | None, log: Path) -> int:
    """Home Assistant's exit code once --for has elapsed; DemoError if it stopped by itself first."""
    try:
        code = proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return _stop(proc)  # --for elapsed
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


def main() -> int:
    """Run the demo until Ctrl-C, --for, or Home Assistant stops; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--for", dest="seconds", type=_seconds, help="run this long, then stop (default: until Ctrl-C)")
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT)
    parser.add_argument("--config-dir", default="/tmp/uspd-demo", help="wiped and recreated on every start")
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
