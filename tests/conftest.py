"""Set-up every test shares: the test PulseAudio server and a run that can always end."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Generator
from pathlib import Path

import pytest

from . import pulse

# PortAudio reads ALSA's configuration when it initialises, once per process:
# point it at the test PulseAudio server before anything can import it.
PULSE_RUNTIME = Path(tempfile.gettempdir()) / f"uspd-pulse-{os.getpid()}"
os.environ["PULSE_SERVER"] = f"unix:{PULSE_RUNTIME / 'native'}"
os.environ["ALSA_CONFIG_PATH"] = str(Path(__file__).parent / "audio" / "asound.conf")


@pytest.fixture
def pulse_server() -> Generator[pulse.PulseServer]:
    """A running PulseAudio server: play into it and the same audio comes back as capture."""
    if not pulse.available():
        pytest.skip("PulseAudio is not installed (scripts/env installs it)")
    server = pulse.PulseServer(PULSE_RUNTIME)
    server.start()
    yield server
    server.stop()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Let the run end even if a sound-card worker is stuck inside PortAudio (issue #25, item 10).

    PortAudio's ALSA backend can block in a stream's abort once the sound server it
    talks to was killed (tests/engine/test_soundcard.py kills it on purpose); sounddevice's
    exit handler then waits on it in Pa_Terminate for ever, after every test passed.
    Skipping that handler only skips freeing PortAudio at exit; the thread is named.
    """
    import atexit
    import sys
    import threading

    stuck = [t.name for t in threading.enumerate() if t.name == "uspd-engine" and t.is_alive()]
    sounddevice = sys.modules.get("sounddevice")
    if stuck and sounddevice is not None:
        atexit.unregister(sounddevice._exit_handler)  # noqa: SLF001 - sounddevice offers no public way to skip it
        print(f"\nwarning: {len(stuck)} engine thread(s) still inside PortAudio at exit; not terminating it")
