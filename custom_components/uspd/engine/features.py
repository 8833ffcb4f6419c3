"""The classifier's input: recent Doppler frames on one fixed radial-speed grid.

Frames from the framer have bins whose width in m/s depends on the carrier
(rates.py keeps it near 0.14 m/s, but 0.13–0.17 in practice) and whose count
depends on the audio rate. The network must see the same thing on every
device, so each frame is resampled onto GRID_BINS bins of GRID_STEP_MPS
(±8.6 m/s: every human speed and most of a fan blade's) and the last
CONTEXT_FRAMES frames are stacked, oldest first.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

GRID_BINS = 128
GRID_STEP_MPS = 0.134
CONTEXT_FRAMES = 12  # 300 ms at the 25 ms hop: a step of a walker, a burst of typing
# A model may look further back than the window rules do (scripts/lab train --frames; 40 is the longest tried):
# a bound on what a model file can make the engine hold and shift every frame, 2 s.
MAX_NETWORK_FRAMES = 80
# Input scaling: dB over the noise floor, clipped (noise dips below 0 dB carry
# nothing; a torso at 1 m reaches ~50 dB) and brought to ~unit range.
DB_RANGE = (-10.0, 50.0)
DB_SCALE = 20.0

GRID_SPEEDS_MPS = (np.arange(GRID_BINS) - GRID_BINS // 2) * GRID_STEP_MPS


def grid_bins(band_mps: tuple[float, float], sign: int = 0) -> NDArray[np.intp]:
    """The grid's bins whose radial speed lies in band_mps: either way (sign 0), approaching (+1) or receding (−1)."""
    speed = GRID_SPEEDS_MPS * sign if sign else np.abs(GRID_SPEEDS_MPS)
    return np.flatnonzero((speed >= band_mps[0]) & (speed < band_mps[1]))


def resample_matrix(speeds_mps: NDArray[np.float64]) -> NDArray[np.float32]:
    """(native bins, GRID_BINS): linear interpolation from the framer's bins onto the grid.

    Grid speeds beyond the native span read the edge bin: at 48 kHz hardware
    the frames end near ±9 m/s as well, so this only pads a bin or two.
    """
    order = np.argsort(speeds_mps)
    src = speeds_mps[order]
    m = np.zeros((len(speeds_mps), GRID_BINS), dtype=np.float64)
    pos = np.clip(np.interp(GRID_SPEEDS_MPS, src, np.arange(len(src))), 0, len(src) - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, len(src) - 1)
    frac = pos - lo
    cols = np.arange(GRID_BINS)
    np.add.at(m, (order[lo], cols), 1 - frac)
    np.add.at(m, (order[hi], cols), frac)
    return m.astype(np.float32)


def scale_db(db: NDArray[np.floating], out: NDArray[np.float32] | None = None) -> NDArray[np.float32]:
    """Decibels clipped to DB_RANGE and scaled to about [0, 1], as the network was trained (into out if given)."""
    clipped = np.minimum(np.maximum(db, DB_RANGE[0], out=out), DB_RANGE[1], out=out)  # np.clip's, without its wrapper
    return np.asarray(np.divide(clipped, DB_SCALE, out=out), dtype=np.float32)


class FeatureStack:
    """Streaming: push one frame's normalized_db, get the last `frames` frames, (frames, GRID_BINS).

    frames: the network's window (Classifier.frames), never fewer than the rules' CONTEXT_FRAMES.
    """

    def __init__(self, speeds_mps: NDArray[np.float64], frames: int = CONTEXT_FRAMES) -> None:
        self._matrix = resample_matrix(speeds_mps)
        self._stack = np.zeros((max(CONTEXT_FRAMES, frames), GRID_BINS), dtype=np.float32)

    def reset(self) -> None:
        """Forget every frame: the next window starts from silence, as at a cold start."""
        self._stack[:] = 0.0

    def grid(self, normalized_db: NDArray[np.floating], out: NDArray[np.float32] | None = None) -> NDArray[np.float32]:
        """One frame on the grid, scaled (what the lab stores per frame); into out if given."""
        return scale_db(np.matmul(np.asarray(normalized_db, dtype=np.float32), self._matrix, out=out), out=out)

    def push(self, normalized_db: NDArray[np.floating]) -> NDArray[np.float32]:
        """Add one frame (newest last) and return the whole window."""
        self._stack[:-1] = self._stack[1:]
        self.grid(normalized_db, out=self._stack[-1])  # written in place: forty frames a second
        return self._stack
