"""'See what the sensor sees': recent Doppler frames as a PNG (speed × time), never audio.

The history keeps only the noise-normalised Doppler band people move in
(|v| ≤ SHOWN_SPEED_MPS), one column per frame; rendering happens on request,
so it costs nothing while nobody looks.
"""

from __future__ import annotations

import struct
import threading
import zlib
from collections import deque

import numpy as np
from numpy.typing import NDArray

SHOWN_SPEED_MPS = 4.5
HISTORY_S = 20.0
DB_RANGE = (-3.0, 30.0)
# A perceptually ordered dark-blue → teal → yellow ramp (viridis-like), as (position, r, g, b).
_RAMP = np.array([(0.0, 68, 1, 84), (0.25, 59, 82, 139), (0.5, 33, 145, 140), (0.75, 94, 201, 98), (1.0, 253, 231, 37)])


class DopplerHistory:
    """Thread-safe ring of Doppler columns (the worker appends, the integration renders)."""

    def __init__(self, speeds_mps: NDArray[np.float64], hop_s: float) -> None:
        self._rows = np.flatnonzero(np.abs(speeds_mps) <= SHOWN_SPEED_MPS)
        self._frames: deque[NDArray[np.float32]] = deque(maxlen=max(1, round(HISTORY_S / hop_s)))
        self._lock = threading.Lock()

    def append(self, normalized_db: NDArray[np.float64]) -> None:
        """One Doppler frame (dB over the noise, every bin); only the shown band is kept."""
        column = normalized_db[self._rows].astype(np.float32)
        with self._lock:
            self._frames.append(column)

    def image(self) -> NDArray[np.float32]:
        """(speed bins, frames): approaching speeds on top, newest frame on the right."""
        with self._lock:
            frames = list(self._frames)
        if not frames:
            return np.zeros((len(self._rows), 1), dtype=np.float32)
        return np.stack(frames, axis=1)[::-1]


def render_png(values_db: NDArray[np.float32], x_scale: int = 1, y_scale: int = 8) -> bytes:
    """Colour-mapped PNG of a (rows, columns) dB image, each cell x_scale × y_scale pixels.

    The defaults make 20 s of 25 ms frames (800 columns) about 8:5, tall enough on a dashboard
    card to tell a walker's legs from typing.
    """
    low, high = DB_RANGE
    x = np.clip((values_db - low) / (high - low), 0.0, 1.0)
    rgb = np.stack([np.interp(x, _RAMP[:, 0], _RAMP[:, i]) for i in (1, 2, 3)], axis=-1).astype(np.uint8)
    rgb = np.repeat(np.repeat(rgb, y_scale, axis=0), x_scale, axis=1)
    height, width, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[row].tobytes() for row in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
