"""Low-power emission: once presence is confirmed, the tone pauses and comes back to re-check.

Why it is safe: the room goes vacant only after hold_s without motion, and
for the last RECHECK_S of any hold the tone is on all the time, so a person
still there gets as long a look before the room is called empty as without
power saving. Between, while someone is known to be in the room, the tone
plays ON_S out of every ON_S + OFF_S (25 %); motion seen during an on-phase
keeps it on until the motion stops. Whenever the room is vacant, or power
saving is off, the tone is always on (first detections need every frame).

Costs, measured by ``scripts/lab powersave`` (lab/results/powersave.json): a
person who starts walking while the tone is paused is seen up to OFF_S later
(the room is already occupied, so no automation waits on it; the motion
entity does).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .detector import Decision, Motion

ON_S = 1.0
OFF_S = 3.0
RECHECK_S = 10.0
# Duty-cycle statistics over this window (the diagnostic sensor's reading).
WINDOW_S = 60.0


@dataclass
class _Phase:
    emitting: bool
    since_s: float


class DutyMeter:
    """Fraction of time the tone was really on (the user's switch and power saving together)."""

    def __init__(self) -> None:
        self._last_t: float | None = None
        self._window: deque[tuple[float, float, bool]] = deque()  # (t, dt, on)
        self.on_s = 0.0
        self.total_s = 0.0

    def add(self, t_s: float, on: bool) -> None:
        """One frame at stream time `t_s`, the tone `on` or not since the last."""
        if self._last_t is not None:
            dt = max(0.0, t_s - self._last_t)
            self.total_s += dt
            self.on_s += dt if on else 0.0
            self._window.append((t_s, dt, on))
            while self._window and self._window[0][0] < t_s - WINDOW_S:
                self._window.popleft()
        self._last_t = t_s

    def recent(self) -> float:
        """Over the last WINDOW_S (1.0 before anything is known)."""
        total = sum(dt for _, dt, _ in self._window)
        return 1.0 if total <= 0 else sum(dt for _, dt, on in self._window if on) / total

    def lifetime(self) -> float:
        """Over the whole stream (1.0 before anything is known)."""
        return 1.0 if self.total_s <= 0 else self.on_s / self.total_s


class PowerSaver:
    """Decides, frame by frame, whether the tone plays (the module's rules); on whenever disabled."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._phase = _Phase(True, 0.0)

    @property
    def emitting(self) -> bool:
        """Whether the tone should be on now."""
        return self._phase.emitting

    def update(self, d: Decision, last_motion_s: float | None, hold_s: float) -> bool:
        """After each frame: whether the tone should be on from now on."""
        want = self._decide(d, last_motion_s, hold_s)
        if want != self._phase.emitting:
            self._phase = _Phase(want, d.t_s)
        return want

    def _decide(self, d: Decision, last_motion_s: float | None, hold_s: float) -> bool:
        if not self.enabled or not d.occupied or last_motion_s is None:
            return True
        if d.t_s - last_motion_s >= hold_s - RECHECK_S:
            return True  # about to call the room empty: look all the time
        in_phase = d.t_s - self._phase.since_s
        if self._phase.emitting:
            # Stay on while motion is seen (someone is active: the motion entity follows them).
            return d.motion != Motion.NONE or in_phase < ON_S
        return in_phase >= OFF_S
