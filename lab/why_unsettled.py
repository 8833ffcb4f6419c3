"""Why a room with someone seated from the start stayed vacant: the settle rule's counts, scene by scene.

    scripts/env python -m lab.why_unsettled --suite shifted
    scripts/env python -m lab.why_unsettled --scale 1
    USPD_LAB=1 scripts/env python -m lab.why_unsettled --suite tuning --set wide_seated

In these scenes someone sits from the first frame and nobody walks in, so
only the settle rule (engine/detector.py) or a false walking call can open
the room: over the last settle_window_s, MINOR motion in
settle_minor_seconds different seconds, breathing over settle_still_db
in settle_breath_s of them, and at most settle_machine_share of the frames
machine-like. For every scene of the set (shipped model, the benchmark's
frames and detector, lab/eval.run_detector): its seed, device and sources,
and either when the room opened and how (the settle rule, or a walking
call), or why it stayed shut: breathing that never scored over
settle_still_db (with its highest score), or, at the moment the rule came
closest (the MINOR frame that met the most of its counts), each count it
missed. A summary counts the scenes by reason. It looks at the frames and
tunes nothing.

Sets: the benchmark's seated (--suite standard, at --scale), the shifted
suite's shifted_seated (--suite shifted), and with --suite tuning the
mining stream's seated starts (seated, its first --hours) and
scripts/lab tune_detector --settle's 60 widened ones (wide_seated), read as
tune_detector reads them (uncalibrated, the network on LiteRT where the lab
has it).
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass

import numpy as np

import lab  # noqa: F401  (registers the package without Home Assistant)
from custom_components.uspd.engine.blas import limit_blas_threads
from custom_components.uspd.engine.detector import DetectorConfig, SettleCounts
from custom_components.uspd.engine.tuning import TUNING

from . import dataset
from .dataset import Job
from .eval import litert_probs, numpy_probs, run_detector, shifted_suite, suite
from .scenes import draw
from .tune_detector import add_tuning_arguments, seated_from_start, tuning_sets, wide_seated_jobs
from .why_opened import source_line

MINOR = 1  # Run.motion's code for MINOR


@dataclass(frozen=True)
class Unsettled:
    """One scene's verdict: the reason (a summary's key) and the line that says it."""

    reason: str
    line: str


def missing(c: SettleCounts) -> dict[str, str]:
    """The settle rule's counts these fall short of, by name, each with how far."""
    out = {}
    if c.minor_seconds < TUNING.settle_minor_seconds:
        out["minor seconds"] = f"minor motion in {c.minor_seconds} of {TUNING.settle_minor_seconds} seconds"
    if c.breath_s < TUNING.settle_breath_s:
        out["breathing seconds"] = f"breathing {c.breath_s:.1f} s of {TUNING.settle_breath_s:g}"
    if c.machine_frames > TUNING.settle_machine_share * c.frames:
        share, allowed = c.machine_frames / c.frames, TUNING.settle_machine_share
        out["machine-like frames"] = f"machine-like {share:.0%} of the frames ({allowed:.0%} allowed)"
    return out


def verdict(
    t: np.ndarray, still_db: np.ndarray, motion: np.ndarray, occupied: np.ndarray, counts: list[SettleCounts]
) -> Unsettled:
    """Why one run's room opened or stayed shut: its frames' times, breathing scores, motion, occupancy and counts."""
    if occupied.any():
        k = int(np.argmax(occupied))
        how = "the settle rule" if motion[k] == MINOR and not missing(counts[k]) else "a walking call"
        return Unsettled(f"opened by {how}", f"opened at {t[k]:.1f} s by {how}")
    if not (still_db >= TUNING.settle_still_db).any():  # as the detector's settle rule reads it
        scored = still_db[np.isfinite(still_db)]
        line = f"shut: breathing's highest {scored.max():.1f} dB" if len(scored) else "shut: breathing never scored"
        return Unsettled(f"breathing never over settle_still_db ({TUNING.settle_still_db:g} dB)", line)
    moments = np.flatnonzero(motion == MINOR)
    if not len(moments):
        return Unsettled("no minor motion", "shut: no minor motion at all")
    # The moment the rule came closest: the most counts met, then the most breathing, then the most minor seconds.
    k = max(moments, key=lambda i: (-len(missing(counts[i])), counts[i].breath_s, counts[i].minor_seconds))
    short = missing(counts[k])
    return Unsettled("short of " + " and ".join(short), f"shut; closest at {t[k]:.1f} s: " + "; ".join(short.values()))


def explain(job: Job, tuning: bool) -> Unsettled | None:
    """One scene's verdict, after its device and sources; None where it is not a seated start."""
    s = dataset.load_or_make(job, calibrated=not tuning, still=not tuning)  # as tune_detector and eval read it
    if not seated_from_start(s):
        return None
    probs = (litert_probs if tuning else numpy_probs)([s])[0]
    counts: list[SettleCounts] = []
    run = run_detector(s, probs, DetectorConfig(), counts=counts)
    out = verdict(s.t.astype(np.float64), s.still_db.astype(np.float64), run.motion, run.occupied, counts)
    d = draw(*job)
    print(f"seed {job[0]}: {s.rate_hz} Hz, {s.mics} mic(s): {out.line}")
    for src in d.scene.sources:
        print(f"  {source_line(src)}")
    return out


def main() -> None:
    """Explain every scene of one seated-from-the-start set, and sum up the reasons."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", choices=("standard", "shifted", "tuning"), default="standard")
    parser.add_argument("--set", help="seated (standard, tuning), shifted_seated (shifted) or wide_seated (tuning)")
    parser.add_argument("--scale", type=float, default=0.3, help="as scripts/lab eval's")
    add_tuning_arguments(parser)
    args = parser.parse_args()
    limit_blas_threads()
    if args.suite == "tuning":
        stream = tuning_sets(args.hours, args.wide_hours)["stream"]
        # The stream's jobs name no kind (each seed draws its own): the drawn kind picks the seated ones.
        seated = [j for j in stream if j[1] is None and draw(*j).kind in ("seated", "seated_music")]
        sets = {"seated": seated, "wide_seated": wide_seated_jobs()}
    else:
        sets = {
            name: jobs
            for name, jobs in (shifted_suite if args.suite == "shifted" else suite)(args.scale, 0.0).items()
            if name.removeprefix("shifted_") == "seated"
        }
    name = args.set or next(iter(sets))
    if name not in sets:
        parser.error(f"{name!r} is not a seated set of the {args.suite} suite: {', '.join(sets)}")
    reasons = Counter(
        out.reason for out in (explain(job, args.suite == "tuning") for job in sets[name]) if out is not None
    )
    print(f"{sum(reasons.values())} scenes seated from the start:")
    for reason, n in reasons.most_common():
        print(f"  {n:3d}  {reason}")


if __name__ == "__main__":
    main()
