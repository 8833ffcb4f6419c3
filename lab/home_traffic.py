"""A seeded model of what a home's satellites decide, for the MQTT load benchmark (lab/bench_mqtt.py): no sound.

Each room's timeline is its state at time 0 and then each change of what an
automation reads (occupancy, the Motion entity, the Motion type sensor);
`with_refreshes` adds the messages a satellite sends when nothing changes
(its diagnostics, every 60 s).
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Sequence

from custom_components.uspd.engine.detector import Motion


@dataclasses.dataclass(frozen=True)
class HomeModel:
    """A seeded model of one room's decisions on a busy evening (the defaults are the benchmark's).

    Visits alternate with empty spells (exponential lengths, so a third of rooms are occupied at any
    time). A visit opens with a walk in (motion type major at once; occupancy and motion 0.3 s
    later: the detector opens a room after 300 ms of walking, 100 ms of clear walking), then alternates quiet spells
    with bursts of small motion (hands, typing) and now and then a walk about, and ends with a
    walk out; occupancy clears after the clear delay. Seated, that is about 20 state messages a
    minute, as the real satellite sends on the demo's seated scene (the report's last lines).
    Empty rooms see a few blips of raw minor motion an hour (the Motion type sensor only: the
    Motion entity waits for what opens a room). No two changes are closer than `min_gap_s`.
    """

    vacant_mean_s: float = 1200.0
    visit_mean_s: float = 600.0
    visit_min_s: float = 30.0
    # Motion here clears with each quiet spell, as it did before it lingered 5 s after the last motion
    # (Tuning.motion_clear_s): more state changes than the integration makes now, an upper bound.
    quiet_mean_s: float = 4.0
    burst_s: tuple[float, float] = (0.5, 4.0)
    walk_share: float = 0.1
    walk_s: tuple[float, float] = (2.0, 6.0)
    entry_s: tuple[float, float] = (2.0, 5.0)
    open_s: float = 0.3
    clear_delay_s: float = 30.0
    empty_blips_per_h: float = 10.0
    blip_s: tuple[float, float] = (0.3, 1.5)
    min_gap_s: float = 0.3

    @property
    def occupied_share(self) -> float:
        """The share of time a room is occupied, in the long run."""
        return self.visit_mean_s / (self.visit_mean_s + self.vacant_mean_s)


@dataclasses.dataclass(frozen=True)
class Decision:
    """What one room's satellite shows from `t_s` on; `refresh`: the same as before, published for its diagnostics."""

    t_s: float
    occupied: bool
    motion: Motion  # the Motion entity (context-aware)
    motion_type: Motion  # the Motion type sensor (the raw state)
    refresh: bool = False

    def same_as(self, other: Decision) -> bool:
        """Whether the entities an automation reads show the same."""
        return (self.occupied, self.motion, self.motion_type) == (other.occupied, other.motion, other.motion_type)


def room_timeline(model: HomeModel, rng: random.Random, duration_s: float) -> list[Decision]:
    """One room's decisions from 0 to `duration_s`: its state at 0, then each change."""
    out: list[Decision] = []

    def add(t_s: float, occupied: bool, motion: Motion, motion_type: Motion) -> None:
        decision = Decision(t_s, occupied, motion, motion_type)
        if not out or not decision.same_as(out[-1]):
            out.append(decision)

    def span(bounds: tuple[float, float]) -> float:
        return max(model.min_gap_s, rng.uniform(*bounds))

    def wait(mean_s: float) -> float:
        return max(model.min_gap_s, rng.expovariate(1.0 / mean_s))

    def visit(t_s: float, length_s: float, *, walk_in: bool) -> float:
        """A visit from `t_s`; returns when the room is vacant again."""
        end_s = t_s + length_s
        if walk_in:
            add(t_s, False, Motion.NONE, Motion.MAJOR)
            t_s += max(model.open_s, model.min_gap_s)
            add(t_s, True, Motion.MAJOR, Motion.MAJOR)
            t_s += span(model.entry_s)
        while t_s < end_s and t_s <= duration_s:
            add(t_s, True, Motion.NONE, Motion.NONE)
            t_s += wait(model.quiet_mean_s)
            walking = rng.random() < model.walk_share
            kind = Motion.MAJOR if walking else Motion.MINOR
            add(t_s, True, kind, kind)
            t_s += span(model.walk_s if walking else model.burst_s)
        add(t_s, True, Motion.MAJOR, Motion.MAJOR)  # the walk out
        t_s += span(model.entry_s)
        add(t_s, True, Motion.NONE, Motion.NONE)
        t_s += model.clear_delay_s
        add(t_s, False, Motion.NONE, Motion.NONE)
        return t_s

    def vacant(t_s: float, length_s: float) -> float:
        """An empty spell from `t_s` with its blips of raw motion; returns when it ends."""
        end_s = t_s + length_s
        rate_per_s = model.empty_blips_per_h / 3600.0
        blip_at = t_s + (rng.expovariate(rate_per_s) if rate_per_s > 0 else math.inf)
        while blip_at < end_s - 2 * model.min_gap_s and blip_at <= duration_s:
            blip_at = max(blip_at, (out[-1].t_s if out else 0.0) + model.min_gap_s)
            blip_end = min(blip_at + span(model.blip_s), end_s - model.min_gap_s)
            if blip_end - blip_at >= model.min_gap_s:
                add(blip_at, False, Motion.NONE, Motion.MINOR)
                add(blip_end, False, Motion.NONE, Motion.NONE)
            blip_at = blip_end + rng.expovariate(rate_per_s)
        return end_s

    # Start in the steady state: occupied with the long-run share, the spell's rest drawn afresh (memoryless).
    t_s = 0.0
    if rng.random() < model.occupied_share:
        add(0.0, True, Motion.NONE, Motion.NONE)
        t_s = visit(0.0, rng.expovariate(1.0 / model.visit_mean_s), walk_in=False)
    else:
        add(0.0, False, Motion.NONE, Motion.NONE)
    while t_s <= duration_s:
        t_s = vacant(t_s, rng.expovariate(1.0 / model.vacant_mean_s))
        t_s = visit(t_s, max(model.visit_min_s, rng.expovariate(1.0 / model.visit_mean_s)), walk_in=True)
    return [d for d in out if d.t_s <= duration_s]


def with_refreshes(changes: Sequence[Decision], duration_s: float, interval_s: float) -> list[Decision]:
    """Every state message the satellite sends: each change, and the same again `interval_s` after the last message."""
    out: list[Decision] = []
    for change in [*changes, None]:
        until_s = duration_s if change is None else change.t_s
        while out and out[-1].t_s + interval_s <= until_s:
            out.append(dataclasses.replace(out[-1], t_s=out[-1].t_s + interval_s, refresh=True))
        if change is not None:
            out.append(change)
    return out
