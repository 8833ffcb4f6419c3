"""The demo, end to end, exactly as the README gives it: `scripts/demo`, watched past two loops, then Ctrl-C.

Opt-in (``-m e2e``; scripts/test --e2e, and CI). USPD_E2E_HA=latest runs the
demo on the newest Home Assistant (requirements_ha_latest.txt) instead of the
one the tests pin. Scene times are those of sim.library.demo_loop, which loops
every 120 s: walk-in 4–9 s, seated 10–40 s, walk-out 40–45 s, a fan 85–115 s;
the default clear delay is 30 s.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pytest_socket import enable_socket, socket_allow_hosts

# Start-up (minutes on a cold cache), two loops and the stop: past the suite's 300 s per test.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
BASE = "http://localhost:8123"
OCCUPANCY = "binary_sensor.living_room_occupancy"
MOTION = "binary_sensor.living_room_motion"
SCENE = "sensor.living_room_simulated_scene"
DOPPLER = "image.living_room_doppler"
SCREENSHOT = REPO / "docs" / "demo-dashboard.png"
LOOP_S = 120.0
FOLLOW_S = 206.0  # past the second loop's clearing (165 s + 30 s hold) and the 3-minute mark
STOP_LIMIT_S = 30.0
LATEST = os.environ.get("USPD_E2E_HA") == "latest"


def _printed(text: str, name: str) -> str:
    """The value the demo printed after `name: `."""
    found = re.search(rf"{name}: (\S+)", text)
    assert found is not None, f"the demo printed no {name}"
    return found.group(1)


def _readme_demo_command() -> list[str]:
    """The demo's command line as the README's fenced block writes it."""
    blocks: list[str] = re.findall(r"```(?:bash|sh|console)?\n(.*?)```", README.read_text(), flags=re.DOTALL)
    lines = [ln.strip() for b in blocks for ln in b.splitlines() if ln.strip().startswith("scripts/demo")]
    assert lines, "the README gives no scripts/demo command"
    return lines[0].split()


def _call(path: str, data: dict[str, Any] | None = None, token: str | None = None, form: bool = False) -> Any:
    """The JSON answer of the demo's Home Assistant to a GET, or to a POST of `data`."""
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


def _demo_processes() -> list[str]:
    """Command lines of every process here that belongs to a demo (its config dir is on them)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if "uspd-demo" in cmd or "scripts/demo" in cmd:
                found.append(cmd)
    return found


@pytest.fixture
def demo() -> Iterator[dict[str, Any]]:
    """The demo started as the README gives it, until it is ready; its login; stopped with Ctrl-C after."""
    enable_socket()
    socket_allow_hosts(["127.0.0.1", "localhost", "::1"], allow_unix_socket=True)
    env = {**os.environ, "USPD_HA": "latest"} if LATEST else dict(os.environ)
    proc = subprocess.Popen(
        _readme_demo_command(),
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, which Ctrl-C signals as a whole
    )
    assert proc.stdout is not None
    lines: list[str] = []
    ready = threading.Event()

    def drain() -> None:  # Home Assistant logs to the same pipe for minutes: never let it fill
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("DEMO_READY"):
                ready.set()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    deadline = time.monotonic() + 600  # a cold cache builds the environment first
    while not ready.wait(1):
        if proc.poll() is not None or time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail("the demo did not start:\n" + "".join(lines[-40:]))
    text = "".join(lines)
    info: dict[str, Any] = {
        "ready": float(text.split("DEMO_READY")[1].split()[0]),
        "user": _printed(text, "user"),
        "password": _printed(text, "password"),
    }
    try:
        yield info
    finally:
        # Ctrl-C, as a terminal sends it: to the whole foreground process group.
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=STOP_LIMIT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            reader.join(5)
            # What the demo said last tells whether Home Assistant, a satellite or the demo itself hung.
            pytest.fail(f"the demo did not stop within {STOP_LIMIT_S:.0f} s of Ctrl-C:\n" + "".join(lines[-40:]))
        reader.join(5)
    assert proc.returncode == 0, "".join(lines[-40:])
    assert "Home Assistant stopped." in "".join(lines[-5:])
    assert _demo_processes() == []


def test_demo_as_the_readme_gives_it(demo: dict[str, Any], tmp_path: Path) -> None:
    code = _auth_code(demo["user"], demo["password"])
    tokens = _call(
        "/auth/token", {"grant_type": "authorization_code", "code": code, "client_id": f"{BASE}/"}, form=True
    )
    token = tokens["access_token"]

    timeline: list[tuple[float, str, str]] = []  # (s since ready, occupancy, what the room holds)
    screenshot: Path | None = None
    while (now := time.time() - demo["ready"]) < FOLLOW_S:
        states = {s["entity_id"]: s for s in _call("/api/states", token=token)}
        for entity in (OCCUPANCY, MOTION, SCENE, DOPPLER):
            assert entity in states, sorted(states)
        timeline.append((now, states[OCCUPANCY]["state"], states[SCENE]["state"]))
        # The README's picture: the second loop's sitter, with the first loop in the history beside it.
        if screenshot is None and now > LOOP_S + 25 and timeline[-1][1] == "on":
            screenshot = _screenshot(tmp_path, demo)
            if not _dashboard_rendered(screenshot):
                screenshot = None  # the frontend was still loading: try again on the next poll
        time.sleep(0.5)

    def occupied(a: float, b: float) -> list[bool]:
        return [s == "on" for t, s, _ in timeline if a < t < b]

    for loop in (0.0, LOOP_S):
        on = [t for t, s, _ in timeline if s == "on" and t > loop]
        assert on, timeline
        # On at the walk-in (walking 4–9 s; plus start-up slack).
        assert on[0] - loop < 12, timeline
        # Held while the person sits and types; off after they leave (45 s + 30 s hold).
        assert all(occupied(on[0] + 1, loop + 44)), timeline
        off = [t for t, s, _ in timeline if s == "off" and t > loop + 45]
        assert off, timeline
        assert off[0] - loop < 45 + 30 + 6, timeline
    # The first loop's fan (85–115 s) never brings it back with nobody there.
    first_off = next(t for t, s, _ in timeline if s == "off" and t > 45)
    assert not any(occupied(first_off, LOOP_S + 3)), timeline
    # The scene sensor says what the room holds, loop after loop.
    assert any(w == "Nobody; a ceiling fan running" for t, _, w in timeline if 90 < t < 110), timeline
    assert any(w == "Someone seated" for t, _, w in timeline if LOOP_S + 15 < t < LOOP_S + 35), timeline
    # Still answering at the end, nothing unavailable.
    states = {s["entity_id"]: s["state"] for s in _call("/api/states", token=token)}
    assert all(states[e] not in ("unavailable", "unknown") for e in (OCCUPANCY, MOTION, SCENE)), states

    assert screenshot is not None, "the dashboard never rendered in a screenshot"
    assert _dashboard_rendered(screenshot)
    if not LATEST:
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copy(screenshot, SCREENSHOT)


def _screenshot(tmp_path: Path, demo: dict[str, Any]) -> Path:
    """Log the real frontend in with an auth code (its own callback) and capture the dashboard."""
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
            f"--window-size={WINDOW[0]},{WINDOW[1]}",
            "--virtual-time-budget=20000",
            f"--screenshot={out}",
            url,
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out


WINDOW = (1280, 900)


def _dashboard_rendered(path: Path) -> bool:
    """The dashboard, not the frontend's "Loading…" page: the Doppler picture's dark violet fills much of it."""
    from PIL import Image

    with Image.open(path) as img:
        assert img.size == WINDOW
        rgb = np.asarray(img.convert("RGB"), dtype=np.int16)
    # The colour map's low end, (68, 1, 84), where the picture shows only noise.
    violet = np.all(np.abs(rgb - np.array([68, 1, 84])) < 40, axis=-1)
    return bool(violet.mean() > 0.05)
