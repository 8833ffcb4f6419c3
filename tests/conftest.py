"""Fixtures shared by the integration tests."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Generator
from pathlib import Path
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from . import pulse

# PortAudio reads ALSA's configuration when it initialises, once per process:
# point it at the test PulseAudio server before anything can import it.
PULSE_RUNTIME = Path(tempfile.gettempdir()) / f"uspd-pulse-{os.getpid()}"
os.environ["PULSE_SERVER"] = f"unix:{PULSE_RUNTIME / 'native'}"
os.environ["ALSA_CONFIG_PATH"] = str(Path(__file__).parent / "audio" / "asound.conf")


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/uspd in every test."""


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Enable entities that are disabled by default (diagnostics)."""
    with patch("homeassistant.helpers.entity.Entity.entity_registry_enabled_default", return_value=True):
        yield


@pytest.fixture
def fast_playback() -> Generator[None]:
    """Play simulated rooms ~50× faster than the clock and publish every frame change promptly."""
    with (
        patch("custom_components.uspd.coordinator.PLAYBACK_SPEED", 50.0),
        patch("custom_components.uspd.coordinator.PUBLISH_INTERVAL_S", 0.5),
    ):
        yield


@pytest.fixture
def pulse_server() -> Generator[pulse.PulseServer]:
    """A running PulseAudio server: play into it and the same audio comes back as capture."""
    if not pulse.available():
        pytest.skip("PulseAudio is not installed (scripts/env installs it)")
    server = pulse.PulseServer(PULSE_RUNTIME)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Home Assistant's snapshot format: registry ids and timestamps scrubbed."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Let the run end even if a sound-card worker is stuck inside PortAudio (issue #25, item 10).

    PortAudio's ALSA backend can block in a stream's abort once the sound server it
    talks to was killed (tests/test_soundcard.py kills it on purpose); sounddevice's
    exit handler then waits on it in Pa_Terminate for ever, after every test passed.
    Skipping that handler only skips freeing PortAudio at exit; the thread is named.
    """
    import atexit
    import sys
    import threading

    stuck = [t.name for t in threading.enumerate() if t.name == "uspd-engine" and t.is_alive()]
    sounddevice = sys.modules.get("sounddevice")
    if stuck and sounddevice is not None:
        atexit.unregister(sounddevice._exit_handler)
        print(f"\nwarning: {len(stuck)} engine thread(s) still inside PortAudio at exit; not terminating it")
