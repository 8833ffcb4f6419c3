"""Another device's tone in the walking band: a spectral line that does not move.

Switch-mode supplies and other ultrasonic devices put steady tones near
our carrier; inside the Doppler band they look like something moving at a
constant speed, and the network, which never met one in training, mostly
calls them walking (p ≥ 0.9 for most of the false occupancies they caused
on the lab's training stream). A person's echo is never that still: the
gait moves the torso's Doppler by a bin or more within 300 ms, and limbs
and range change its level from frame to frame. So where, over the
context window, the walking band's strongest bin stays the same in at
least line_min_frames frames and its level there varies by at most
line_level_std_db (Tuning's fields, tuning.py), the frame may be reported
as motion, but only the walking band beside the line counts towards
opening an empty room (detector.py): the tone alone opens none, and
someone walking in while it sounds, weaker than it, still does.

A line's own bins are its neighbours (its window's leakage and the grid's
interpolation spread it over a few) and more: a strong tone reaches further
(the analysis window's sidelobes carry it many bins out: a tone 50 dB over
the floor read 10 dB "beside" itself in a training-stream scene) and may
bring steady copies elsewhere in the band, so every walking bin whose level
holds over the window counts as the tone's too: noise spreads by 2-5 dB
frame to frame, and a person's echo moves with the gait and the range.

A click (or a beat of music) lifts a tone's bin for a frame: a frame more
than line_outlier_db over the line's median level is not the line's, or a
single one would keep the whole window from being still for CONTEXT_FRAMES
frames, long enough for the network's "walking" over the tone to open the
room (a −61 dBFS tone 42 dB over the floor, lifted 6.5 dB by a click, in
the benchmark's home set). Only frames lifted above it: setting aside frames
below the median too leaves walk-ins unopened.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .tuning import TUNING, Tuning
from .walking import WALKING_BINS as _WALKING
from .walking import walking_db


def _line(
    walking: NDArray[np.float32],
    peak: NDArray[np.intp],
    level_std_db: float,
    min_frames: int,
    outlier_db: float | None,
) -> tuple[NDArray[np.bool_], NDArray[np.intp], NDArray[np.bool_]]:
    """(still, the line's place among the walking bins, the frames the line holds) from the walking band in dB."""
    # The commonest peak bin of each window and the frames that have it (for the engine's one window, a
    # count per bin instead of every pair of frames).
    agree = np.bincount(peak)[peak] if peak.ndim == 1 else (peak[..., :, None] == peak[..., None, :]).sum(axis=-1)
    modal = np.take_along_axis(peak, np.argmax(agree, axis=-1)[..., None], axis=-1)
    on = peak == modal
    if not (agree.max(axis=-1) >= min_frames).any():
        # No window's commonest peak holds min_frames (the common case): setting frames aside can only
        # lower the count, so none is still, and what follows would only confirm it.
        return np.zeros(peak.shape[:-1], dtype=bool), modal[..., 0], on
    level = np.take_along_axis(walking, peak[..., None], axis=-1)[..., 0]
    if outlier_db is not None:
        # A frame that lifts the line's bin far over its usual level was taken by something else (a click).
        on &= level - _median_where(level, on)[..., None] <= outlier_db
    count, _, spread = _mean_std_where(level, on, axis=-1)
    return (count[..., 0] >= min_frames) & (spread[..., 0] <= level_std_db), modal[..., 0], on


def _mean_std_where(
    values: NDArray[np.floating], mask: NDArray[np.bool_], axis: int
) -> tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.float64]]:
    """How many values mask holds along axis, and their mean and standard deviation (0 and 0 where none).

    Each comes with that axis kept, of length one.
    """
    count = mask.sum(axis=axis, keepdims=True)
    n = np.maximum(count, 1)
    mean = np.where(mask, values, 0.0).sum(axis=axis, keepdims=True) / n
    std = np.sqrt(np.where(mask, (values - mean) ** 2, 0.0).sum(axis=axis, keepdims=True) / n)
    return count, mean, std


def _median_where(values: NDArray[np.float32], mask: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Median over the last axis of the values where mask (at least one per row); np.nanmedian costs ten times more."""
    ordered = np.sort(np.where(mask, values, np.nan), axis=-1)  # NaNs sort last
    n = mask.sum(axis=-1, keepdims=True)
    low = np.take_along_axis(ordered, (n - 1) // 2, axis=-1)
    high = np.take_along_axis(ordered, n // 2, axis=-1)
    return np.asarray(0.5 * (low + high)[..., 0], dtype=np.float64)


@dataclass(frozen=True)
class Lines:
    """What the windows hold: a still line or not, and which walking bins are its own."""

    still: NDArray[np.bool_]  # (...,)
    own: NDArray[np.bool_]  # (..., walking bins): none where there is no still line
    newest_db: NDArray[np.float32]  # (..., walking bins): the newest frame over the floor


def find_lines(windows: NDArray[np.floating], tuning: Tuning = TUNING) -> Lines:
    """windows: (..., frames, GRID_BINS) of the classifier's scaled input → each one's still line and its own bins.

    Still: the walking band's strongest bin is one and the same in at least
    tuning.line_min_frames of the window's frames (a click or a curtain's sway
    may take the others), and its level over those frames spreads by at most
    tuning.line_level_std_db. With tuning.line_outlier_db, a frame whose level
    there rises more than that over the line's median is not the line's
    (None: every frame on its bin is). Its own bins: its neighbours and, with
    tuning.steady_std_db, every steady bin over the line's frames (None: only
    the neighbours). The engine asks about its one feature stack, the lab
    about every window of a scene at once.
    """
    walking = walking_db(windows)
    return lines_in(walking, np.argmax(walking, axis=-1), tuning)


def lines_in(walking: NDArray[np.float32], peak: NDArray[np.intp], tuning: Tuning = TUNING) -> Lines:
    """find_lines from the windows' walking band in dB and each frame's strongest bin (walking.py)."""
    if peak.ndim == 1 and np.bincount(peak).max() < tuning.line_min_frames:
        # The engine's one window, and no bin the strongest in enough frames (most frames): no line.
        return Lines(np.zeros((), dtype=bool), np.zeros(walking.shape[-1], dtype=bool), walking[-1])
    outlier_db, steady_std_db = tuning.line_outlier_db, tuning.steady_std_db
    still, modal, held = _line(walking, peak, tuning.line_level_std_db, tuning.line_min_frames, outlier_db)
    own = np.zeros(walking.shape[:-2] + walking.shape[-1:], dtype=bool)
    if still.any():  # the common case is no tone in the room
        # In grid bins: the walking band's two sides are not neighbours.
        own = np.abs(_WALKING - _WALKING[modal][..., None]) <= tuning.line_guard_bins
        if steady_std_db is not None:
            # With outlier_db, over the frames the line holds (what took the others moved every bin); else all.
            frames = held if outlier_db is not None else np.ones_like(held)
            _, mean, std = _mean_std_where(walking.astype(np.float64), frames[..., None], axis=-2)
            steady = (std[..., 0, :] <= steady_std_db) & (mean[..., 0, :] >= tuning.steady_min_db)
            # The flanks of a steady run are the tone's too, where noise on a few dB of leakage makes them waver.
            for shift in range(1, tuning.steady_reach_bins + 1):
                near = (_WALKING[shift:] - _WALKING[:-shift]) == shift
                own[..., shift:] |= steady[..., :-shift] & near
                own[..., :-shift] |= steady[..., shift:] & near
            own |= steady
        own &= still[..., None]
    return Lines(still, own, walking[..., -1, :])


def held_still(
    walking: NDArray[np.float32], peak: NDArray[np.intp], frames: int, tuning: Tuning = TUNING
) -> NDArray[np.bool_]:
    """(...,): whether the walking band's strongest bin held still over the window's last `frames` frames.

    Still: within a grid bin of itself, its level spreading by at most
    tuning.line_level_std_db; perhaps a tone too young yet to be known as a
    line (find_lines wants line_min_frames of the window). A walker's gait
    moves their strongest bin or its level within that time; a tone that just
    came on holds both (Tuning.occupy_fast_frames: such a run opens a room no
    sooner than any other).
    """
    where = _WALKING[peak[..., -frames:]]
    near: NDArray[np.bool_] = where.max(axis=-1) - where.min(axis=-1) <= 1
    level = np.take_along_axis(walking[..., -frames:, :], peak[..., -frames:, None], axis=-1)[..., 0]
    steady: NDArray[np.bool_] = level.std(axis=-1) <= tuning.line_level_std_db
    return near & steady


def beside_db(lines: Lines) -> NDArray[np.float64]:
    """The walking band's energy over the floor (dB) in each window's newest frame, less a still line's bins.

    NaN where the window holds no still line; -inf where every walking bin
    is the line's. A tone stronger than a walker would otherwise hide them:
    someone who walks in while it sounds shows beside it.
    """
    if not lines.still.any():
        return np.full(lines.still.shape, np.nan)
    power = 10 ** (lines.newest_db.astype(np.float64) / 10)
    away = ~lines.own
    count = away.sum(axis=-1)
    mean = (power * away).sum(axis=-1) / np.maximum(count, 1)
    with np.errstate(divide="ignore"):
        beside = np.where(count > 0, 10 * np.log10(mean), -np.inf)
    return np.asarray(np.where(lines.still, beside, np.nan))
