"""The demo, end to end: start it, log in as a person would, watch occupancy, take a screenshot.

Opt-in (``-m e2e``; scripts/test --e2e, and CI). Scene times are those of
sim.library.demo_loop: walk-in 4–9 s, seated 10–40 s, walk-out 40–45 s, a fan
85–115 s; the default clear delay is 30 s.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from pytest_socket import enable_socket, socket_allow_hosts

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
PORT = 8123
BASE = f"http://localhost:{PORT}"
OCCUPANCY = "binary_sensor.simulated_room_demo_loop_occupancy"
SCREENSHOT = REPO / "docs" / "demo-dashboard.png"


def _call(path: str, data: dict[str, Any] | None = None, token: str | None = None, form: bool = False) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = None
    if data is not None:
        body = urllib.parse.urlencode(data).encode() if form else json.dumps(data).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded" if form else "application/json"
    req = urllib.request.Request(BASE + path, data=body, headers=headers, method="POST" if data is not None else "GET")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def _auth_code(user: str, password: str) -> str:
    """Home Assistant's own login flow, as the login page uses it."""
    client = f"{BASE}/"
    flow = _call("/auth/login_flow", {"client_id": client, "handler": ["homeassistant", None], "redirect_uri": client})
    done = _call(f"/auth/login_flow/{flow['flow_id']}", {"username": user, "password": password, "client_id": client})
    assert done["type"] == "create_entry", done
    return str(done["result"])


@pytest.fixture
def demo() -> Any:
    enable_socket()
    socket_allow_hosts(["127.0.0.1", "localhost", "::1"], allow_unix_socket=True)
    proc = subprocess.Popen(
        [sys.executable, "-u", str(REPO / "scripts" / "demo.py"), "--for", "240", "--port", str(PORT)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("DEMO_READY"):
            break
    else:
        pytest.fail("the demo did not start:\n" + "".join(lines[-40:]))
    text = "".join(lines)
    yield {
        "ready": float(text.split("DEMO_READY")[1].split()[0]),
        "user": re.search(r"user: (\S+)", text).group(1),  # type: ignore[union-attr]
        "password": re.search(r"password: (\S+)", text).group(1),  # type: ignore[union-attr]
    }
    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    assert proc.returncode == 0


def test_demo_occupancy_and_dashboard(demo: dict[str, Any], tmp_path: Path) -> None:
    code = _auth_code(demo["user"], demo["password"])
    tokens = _call(
        "/auth/token", {"grant_type": "authorization_code", "code": code, "client_id": f"{BASE}/"}, form=True
    )
    token = tokens["access_token"]

    timeline: list[tuple[float, str]] = []
    deadline = demo["ready"] + 95
    while time.time() < deadline:
        states = {s["entity_id"]: s for s in _call("/api/states", token=token)}
        assert OCCUPANCY in states, sorted(states)
        timeline.append((time.time() - demo["ready"], states[OCCUPANCY]["state"]))
        if timeline[-1][0] > 20 and timeline[-1][1] == "on":
            screenshot = _screenshot(tmp_path, demo)
        time.sleep(0.5)
    on = [t for t, s in timeline if s == "on"]
    assert on, timeline
    # On during the walk-in (entry created at ~0 s; walking 4–9 s; plus start-up slack).
    assert on[0] < 12, timeline
    # Stays on while the person sits and types, off after they leave (45 s + 30 s hold).
    assert all(s == "on" for t, s in timeline if on[0] + 1 < t < 44), timeline
    off_after = [t for t, s in timeline if s == "off" and t > 45]
    assert off_after, timeline
    assert off_after[0] < 45 + 30 + 6, timeline
    # The fan (85–115 s) never brings it back with nobody there.
    assert all(s == "off" for t, s in timeline if t > off_after[0]), timeline
    _check_png(screenshot)
    if os.environ.get("USPD_UPDATE_SCREENSHOT"):
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copy(screenshot, SCREENSHOT)


_shot: Path | None = None


def _screenshot(tmp_path: Path, demo: dict[str, Any]) -> Path:
    """Log the real frontend in with an auth code (its own callback) and capture the dashboard, once."""
    global _shot  # noqa: PLW0603 - taken once per run while occupied
    if _shot is not None:
        return _shot
    code = _auth_code(demo["user"], demo["password"])
    state = base64.b64encode(json.dumps({"hassUrl": BASE, "clientId": f"{BASE}/"}).encode()).decode()
    url = f"{BASE}/?auth_callback=1&code={code}&state={urllib.parse.quote(state)}"
    out = tmp_path / "dashboard.png"
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'chromium'}",
            "--window-size=1280,800",
            "--virtual-time-budget=20000",
            f"--screenshot={out}",
            url,
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    _shot = out
    return out


def _check_png(path: Path) -> None:
    from PIL import Image

    with Image.open(path) as img:
        assert img.size == (1280, 800)
        colours = img.convert("RGB").getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 100, "the screenshot is blank"
