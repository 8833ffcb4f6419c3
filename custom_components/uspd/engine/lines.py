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

The slow bins between the walking band's two sides are asked the same
(walking.SLOW_IN_LINE, the still bin aside: static echoes' residue and
breathing live there). A tone less than 0.4 m/s of Doppler off the carrier
(another device on our nominal frequency, its clock some parts per million
off, or a supply's whine near it) peaks there, steady, and reaches the
walking band only as its skirt, which wavers by several dB from frame to
frame: the walking band alone never sees a line. A tone between two grid
bins splits evenly, and noise picks the stronger frame by frame, so a
frame whose strongest bin is the line's neighbour, beating it by at most
TIE_DB, is the line's too where that neighbour holds as steadily (a
walker's echo moving between two bins trades one for the other). A slow
line only where it stands at least weak_line_db over the floor, a split one
only from split_line_db and under the top of the scale (CLIPPED_DB): a
walker's weak echo at a steady speed (someone slowing down to sit) may hold
a slow bin, or two neighbours, as steadily for 300 ms, but not as strongly
as a tone that could open a room, and a walker within a metre clips two
bins as flat as a tone. Tuning ships both off (inf; tuning.py says why).

A line's own bins are its neighbours (its window's leakage and the grid's
interpolation spread it over a few) and more: a strong tone reaches further
(the analysis window's sidelobes carry it many bins out: a tone 50 dB over
the floor read 10 dB "beside" itself in a training-stream scene) and may
bring steady copies elsewhere in the band, so every walking bin whose level
holds over the window counts as the tone's too: noise spreads by 2-5 dB
frame to frame, and a person's echo moves with the gait and the range. A
strong tone's skirt wavers more than that, so the bins it falls through,
outwards from the line while each stays no more than line_skirt_db over the
one before it, are the tone's as well; someone beside it rises out of it.
Not where the line is at the top of the scale (CLIPPED_DB): a walker
passing within a metre clips a run of bins as flat as a tone, and their echo
falls away from it in the same way.

A steady modulation of the carrier (a held note through the speaker, a
fan's blade pass) puts a comb of lines at multiples of its offset on both
sides, and its weaker teeth waver more than the line: tooth k grows as the
k-th power of the modulation's depth. With Tuning.comb_teeth, a bin near k
times the line's offset (k from 2 up to comb_teeth) is the line's where it
holds to k times steady_std_db. Tuning ships it off: on the lab's suites
no count moved (tuning.py).

A click (or a beat of music) lifts a tone's bin for a frame: a frame more
than line_outlier_db over the line's median level is not the line's, or a
single one would keep the whole window from being still for CONTEXT_FRAMES
frames, long enough for the network's "walking" over the tone to open the
room (a −61 dBFS tone 42 dB over the floor, lifted 6.5 dB by a click, in
the benchmark's home set). Only frames lifted above it: setting aside frames
below the median too leaves walk-ins unopened.

A line that has held its bin for Tuning.line_known_frames frames in a row is
known (LineMemory). A known line takes its skirt at the top of the scale
too, and stays known through the windows its own dropout breaks (one frame
8 dB down spreads a steady level by 2.2 dB for as long as it is in the
window) while the walking band's strongest bin stays on it. Not through a
rise: someone coming straight at the device at a steady pace holds a bin
as long as a tone does, but their echo grows as they come.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .features import CONTEXT_FRAMES, DB_RANGE
from .tuning import TUNING, Tuning
from .walking import LINE_BINS, SLOW_IN_LINE, STILL_BIN, WALKING_BINS, WALKING_IN_LINE, bin_db, line_db, walking_db

# A frame whose strongest bin is next to a line's, and beats the line's own by at most this, is still the line's:
# a tone between two grid bins splits evenly, and noise picks the stronger frame by frame (a tone that opened a room
# on the training stream held 40.7 ± 0.2 dB while its peak flipped between two bins).
TIE_DB = 1.0
# At the top of the scale a bin's level says nothing of how steady it is: a walker passing within a metre clips a
# dozen bins at once, flat. Ties and slow lines are judged only under it (the walking band's line, found on one bin,
# may sit there: a clipped tone's first clipped bin stays put, a walker's moves with their speed).
CLIPPED_DB = DB_RANGE[1] - 0.5
# The engine's one window without a line (most frames): its line_bin, shared, never written.
_NO_LINE = np.asarray(-1, dtype=np.intp)
# No grid bin, shared, never written.
_NONE = np.zeros(0, dtype=np.intp)


def _line(
    band: NDArray[np.float32],
    peak: NDArray[np.intp],
    level_std_db: float,
    min_frames: int,
    outlier_db: float | None,
    min_db: float,
    tie_min_db: float,
    clipped_too: bool,
) -> tuple[NDArray[np.bool_], NDArray[np.intp], NDArray[np.bool_]]:
    """(still, the line's place among the line bins, the frames the line holds) from the line band in dB.

    peak: each frame's strongest bin, as a place among the line bins, in the part of the band looked at.
    clipped_too: frames whose level there is at the top of the scale may be the line's.
    """
    # [..., j, i]: frame j is the line's if the line is at frame i's peak: its own peak is there, or a grid
    # neighbour that beats it by at most TIE_DB (a tone between two bins, noise picking the stronger) where
    # the line is at least tie_min_db strong (weaker, a walker's echo spread over two bins ties as often).
    if math.isinf(tie_min_db) and peak.ndim == 1:
        # No ties, the engine's one window: a count per bin instead of every pair of frames.
        agree = np.bincount(peak)[peak]
        modal = peak[np.argmax(agree)][None]
        on = peak == modal
    else:
        where = LINE_BINS[peak]
        holds = where[..., :, None] == where[..., None, :]
        if math.isfinite(tie_min_db):
            # The engine's one window indexes directly: take_along_axis costs several times more.
            at = band[:, peak] if peak.ndim == 1 else np.take_along_axis(band, peak[..., None, :], axis=-1)
            top = _at(band, peak)[..., None]
            tie = (np.abs(where[..., :, None] - where[..., None, :]) == 1) & (at >= top - TIE_DB)
            holds |= tie & (at >= tie_min_db) & (at < CLIPPED_DB)
        agree = holds.sum(axis=-2)
        best = np.argmax(agree, axis=-1)[..., None]
        modal = np.take_along_axis(peak, best, axis=-1)
        on = np.take_along_axis(holds, best[..., None, :], axis=-1)[..., 0]
    if not (agree.max(axis=-1) >= min_frames).any():
        # No window's commonest peak holds min_frames (the common case): setting frames aside can only
        # lower the count, so none is still, and what follows would only confirm it.
        return np.zeros(peak.shape[:-1], dtype=bool), modal[..., 0], on
    # Its level in every frame at its own bin (where a tie left the peak on the neighbour, within TIE_DB of it).
    level = _at(band, np.broadcast_to(modal, peak.shape))
    if outlier_db is not None:
        # A frame that lifts the line's bin far over its usual level was taken by something else (a click).
        on &= level - _median_where(level, on)[..., None] <= outlier_db
    if not clipped_too:
        on &= level < CLIPPED_DB
    # A tone split over two bins holds both, in a fixed share; a walker's echo moving between them trades one
    # for the other. Frames that tied count only where the neighbour they tied on held as steadily.
    up = (on & (peak == modal + 1)).sum(axis=-1, keepdims=True)
    down = (on & (peak == modal - 1)).sum(axis=-1, keepdims=True)
    if (up + down).any():
        other = np.clip(np.where(up >= down, modal + 1, modal - 1), 0, band.shape[-1] - 1)
        beside = _at(band, np.broadcast_to(other, peak.shape))
        _, _, other_spread = _mean_std_where(beside, on, axis=-1)
        on &= (peak == modal) | (other_spread <= level_std_db)
    count, mean, spread = _mean_std_where(level, on, axis=-1)
    still = (count[..., 0] >= min_frames) & (spread[..., 0] <= level_std_db) & (mean[..., 0] >= min_db)
    return still, modal[..., 0], on


def _split_line(
    args: tuple[NDArray[np.float32], NDArray[np.intp], float, int, float | None, float], tie_db: float
) -> tuple[NDArray[np.bool_], NDArray[np.intp], NDArray[np.bool_]]:
    """_line's answer for a tone split over two bins: a line only where a frame it holds tied on the neighbour.

    Judged under the top of the scale alone; without a tie it is a line on one bin, which clipped frames kept the
    single bin's pass from finding, and no split line.
    """
    still, modal, held = _line(*args, tie_db, False)
    peak = args[1]
    return still & (held & (peak != modal[..., None])).any(axis=-1), modal, held


def _at(band: NDArray[np.float32], index: NDArray[np.intp]) -> NDArray[np.float32]:
    """(..., frames): each frame's level at its bin of index (..., frames), from band (..., frames, bins)."""
    if band.ndim == 2:  # the engine's one window
        return np.asarray(band[np.arange(band.shape[0]), index], dtype=np.float32)
    return np.take_along_axis(band, index[..., None], axis=-1)[..., 0]


def _may_hold_steady(
    rows: NDArray[np.floating],
    where: NDArray[np.intp],
    top_db: NDArray[np.float32],
    candidates: NDArray[np.intp],
    tie_db: float,
    tuning: Tuning,
) -> bool:
    """Whether a split line could be still at any of the candidate grid bins, in the engine's one window.

    Its frames are those whose strongest bin is it, or a neighbour it ties with (within TIE_DB of that frame's
    strongest, top_db, and at least tie_db strong), under the top of the scale there, and one of them must tie
    (_split_line). Their levels spread by at most line_level_std_db over at least line_min_frames of them only where
    some that many, adjacent in sorted order, do (the least spread of k among n values is that of k adjacent in
    order, and at most theirs all). Most windows a walker holds two bins in fail it: their echo seldom ties on the
    neighbour, and their gait moves the level by several dB.
    """
    k = tuning.line_min_frames
    for b in candidates:
        levels = bin_db(rows, int(b))
        beside = (np.abs(where - b) == 1) & (levels >= top_db - TIE_DB) & (levels >= tie_db)
        if not beside.any():
            continue  # no frame ties on a neighbour: no split line here
        levels = levels[((where == b) | beside) & (levels < CLIPPED_DB)].astype(np.float64)
        if len(levels) < k:
            continue
        levels = np.sort(levels)
        sums = np.concatenate(([0.0], np.cumsum(levels)))
        squares = np.concatenate(([0.0], np.cumsum(levels * levels)))
        mean = (sums[k:] - sums[:-k]) / k
        spread = (squares[k:] - squares[:-k]) / k - mean * mean
        if spread.min() <= (tuning.line_level_std_db + 1e-3) ** 2:  # a hair over: summed in another order
            return True
    return False


def _split_candidates(
    where: NDArray[np.intp], on_bin: NDArray[np.intp], top_db: NDArray[np.float32], tie_db: float, frames: int
) -> NDArray[np.intp]:
    """The grid bins a split line could hold `frames` frames at (what _line's ties can gather), in one window.

    where: each frame's strongest grid bin, top_db its level, on_bin their count per bin. Under the top of the
    scale a bin's own frames count, and a neighbour's where that is at least tie_db strong (a tie's level there is
    under the frame's strongest); at least one must be a neighbour's (a tie), and the line's bin some frame's
    strongest (_line's modal bin).
    """
    size = len(on_bin) + 1
    near = np.bincount(where[top_db < CLIPPED_DB], minlength=size)
    tying = np.bincount(where[top_db >= tie_db], minlength=size)
    beside = np.zeros(size, dtype=np.intp)
    beside[1:] += tying[:-1]
    beside[:-1] += tying[1:]
    gathered = near + beside
    if gathered.max() < frames:
        return _NONE  # most windows
    mask = (gathered >= frames) & (beside > 0)
    mask[-1] = False  # past every frame's strongest bin
    mask[:-1] &= on_bin > 0
    return np.flatnonzero(mask)


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
    line_bin: NDArray[np.intp]  # (...,): the still line's place among walking.LINE_BINS; -1 where there is none

    def take(self, index: int | slice) -> Lines:
        """The windows at index (the lab holds a scene's windows at once; the engine judges one at a time)."""
        return Lines(self.still[index], self.own[index], self.newest_db[index], self.line_bin[index])


def find_lines(windows: NDArray[np.floating], tuning: Tuning = TUNING, known_bin: NDArray[np.intp] | int = -1) -> Lines:
    """windows: (..., frames, GRID_BINS) of the classifier's scaled input → each one's still line and its own bins.

    Still: the walking band's strongest bin (or either of two neighbours, at
    least tuning.split_line_db strong), or the slow bins' (at least
    tuning.weak_line_db strong), is one and the same in at least
    tuning.line_min_frames of the window's frames (a click or a curtain's sway
    may take the others), and its level over those frames spreads by at most
    tuning.line_level_std_db. With tuning.line_outlier_db, a frame whose level
    there rises more than that over the line's median is not the line's
    (None: every frame on its bin is). Its own bins: its neighbours and, with
    tuning.steady_std_db, every steady bin over the line's frames (None: only
    the neighbours), with tuning.comb_teeth, its comb's weaker teeth, and,
    with tuning.line_skirt_db, its skirt (at the top of
    the scale only where the line is known: within a bin of known_bin, as
    LineMemory.known_bin gives it, per window or for all; -1: none). The
    engine asks about its one feature stack, the lab about every window of a
    scene at once.
    """
    walking = walking_db(windows)
    return lines_in(windows, walking, walking.argmax(axis=-1), tuning, known_bin)


def lines_in(
    rows: NDArray[np.floating],
    walking: NDArray[np.float32],
    walking_peak: NDArray[np.intp],
    tuning: Tuning = TUNING,
    known_bin: NDArray[np.intp] | int = -1,
    slow_peak: NDArray[np.intp] | None = None,
    slow_top_db: NDArray[np.float32] | None = None,
) -> Lines:
    """find_lines from the windows of the classifier's scaled input, their walking band in dB and its strongest bin.

    slow_peak and slow_top_db: each frame's strongest slow bin, as a place among walking.LINE_BINS, and its level
    (walking.WalkingWindow keeps both; None: made here from the windows). The line band (walking.LINE_BINS, in dB)
    is made only where a line may be: the engine's one window, forty times a second, mostly holds none. newest_db
    is a copy: the engine's window slides in place.
    """
    still = np.zeros(rows.shape[:-2], dtype=bool)
    strong = tuning.weak_line_db
    band: NDArray[np.float32] | None = None
    # A line split over two walking bins counts only from split_line_db over the floor, a slow line only from
    # weak_line_db: where no frame reaches that, they change nothing and are not looked for (a tie needs a frame's
    # strongest bin that strong; a slow line's mean over at least line_min_frames frames needs the mean of the
    # strongest slow levels over that many).
    ties_db = slow_db = math.inf
    if math.isfinite(tuning.split_line_db) and walking.max() >= tuning.split_line_db:
        ties_db = tuning.split_line_db
    if math.isfinite(strong):
        if slow_peak is None or slow_top_db is None:
            band = line_db(rows)
            slow_peak = SLOW_IN_LINE[band[..., SLOW_IN_LINE].argmax(axis=-1)]
            slow_top_db = _at(band, slow_peak)
        if slow_top_db.max() >= strong - 1e-3:  # a hair under: summed below in another order than _line's mean
            m = min(tuning.line_min_frames, slow_top_db.shape[-1])
            if (np.sort(slow_top_db.astype(np.float64), axis=-1)[..., -m:].mean(axis=-1) >= strong - 1e-3).any():
                slow_db = strong
    if (
        walking_peak.ndim == 1
        and math.isinf(ties_db)
        and math.isinf(slow_db)
        and np.bincount(walking_peak).max() < tuning.line_min_frames
    ):
        # The engine's one window, no bin the strongest in enough frames, nothing as strong as a slow line or a
        # tie must be: no line (most frames).
        return Lines(still, np.zeros(walking.shape[-1], dtype=bool), walking[-1].copy(), _NO_LINE)
    own: NDArray[np.bool_] | None = None
    line_bin = np.full(still.shape, -1, dtype=np.intp)
    for slow, min_db, tie_db, clipped_too in ((False, 0.0, ties_db, True), (True, slow_db, slow_db, False)):
        if math.isinf(min_db):
            continue  # slow lines off (Tuning.weak_line_db), or none as strong
        peak = slow_peak if slow else WALKING_IN_LINE[walking_peak]
        assert peak is not None  # made above wherever slow_db is finite
        single = tied_too = True
        if peak.ndim == 1:
            # The engine's one window: a line on one bin needs it the strongest in enough frames, a split line
            # as many where it is the strongest under the top of the scale or a neighbour tie_db strong is
            # (most frames have neither).
            where = LINE_BINS[peak]
            on_bin = np.bincount(where)
            single = bool(on_bin.max() >= tuning.line_min_frames)
            tied_too = False
            if math.isfinite(tie_db):
                top = slow_top_db if slow else _at(walking, walking_peak)
                assert top is not None
                candidates = _split_candidates(where, on_bin, top, tie_db, tuning.line_min_frames)
                tied_too = len(candidates) > 0 and _may_hold_steady(rows, where, top, candidates, tie_db, tuning)
            if not (single or tied_too):
                continue
        band = line_db(rows) if band is None else band
        args = (band, peak, tuning.line_level_std_db, tuning.line_min_frames, tuning.line_outlier_db, min_db)
        # One bin alone first; where that finds no line, a tone between two: ties count towards another modal
        # bin only if they make a line of it, never at the cost of one the single bin makes.
        # A split line only under the top of the scale (CLIPPED_DB): a walker clipping two bins flat, one frame
        # dipping just under it beside, held a bin for nine frames in a training-stream walk-in.
        if single:
            found, modal, held = _line(*args, math.inf, clipped_too)
            if math.isfinite(tie_db) and tied_too and not found.all():
                tied, tied_modal, tied_held = _split_line(args, tie_db)
                modal = np.where(found, modal, tied_modal)
                held = np.where(found[..., None], held, tied_held)
                found = found | tied
        else:
            found, modal, held = _split_line(args, tie_db)
        if found.any():  # the common case is no tone in the room
            line_own = _own(band, modal, held, tuning, known_bin) & found[..., None]
            own = line_own if own is None else own | line_own
            line_bin = np.where(still | ~found, line_bin, modal)  # the walking band's line where both are
            still |= found
    newest = walking[..., -1, :].copy()
    if own is None:
        return Lines(still, np.zeros(walking.shape[:-2] + walking.shape[-1:], dtype=bool), newest, line_bin)
    return Lines(still, own[..., WALKING_IN_LINE], newest, line_bin)


def _own(
    band: NDArray[np.float32],
    modal: NDArray[np.intp],
    held: NDArray[np.bool_],
    tuning: Tuning,
    known_bin: NDArray[np.intp] | int = -1,
) -> NDArray[np.bool_]:
    """(..., line bins): the bins that are a line's own, given its bin, the frames it holds and a known line's bin."""
    # In grid bins: the walking band's two sides are not neighbours.
    own: NDArray[np.bool_] = np.abs(LINE_BINS - LINE_BINS[modal][..., None]) <= tuning.line_guard_bins
    if tuning.steady_std_db is None:
        return own
    # With outlier_db, over the frames the line holds (what took the others moved every bin); else all.
    frames = held if tuning.line_outlier_db is not None else np.ones_like(held)
    _, mean, std = _mean_std_where(band.astype(np.float64), frames[..., None], axis=-2)
    steady = (std[..., 0, :] <= tuning.steady_std_db) & (mean[..., 0, :] >= tuning.steady_min_db)
    # The flanks of a steady run are the tone's too, where noise on a few dB of leakage makes them waver.
    for shift in range(1, tuning.steady_reach_bins + 1):
        near = (LINE_BINS[shift:] - LINE_BINS[:-shift]) == shift
        own[..., shift:] |= steady[..., :-shift] & near
        own[..., :-shift] |= steady[..., shift:] & near
    own |= steady
    if tuning.comb_teeth > 1:
        own |= _teeth(
            mean[..., 0, :], std[..., 0, :], modal, tuning.comb_teeth, tuning.steady_std_db, tuning.steady_min_db
        )
    if tuning.line_skirt_db is not None:
        # Not for a line at the top of the scale: a walker passing within a metre clips a run of bins as flat, and
        # their echo falls away from it as a skirt does; unless the line is known (LineMemory): their clipped run
        # seldom lasts so long, and one who makes it has mostly opened the room by then.
        clipped = np.take_along_axis(mean[..., 0, :], modal[..., None], axis=-1)[..., 0] >= CLIPPED_DB
        known = (np.asarray(known_bin) >= 0) & (np.abs(modal - np.asarray(known_bin)) <= 1)
        skirted = ~clipped | known
        own |= _skirt(mean[..., 0, :], modal, tuning.line_skirt_db, tuning.steady_min_db) & skirted[..., None]
    return own


def _teeth(
    mean_db: NDArray[np.float64],
    std_db: NDArray[np.float64],
    modal: NDArray[np.intp],
    count: int,
    std_limit_db: float,
    min_db: float,
) -> NDArray[np.bool_]:
    """(..., line bins): a comb's weaker teeth, at multiples of the line's offset from the carrier on either side.

    A steady modulation of the carrier (a held note through the speaker, a fan's blade pass) at f puts lines at
    ±f, ±2f, ±3f... Tooth k grows as the k-th power of the modulation's depth, so where the depth wavers, its
    level in dB wavers k times as much as the first's: up to tooth `count`, tooth k may spread by k·std_limit_db
    (and stand min_db over the floor). The line is taken for the first tooth. Tooth k lies within k half bins of
    k times the line's grid offset (the line's own half bin, k times over), so the bins up to (k + 1) // 2 from it.
    """
    offset = LINE_BINS[modal] - STILL_BIN
    teeth = np.zeros(mean_db.shape, dtype=bool)
    for k in range(2, count + 1):
        steady = (std_db <= k * std_limit_db) & (mean_db >= min_db)
        for side in (1, -1):
            centre = STILL_BIN + side * k * offset
            teeth |= steady & (np.abs(LINE_BINS - centre[..., None]) <= (k + 1) // 2)
    return teeth


def _skirt(mean_db: NDArray[np.float64], modal: NDArray[np.intp], slack_db: float, min_db: float) -> NDArray[np.bool_]:
    """(..., line bins): the bins the line's skirt falls through, outwards from it on either side.

    A tone's leakage falls away from its bin, and a strong one's reaches many
    bins, wavering by several dB from frame to frame (too much for the steady
    rule). Outwards from the line, each line bin (in grid order: across the
    still bin, the skirt goes on) whose mean level rises at most slack_db over
    the one before it and stays min_db over the floor is the line's; the first
    that rises more, a walker beside the tone, ends the skirt there.
    """
    idx = np.arange(mean_db.shape[-1])
    on = mean_db >= min_db
    # falls[i]: bin i is no higher than bin i-1 allows (going right); rises[i]: than bin i+1 allows (going left).
    falls = np.ones_like(on)
    falls[..., 1:] = on[..., 1:] & (mean_db[..., 1:] <= mean_db[..., :-1] + slack_db)
    rises = np.ones_like(on)
    rises[..., :-1] = on[..., :-1] & (mean_db[..., :-1] <= mean_db[..., 1:] + slack_db)
    m = modal[..., None]
    # Right of the line: no break between it and here; left of it, likewise.
    broke_right = np.cumsum(~falls, axis=-1)
    right = (idx > m) & (broke_right == np.take_along_axis(broke_right, m, axis=-1))
    broke_left = np.cumsum((~rises)[..., ::-1], axis=-1)[..., ::-1]
    left = (idx < m) & (broke_left == np.take_along_axis(broke_left, m, axis=-1))
    return np.asarray(right | left)


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
    where = WALKING_BINS[peak[..., -frames:]]
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


class LineMemory:
    """How long the still line has held its bin, and the line itself through a window its own dropout breaks.

    A line that has held its bin for tuning.line_known_frames frames in a row
    is known (each frame's within one of the frame before's: a tone between
    two bins flickers, and one whose clock drifts moves slowly). A known line takes its skirt even at the top
    of the scale, where an unknown one may be a walker passing within a
    metre (find_lines' known_bin): their clipped run seldom lasts so long,
    and a walker who makes one has mostly opened the room by then. And where
    a tone drops out for a frame (its level at the line's bin falls by
    tuning.line_outlier_db or more), that frame spreads its level too much
    for as long as it is in the window (CONTEXT_FRAMES frames): a known line
    stays known through them, with the bins it last owned, while the walking
    band's strongest bin stays on it and its level does not rise past the
    line's by as much. Only a fall: a walker coming steadily at the device
    can hold a bin as long as a tone does, but their echo grows as they come
    (which is what ends their window's stillness), and beside a line anyone
    walking in shows as beside any still line.
    """

    def __init__(self, tuning: Tuning = TUNING) -> None:
        self.known_frames = tuning.line_known_frames
        self.dropout_db = tuning.line_outlier_db
        self.reset()

    def reset(self) -> None:
        """A new stream, or frames without the tone: no line known."""
        self._bin = -1
        self._run = 0
        self._gap = 0
        self._own: NDArray[np.bool_] | None = None
        self._last_db: NDArray[np.float32] | None = None  # the newest frame of the last still window: the line's level

    def known_bin(self) -> int:
        """The known line's place among walking.LINE_BINS, -1 where none is known (find_lines' known_bin)."""
        known = self.known_frames is not None and self._run >= self.known_frames
        return self._bin if known else -1

    def update(self, lines: Lines, peak: int) -> Lines:
        """One frame's Lines (one window) → the same, or the known line's where its dropout broke the window.

        peak: the walking band's strongest bin in the newest frame, as a place among walking.LINE_BINS.
        """
        if self.known_frames is None:
            return lines
        if bool(lines.still):
            line = int(lines.line_bin)
            self._run = self._run + 1 if self._run and abs(line - self._bin) <= 1 else 1
            self._bin, self._gap, self._own, self._last_db = line, 0, lines.own, lines.newest_db
            return lines
        if self._bridges(lines.newest_db, peak) and self._own is not None:
            self._gap += 1
            return Lines(np.asarray(True), self._own, lines.newest_db, np.asarray(self._bin))
        self.reset()
        return lines

    def _bridges(self, newest_db: NDArray[np.float32], peak: int) -> bool:
        """Whether a window that is not still is the known line's, its own dropout passing through it."""
        if self.dropout_db is None or self.known_bin() < 0 or self._gap >= CONTEXT_FRAMES or abs(peak - self._bin) > 1:
            return False
        if _LINE_TO_WALKING[self._bin] < 0 or self._last_db is None:  # a slow line's level is not in the walking band
            return False
        level, line_level = _level_near(newest_db, self._bin), _level_near(self._last_db, self._bin)
        if self._gap == 0:  # the frame that broke the window: the tone fell away in it
            return level <= line_level - self.dropout_db
        return level <= line_level + self.dropout_db


# Each line bin's place in the walking band, -1 for the slow bins (not in it).
_LINE_TO_WALKING = np.full(len(LINE_BINS), -1, dtype=np.intp)
_LINE_TO_WALKING[WALKING_IN_LINE] = np.arange(len(WALKING_IN_LINE))


def _level_near(walking_db_row: NDArray[np.float32], line: int) -> float:
    """The newest frame's level (dB) at a line's bin or a neighbour in the walking band, the higher (-inf: none)."""
    places = _LINE_TO_WALKING[max(0, line - 1) : line + 2]
    places = places[places >= 0]
    return float(walking_db_row[places].max()) if len(places) else -math.inf
