"""Per-frame evidence for the detector: logits where 0 is "on" at sensitivity 50 %.

Evidence comes from one of two sources:

- the network (classifier.py): P(background, minor, major) per frame, each
  call capped by the band energy behind it (network_evidence);
- the non-neural baseline: Doppler-band energy (bands.py), the excess in the
  guard band (machines) subtracted first (BandEvidence). The benchmark runs it
  beside the network to show what the network buys.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from .bands import GUARD_BAND_MPS, MAJOR_BAND_MPS, MINOR_BAND_MPS, band_excess_db, band_weights
from .tuning import TUNING, Tuning


@dataclass(frozen=True)
class Evidence:
    """What one frame says: two logits, the band energies behind them, and the caps the bands set."""

    motion_logit: float  # someone moves (minor or major), 0 = on at 50 %
    major_logit: float  # someone walks, 0 = on at 50 %
    minor_db: float
    major_db: float
    guard_db: float
    # The band energy's cap on motion_logit: the context boost lowers the
    # network's bar, never this one.
    motion_cap: float = math.inf
    # The band energy's cap on major_logit for opening an empty room.
    occupy_cap: float = math.inf
    # The cap was judged beside a still line (lines.py), not on the whole band.
    beside_line: bool = False
    # The walking band's strongest bin and its level held still over the last frames (lines.held_still): maybe
    # a tone too young to be known as a line, so this frame does not count towards a fast opening.
    held_still: bool = False
    # The walking band's energy swung both ways over the last second, or turned against the last few hundred ms
    # (direction.py): a draft, not a walker, so this frame counts towards no opening.
    two_way: bool = False
    # It kept one way less than a walker does over that second (Tuning.occupy_fast_one_way): it may open a room,
    # but not by the fast run.
    wavering: bool = False


# What a frame without a tone (or just after one changed) says: nothing moved that we could see.
NO_EVIDENCE = Evidence(-math.inf, -math.inf, 0.0, 0.0, 0.0, -math.inf, -math.inf)


class BandEvidence:
    """The baseline: band energies over the noise floor."""

    def __init__(self, speeds_mps: NDArray[np.float64], tuning: Tuning = TUNING) -> None:
        self.tuning = tuning
        self._weights = band_weights(speeds_mps, (MINOR_BAND_MPS, MAJOR_BAND_MPS, GUARD_BAND_MPS))

    def bands(self, ratio: NDArray[np.float64]) -> tuple[float, float, float]:
        """(minor, major, guard) dB with machine energy taken out of the human bands."""
        minor_raw, major_raw, guard = band_excess_db(ratio, self._weights)
        # Noise alone reads ~0 dB: what exceeds it beyond human speeds is machines.
        machine = max(0.0, guard)
        return minor_raw - machine, major_raw - machine, guard

    def __call__(self, ratio: NDArray[np.float64]) -> Evidence:
        """The baseline's evidence from one frame's power over the floor."""
        return band_evidence(self.bands(ratio), self.tuning)


def band_evidence(bands: tuple[float, float, float], tuning: Tuning = TUNING) -> Evidence:
    """The baseline's evidence from its (minor, major, guard) band dB."""
    minor, major, guard = bands
    return Evidence(
        motion_logit=(minor - tuning.minor_on_db) * tuning.logit_per_db,
        major_logit=(major - tuning.major_on_db) * tuning.logit_per_db,
        minor_db=minor,
        major_db=major,
        guard_db=guard,
    )


def _logit(p: float) -> float:
    p = min(max(p, 1e-7), 1 - 1e-7)
    return math.log(p / (1 - p))


def energy_caps(
    bands: tuple[float, float, float], tuning: Tuning = TUNING, motion_db: float | None = None
) -> tuple[float, float]:
    """(motion, major): the band energy's caps on the network's two logits (network_evidence).

    motion_db: the energy the motion cap weighs (RecentMotionEnergy); by default this frame's, in either band.
    """
    minor_db, major_db, _ = bands
    per_db = tuning.logit_per_db
    moving_db = max(minor_db, major_db) if motion_db is None else motion_db
    return (moving_db - tuning.motion_gate_db) * per_db, (major_db - tuning.major_gate_db) * per_db


class RecentMotionEnergy:
    """The most energy in either band over the last Tuning.motion_cap_frames frames: what the motion gate weighs.

    The network calls motion on its whole window (CONTEXT_FRAMES or more), and a
    hand's micro-Doppler comes in bursts of a few frames, so its call often
    peaks just after the energy did: capped by each frame's own energy, the
    two seldom agree in one frame. Only while the room is occupied, where
    minor motion is reported and holds the room (the engine's choice): each
    frame the gate may pass is one the network must be asked about, and in
    an empty room the noise's chance peaks would pass it for several frames.
    The gates on walking stay per frame. Off as shipped (one frame): with
    more, the noise's peaks after everyone left restart the room's hold.
    """

    def __init__(self, frames: int) -> None:
        self._recent: deque[float] = deque(maxlen=max(1, frames))

    def reset(self) -> None:
        """A new stream, or frames without the tone: nothing moved of late."""
        self._recent.clear()

    def push(self, bands: tuple[float, float, float]) -> float:
        """Add this frame's (minor, major, guard) dB; the most minor or major energy over the recent frames."""
        self._recent.append(max(bands[0], bands[1]))
        return max(self._recent)


class RecentWalking:
    """The walking band's median over the recent frames before an opening run: where the opening gate stands.

    Over Tuning.recent_frames, before the last occupy_frames. Music and a
    ceiling fan's draft fill the walking band for as long as they sound, and
    the network's walking call on them, however rare, can hold for an
    opening run; someone coming in rises over them. The run's own frames are
    left out, so a walker does not raise the level he must clear.
    """

    def __init__(self, frames: int, gap: int) -> None:
        self._full = frames + gap
        self._levels: deque[float] = deque(maxlen=self._full)
        self._gap = gap

    def reset(self) -> None:
        """A new stream, or frames without the tone: nothing heard of late."""
        self._levels.clear()

    def push(self, walking_db: float) -> None:
        """Add this frame's walking-band energy (dB over the floor)."""
        self._levels.append(walking_db)

    def levels(self) -> tuple[float, float] | None:
        """The median over the frames before the last gap, and the mean of those last (the run's).

        None until the whole window has been heard since a reset: after a cold start someone may be walking
        all along, and a short window would hold only his own frames. Asked only where a frame may open a vacant
        room: a median every frame would cost more than the frame's other rules.
        """
        if len(self._levels) < self._full:
            return None
        levels = np.fromiter(self._levels, dtype=np.float64, count=self._full)
        return float(np.median(levels[: -self._gap])), float(levels[-self._gap :].mean())


def over_recent(ev: Evidence, recent_db: float, last_db: float, tuning: Tuning = TUNING) -> Evidence:
    """The walking band's mean over the last occupy_frames must clear its recent median by recent_rise_db.

    Only where that is higher than occupy_gate_db, and not beside a still
    line (another device's tone holds the whole band up; the lines' rules
    judge walking beside it). The mean, not each frame's level: beside music
    or a fan the band wavers by several dB from frame to frame, and each dip
    would end the opening run.
    """
    gate = recent_db + tuning.recent_rise_db
    if gate <= tuning.occupy_gate_db or ev.beside_line:
        return ev
    return replace(ev, occupy_cap=min(ev.occupy_cap, (last_db - gate) * tuning.logit_per_db))


def network_evidence(
    probs: NDArray[np.float32] | None,
    bands: tuple[float, float, float],
    tuning: Tuning = TUNING,
    opens_no_room: bool = False,
    occupy_db: float | None = None,
    held_still: bool = False,
    two_way: bool = False,
    motion_db: float | None = None,
    wavering: bool = False,
    opening_db: float | None = None,
) -> Evidence:
    """probs: (background, minor, major), None where it was not asked; bands: the baseline's (minor, major, guard) dB.

    The network says what moves; the band energy must agree that something
    does: each logit is capped by the band's excess over a gate well below
    the baseline's own thresholds (tuning's major, motion and occupy gates).
    A texture the network never saw (a curtain's sway, a new device's tone)
    cannot open a room on its own. A walk across the line of sight has little
    radial speed and so little walking-band energy; the network still knows
    its gait. opens_no_room: the window's walking band holds what no walker
    makes (the same energy approaching as receding, symmetry.py): it opens no
    room however sure the network is. occupy_db: the walking-band energy that
    must clear the opening gate, where not all of it may count (beside a
    still line, lines.py); by default the band's own. held_still: the walking
    band's strongest bin held still of late (lines.held_still). two_way: its
    energy swung both ways over the last second, or turned against the last
    frames (direction.py); wavering: it kept one way, but less than a fast
    opening asks. motion_db: the energy behind the motion call
    (RecentMotionEnergy), by default this frame's. opening_db: where no
    still line is, the walking band's strongest bins' level
    (Tuning.occupy_gate_top_bins; walking.top_db), weighed against
    occupy_gate_top_db instead of the band's mean against occupy_gate_db.

    Without probs (the band energy alone ruled motion out, Detector.rules_out_motion)
    both logits are -inf: the frame is no motion whatever the network would
    say, and scores 0; the caps and band energies stand as they are.
    """
    major_db = bands[1]
    per_db = tuning.logit_per_db
    energy_motion, energy_major = energy_caps(bands, tuning, motion_db)
    if probs is None:
        motion_logit = major_logit = -math.inf
    else:
        motion_logit = _logit(1.0 - float(probs[0])) - tuning.network_motion_bias_logit
        major_logit = min(_logit(float(probs[2])) - tuning.network_major_bias_logit, energy_major)
    return Evidence(
        motion_logit=motion_logit,
        major_logit=major_logit,
        minor_db=bands[0],
        major_db=bands[1],
        guard_db=bands[2],
        motion_cap=energy_motion,
        occupy_cap=-math.inf
        if opens_no_room
        else (
            (occupy_db - tuning.occupy_gate_db)
            if occupy_db is not None
            else (opening_db - tuning.occupy_gate_top_db)
            if opening_db is not None
            else (major_db - tuning.occupy_gate_db)
        )
        * per_db,
        beside_line=occupy_db is not None,
        held_still=held_still,
        two_way=two_way,
        wavering=wavering,
    )
