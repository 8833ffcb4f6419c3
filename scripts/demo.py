"""Start Home Assistant with uspd on the simulated room, onboarded, with a demo user.

Everything goes through Home Assistant's own HTTP APIs (onboarding, auth,
config-entry flows), exactly as a person clicking through the UI would.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
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


OCCUPANCY = "binary_sensor.simulated_room_demo_loop_occupancy"
MOTION = "binary_sensor.simulated_room_demo_loop_motion"
DOPPLER = "image.simulated_room_demo_loop_doppler"
MOTION_TYPE = "sensor.simulated_room_demo_loop_motion_type"
DASHBOARD = {
    "version": 1,
    "minor_version": 1,
    "key": "lovelace",
    "data": {
        "config": {
            "title": "uspd demo",
            "views": [
                {
                    "title": "Simulated room",
                    "path": "uspd",
                    "cards": [
                        {
                            "type": "entities",
                            "title": "Ultrasonic presence",
                            "entities": [OCCUPANCY, MOTION, MOTION_TYPE],
                        },
                        {
                            "type": "picture-entity",
                            "entity": DOPPLER,
                            "name": "Doppler: speed against time",
                            "show_state": False,
                        },
                        {
                            "type": "history-graph",
                            "title": "Last 2 minutes",
                            "hours_to_show": 0.034,
                            "entities": [OCCUPANCY, MOTION],
                        },
                        {
                            "type": "markdown",
                            "title": "What happens in the room",
                            "content": (
                                "Someone walks in at about 5 s, sits and types, and leaves at about 45 s; "
                                "occupancy clears 30 s later. From 85 s to 115 s a ceiling fan runs with "
                                "nobody there: it must not count as a person. The scene loops every 120 s."
                            ),
                        },
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


def _wait_until_up(base: str, proc: subprocess.Popen[bytes], limit_s: float = 300) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"Home Assistant exited during start-up (code {proc.returncode})")
        try:
            _request(f"{base}/api/onboarding")
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    sys.exit("Home Assistant did not start in time")


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
    flow = _request(f"{base}/api/config/config_entries/flow/{flow['flow_id']}", {"scenario": "demo_loop"}, token)
    if flow.get("type") != "create_entry":
        sys.exit(f"could not configure uspd: {flow}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--for", dest="seconds", type=float, help="run headless this long, then stop")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--config-dir", default="/tmp/uspd-demo", help="wiped and recreated on every start")
    args = parser.parse_args()

    config = Path(args.config_dir)
    shutil.rmtree(config, ignore_errors=True)
    (config / "custom_components").mkdir(parents=True)
    (config / "custom_components" / "uspd").symlink_to(REPO / "custom_components" / "uspd")
    # http: in YAML is deprecated; it is written only for a non-default port.
    http = f"http:\n  server_port: {args.port}\n" if args.port != 8123 else ""
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
    base = f"http://localhost:{args.port}"

    print(f"Starting Home Assistant (config in {config}) …", flush=True)
    proc = subprocess.Popen([sys.executable, "-m", "homeassistant", "--config", str(config), "--skip-pip"])
    try:
        _wait_until_up(base, proc)
        _onboard_and_configure(base)
        print(
            f"\nuspd demo is running at {base}\n  user: {USER}\n  password: {PASSWORD}\n"
            "  scenario: someone walks in (~5 s), sits and types, leaves (~45 s); a fan runs with nobody "
            "there (85–115 s); it loops every 120 s.\n"
            f"  {f'Stops after {args.seconds:.0f} s.' if args.seconds else 'Press Ctrl-C to stop.'}\n",
            flush=True,
        )
        print(f"DEMO_READY {time.time():.3f}", flush=True)
        if args.seconds:
            time.sleep(args.seconds)
            proc.send_signal(signal.SIGTERM)
        return _wait(proc)
    except KeyboardInterrupt:
        return _wait(proc)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            _wait(proc)


def _wait(proc: subprocess.Popen[bytes]) -> int:
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    except KeyboardInterrupt:
        proc.kill()
        proc.wait()
    print("Home Assistant stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
