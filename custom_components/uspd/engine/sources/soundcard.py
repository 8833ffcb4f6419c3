"""A real sound card through PortAudio (sounddevice): full duplex, tone out, mics in.

The output callback writes a phase-continuous tone, so emission and capture
share the codec's clock (the simulator's phase-noise model assumes so too).
Over- and underruns are counted, not fatal; a device that stops delivering
is a ``SourceError("device_lost")`` the worker retries from.
"""

from __future__ import annotations

import queue
from typing import Any

import numpy as np

from ..emission import Emission
from ..rates import RateError, plan_baseband
from . import Block, SourceConfig, SourceError

CALLBACK_S = 0.01
BLOCK_S = 0.05
READ_TIMEOUT_S = 2.0


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
    return [str(d["name"]) for d in sd.query_devices() if d["max_input_channels"] > 0 and d["max_output_channels"] > 0]


class SoundCard:
    hardware_paced = True
    block_seconds = BLOCK_S

    def __init__(self, config: SourceConfig) -> None:
        sd = _sounddevice()
        matches = [i for i, d in enumerate(sd.query_devices()) if d["name"] == config.device]
        if not matches:
            raise SourceError("device_not_found", f"no sound card named {config.device!r}")
        index = matches[0]
        info = sd.query_devices(index)
        self.channels = int(min(8, info["max_input_channels"]))
        self.audio_rate_hz = int(config.audio_rate_hz)
        self.carrier_hz = config.carrier_hz
        try:
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
            self._stream = sd.Stream(
                device=(index, index),
                samplerate=self.audio_rate_hz,
                channels=(self.channels, 1),
                dtype="float32",
                blocksize=int(CALLBACK_S * self.audio_rate_hz),
                callback=self._callback,
            )
            self._stream.start()
        except sd.PortAudioError as err:
            raise SourceError("device_busy", f"{config.device} cannot be opened: {err}") from err

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
        self.emission = emission

    def read(self) -> Block | None:
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
        self._stream.abort()
        self._stream.close()
