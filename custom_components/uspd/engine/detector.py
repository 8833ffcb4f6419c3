"""From per-frame evidence to motion and occupancy: the detector's state machine.

Evidence per frame (evidence.py) comes as logits where 0 is "on" at
sensitivity 50 %, from the network or from the band-energy baseline. The
names in this description are Tuning's fields (tuning.py).

State machine (docs/how-it-works.md, "How it decides"):

- motion: MAJOR when the major logit exceeds the threshold, else MINOR when
  the motion logit does, for onset_frames frames in a row; once on, a state
  stays on down to hysteresis_db below its threshold (minor never
  escalates to major on the lowered bar).
- vacant → occupied on MAJOR motion only, held for occupy_frames frames in
  a row (300 ms) with occupy_gate_db of walking-band energy behind the
  network's call (reporting MAJOR needs only major_gate_db): a curtain or a
  plant in a draft (minor motion with nobody having come in) never occupies
  a room, and nor does a glimpse of something walking-fast (a blade's
  flash, a click) that is gone within that time, nor another device's tone
  (a spectral line that does not move, lines.py), nor a fan's or music's
  walking-band energy (as much approaching as receding, symmetry.py), nor a
  draft's (energy that swung both ways over the last one_way_frames, or
  turned against the last turn_frames' side, direction.py).
  Walking clearly over both opening bars (occupy_fast_logit) opens it after
  occupy_fast_frames instead (100 ms), a sequential test, unless the walking
  band's strongest bin held still through them (lines.held_still: a tone
  that just came on, not yet known as a line) or its energy kept one way over
  the last second less than a walker's does (occupy_fast_one_way: a
  draft's short one-way spells). The network's evidence only: the
  baseline's judges neither.
- vacant → occupied, slowly, for someone already seated when sensing
  starts (nobody walked in): over the last settle_window_s, MINOR motion in
  at least settle_minor_seconds different seconds (spread out, not one
  burst), breathing (stillness.py) over settle_still_db for
  settle_breath_s of it (lower than still_on_db, the hold's: a seated
  person's own hands raise the score's floor and hide it much of the time),
  and hardly any frame that looks like a machine or music (walking-band
  energy as much approaching as receding, symmetry.py; another device's
  still line, lines.py; energy beyond human speeds in at least half of a
  second, a fan's blades, not a key's click or a step through the wall).
  A curtain or a plant seldom sways like a chest (lab/README.md names one
  that did), and breathing alone opens nothing.
- occupied: every MINOR or MAJOR frame restarts the hold; for
  context_window_s after the last MAJOR motion, MINOR motion is accepted
  a context boost below its usual threshold (0.5 logits for the
  network, 0.5 for the baseline; never below the band-energy gate), because someone who just
  walked in and sat down is the likeliest source of small movements
  (reading, typing).
- occupied → vacant after hold_s without motion.
- reported (the Motion entity): what opens a vacant room, any motion in an
  occupied one, lingering motion_clear_s after the last (Decision.reported).
- sensitivity s % moves every threshold by (50 − s)·logit_per_pct
  (±3 logits at 0/100 %; for the baseline, 1.2 dB per 10 %).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from enum import StrEnum

from .evidence import Evidence
from .stillness import still_since
from .tuning import TUNING, Tuning


class Motion(StrEnum):
    """What moves now: nothing, something small (hands, typing), or someone walking."""

    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"


@dataclass(frozen=True)
class DetectorConfig:
    """What the user sets: how readily motion counts, and how long a room stays occupied after it."""

    sensitivity_pct: float = 50.0
    hold_s: float = 30.0


@dataclass(frozen=True)
class SettleCounts:
    """The settle rule's counts over its window: what opens a vacant room for someone seated all along."""

    minor_seconds: int  # different seconds with MINOR motion
    breath_s: float  # seconds with breathing over settle_still_db
    machine_frames: int  # frames that looked like a machine
    frames: int


@dataclass(frozen=True)
class Decision:
    """The detector's word on one frame."""

    t_s: float
    motion: Motion
    occupied: bool
    score: float  # 0..1, confidence that a person moves now
    minor_db: float
    major_db: float
    guard_db: float
    # The last motion, for Tuning.motion_clear_s after it while the room stays occupied.
    lingering: Motion = Motion.NONE

    @property
    def reported(self) -> Motion:
        """Motion as the Motion entity shows it: in a vacant room only what opens it; once occupied, minor too.

        The raw state (`motion`, the Motion type sensor) flickers beside fans,
        curtains and music; nothing opens a room unless walking holds for
        occupy_frames (occupy_fast_frames where it is clear), so a vacant
        room's Motion waits for that too. Once on,
        it stays on until motion_clear_s pass without motion (or the room goes
        vacant), so typing is one stretch of Motion, not one per keystroke.
        """
        if not self.occupied:
            return Motion.NONE
        return self.motion if self.motion != Motion.NONE else self.lingering


class Detector:
    """Evidence per frame in, a Decision per frame out: motion now, and whether the room is occupied.

    network: the evidence is the network's (its context boost), else the baseline's.
    """

    def __init__(self, config: DetectorConfig, tuning: Tuning = TUNING, network: bool = False) -> None:
        self.config = config
        self.tuning = tuning
        self.context_boost_logit = tuning.context_boost_logit(network)
        # The fast opening is the network's: the baseline's evidence judges no direction and no still bin.
        self._fast = network
        self.reset()

    def use_baseline(self) -> None:
        """The evidence comes from the band-energy baseline from now on (the network failed)."""
        self.context_boost_logit = self.tuning.context_boost_logit(False)
        self._fast = False

    def reconfigure(self, config: DetectorConfig) -> None:
        """The user's options changed; the state carries on."""
        self.config = config

    def reset(self) -> None:
        """A new stream: no motion, no room occupied."""
        self._motion = Motion.NONE
        self._above = 0
        self._major_run = 0
        self._strong_run = 0  # the frames of that run clearly over both opening bars (Tuning.occupy_fast_frames)
        self._beside_line = False
        self._last_motion_s: float | None = None
        self._last_major_s: float | None = None
        self._lingering = Motion.NONE
        self._lingering_s = -math.inf
        # Per whole second of the settle window: [second, frames, breathing frames, MINOR frames, machine frames,
        # frames with energy beyond human speeds and nothing else machine-like].
        self._seconds: deque[list[int]] = deque()
        self.occupied = False

    @property
    def last_motion_s(self) -> float | None:
        """When motion last kept (or made) the room occupied, or a still person was last known there."""
        return self._last_motion_s

    def assume_occupied(self, t_s: float) -> None:
        """The room was occupied when sensing last stopped: hold it from t_s, as if someone had just moved.

        Minor motion and breathing then keep it, as for anyone seated; with
        neither it goes vacant after hold_s, as any room does.
        """
        if not self.occupied:
            self.occupied = True
            self._last_motion_s = t_s

    def threshold_logit(self) -> float:
        """Every logit's threshold at the user's sensitivity."""
        return (50.0 - self.config.sensitivity_pct) * self.tuning.logit_per_pct

    def _bars(self) -> tuple[float, float]:
        """(motion, major): what each logit must exceed this frame, hysteresis holding the present state."""
        theta = self.threshold_logit()
        hysteresis = self.tuning.hysteresis_logit
        held = self._motion != Motion.NONE
        return theta - (hysteresis if held else 0.0), theta - (hysteresis if self._motion == Motion.MAJOR else 0.0)

    def rules_out_motion(self, motion_cap: float, major_cap: float) -> bool:
        """Whether the next frame is no motion whatever the network says: its band energy caps each logit below its bar.

        Then the network need not be asked (evidence.energy_caps); what the
        frame decides cannot depend on it.
        """
        motion_bar, major_bar = self._bars()
        return motion_cap <= motion_bar and major_cap <= major_bar

    def in_context(self, t_s: float) -> bool:
        """Within context_window_s of the last major motion while occupied: minor motion counts more."""
        return (
            self.occupied
            and self._last_major_s is not None
            and t_s - self._last_major_s <= self.tuning.context_window_s
        )

    def _machine_like(self, ev: Evidence) -> bool:
        """The frame's energy looks like a fan, music or another device's tone rather than a person."""
        gate = self.tuning.occupy_gate_db
        symmetric = ev.occupy_cap == -math.inf and ev.major_db >= gate  # walking band even on both sides
        return symmetric or ev.beside_line

    def _machine_frames(self, row: list[int]) -> int:
        """A second's machine-like frames; energy beyond human speeds counts where it fills settle_guard_persist of it.

        A fan's blades keep it up; a key, a click or a step through the wall
        puts it in a frame or two, and a seated person's room has those too.
        """
        guard = row[5] if row[5] >= self.tuning.settle_guard_persist * row[1] else 0
        return row[4] + guard

    def _settle(self, t_s: float, ev: Evidence, motion: Motion, breathing: bool) -> bool:
        """Someone seated all along: minor motion spread over the window, breathing in it, nothing machine-like."""
        tuning = self.tuning
        second = math.floor(t_s)
        if not self._seconds or self._seconds[-1][0] != second:
            self._seconds.append([second, 0, 0, 0, 0, 0])
        while self._seconds[0][0] <= second - tuning.settle_window_s:
            self._seconds.popleft()
        row = self._seconds[-1]
        row[1] += 1
        row[2] += breathing
        row[3] += motion == Motion.MINOR
        machine = self._machine_like(ev)
        row[4] += machine
        row[5] += not machine and ev.guard_db >= tuning.settle_guard_db
        if self.occupied or motion != Motion.MINOR:
            return False
        counts = self.settle_counts()
        return (
            counts.minor_seconds >= tuning.settle_minor_seconds
            and counts.breath_s >= tuning.settle_breath_s
            and counts.machine_frames <= tuning.settle_machine_share * counts.frames
        )

    def settle_counts(self) -> SettleCounts:
        """What the settle rule counts over its window so far (the lab's why_unsettled reads it)."""
        return SettleCounts(
            sum(r[3] > 0 for r in self._seconds),
            sum(r[2] / r[1] for r in self._seconds),
            sum(self._machine_frames(r) for r in self._seconds),
            sum(r[1] for r in self._seconds),
        )

    def update(self, t_s: float, ev: Evidence, still_db: float = math.nan) -> Decision:
        """Decide one frame.

        still_db: breathing's score of the last window (stillness.py; nan: none).
        Over still_on_db a still person was there from the window's start: it
        keeps an occupied room occupied as if they had moved then. Over
        settle_still_db, with sustained minor motion and nothing machine-like,
        it opens a vacant one (the settle rule, above).
        """
        still_since_s = still_since(t_s, still_db, self.tuning)
        theta = self.threshold_logit()
        boost = self.context_boost_logit if self.in_context(t_s) else 0.0
        motion_ev = min(ev.motion_logit + boost, ev.motion_cap)
        held = self._motion != Motion.NONE
        # Hysteresis keeps a state; it never lowers the bar to escalate minor to major.
        hysteresis = self.tuning.hysteresis_logit
        motion_bar, major_bar = self._bars()
        if ev.major_logit > major_bar:
            candidate = Motion.MAJOR
        elif motion_ev > motion_bar:
            candidate = Motion.MINOR
        else:
            candidate = Motion.NONE
        if candidate == Motion.NONE:
            self._above = 0
            self._motion = Motion.NONE
        else:
            self._above += 1
            if self._above >= self.tuning.onset_frames or held:
                self._motion = candidate
        motion = self._motion
        # A tone that just switched on is judged on the whole band until it has
        # held still long enough to be known as a line: the frames counted so
        # far were the tone's own, so the run starts again beside it.
        if ev.beside_line and not self._beside_line:
            self._major_run = self._strong_run = 0
        self._beside_line = ev.beside_line
        # The opening run has hysteresis of its own: it starts over the full bar and holds down to the lowered one.
        off_open = hysteresis if self._major_run else 0.0
        open_logit = min(ev.major_logit, ev.occupy_cap)  # the network's call and the gate's, the lower
        opening = motion == Motion.MAJOR and open_logit > theta - off_open and not ev.two_way
        self._major_run = self._major_run + 1 if opening else 0
        clear = open_logit - theta >= self.tuning.occupy_fast_logit and not (ev.held_still or ev.wavering)
        strong = self._fast and opening and clear
        self._strong_run = self._strong_run + 1 if strong else 0
        if motion == Motion.MAJOR:
            self._last_major_s = t_s
        opens = self._major_run >= self.tuning.occupy_frames or self._strong_run >= self.tuning.occupy_fast_frames
        settles = self._settle(t_s, ev, motion, still_db >= self.tuning.settle_still_db)
        if settles and not self.occupied:
            self._last_motion_s = t_s
            self.occupied = True
        if (motion == Motion.MAJOR and (self.occupied or opens)) or (motion == Motion.MINOR and self.occupied):
            self._last_motion_s = t_s
            self.occupied = True
        elif self.occupied and still_since_s is not None and self._last_motion_s is not None:
            self._last_motion_s = max(self._last_motion_s, still_since_s)
        if self._last_motion_s is not None and t_s - self._last_motion_s > self.config.hold_s:
            self.occupied = False
        margin = max(ev.major_logit - theta, motion_ev - theta)
        score = 1.0 / (1.0 + math.exp(max(-60.0, min(60.0, -margin))))
        if motion != Motion.NONE and self.occupied:
            self._lingering, self._lingering_s = motion, t_s
        elif not self.occupied or t_s - self._lingering_s >= self.tuning.motion_clear_s:
            self._lingering = Motion.NONE
        return Decision(t_s, motion, self.occupied, score, ev.minor_db, ev.major_db, ev.guard_db, self._lingering)
