"""Mirror-symmetric walking-band Doppler: machines and music, not a person walking.

A fan's blades come towards the device on one side of the hub as fast as
they leave it on the other, and music modulates the tone into sidebands at
f_c ± f_bass: both put the same energy at +v and −v. A walker's torso and
limbs move with the body: whoever walks has a direction, and it shows as
more energy on one side (approaching) or the other (receding). So where,
over the network's window, the walking band's energy on the two sides is
within symmetry_db (Tuning, tuning.py) of each other, the frame may be
reported as motion but opens no empty room (detector.py); a walker crossing
the device's line of sight opens it a moment later, once they turn towards
it or away.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .tuning import TUNING, Tuning
from .walking import TOWARDS, walking_power


def side_balance_db(windows: NDArray[np.floating], without: NDArray[np.bool_] | None = None) -> NDArray[np.float64]:
    """windows: (..., frames, GRID_BINS) of the classifier's scaled input → approaching over receding power, dB.

    without: (..., walking bins) bins to leave out (a still line's own, lines.py); NaN where a side has none left.
    """
    return balance_db(walking_power(windows), without)


def balance_db(walking: NDArray[np.float64], without: NDArray[np.bool_] | None = None) -> NDArray[np.float64]:
    """side_balance_db from the windows' walking band as power over the floor (walking.py)."""
    power = np.add.reduce(walking, axis=-2) / walking.shape[-2]  # the mean's values, without its wrapper
    # A still line (another device's tone, lines.py) sits on one side and would make a fan's or music's evenness
    # look like a walker's direction, or hide a walker's direction on the other side: the engine weighs the band
    # without the line's own bins (scripts/lab tune_detector --symmetry-beside; lab/results/tune_detector.txt).
    keep = np.ones(power.shape, dtype=bool) if without is None else ~without
    towards, away = keep & TOWARDS, keep & ~TOWARDS
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = ((power * towards).sum(axis=-1) / towards.sum(axis=-1)) / (
            (power * away).sum(axis=-1) / away.sum(axis=-1)
        )
        return np.asarray(10 * np.log10(ratio))


def symmetric(
    windows: NDArray[np.floating], tuning: Tuning = TUNING, without: NDArray[np.bool_] | None = None
) -> NDArray[np.bool_]:
    """True where each window's walking band holds as much energy approaching as receding, within tuning.symmetry_db.

    without: bins left out of both sides, as side_balance_db.
    """
    return symmetric_power(walking_power(windows), tuning, without)


def symmetric_power(
    walking: NDArray[np.float64], tuning: Tuning = TUNING, without: NDArray[np.bool_] | None = None
) -> NDArray[np.bool_]:
    """The same as symmetric, from the windows' walking band as power over the floor (walking.py)."""
    return np.asarray(np.abs(balance_db(walking, without)) < tuning.symmetry_db)
