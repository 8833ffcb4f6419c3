"""A real Home Assistant process for the lab's load benchmark: its own config folder, onboarded, MQTT through its flow.

    with HomeAssistantProcess(folder) as ha:
        ha.add_mqtt(broker)
        EntityWatcher(ha, ["binary_sensor.living_room_occupancy"], observe).start()

Everything goes through Home Assistant's own HTTP API (onboarding, auth, the
MQTT config flow), as a person clicking through the UI would; MQTT has no
YAML set-up in Home Assistant 2026. The configuration is the demo's
(scripts/demo.py): the frontend, the API, history and logbook, so the
recorder runs and its cost is counted. The onboarding steps after "user"
are marked done in storage, as the demo does: location and units come from
the YAML.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiohttp

from lab.ha_http import ProcessExited, onboard_user, request, wait_until_answers
from lab.mqtt_broker import MosquittoBroker, free_ports

_LOGGER = logging.getLogger(__name__)
USER, PASSWORD = "bench", "uspd-bench"
START_TIMEOUT_S = 300.0
STOP_TIMEOUT_S = 30.0
CONFIG = """\
homeassistant:
  name: uspd load benchmark
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
http:
  server_host: 127.0.0.1
  server_port: {port}
logger:
  default: warning
"""


# Called with (entity_id, state, arrived monotonic s, Home Assistant's last_changed in epoch s or None).
type Observer = Callable[[str, str, float, float | None], None]


class HomeAssistantError(RuntimeError):
    """Home Assistant did not start, or refused a set-up step; the message says which and where its log is."""


class HomeAssistantProcess:
    """Home Assistant in a subprocess (its own session), on 127.0.0.1 at a free port, onboarded with one user."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.config = folder / "config"
        (self.port,) = free_ports(1)
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.config / "home-assistant.log"
        self.output_path = folder / "home-assistant.out"
        self.token = ""
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The process id while it runs."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    @property
    def websocket_url(self) -> str:
        """Where the websocket API listens."""
        return f"ws://127.0.0.1:{self.port}/api/websocket"

    def _prepare(self) -> None:
        storage = self.config / ".storage"
        storage.mkdir(parents=True, exist_ok=True)
        (self.config / "configuration.yaml").write_text(CONFIG.format(port=self.port))
        onboarding = {"done": ["core_config", "analytics", "integration"]}
        (storage / "onboarding").write_text(
            json.dumps({"version": 4, "minor_version": 1, "key": "onboarding", "data": onboarding})
        )

    def start(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Start it, wait until it answers, and onboard the user (its token in `token`)."""
        self._prepare()
        with self.output_path.open("ab") as out:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "homeassistant", "--config", str(self.config), "--skip-pip"],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        try:
            answered = wait_until_answers(self.base_url, self._proc.poll, timeout_s)
        except ProcessExited as exited:
            message = f"Home Assistant exited at start (code {exited.code}); see {self.log_path}"
            raise HomeAssistantError(message) from None
        if not answered:
            raise HomeAssistantError(f"Home Assistant did not answer within {timeout_s:.0f} s; see {self.log_path}")
        self.token = onboard_user(self.base_url, "Bench", USER, PASSWORD)

    def add_mqtt(self, broker: MosquittoBroker, timeout_s: float = 60.0) -> None:
        """Set up Home Assistant's MQTT integration on the broker's plain listener, through its config flow."""
        flows = f"{self.base_url}/api/config/config_entries/flow"
        flow = request(flows, {"handler": "mqtt"}, self.token)
        answer = {
            "broker": broker.host,
            "port": broker.plain_port,
            "username": broker.username,
            "password": broker.password,
            "other_settings": {"set_client_cert": False, "set_ca_cert": "off"},
        }
        flow = request(f"{flows}/{flow['flow_id']}", answer, self.token)
        if flow.get("type") != "create_entry":
            raise HomeAssistantError(f"the MQTT config flow did not create an entry: {flow.get('errors') or flow}")
        deadline = time.monotonic() + timeout_s
        while True:
            entries = request(f"{self.base_url}/api/config/config_entries/entry?domain=mqtt", token=self.token)
            if any(entry.get("state") == "loaded" for entry in entries):
                return
            if time.monotonic() > deadline:
                raise HomeAssistantError(f"the MQTT entry did not load within {timeout_s:.0f} s: {entries}")
            time.sleep(0.5)

    def version(self) -> str:
        """The running Home Assistant's version."""
        return str(request(f"{self.base_url}/api/config", token=self.token)["version"])

    def stop(self) -> int | None:
        """Stop it as its own stop does (SIGTERM), killing it only if it hangs; its exit code (None if not started)."""
        proc = self._proc
        if proc is None:
            return None
        code = proc.poll()
        if code is None:
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
        # Anything it started and left behind goes with it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        self._proc = None
        return code

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


class EntityWatcher:
    """Home Assistant's websocket API: subscribe_entities for some entities, as the frontend subscribes.

    Each state change is stamped on arrival (time.monotonic) and handed to `observe` from the watcher's own thread.
    """

    def __init__(self, ha: HomeAssistantProcess, entity_ids: Iterable[str], observe: Observer) -> None:
        self.ha = ha
        self.entity_ids = sorted(entity_ids)
        self.observe = observe
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="ha-websocket", daemon=True)

    def start(self, timeout_s: float = 60.0) -> None:
        """Connect, authenticate and subscribe; returns once subscribed."""
        self._thread.start()
        if not self._ready.wait(timeout_s) or self._error is not None:
            raise HomeAssistantError(f"Home Assistant's websocket did not subscribe: {self._error or 'timed out'}")

    def close(self) -> None:
        """Close the websocket and end the thread."""
        if self._loop is not None and self._closing is not None:
            self._loop.call_soon_threadsafe(self._closing.set)
        self._thread.join(timeout=10.0)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except Exception as err:  # noqa: BLE001 - reported to start(), or logged once after it
            self._error = err
            if self._ready.is_set():
                _LOGGER.warning("websocket receiver stopped: %s", err)
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._closing = asyncio.Event()
        async with aiohttp.ClientSession() as session, session.ws_connect(self.ha.websocket_url, max_msg_size=0) as ws:
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": self.ha.token})
            auth = await ws.receive_json()
            if auth.get("type") != "auth_ok":
                raise HomeAssistantError(f"websocket authentication failed: {auth}")
            await ws.send_json({"id": 1, "type": "subscribe_entities", "entity_ids": self.entity_ids})
            closing = asyncio.create_task(self._closing.wait())
            while True:
                receiving = asyncio.create_task(ws.receive())
                done, _ = await asyncio.wait({receiving, closing}, return_when=asyncio.FIRST_COMPLETED)
                if closing in done:
                    receiving.cancel()
                    return
                message = receiving.result()
                arrived_s = time.monotonic()
                if message.type != aiohttp.WSMsgType.TEXT:
                    raise HomeAssistantError(f"the websocket closed ({message.type.name})")
                self._handle(json.loads(message.data), arrived_s)

    def _handle(self, message: dict[str, Any], arrived_s: float) -> None:
        if message.get("type") == "result":
            if not message.get("success"):
                raise HomeAssistantError(f"subscribe_entities failed: {message.get('error')}")
            self._ready.set()
            return
        event = message.get("event") or {}
        for entity_id, compressed in (event.get("a") or {}).items():
            self.observe(entity_id, str(compressed["s"]), arrived_s, compressed.get("lc"))
        for entity_id, diff in (event.get("c") or {}).items():
            added = diff.get("+") or {}
            if "s" in added:
                self.observe(entity_id, str(added["s"]), arrived_s, added.get("lc"))
