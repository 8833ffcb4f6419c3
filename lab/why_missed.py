"""Why walks went unreported: each walk of a set that came within 4 m and never opened the room, and why.

    USPD_LAB=1 scripts/env python -m lab.why_missed --suite shifted --set shifted_walk_fan
    scripts/env python -m lab.why_missed --set walk_music --scale 0.3

The benchmark counts walks the Motion entity reported (the room opened and
MAJOR was reported within the walk or 0.5 s after, lab/eval.major_events);
this says what each miss was. For every such walk (the shipped model on
LiteRT where the environment has it, as `scripts/lab eval` runs it, else on
the numpy executor as `scripts/env python -m lab.eval` does; the benchmark's
frames and detector, lab/eval.run_detector): its seed and times, how near it
came, its radial speed (the median rate at which its distance to the speaker
changed while within 4 m: a walk across the line of sight, or slow, brings
little Doppler), the walker's own speed, the device with its carrier and
emission level after calibration and the echo SNR per Doppler bin calibration
predicts for a person at 4 m (below 24 kHz the level is capped, as the tone
may be heard), and the other sources in the room; the network's highest P(major) and the walking band's energy while
within 4 m, and the longest run of frames the detector called MAJOR during
the walk against the occupy_frames that open a room; and which of the
detector's window rules, turned off alone, would have let the room open: the
still-line rule (lines.py; off, symmetry weighs the line's bins too),
symmetry (symmetry.py), one-way (direction.py), the opening gate
(occupy_gate_db), both walking gates (major_gate_db too), or only all of
them together. "nothing": not even with all of them off (the motion gate
stays), so the network's own call never held MAJOR long enough. Last, how
many walks were missed of how many, by the sound card's rate, by one mic or
more, and by how far calibration's level makes a person's echo reach its
target (engine/calibration.echo_reach_m; under 3 m the integration raises a
repair issue). It looks at the suite's frames and tunes nothing.
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass

import numpy as np

import lab  # noqa: F401  (registers the package without Home Assistant)
from custom_components.uspd.engine.blas import limit_blas_threads
from custom_components.uspd.engine.calibration import DEFAULT_RANGE_M, TARGET_ECHO_SNR_DB
from custom_components.uspd.engine.detector import DetectorConfig
from custom_components.uspd.engine.tuning import TUNING
from custom_components.uspd.sim.scene import Walker

from . import dataset
from .eval import (
    MAJOR_RANGE_M,
    WALK_SETS,
    Run,
    litert_probs,
    run_detector,
    runs_of,
    shifted_suite,
    suite,
    walker_range_m,
)
from .scenes import draw
from .why_opened import _source

# Each window rule off alone (run_detector's arguments), then all of them; a gate "off" is one no frame fails.
OFF = -100.0
WITHOUT: dict[str, dict[str, float | None]] = {
    "the still-line rule": {"line_std_db": None},
    "symmetry": {"symmetry_db": None},
    "one-way": {"one_way_share": 0.0},
    "the opening gate": {"occupy_gate_db": OFF},
    "both walking gates": {"occupy_gate_db": OFF, "major_gate_db": OFF},
}
ALL_OFF: dict[str, float | None] = {k: v for kw in WITHOUT.values() for k, v in kw.items()}


def walks(s: dataset.SceneFrames, rng: np.ndarray) -> list[tuple[int, int, np.ndarray]]:
    """The walks the benchmark counts (lab/eval.major_events): (start, end, the frames within 4 m)."""
    out = []
    for a, b in runs_of(s.y == 2):
        if s.t[b - 1] - s.t[a] < 0.5:
            continue
        near = np.flatnonzero(rng[a:b] <= MAJOR_RANGE_M)
        if len(near):
            out.append((a, b, a + near))
    return out


def reported(s: dataset.SceneFrames, r: Run, a: int, b: int) -> bool:
    """Whether the Motion entity reported MAJOR during the walk or 0.5 s after (as major_events(entity=True))."""
    end = min(len(s.t), b + 20)
    return bool(((r.motion[a:end] == 2) & r.occupied[a:end]).any())


def longest_run(mask: np.ndarray) -> int:
    """The longest run of True."""
    return max((b - a for a, b in runs_of(mask)), default=0)


@dataclass
class Missed:
    """One scene's missed walks: the lines that explain them, each one's cause, and what the scene was."""

    lines: list[str]
    causes: list[str]
    walks: int  # the walks the benchmark counts in the scene
    rate_hz: int
    mics: int
    reach_m: float = float("nan")  # calibration's: how far a person's echo reaches its target SNR


def explain(job: tuple[int, object, float, int | None]) -> Missed:
    """Each missed walk of one scene, explained."""
    s = dataset.load_or_make(job, calibrated=True, still=True)  # type: ignore[arg-type]
    d = draw(*job)  # type: ignore[arg-type]
    t = s.t.astype(np.float64)
    rng = walker_range_m(d.scene, t)
    counted = walks(s, rng)
    out = Missed([], [], len(counted), s.rate_hz, s.mics)
    if not counted:
        return out
    cal = dataset.calibration_of(d)
    out.reach_m = cal.reach_m
    probs = litert_probs([s])[0]
    shipped = run_detector(s, probs, DetectorConfig())
    missed = [(a, b, near) for a, b, near in counted if not reported(s, shipped, a, b)]
    if not missed:
        return out
    variants = {name: run_detector(s, probs, DetectorConfig(), **kw) for name, kw in WITHOUT.items()}  # type: ignore[arg-type]
    every = run_detector(s, probs, DetectorConfig(), **ALL_OFF)  # type: ignore[arg-type]
    walker = next(src for src in d.scene.sources if isinstance(src, Walker))
    wp = np.asarray(walker.waypoints)
    legs = np.diff(wp, axis=0)
    moving = legs[:, 0] > 0
    pace = np.hypot(legs[moving, 1], legs[moving, 2]) / legs[moving, 0]
    others = [_source(src) for src in d.scene.sources if not isinstance(src, Walker)]
    radial = np.abs(np.gradient(np.where(np.isfinite(rng), rng, np.nan), t))
    lines, causes = out.lines, out.causes
    for a, b, near in missed:
        opens = [name for name, r in variants.items() if reported(s, r, a, b)]
        if opens:
            cause = ", ".join(opens)
        elif reported(s, every, a, b):
            cause = "all of them together"
        else:
            cause = "nothing"
        causes.append(cause)
        walking = s.bands[near, 1]
        moved = pace[pace > 0]
        lines += [
            f"seed {job[0]}: walk {t[a]:.2f}-{t[b - 1]:.2f} s, nearest {rng[a:b].min():.2f} m, radial speed "
            f"{np.nanmedian(radial[near]):.2f} m/s (median within {MAJOR_RANGE_M:.0f} m; walker "
            f"{np.median(moved) if len(moved) else 0.0:.2f} m/s), {s.mics} mic(s) at {s.rate_hz} Hz, "
            f"carrier {s.carrier_hz:.0f} Hz at level {cal.level:g}: a person at {DEFAULT_RANGE_M:g} m "
            f"{cal.echo_snr_db:.1f} dB over the noise, calibration's target {TARGET_ECHO_SNR_DB:g} dB "
            f"(reached within {cal.reach_m:.1f} m)",
            *(f"  {o}" for o in others),
            f"  within {MAJOR_RANGE_M:.0f} m: P(major) up to {probs[near, 2].max():.2f}, walking band "
            f"{np.median(walking):.1f} dB median, {walking.max():.1f} dB at most; during the walk the detector's "
            f"MAJOR at most {longest_run(shipped.motion[a:b] == 2)} frames in a row "
            f"(a room opens after {TUNING.occupy_frames})",
            f"  opens without: {cause}",
        ]
    return out


def main() -> None:
    """Explain every missed walk of one walk set."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", choices=("standard", "shifted"), default="standard")
    parser.add_argument("--set", required=True, help="a walk set of that suite, e.g. shifted_walk_fan")
    parser.add_argument("--scale", type=float, default=0.3, help="as scripts/lab eval's")
    parser.add_argument("--negative-hours", type=float, default=18.0, help="as scripts/lab eval's")
    args = parser.parse_args()
    limit_blas_threads()
    sets = (shifted_suite if args.suite == "shifted" else suite)(args.scale, args.negative_hours)
    named = [name for name in sets if name.removeprefix("shifted_") in WALK_SETS]
    if args.set not in named:
        parser.error(f"{args.set!r} is not a walk set of the {args.suite} suite: {', '.join(named)}")
    causes: Counter[str] = Counter()
    # (missed, walks) by the sound card's rate and by one mic or more.
    by_rate: dict[int, list[int]] = {}
    by_mics: dict[str, list[int]] = {}
    by_reach: dict[str, list[int]] = {}
    for job in sets[args.set]:
        scene = explain(job)
        if scene.lines:
            print("\n".join(scene.lines))
        causes.update(scene.causes)
        tallies = [by_rate.setdefault(scene.rate_hz, [0, 0]), by_mics.setdefault(_mics(scene.mics), [0, 0])]
        if scene.walks:
            tallies.append(by_reach.setdefault(reach_band(scene.reach_m), [0, 0]))
        for tally in tallies:
            tally[0] += len(scene.causes)
            tally[1] += scene.walks
    total = sum(causes.values())
    walked = sum(w for _, w in by_rate.values())
    print(f"{total} of {walked} walks missed in {len(sets[args.set])} scenes; opens without:")
    for cause, n in causes.most_common():
        print(f"  {n:3d}  {cause}")
    print("missed by card rate: " + ", ".join(f"{r} Hz {m}/{w}" for r, (m, w) in sorted(by_rate.items())))
    print("missed by mics: " + ", ".join(f"{k} {m}/{w}" for k, (m, w) in sorted(by_mics.items())))
    print(
        f"missed by how far calibration's level reaches its {TARGET_ECHO_SNR_DB:g} dB target: "
        + ", ".join(f"{k} {by_reach[k][0]}/{by_reach[k][1]}" for k in REACH_BANDS if k in by_reach)
    )


def _mics(n: int) -> str:
    return "1 mic" if n == 1 else "2 or more"


# calibration.echo_reach_m in bands; the last is the range the benchmark counts walks within and calibration aims at.
REACH_BANDS = ("under 2 m", "2-3 m", "3-4 m", "4 m or more")


def reach_band(m: float) -> str:
    """calibration.echo_reach_m in REACH_BANDS."""
    return REACH_BANDS[0] if m < 2 else REACH_BANDS[1] if m < 3 else REACH_BANDS[2] if m < 4 else REACH_BANDS[3]


if __name__ == "__main__":
    main()
