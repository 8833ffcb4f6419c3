"""A real PulseAudio server for the sound-card tests (null sink at 96 kHz; its monitor is the mic)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

SCRIPT = """\
load-module module-native-protocol-unix socket={socket} auth-anonymous=1
load-module module-null-sink sink_name=uspd rate=96000 channels=2
set-default-sink uspd
set-default-source uspd.monitor
"""


def available() -> bool:
    """Whether PulseAudio is installed."""
    return shutil.which("pulseaudio") is not None


class PulseServer:
    """A private PulseAudio server in `runtime`, its socket there, started and stopped by the test."""

    def __init__(self, runtime: Path) -> None:
        self.runtime = runtime
        self.socket = runtime / "native"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server and wait until its socket is there."""
        self.runtime.mkdir(parents=True, exist_ok=True)
        home = self.runtime / "home"
        home.mkdir(exist_ok=True)
        self._proc = subprocess.Popen(
            [
                "pulseaudio",
                "-n",
                "--daemonize=no",
                "--exit-idle-time=-1",
                "--disable-shm=yes",
                "--log-target=stderr",
                "--log-level=error",
                "-F",
                "/dev/stdin",
            ],
            stdin=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "HOME": str(home), "XDG_RUNTIME_DIR": str(self.runtime)},
        )
        assert self._proc.stdin is not None
        self._proc.stdin.write(SCRIPT.format(socket=self.socket).encode())
        self._proc.stdin.close()
        for _ in range(100):
            if self.socket.exists():
                time.sleep(0.2)
                return
            time.sleep(0.05)
        raise RuntimeError("PulseAudio did not start")

    def stop(self) -> None:
        """Stop the server, as a sound server that goes away does."""
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=10)
            self._proc = None
        self.socket.unlink(missing_ok=True)
