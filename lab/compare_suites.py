"""The standard and the shifted suite side by side, against #26's goals: a table from two `lab.eval` reports.

    scripts/env python -m lab.compare_suites STANDARD.json SHIFTED.json [--out FILE]

STANDARD.json is a report of `lab.eval` on the standard suite (its sets by
their plain names), SHIFTED.json one of `lab.eval --suite shifted`. For
each goal it shows the network on both suites and the band-energy baseline
on the shifted one, with the 95 % intervals the reports carry, and whether
the goal holds on the point estimate and on the interval.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .shifted import DISTRACTOR_CLASSES

# The standard suite's empty-room sources by the shifted suite's class names (by_source keys).
STANDARD_SOURCE = {
    "ceiling_fan": "fan",
    "pedestal_fan": "pedestal_fan",
    "music": "music",
    "curtain": "curtain",
    "tone": "interferer",
    "impulses": "impulses",
}

Row = dict[str, Any]


def _rate(v: list[float] | None) -> str:
    if not v:
        return "—"
    k, n, p, lo, hi = v
    return f"{100 * p:.1f} % [{100 * lo:.1f}, {100 * hi:.1f}] ({int(k)}/{int(n)})"


def _per_h(v: list[float] | None, hours: float | None = None) -> str:
    if not v:
        return "—"
    if len(v) == 5:  # by_source: (count, hours, rate, lo, hi)
        k, hours, r, lo, hi = v
    else:
        k, r, lo, hi = v
    where = f", {hours:.1f} h" if hours is not None else ""
    return f"{r:.2f} [{lo:.2f}, {hi:.2f}] ({int(k)}{where})"


def _ms(v: list[float] | None) -> str:
    return "—" if not v else f"{1000 * v[0]:.0f} ms [{1000 * v[1]:.0f}, {1000 * v[2]:.0f}]"


def _seconds(v: list[float] | None) -> str:
    return "—" if not v or v[0] != v[0] else f"{v[0]:.1f} s [{v[1]:.1f}, {v[2]:.1f}]"  # NaN: none opened


def _get(table: dict[str, Row], name: str, detector: str, figure: str) -> Any:
    return table.get(f"{name}/{detector}", {}).get(figure)


def _by_source(table: dict[str, Row], detector: str, figure: str, source: str) -> list[float] | None:
    """A standard-suite class's (count, hours, rate, lo, hi) from its empty-room sets' by_source, summed."""
    found = [
        table[key][figure][source]
        for key in (f"negative/{detector}", f"negative_home/{detector}")
        if key in table and source in table[key].get(figure, {})
    ]
    if not found:
        return None
    if len(found) == 1:
        return list(found[0])
    from .eval import poisson_rate

    k, hours = sum(f[0] for f in found), sum(f[1] for f in found)
    return [k, hours, *poisson_rate(int(k), hours)]


def _holds(value: Any, goal: tuple[str, float]) -> str:
    """'yes', 'point only' or 'no' for a goal (≥ or ≤ a bound) on a rate's or latency's value and interval."""
    if not value:
        return "—"
    op, bound = goal
    point, lo, hi = (value[2], value[3], value[4]) if len(value) == 5 else (value[-3], value[-2], value[-1])
    if op == ">=":
        return "yes" if lo >= bound else "point only" if point >= bound else "no"
    return "yes" if hi <= bound else "point only" if point <= bound else "no"


def compare(standard: dict[str, Row], shifted: dict[str, Row]) -> str:
    """The goals' table as markdown."""
    lines = [
        "| Goal | Figure | Standard, network | Shifted, network | Shifted, baseline | Holds (shifted) |",
        "|---|---|---|---|---|---|",
    ]

    def row(goal: str, figure: str, std: str, sh: str, base: str, holds: str) -> None:
        lines.append(f"| {goal} | {figure} | {std} | {sh} | {base} | {holds} |")

    for cls in DISTRACTOR_CLASSES:
        sh = _get(shifted, f"shifted_negative_{cls}", "network", "motion_entity_false_alarms_per_h")
        hours = _get(shifted, f"shifted_negative_{cls}", "network", "hours")
        std = _by_source(standard, "network", "motion_entity_false_alarms_by_source", STANDARD_SOURCE[cls])
        base = _get(shifted, f"shifted_negative_{cls}", "baseline", "motion_entity_false_alarms_per_h")
        row(
            "3: ≤ 1 / h",
            f"Motion turn-ons, empty room, {cls.replace('_', ' ')}",
            _per_h(std),
            _per_h(sh, hours),
            _per_h(base),
            _holds(sh, ("<=", 1.0)),
        )
    for name, label in (("walk", "walks"), ("walk_fan", "walks, a fan running"), ("walk_music", "walks, music")):
        sh = _get(shifted, f"shifted_{name}", "network", "motion_entity_latency_median_s")
        row(
            "3: ≤ 300 ms",
            f"Motion latency from within 4 m, median, {label}",
            _ms(_get(standard, name, "network", "motion_entity_latency_median_s")),
            _ms(sh),
            _ms(_get(shifted, f"shifted_{name}", "baseline", "motion_entity_latency_median_s")),
            "—" if not sh else ("yes" if sh[2] <= 0.3 else "point only" if sh[0] <= 0.3 else "no"),
        )
    seated = (("seated", "seated"), ("enter_sit", "after a walk-in"), ("enter_distracted", "beside a distractor"))
    for name, label in seated:
        sh = _get(shifted, f"shifted_{name}", "network", "minor_detected")
        row(
            "3, 4: ≥ 95 %",
            f"seated minor motion, {label}",
            _rate(_get(standard, name, "network", "minor_detected")),
            _rate(sh),
            _rate(_get(shifted, f"shifted_{name}", "baseline", "minor_detected")),
            _holds(sh, (">=", 0.95)),
        )
    # #26 names no rate for goal 6; the table holds it to seated minor motion's. The scenes last 30 s, not 60.
    sh = _get(shifted, "shifted_seated", "network", "seated_from_the_start_occupied")
    row(
        "6: ≥ 95 % in 60 s",
        "seated from the start, no walk-in: the room occupied within the scene's 30 s",
        _rate(_get(standard, "seated", "network", "seated_from_the_start_occupied")),
        _rate(sh),
        _rate(_get(shifted, "shifted_seated", "baseline", "seated_from_the_start_occupied")),
        _holds(sh, (">=", 0.95)),
    )
    figure = "seated_from_the_start_occupied_after_median_s"
    row(
        "6: ≤ 60 s",
        "the same, when it opened, median",
        _seconds(_get(standard, "seated", "network", figure)),
        _seconds(_get(shifted, "shifted_seated", "network", figure)),
        _seconds(_get(shifted, "shifted_seated", "baseline", figure)),
        "—",  # no verdict: a room that opened within the 30 s scenes opened within 60 s by construction
    )
    for name, figure, label in (
        ("walk", "motion_entity_walks_detected", "walks reported by Motion (the room opens)"),
        ("walk_fan", "motion_entity_walks_detected", "the same, a fan running"),
        ("walk_music", "motion_entity_walks_detected", "the same, music playing"),
        ("enter_sit", "walk_ins_opening_the_room", "walk-ins that opened the room"),
        ("enter_distracted", "walk_ins_opening_the_room", "the same, a distractor there first"),
    ):
        sh = _get(shifted, f"shifted_{name}", "network", figure)
        row(
            "4: ≥ 99 %",
            label,
            _rate(_get(standard, name, "network", figure)),
            _rate(sh),
            _rate(_get(shifted, f"shifted_{name}", "baseline", figure)),
            _holds(sh, (">=", 0.99)),
        )
    for cls in DISTRACTOR_CLASSES:
        sh = _get(shifted, f"shifted_negative_{cls}", "network", "occupancy_false_alarms_per_h")
        hours = _get(shifted, f"shifted_negative_{cls}", "network", "hours")
        std = _by_source(standard, "network", "occupancy_false_alarms_by_source", STANDARD_SOURCE[cls])
        row(
            "4: ≤ 0.1 / h",
            f"false occupancies, {cls.replace('_', ' ')}",
            _per_h(std),
            _per_h(sh, hours),
            _per_h(_get(shifted, f"shifted_negative_{cls}", "baseline", "occupancy_false_alarms_per_h")),
            _holds(sh, ("<=", 0.1)),
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    """Print the table (and write it with --out)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("standard", type=Path)
    parser.add_argument("shifted", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    standard, shifted = (json.loads(p.read_text()) for p in (args.standard, args.shifted))
    text = f"standard: {standard.get('command', '?')}\nshifted: {shifted.get('command', '?')}\n\n" + compare(
        standard["table"], shifted["table"]
    )
    print(text, end="")
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
