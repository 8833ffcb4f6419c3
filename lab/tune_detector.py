"""How long MAJOR must hold before an empty room counts as occupied, chosen on training data.

    scripts/lab tune_detector [--hours 20]

Runs the shipped model and the engine's detector over the mining stream
(training seeds, the same scenes `scripts/lab train` mined; never the
benchmark's) for several values of OCCUPY_FRAMES, and prints for each: false
occupancies per hour in scenes with nobody in the room, and for scenes where
someone walks in, how many were never called occupied and how long after
the walk began they were (median, p95). The benchmark is run once, after
the choice.
"""

from __future__ import annotations

import argparse

import numpy as np

import lab  # noqa: F401
from custom_components.uspd.engine.detector import DetectorConfig

from .dataset import build
from .eval import false_alarms, litert_probs, poisson_rate, run_detector, runs_of
from .train import mining_jobs

CHOICES = (1, 2, 4, 6, 8, 12, 16)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=float, default=20.0)
    args = parser.parse_args()
    scenes = build(mining_jobs(0, args.hours))
    probs = litert_probs(scenes)
    empty = [i for i, s in enumerate(scenes) if not s.occupied.any()]
    entered = [i for i, s in enumerate(scenes) if s.occupied.any() and not s.occupied[0] and (s.y == 2).any()]
    print(f"{len(empty)} empty scenes, {len(entered)} with a walk-in")
    print("occupy_frames  false occupancies/h [95% CI]  walk-ins missed  occupied after (median, p95)")
    for n in CHOICES:
        runs = {i: run_detector(scenes[i], probs[i], DetectorConfig(), n) for i in empty + entered}
        _, fo, hours = false_alarms([scenes[i] for i in empty], [runs[i] for i in empty])
        delays, missed = [], 0
        for i in entered:
            s, r = scenes[i], runs[i]
            first_walk = runs_of(s.y == 2)[0][0]
            on = np.flatnonzero(r.occupied[first_walk:])
            if len(on):
                delays.append(float(s.t[first_walk + on[0]] - s.t[first_walk]))
            else:
                missed += 1
        rate = poisson_rate(fo, hours)
        false = f"{rate[0]:6.2f} [{rate[1]:.2f}, {rate[2]:.2f}] ({fo} in {hours:.1f} h)"
        late = f"{np.median(delays):.3f} s, {np.percentile(delays, 95):.3f} s"
        print(f"{n:13d}  {false}  {missed:3d}/{len(entered)}  {late}")


if __name__ == "__main__":
    main()
