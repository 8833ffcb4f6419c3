"""`uspd satellite` as a user runs it: a separate process, talking to the test's broker."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from lab.mqtt_broker import MosquittoBroker

ROOT = Path(__file__).resolve().parents[2]


class SatelliteProcess:
    """One satellite process on the simulated room; its stderr is kept in a file to read after."""

    def __init__(self, broker: MosquittoBroker, folder: Path, *extra: str, name: str = "Test room") -> None:
        self.folder = folder
        self.log_path = folder / "satellite.log"
        folder.mkdir(parents=True, exist_ok=True)
        password_file = folder / "password"
        password_file.write_text(broker.password)
        self.args = [
            sys.executable,
            "-m",
            "custom_components.uspd.satellite",
            "satellite",
            "--name",
            name,
            "--broker",
            broker.url(tls=True),
            "--ca-file",
            str(broker.ca_path),
            "--username",
            broker.username,
            "--password-file",
            str(password_file),
            "--backend",
            "simulated",
            "--state-dir",
            str(folder / "state"),
            "--keepalive",
            "5",
            *extra,
        ]
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it (its log appends to the same file across restarts)."""
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(self.args, cwd=ROOT, stdout=log, stderr=log, env={**os.environ})

    def signal(self, signum: int) -> None:
        """Send a signal, as systemd or a crash would."""
        assert self.proc is not None
        self.proc.send_signal(signum)

    def wait(self, timeout_s: float = 20.0) -> int:
        """Its exit status (TimeoutExpired if it does not end)."""
        assert self.proc is not None
        return self.proc.wait(timeout=timeout_s)

    def log(self) -> str:
        """Everything it logged."""
        return self.log_path.read_text(errors="replace")

    def close_gently(self) -> None:
        """Stop it as systemd does (SIGTERM), and wait for it."""
        self.signal(signal.SIGTERM)
        self.wait()

    def close(self) -> None:
        """Never leave it running."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()


class Heard:
    """Every message a probe receives, kept in order, so a test can wait for one whatever came before it."""

    def __init__(self, messages: queue.Queue[Any]) -> None:
        self._messages = messages
        self.seen: list[tuple[str, str]] = []

    def mark(self) -> int:
        """A point in what was heard: wait_for(..., after=mark) looks only at what comes later."""
        self._drain(0)
        return len(self.seen)

    def wait_for(self, topic: str, test: Any = None, *, after: int = 0, timeout_s: float = 30.0) -> str:
        """The first payload on `topic` after `after` for which `test(payload)` holds (queue.Empty on timeout)."""
        deadline = time.monotonic() + timeout_s
        checked = after
        while True:
            for t, payload in self.seen[checked:]:
                if t == topic and (test is None or test(payload)):
                    return payload
            checked = len(self.seen)
            left = deadline - time.monotonic()
            if left <= 0:
                raise queue.Empty(f"nothing on {topic} within {timeout_s} s; heard {self.seen[after:][-8:]}")
            self._drain(min(left, 0.2))

    def _drain(self, wait_s: float) -> None:
        try:
            message = self._messages.get(timeout=wait_s) if wait_s > 0 else self._messages.get_nowait()
            while True:
                self.seen.append((message.topic, message.payload.decode(errors="replace")))
                message = self._messages.get_nowait()
        except queue.Empty:
            return


def state_where(key: str, value: object) -> Any:
    """A test for wait_for: the state JSON holds `value` at `key`."""
    return lambda payload: json.loads(payload).get(key) == value
