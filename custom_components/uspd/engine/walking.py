"""The walking band of the network's window, kept frame by frame for the window rules (lines.py, symmetry.py).

Beside it, the band a tone's line is looked for in (LINE_BINS: the walking
band and the slow bins between its sides), which lines.py makes from the
whole window only where a line may be.

The rules read the walking band of all CONTEXT_FRAMES frames on every
frame; each frame's row (dB, power, strongest bin) is made once as the
frame arrives, and the window slides, so the rules see the very values
they would compute from the whole window again.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .bands import MAJOR_BAND_MPS
from .features import CONTEXT_FRAMES, DB_SCALE, GRID_SPEEDS_MPS, grid_bins

WALKING_BINS = grid_bins(MAJOR_BAND_MPS)
# The walking bins on the approaching side of the carrier (the rest recede).
TOWARDS = np.isin(WALKING_BINS, grid_bins(MAJOR_BAND_MPS, +1))
# Where a tone's line is looked for (lines.py): the walking band and the slow bins between its sides, all but
# the still bin. A tone a few hertz off the carrier peaks there and shows in the walking band only as its
# skirt, which wavers too much to be known as a line by itself.
STILL_BIN = int(np.argmin(np.abs(GRID_SPEEDS_MPS)))
LINE_BINS = np.array([b for b in range(int(WALKING_BINS.min()), int(WALKING_BINS.max()) + 1) if b != STILL_BIN])
# The walking bins' places among the line bins, and the slow bins' (the rest).
WALKING_IN_LINE = np.searchsorted(LINE_BINS, WALKING_BINS)
SLOW_IN_LINE = np.setdiff1d(np.arange(len(LINE_BINS)), WALKING_IN_LINE)
_SLOW_BINS = LINE_BINS[SLOW_IN_LINE]


def walking_db(windows: NDArray[np.floating]) -> NDArray[np.float32]:
    """(..., frames, walking bins): the walking band of windows of the classifier's scaled input, in dB."""
    return _db(np.asarray(windows, dtype=np.float32)[..., WALKING_BINS])


def line_db(windows: NDArray[np.floating]) -> NDArray[np.float32]:
    """(..., frames, line bins): the band a tone's line is looked for in, in dB."""
    return _db(np.asarray(windows, dtype=np.float32)[..., LINE_BINS])


def bin_db(windows: NDArray[np.floating], grid_bin: int) -> NDArray[np.float32]:
    """(..., frames): one grid bin of windows of the classifier's scaled input, in dB (as line_db has it)."""
    return _db(np.asarray(windows, dtype=np.float32)[..., grid_bin])


def walking_power(windows: NDArray[np.floating]) -> NDArray[np.float64]:
    """(..., frames, walking bins): the same as linear power over the floor."""
    return _power(np.asarray(windows)[..., WALKING_BINS])


def top_db(power: NDArray[np.float64], count: int) -> NDArray[np.float64]:
    """(...,) the mean of the `count` strongest of the last axis's walking bins (linear power), in dB."""
    if not 0 < count <= power.shape[-1]:
        raise ValueError(f"the {count} strongest of {power.shape[-1]} walking bins")
    top = np.partition(power, power.shape[-1] - count, axis=-1)[..., -count:]
    return np.asarray(10 * np.log10(top.mean(axis=-1)))


def _db(band: NDArray[np.float32]) -> NDArray[np.float32]:
    """The walking band's scaled input (float32), in dB."""
    return np.asarray(band * DB_SCALE, dtype=np.float32)


def _power(band: NDArray[np.floating]) -> NDArray[np.float64]:
    """The walking band's scaled input as linear power over the floor (float64)."""
    return np.asarray(10 ** (np.asarray(band, dtype=np.float64) * (DB_SCALE / 10)))


class WalkingWindow:
    """Streaming: push each frame's scaled grid row (newest last); db, power and peaks cover the window.

    With slow (lines.py's slow lines on, Tuning.weak_line_db), of the slow bins too: each frame's strongest, as a
    place among LINE_BINS, and its level in dB; without, they stay as reset, and no frame pays for them.
    """

    def __init__(self, slow: bool = True) -> None:
        self.slow = slow
        self.db = np.zeros((CONTEXT_FRAMES, len(WALKING_BINS)), dtype=np.float32)
        self.power = np.zeros((CONTEXT_FRAMES, len(WALKING_BINS)), dtype=np.float64)
        self.peaks = np.zeros(CONTEXT_FRAMES, dtype=np.intp)
        self.slow_peaks = np.zeros(CONTEXT_FRAMES, dtype=np.intp)
        self.slow_top_db = np.zeros(CONTEXT_FRAMES, dtype=np.float32)
        self.reset()

    def reset(self) -> None:
        """A window of silence (scaled 0), as the feature stack's after its reset."""
        self.db[:] = 0.0
        self.power[:] = 1.0
        self.peaks[:] = 0
        self.slow_peaks[:] = SLOW_IN_LINE[0]
        self.slow_top_db[:] = 0.0

    def push(self, row: NDArray[np.float32]) -> None:
        """Add the newest frame's row of the classifier's scaled input."""
        for kept in (self.db, self.power, self.peaks):
            kept[:-1] = kept[1:]
        band = row[WALKING_BINS]  # indexed once for both
        self.db[-1] = _db(band)
        self.power[-1] = _power(band)
        self.peaks[-1] = self.db[-1].argmax()
        if not self.slow:
            return
        self.slow_peaks[:-1] = self.slow_peaks[1:]
        self.slow_top_db[:-1] = self.slow_top_db[1:]
        slow = _db(row[_SLOW_BINS])  # as line_db makes them: the same values, the same strongest
        strongest = int(slow.argmax())
        self.slow_peaks[-1] = SLOW_IN_LINE[strongest]
        self.slow_top_db[-1] = slow[strongest]
