"""`scripts/demo --satellites 3`, end to end: three satellites through a real broker beside the Living room.

Opt-in (``-m e2e``; scripts/test --e2e, and CI). It runs the demo as a person would, for 150 s, and
follows it over Home Assistant's own API: the satellites' entities come through Home Assistant's MQTT
integration, the Kitchen's scene (walk_in_and_leave: someone enters 2 s into every 20 s loop) turns its
occupancy on, and once the demo has stopped by itself nothing it started is left. Runs on the Home
Assistant the tests pin; test_demo.py covers the newest one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pytest_socket import enable_socket, socket_allow_hosts

from . import test_demo
from .test_demo import REPO, _auth_code, _call, _demo_processes, _printed

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(900),  # a cold cache builds the environment first
]

RUN_S = 150.0
HALLWAY_CLEAR_DELAY = "number.hallway_clear_delay"
SATELLITES = {  # room: its entities, as MQTT discovery names them
    "Kitchen": ("binary_sensor.kitchen_occupancy", "binary_sensor.kitchen_motion", "sensor.kitchen_motion_type"),
    "Bedroom": ("binary_sensor.bedroom_occupancy", "binary_sensor.bedroom_motion", "sensor.bedroom_motion_type"),
    "Hallway": ("binary_sensor.hallway_occupancy", "binary_sensor.hallway_motion", "sensor.hallway_motion_type"),
}
LIVING_ROOM = "binary_sensor.living_room_occupancy"
STOP_MARGIN_S = 5.0  # the satellites go first when --for elapses: polls this close to it may see them leaving
STOP_LIMIT_S = 40.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("", 0))
        return int(probe.getsockname()[1])


async def _dashboard(base: str, token: str) -> dict[str, Any]:
    """The default dashboard's config, as the frontend asks Home Assistant for it (over its websocket)."""
    async with aiohttp.ClientSession() as session, session.ws_connect(f"{base}/api/websocket") as ws:
        assert (await ws.receive_json())["type"] == "auth_required"
        await ws.send_json({"type": "auth", "access_token": token})
        assert (await ws.receive_json())["type"] == "auth_ok"
        await ws.send_json({"id": 1, "type": "lovelace/config"})
        answer = await ws.receive_json()
        assert answer["success"], answer
        return dict(answer["result"])


def test_three_satellites_through_the_broker_on_one_dashboard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    enable_socket()
    socket_allow_hosts(["127.0.0.1", "localhost", "::1", "0.0.0.0"])
    port = _free_port()
    base = f"http://localhost:{port}"
    monkeypatch.setattr(test_demo, "BASE", base)  # test_demo's API helpers, on this demo's port
    config = tmp_path / "uspd-demo"  # every process the demo starts names it: _demo_processes finds them
    out = tmp_path / "demo.out"
    with out.open("w") as sink:
        proc = subprocess.Popen(
            [
                "scripts/demo",
                "--satellites",
                "3",
                "--for",
                f"{RUN_S:.0f}",
                "--port",
                str(port),
                "--config-dir",
                str(config),
            ],
            cwd=REPO,
            # On the newest Home Assistant too when CI's second e2e run asks for it.
            env={**os.environ, "USPD_HA": "latest"} if test_demo.LATEST else None,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 600
        while "DEMO_READY" not in (text := out.read_text(errors="replace")):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the demo did not start:\n" + "\n".join(text.splitlines()[-40:]))
            time.sleep(0.5)
        ready = float(text.split("DEMO_READY")[1].split()[0])
        running = _demo_processes()
        assert sum("/mosquitto " in c for c in running) == 1, running
        assert sum("custom_components.uspd.satellite" in c for c in running) == 3, running

        code = _auth_code(_printed(text, "user"), _printed(text, "password"))
        tokens = _call(
            "/auth/token", {"grant_type": "authorization_code", "code": code, "client_id": f"{base}/"}, form=True
        )
        token = tokens["access_token"]
        # A control through Home Assistant, the broker and the satellite: the Hallway (the demo's loop: in at
        # ~5 s, out at ~45 s) clears 5 s after leaving, well within the run.
        _call("/api/services/number/set_value", {"entity_id": HALLWAY_CLEAR_DELAY, "value": 5}, token=token)

        # One dashboard: each satellite's occupancy, motion and motion type beside the Living room.
        shown = repr(asyncio.run(_dashboard(base, token)))
        for entity in (LIVING_ROOM, *(e for entities in SATELLITES.values() for e in entities)):
            assert f"'{entity}'" in shown, (entity, shown)

        timeline: list[tuple[float, dict[str, str]]] = []  # (s since ready, entity: state)
        while proc.poll() is None and time.time() - ready < RUN_S - STOP_MARGIN_S:
            try:
                states = {s["entity_id"]: s["state"] for s in _call("/api/states", token=token)}
            except (urllib.error.URLError, ConnectionError):
                break  # stopping
            timeline.append((time.time() - ready, states))
            time.sleep(1.0)
        proc.wait(timeout=RUN_S + STOP_LIMIT_S - (time.time() - ready))
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    text = out.read_text(errors="replace")
    assert proc.returncode == 0, text[-4000:]
    assert "Home Assistant stopped." in text.splitlines()[-1], text[-4000:]
    assert "Traceback" not in text, text[-4000:]
    # Nothing left: not Home Assistant, not the broker, not one satellite.
    assert _demo_processes() == []

    followed = [states for _, states in timeline]
    assert len(followed) > RUN_S / 3, timeline
    for room, (occupancy, motion, motion_type) in SATELLITES.items():
        for states in followed:
            for entity in (occupancy, motion, motion_type):
                assert entity in states, (room, entity, sorted(states))
            assert states[occupancy] != "unavailable", (room, [(t, s.get(occupancy)) for t, s in timeline])
    hallway = [s[SATELLITES["Hallway"][0]] for s in followed]
    assert "on" in hallway, hallway  # the walk-in opened it
    assert "off" in hallway[hallway.index("on") :], hallway  # and it cleared after leaving
    assert followed[-1].get(HALLWAY_CLEAR_DELAY) == "5.0", followed[-1].get(HALLWAY_CLEAR_DELAY)
    kitchen = SATELLITES["Kitchen"][0]
    assert any(states[kitchen] == "on" for states in followed), [(t, s[kitchen]) for t, s in timeline]
    assert all(LIVING_ROOM in states for states in followed)
