"""Another device's tone in the walking band: a spectral line that does not move.

Switch-mode supplies and other ultrasonic devices put steady tones near
our carrier; inside the Doppler band they look like something moving at a
constant speed, and the network, which never met one in training, mostly
calls them walking (p ≥ 0.9 for most of the false occupancies they caused
on the lab's training stream). A person's echo is never that still: the
gait moves the torso's Doppler by a bin or more within 300 ms, and limbs
and range change its level from frame to frame. So where, over the whole
context window, the walking band's strongest bin has not moved and its
level has varied by under LINE_LEVEL_STD_DB, the frame may be reported as
motion but opens no empty room (detector.py).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .detector import MAJOR_BAND_MS
from .features import DB_SCALE, GRID_SPEEDS_MS

# Chosen on the lab's training stream (`scripts/lab tune_detector --lines`) as
# the widest spread that leaves no walk-in unopened that opened before: at
# 1.5 dB false occupancies there fell 17 → 10 among fans, music, clicks and
# the wall and 26 → 9 among curtains and tones; 2 dB opened no fewer rooms and
# missed one walk-in more.
LINE_LEVEL_STD_DB = 1.5
_WALKING = np.flatnonzero((np.abs(GRID_SPEEDS_MS) >= MAJOR_BAND_MS[0]) & (np.abs(GRID_SPEEDS_MS) < MAJOR_BAND_MS[1]))


def stationary_line(windows: NDArray[np.floating], level_std_db: float = LINE_LEVEL_STD_DB) -> NDArray[np.bool_]:
    """windows: (..., frames, GRID_BINS) of the classifier's scaled input; True where each holds a still line.

    The engine asks about its one feature stack, the lab about every window of a scene at once.
    """
    walking = np.asarray(windows, dtype=np.float32)[..., _WALKING]
    peak = np.argmax(walking, axis=-1)
    level = np.take_along_axis(walking, peak[..., None], axis=-1)[..., 0] * DB_SCALE
    still = (peak == peak[..., :1]).all(axis=-1)
    return np.asarray(still & (level.std(axis=-1) <= level_std_db))
