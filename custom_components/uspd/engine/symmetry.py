"""Mirror-symmetric walking-band Doppler: machines and music, not a person walking.

A fan's blades come towards the device on one side of the hub as fast as
they leave it on the other, and music modulates the tone into sidebands at
f_c ± f_bass: both put the same energy at +v and −v. A walker's torso and
limbs move with the body: whoever walks has a direction, and it shows as
more energy on one side (approaching) or the other (receding). So where,
over the network's window, the walking band's energy on the two sides is
within SYMMETRY_DB of each other, the frame may be reported as motion but
opens no empty room (detector.py); a walker crossing the device's line of
sight opens it a moment later, once they turn towards it or away.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .detector import MAJOR_BAND_MS
from .features import DB_SCALE, grid_bins

# Chosen on the lab's training stream (`scripts/lab tune_detector --symmetry`):
# 1, 2, 3 dB took false occupancies among fans, music, clicks and the wall
# from 10 to 7, 5, 2 (curtains and tones 9 → 8) and left 19, 20, 21 walk-ins
# of 213 unopened instead of 18; 4 dB took out one more for one more walk-in.
SYMMETRY_DB = 3.0
_TOWARDS = grid_bins(MAJOR_BAND_MS, +1)
_AWAY = grid_bins(MAJOR_BAND_MS, -1)


def side_balance_db(windows: NDArray[np.floating]) -> NDArray[np.float64]:
    """windows: (..., frames, GRID_BINS) of the classifier's scaled input → approaching over receding power, dB."""
    scaled = np.asarray(windows, dtype=np.float64)
    towards = (10 ** (scaled[..., _TOWARDS] * (DB_SCALE / 10))).mean(axis=(-2, -1))
    away = (10 ** (scaled[..., _AWAY] * (DB_SCALE / 10))).mean(axis=(-2, -1))
    return np.asarray(10 * np.log10(towards / away))


def symmetric(windows: NDArray[np.floating], symmetry_db: float = SYMMETRY_DB) -> NDArray[np.bool_]:
    """True where each window's walking band holds as much energy approaching as receding, within symmetry_db."""
    return np.asarray(np.abs(side_balance_db(windows)) < symmetry_db)
