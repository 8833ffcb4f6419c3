"""Whether the walking band's energy kept one direction over the last second: a walker does, a draft does not.

Someone who walks in keeps coming towards the device (or going away) for
seconds, so frame after frame their walking-band energy sits on the same
side of the carrier. A ceiling fan's draft jitters the speed of sound on
every path at once: each wall's and each piece of furniture's echo seems to
move at a speed in proportion to its range, all the same way, and the way
turns with the draft's eddies, many times a second. Over a short window
that can look like one walker; over a second it swings both ways. So each
frame's approaching minus receding power (over the floor, per bin) is kept
for Tuning.one_way_frames; where they cancel to less than
Tuning.one_way_share of their total size (|Σ d| / Σ |d|), the frame counts
towards no opening (detector.py). A walker who turns round opens the room
once they have kept the new way long enough.

A fan switched on, or a gust, has not swung both ways over a whole second
yet, but its eddies turn it within a few hundred milliseconds: so a frame
whose side had Tuning.turn_share or more of the last Tuning.turn_frames'
side difference against it counts towards no opening either. A walker's
energy stays on their side from frame to frame (against_share).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .walking import TOWARDS

# Per walking bin, +1/n on the approaching side and −1/n on the receding one: one product is the difference of means.
_SIDES = np.where(TOWARDS, 1.0 / TOWARDS.sum(), -1.0 / (~TOWARDS).sum())


def side_difference(power: NDArray[np.float64]) -> float:
    """One frame's walking-band power over the floor → the approaching side's mean less the receding side's."""
    return float(power @ _SIDES)


def against_share(differences: NDArray[np.float64]) -> float:
    """Of a window's side differences (oldest first), the share of Σ |d| against the newest's side (0: no side)."""
    total = float(np.abs(differences).sum())
    newest = float(np.sign(differences[-1]))
    against = float(np.abs(differences[differences * newest < 0]).sum())
    return against / total if total > 0 else 0.0


def one_way_share(differences: NDArray[np.float64]) -> float:
    """|Σ d| / Σ |d| over a window of side differences; 1 where the window holds none (silence, a reset)."""
    total = float(np.abs(differences).sum())
    return abs(float(differences.sum())) / total if total > 0 else 1.0


class DirectionHistory:
    """Streaming: push each frame's walking-band power (WalkingWindow's newest row); share() covers the last frames.

    A ring: a frame's push writes one value, and the engine takes the sums
    (share, against) only on frames that may be MAJOR and so open a room.
    """

    def __init__(self, frames: int) -> None:
        self._d = np.zeros(frames)
        self._next = 0
        self._pushed = 0

    def reset(self) -> None:
        """Silence: nothing went either way."""
        self._d[:] = 0.0
        self._next = 0
        self._pushed = 0

    @property
    def full(self) -> bool:
        """Whether a whole window of frames was pushed since the last reset."""
        return self._pushed >= len(self._d)

    def push(self, power: NDArray[np.float64]) -> None:
        """Add the newest frame's walking-band power over the floor."""
        self._d[self._next] = side_difference(power)
        self._next = (self._next + 1) % len(self._d)
        self._pushed = min(self._pushed + 1, len(self._d))

    def share(self) -> float:
        """How much of the window's side difference kept its net direction (one_way_share)."""
        return one_way_share(self._d)

    def against(self, frames: int) -> float:
        """Of the last `frames` (1 to the window), the share against the newest frame's side (against_share)."""
        frames = max(1, min(frames, len(self._d)))
        last = np.take(self._d, np.arange(self._next - frames, self._next), mode="wrap")
        return against_share(last)


def one_way_shares(power: NDArray[np.float64], frames: int) -> NDArray[np.float64]:
    """(frames of a stream, walking bins) → each frame's share, streamed as the engine streams it (the same bits)."""
    history = DirectionHistory(frames)
    out = np.empty(len(power))
    for k, row in enumerate(power):
        history.push(row)
        out[k] = history.share()
    return out


def against_shares(power: NDArray[np.float64], frames: int, window: int) -> NDArray[np.float64]:
    """(frames of a stream, walking bins) → each frame's against_share over the last `frames`, as the engine's.

    window: the history's (Tuning.one_way_frames), which bounds `frames` as the engine's does.
    """
    history = DirectionHistory(window)
    out = np.empty(len(power))
    for k, row in enumerate(power):
        history.push(row)
        out[k] = history.against(frames)
    return out
