"""Small scenes, recordings and WAV files for tests (scenes rendered by the real simulator)."""

from __future__ import annotations

import struct
import threading
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.engine.worker import EngineWorker
from custom_components.uspd.sim.recording import write_labelled_recording
from custom_components.uspd.sim.render import Renderer
from custom_components.uspd.sim.scene import Scene


def render_audio(scene: Scene, emission: Emission | None = None) -> NDArray[np.float64]:
    """The scene's microphone audio, the whole of it at once."""
    renderer = Renderer(scene)
    count = int(scene.duration_s * scene.device.audio_rate_hz)
    return renderer.render_passband(0, count, emission or Emission())


def write_scene_wav(path: Path, scene: Scene, emission: Emission | None = None) -> Path:
    """The scene as a labelled recording (its labels JSON lands beside the WAV)."""
    return write_labelled_recording(scene, path, emission)


def wav_bytes(
    *, rate: int = 48000, channels: int = 1, bits: int = 16, tag: int = 1, frames: int = 4, before_data: bytes = b""
) -> bytes:
    """A PCM WAV file's bytes with whatever header fields a test asks for, absurd ones included."""
    fmt = struct.pack("<HHIIHH", tag, channels, rate, 0, 0, bits)
    data = bytes(frames * channels * max(bits, 8) // 8)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + before_data + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def peak_bytes(fn: Callable[[], object]) -> tuple[int, Exception | None]:
    """The most memory `fn` held at once (numpy's buffers included), and what it raised."""
    tracemalloc.start()
    error = None
    try:
        fn()
    except Exception as err:  # noqa: BLE001 - the caller judges it
        error = err
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak, error


def run_to_end(worker: EngineWorker, timeout_s: float = 20.0) -> None:
    """Start the worker and wait for its thread (named uspd-engine) to end by itself (a source that ends)."""
    before = set(threading.enumerate())
    worker.start()
    for thread in [t for t in threading.enumerate() if t not in before and t.name == "uspd-engine"]:
        thread.join(timeout_s)
        assert not thread.is_alive(), "the worker thread did not end"
