"""A real sound card through PortAudio (sounddevice): full duplex, tone out, mics in.

The output callback writes a phase-continuous tone, so emission and capture
share the codec's clock (the simulator's phase-noise model assumes so too).
Over- and underruns are counted, not fatal; a device that stops delivering
is a ``SourceError("device_lost")`` the worker retries from.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..audibility import only_audible_carriers
from ..emission import Emission
from ..rates import RateError, check_emission, plan_baseband
from . import CLOSED_LOOP, Block, SourceConfig, SourceError

_LOGGER = logging.getLogger(__name__)

CALLBACK_S = 0.01
BLOCK_S = 0.05
READ_TIMEOUT_S = 2.0

# PortAudio is not thread-safe and a rescan re-initialises it under everyone:
# every call into it, from any entry's worker or the config flow, holds this.
_PORTAUDIO = threading.RLock()


def _sounddevice() -> Any:
    try:
        import sounddevice
    except (ImportError, OSError) as err:
        raise SourceError(
            "portaudio_missing",
            "PortAudio is not installed (Debian/Ubuntu: apt install libportaudio2; Alpine: apk add portaudio)",
        ) from err
    return sounddevice


def list_devices() -> list[str]:
    """Names of devices that can both capture and play (full duplex)."""
    sd = _sounddevice()
    with _PORTAUDIO:
        devices = sd.query_devices()
    return [str(d["name"]) for d in devices if d["max_input_channels"] > 0 and d["max_output_channels"] > 0]


NEAR_ULTRASONIC_CARRIER_HZ = 20000
ULTRASONIC_CARRIER_HZ = 40000
RATES_HZ = (192000, 96000, 48000, 44100)


# Capture processing that treats the tone as noise shows in the device's name
# when a sound server inserts it (PulseAudio's module-echo-cancel, PipeWire's
# echo-cancel and noise-suppression filters, WebRTC audio processing).
_EFFECTS = re.compile(r"echo[ _-]?cancel|noise[ _-]?(suppress|cancel|reduc)|webrtc|\baec\b|\bagc\b", re.IGNORECASE)


def audio_effects(device_name: str) -> str | None:
    """The processing a device's name reveals on its capture path, if any."""
    match = _EFFECTS.search(device_name)
    return match.group(0) if match else None


def default_mics(max_input_channels: int) -> int:
    """Mic channels to capture by default: all of a real array, one from a virtual device.

    Virtual devices (PulseAudio's "pulse"/"default" advertise 32) upmix one
    stream into copies; more than 8 channels means such a device.
    """
    return max_input_channels if 1 <= max_input_channels <= 8 else 1


@dataclass(frozen=True)
class DeviceInfo:
    """What a device offers for full duplex, as the config flow presents it."""

    name: str
    rates_hz: tuple[int, ...]  # full-duplex rates the device accepts, highest first
    mics: int  # default capture channels

    @property
    def best_rate_hz(self) -> int:
        """The highest rate it takes: the widest choice of carriers."""
        return self.rates_hz[0]

    @property
    def carrier_hz(self) -> int:
        """Above human hearing where the rate allows; near-ultrasound otherwise."""
        return NEAR_ULTRASONIC_CARRIER_HZ if only_audible_carriers(self.best_rate_hz) else ULTRASONIC_CARRIER_HZ


def probe_device(name: str) -> DeviceInfo:
    """Which rates a device takes for full duplex, and how many mics to capture."""
    sd = _sounddevice()
    with _PORTAUDIO:
        index = _find(sd, name)
        info = sd.query_devices(index)
        mics = default_mics(int(info["max_input_channels"]))
        rates = []
        for rate in RATES_HZ:
            try:
                sd.check_input_settings(index, channels=mics, samplerate=rate)
                sd.check_output_settings(index, channels=1, samplerate=rate)
            except sd.PortAudioError:
                continue
            rates.append(rate)
    if not rates:
        raise SourceError("unsupported_rate", f"{name} takes none of {', '.join(map(str, RATES_HZ))} Hz")
    return DeviceInfo(name, tuple(rates), mics)


class _PortAudioDevices:
    """PortAudio lists devices once, at initialisation, for the whole process.

    A card plugged in later (or a sound server that came back) is only seen
    after re-initialising, which would also close every open stream: so it
    is done only while this process has none open.
    """

    def __init__(self) -> None:
        self.open_streams = 0

    def find(self, sd: Any, name: str) -> int:
        with _PORTAUDIO:
            for attempt in range(2):
                matches = [i for i, d in enumerate(sd.query_devices()) if d["name"] == name]
                if matches:
                    return matches[0]
                if attempt == 0 and self.open_streams == 0:
                    # How sounddevice's query_devices documentation says to rescan.
                    sd._terminate()  # noqa: SLF001 - sounddevice has no public rescan
                    sd._initialize()  # noqa: SLF001 - sounddevice has no public rescan
                else:
                    break
        raise SourceError("device_not_found", f"no sound card named {name!r}")

    def opened(self) -> None:
        with _PORTAUDIO:
            self.open_streams += 1

    def closed(self) -> None:
        with _PORTAUDIO:
            self.open_streams -= 1


_DEVICES = _PortAudioDevices()


def _find(sd: Any, name: str) -> int:
    return _DEVICES.find(sd, name)


class SoundCard:
    """A full-duplex sound card: it plays the tone and captures its echoes on one clock."""

    hardware_paced = True
    block_seconds = BLOCK_S
    closed_loop = CLOSED_LOOP["soundcard"]
    xruns: int

    def __init__(self, config: SourceConfig) -> None:
        sd = _sounddevice()
        with _PORTAUDIO:
            index = _find(sd, config.device)
            info = sd.query_devices(index)
            available = int(info["max_input_channels"])
            self.channels = config.mics or default_mics(available)
            if not 1 <= self.channels <= min(8, available):
                raise SourceError("unsupported_channels", f"{config.device} cannot capture {self.channels} channels")
            self.audio_rate_hz = int(config.audio_rate_hz)
            self.carrier_hz = config.carrier_hz
            try:
                # What our hardware may emit is stricter than what a recording may hold.
                check_emission(self.audio_rate_hz, self.carrier_hz)
                plan_baseband(self.audio_rate_hz, self.carrier_hz)
                sd.check_input_settings(index, channels=self.channels, samplerate=self.audio_rate_hz)
                sd.check_output_settings(index, channels=1, samplerate=self.audio_rate_hz)
            except RateError as err:
                raise SourceError("unsupported_rate", str(err)) from err
            except sd.PortAudioError as err:
                raise SourceError("unsupported_rate", f"{config.device}: {err}") from err
            self.emission = Emission(carrier_hz=self.carrier_hz)
            self.xruns = 0
            self._phase = 0
            self._queue: queue.Queue[np.ndarray] = queue.Queue(maxsize=200)
            self._block = int(BLOCK_S * self.audio_rate_hz)
            try:
                stream = sd.Stream(
                    device=(index, index),
                    samplerate=self.audio_rate_hz,
                    channels=(self.channels, 1),
                    dtype="float32",
                    blocksize=int(CALLBACK_S * self.audio_rate_hz),
                    callback=self._callback,
                )
                try:
                    stream.start()
                except BaseException:
                    # An opened stream holds the device until it is closed, started or not.
                    _close(stream)
                    raise
            except sd.PortAudioError as err:
                raise SourceError("device_busy", f"{config.device} cannot be opened: {err}") from err
            self._stream = stream
            _DEVICES.opened()

    def _callback(self, indata: np.ndarray, outdata: np.ndarray, frames: int, _time: Any, status: Any) -> None:
        if status:
            self.xruns += 1
        em = self.emission
        n = self._phase + np.arange(frames)
        fs = self.audio_rate_hz
        self._phase = (self._phase + frames) % fs
        level = em.level if em.on else 0.0
        outdata[:, 0] = level * np.sin(2 * np.pi * ((n * int(em.carrier_hz)) % fs) / fs)
        try:
            self._queue.put_nowait(indata.copy())
        except queue.Full:
            self.xruns += 1

    def set_emission(self, emission: Emission) -> None:
        """The output callback plays it from its next buffer, phase continuous."""
        self.emission = emission

    def ground_truth(self) -> str | None:
        """Nobody scripted this room."""
        return None

    def calibration_twin(self) -> SoundCard:
        """Itself: the room goes on while the sweep plays, as it would for any listener."""
        return self

    def read(self) -> Block | None:
        """The next block of captured audio; device_lost when the card stops delivering."""
        parts, have = [], 0
        while have < self._block:
            try:
                part = self._queue.get(timeout=READ_TIMEOUT_S)
            except queue.Empty as err:
                raise SourceError("device_lost", "the sound card stopped delivering audio") from err
            parts.append(part)
            have += len(part)
        return Block(audio=np.concatenate(parts).astype(np.float64))

    def close(self) -> None:
        """Stop the stream and give the device back."""
        # Unlocked: an abort can hang for ever once the sound server dies; still counted open, no rescan runs under it.
        try:
            self._stream.abort()
        except Exception:  # noqa: BLE001 - a vanished device fails as it likes; closing still frees it
            _LOGGER.debug("aborting the sound card's stream failed", exc_info=True)
        with _PORTAUDIO:
            _close(self._stream)
            _DEVICES.closed()


def _close(stream: Any) -> None:
    """Close a stream, logging rather than raising: the caller's own error, if any, is the one that matters."""
    try:
        with _PORTAUDIO:
            stream.close()
    except Exception:  # noqa: BLE001 - never raised over the error that made the caller close it
        _LOGGER.warning("closing the sound card's stream failed", exc_info=True)
