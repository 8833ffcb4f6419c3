"""The sound-card backend's use of PortAudio, on a stand-in for sounddevice: one call at a time, every stream closed."""

from __future__ import annotations

import functools
import sys
import threading
import types
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from custom_components.uspd.engine.sources import SourceConfig, SourceError
from custom_components.uspd.engine.sources.soundcard import DeviceInfo, SoundCard, list_devices, probe_device

CARD = SourceConfig(backend="soundcard", device="card", audio_rate_hz=96000, carrier_hz=40000.0, mics=1)
WAIT_S = 5.0  # a bound on waits that succeed at once: a broken lock fails the test, not the run
OVERLAP_S = 0.5  # how long another thread gets to reach PortAudio while a call is held in flight


class FakeSoundDevice(types.ModuleType):
    """The parts of sounddevice the backend calls; it records each call and any two that overlap."""

    class PortAudioError(Exception):
        """What sounddevice raises when PortAudio fails."""

    def __init__(self, devices: list[str]) -> None:
        super().__init__("sounddevice")
        self.plugged = list(devices)  # what the next initialisation will list
        self.listed = list(devices)
        self.calls: list[str] = []
        self.called = threading.Event()  # set by every call
        self.overlaps: list[str] = []
        self.fail: dict[str, BaseException] = {}  # call → what it raises
        self.held: dict[str, tuple[threading.Event, threading.Event]] = {}  # call → (entered, release), once
        self._in_flight = 0
        self._guard = threading.Lock()
        self.Stream = functools.partial(FakeStream, self)

    @contextmanager
    def call(self, name: str) -> Iterator[None]:
        """One call into PortAudio: noted, held if asked, failed if asked."""
        with self._guard:
            if self._in_flight:
                self.overlaps.append(name)
            self._in_flight += 1
            self.calls.append(name)
            self.called.set()
            held = self.held.pop(name, None)
        try:
            if held is not None:
                entered, release = held
                entered.set()
                release.wait(WAIT_S)
            if name in self.fail:
                raise self.fail[name]
            yield
        finally:
            with self._guard:
                self._in_flight -= 1

    def hold(self, name: str) -> tuple[threading.Event, threading.Event]:
        """Hold the next call of this name in flight until released: (entered, release)."""
        events = (threading.Event(), threading.Event())
        self.held[name] = events
        return events

    def query_devices(self, index: int | None = None) -> Any:
        """Every device, or one."""
        with self.call("query_devices"):
            devices = [{"name": n, "max_input_channels": 2, "max_output_channels": 2} for n in self.listed]
            return devices if index is None else devices[index]

    def check_input_settings(self, index: int, channels: int, samplerate: int) -> None:
        """Every rate is taken."""
        with self.call("check_input_settings"):
            pass

    def check_output_settings(self, index: int, channels: int, samplerate: int) -> None:
        """Every rate is taken."""
        with self.call("check_output_settings"):
            pass

    def _terminate(self) -> None:
        with self.call("_terminate"):
            self.listed = []

    def _initialize(self) -> None:
        with self.call("_initialize"):
            self.listed = list(self.plugged)


class FakeStream:
    """A full-duplex stream that only records what is done to it."""

    def __init__(self, sd: FakeSoundDevice, **_settings: Any) -> None:
        self._sd = sd
        with sd.call("Stream"):
            pass

    def start(self) -> None:
        """Start it (or fail, as asked)."""
        with self._sd.call("start"):
            pass

    def abort(self) -> None:
        """Stop it at once."""
        with self._sd.call("abort"):
            pass

    def close(self) -> None:
        """Give the device back."""
        with self._sd.call("close"):
            pass


@pytest.fixture
def sd(monkeypatch: pytest.MonkeyPatch) -> FakeSoundDevice:
    """The stand-in, where the backend imports sounddevice from."""
    fake = FakeSoundDevice(["card"])
    monkeypatch.setitem(sys.modules, "sounddevice", fake)
    # A real stream another test left stuck in PortAudio (tests/conftest.py) still counts as open and rules out rescans.
    with pytest.raises(SourceError):
        probe_device("no such card")
    if "_terminate" not in fake.calls:
        pytest.skip("a sound-card stream from another test is still open in this process")
    fake.calls.clear()
    return fake


@contextmanager
def thread(target: Callable[[], object]) -> Generator[list[object]]:
    """Run `target` on another thread; what it returned or raised, once the block ends."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(target())
        except Exception as err:  # noqa: BLE001 - handed to the test, which asserts on it
            outcome.append(err)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    try:
        yield outcome
    finally:
        worker.join(WAIT_S)
        assert not worker.is_alive()


@contextmanager
def released(release: threading.Event) -> Iterator[None]:
    """Release a held call however the block ends, so a failed test leaves no thread waiting."""
    try:
        yield
    finally:
        release.set()


def rescans(sd: FakeSoundDevice) -> int:
    return sd.calls.count("_terminate")


@pytest.mark.parametrize("close_fails", [False, True])
def test_a_stream_that_fails_to_start_is_closed_and_reported_busy(
    sd: FakeSoundDevice, close_fails: bool, caplog: pytest.LogCaptureFixture
) -> None:
    sd.fail["start"] = sd.PortAudioError("Device unavailable")
    if close_fails:
        sd.fail["close"] = sd.PortAudioError("cannot close")
    with pytest.raises(SourceError) as err:
        SoundCard(CARD)
    assert err.value.reason == "device_busy"
    assert str(err.value) == "card cannot be opened: Device unavailable"
    assert sd.calls[-3:] == ["Stream", "start", "close"]
    assert ("closing the sound card's stream failed" in caplog.text) == close_fails
    # Nothing counts as open: a card plugged in later is still found by a rescan.
    sd.plugged.append("usb")
    assert probe_device("usb").name == "usb"
    assert rescans(sd) == 1


def test_a_stream_whose_abort_fails_is_still_closed(sd: FakeSoundDevice) -> None:
    card = SoundCard(CARD)
    sd.fail["abort"] = sd.PortAudioError("Host error")
    card.close()
    assert sd.calls[-2:] == ["abort", "close"]
    sd.plugged.append("usb")
    assert probe_device("usb").name == "usb"
    assert rescans(sd) == 1


def test_no_rescan_while_a_stream_is_open(sd: FakeSoundDevice) -> None:
    card = SoundCard(CARD)
    sd.plugged.append("usb")
    with pytest.raises(SourceError) as err:
        probe_device("usb")
    assert err.value.reason == "device_not_found"
    assert rescans(sd) == 0
    card.close()


@pytest.mark.parametrize(("in_flight", "call"), [("listing", "query_devices"), ("opening", "Stream")])
def test_a_rescan_waits_for_a_call_in_flight_on_another_thread(sd: FakeSoundDevice, in_flight: str, call: str) -> None:
    entered, release = sd.hold(call)
    first = list_devices if in_flight == "listing" else functools.partial(SoundCard, CARD)
    sd.plugged.append("usb")
    with thread(first) as first_outcome:
        assert entered.wait(WAIT_S)
        sd.called.clear()
        with thread(lambda: probe_device("usb")) as probe_outcome, released(release):
            # Unless kept out, the probe reaches PortAudio at once, and rescans under the call in flight.
            assert not sd.called.wait(OVERLAP_S), f"the probe reached PortAudio while {call} was in flight"
    assert sd.overlaps == []
    [opened] = first_outcome
    [probed] = probe_outcome
    if in_flight == "listing":
        assert opened == ["card"]
        assert isinstance(probed, DeviceInfo)
        assert probed.name == "usb"
        assert sd.calls.index("_terminate") > sd.calls.index("query_devices")
    else:
        # The stream opened first, so the rescan, which would have closed it, never ran.
        assert isinstance(opened, SoundCard)
        assert isinstance(probed, SourceError)
        assert probed.reason == "device_not_found"
        assert rescans(sd) == 0
        opened.close()


def test_a_hung_abort_does_not_keep_others_out_of_portaudio(sd: FakeSoundDevice) -> None:
    card = SoundCard(CARD)
    entered, release = sd.hold("abort")
    with thread(card.close), released(release):
        assert entered.wait(WAIT_S)
        # Another entry lists and probes while the abort hangs; only a rescan, which would pull
        # PortAudio from under the stream being aborted, is left out.
        assert list_devices() == ["card"]
        assert probe_device("card").name == "card"
        sd.plugged.append("usb")
        with pytest.raises(SourceError, match="no sound card named 'usb'"):
            probe_device("usb")
        assert rescans(sd) == 0
    assert sd.calls[-1] == "close"
