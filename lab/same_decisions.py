"""Whether the engine still decides the same: every frame's decision and numbers over seeded scenes, saved or compared.

    scripts/env python -m lab.same_decisions --save before.npz
    (change the engine)
    scripts/env python -m lab.same_decisions --against before.npz
    scripts/env python -m lab.same_decisions --kinds walk seated --save before.npz   (only these kinds)

A speed change must not move a detection figure. The lab's benchmark runs
on cached baseband frames and would not notice a change to demodulation or
framing, so this runs the whole engine as users run it (passband audio in
50 ms blocks, the shipped model on the numpy executor, BLAS at one thread)
over one seeded scene of every standard and shifted kind, at the kinds' own
rates and microphone counts, and keeps per frame: the decision (motion,
occupied, the Motion entity's state), the network's probabilities, the
frame's dB over the floor and breathing's score. Compared, it reports how
many frames decide differently (the figures can only move through those),
the largest difference in each number (the probabilities where both runs
asked the network), and how often each run asked it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import get_args

import numpy as np

import lab  # noqa: F401  (registers the package without Home Assistant)
from custom_components.uspd.engine.blas import limit_blas_threads
from custom_components.uspd.engine.classifier import Classifier
from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.engine.pipeline import Engine, EngineConfig
from custom_components.uspd.sim.render import Renderer

from .scenes import Kind, ShiftedKind, StandardKind, draw
from .seeds import SAME_DECISIONS

SECONDS = 20.0
# Kinds whose story needs longer (someone walks in, sits, perhaps leaves; enter_read's hour of reading, shortened).
LONGER = {"enter_sit": 40.0, "enter_distracted": 40.0, "shifted_enter_sit": 40.0, "shifted_enter_distracted": 40.0}
LONGER |= {"enter_read": 90.0}
BLOCK_S = 0.05
DECISIONS = ("motion", "occupied", "reported")
NUMBERS = ("probs", "score", "db", "still_db")


def kinds() -> list[Kind]:
    """One of every kind the benchmark's two suites draw."""
    return [*get_args(StandardKind), *get_args(ShiftedKind)]


def outputs(kind: Kind, seed: int, classifier: Classifier) -> dict[str, np.ndarray]:
    """The engine's word on every frame of one seeded scene of `kind`, fed as passband audio."""
    seconds = LONGER.get(kind, SECONDS)
    d = draw(seed, kind, seconds)
    renderer = Renderer(d.scene)
    fs = d.scene.device.audio_rate_hz
    engine = Engine(EngineConfig(fs, d.carrier_hz, renderer.channels), classifier)
    emission = Emission(carrier_hz=engine.plan.carrier_hz, level=d.level)
    audio = renderer.render_passband(0, int(seconds * fs), emission)
    block = int(BLOCK_S * fs)
    results = [r for i in range(0, len(audio), block) for r in engine.process(audio[i : i + block])]
    nan3 = np.full(3, np.nan, dtype=np.float32)
    return {
        "motion": np.array([r.decision.motion.value for r in results]),
        "occupied": np.array([r.decision.occupied for r in results]),
        "reported": np.array([r.decision.reported.value for r in results]),
        "probs": np.array([nan3 if r.probs is None else r.probs for r in results], dtype=np.float64).reshape(-1, 3),
        "score": np.array([r.decision.score for r in results], dtype=np.float64),
        "db": np.array([r.frame.normalized_db for r in results], dtype=np.float64),
        "still_db": np.array([r.stillness_db for r in results], dtype=np.float64),
    }


def compare(before: dict[str, np.ndarray], after: dict[str, np.ndarray]) -> dict[str, float]:
    """Frames that decide differently, and the largest difference in each number (NaN where both are NaN)."""
    if len(before["motion"]) != len(after["motion"]):
        return {"frames": float(len(after["motion"])), "different": float("inf")}
    differ = np.zeros(len(before["motion"]), dtype=bool)
    for key in DECISIONS:
        differ |= before[key] != after[key]
    out = {"frames": float(len(differ)), "different": float(differ.sum())}
    # A change may ask the network less often (where the band energy alone rules motion out, and the frame
    # scores 0): the probabilities and scores compare where both asked it, and how often each did is reported.
    asked_a, asked_b = ~np.isnan(before["probs"]).any(axis=-1), ~np.isnan(after["probs"]).any(axis=-1)
    out["asked_before"], out["asked_after"] = float(asked_a.sum()), float(asked_b.sum())
    for key in NUMBERS:
        if key not in before or key not in after:
            continue
        a, b = before[key], after[key]
        if key in ("probs", "score"):
            a, b = a[asked_a & asked_b], b[asked_a & asked_b]
        elif np.any(np.isnan(a) != np.isnan(b)):
            out[key] = float("inf")
            continue
        a, b = a[~np.isnan(a)], b[~np.isnan(b)]
        same = a == b  # ±inf (breathing's "no window") equal to itself
        out[key] = float(np.max(np.abs(a[~same] - b[~same]), initial=0.0))
    return out


def main() -> None:
    """Run every kind's scene; save the outputs, or compare them with saved ones (exit 1 where a decision moved)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--save", type=Path, help="write every scene's outputs here (.npz)")
    what.add_argument("--against", type=Path, help="compare with outputs saved by --save")
    parser.add_argument("--kinds", nargs="+", choices=kinds(), metavar="KIND", help="only these kinds (default: all)")
    args = parser.parse_args()
    chosen = [(n, kind) for n, kind in enumerate(kinds()) if not args.kinds or kind in args.kinds]
    limit_blas_threads()
    classifier = Classifier.load(prefer="numpy")
    saved = dict(np.load(args.against)) if args.against else {}
    store: dict[str, np.ndarray] = {}
    moved = 0
    totals = [0.0, 0.0, 0.0]
    for n, kind in chosen:  # each kind keeps its own seed, whichever are run
        out = outputs(kind, SAME_DECISIONS[n], classifier)
        store.update({f"{kind}/{k}": v for k, v in out.items()})
        if args.against:
            before = {k: saved[f"{kind}/{k}"] for k in out if f"{kind}/{k}" in saved}  # older files: fewer numbers
            diff = compare(before, out)
            moved += int(diff["different"] > 0)
            numbers = "  ".join(f"max |Δ{k}| {diff[k]:.1e}" if k in diff else f"{k}: not saved" for k in NUMBERS)
            asked = f"network asked {diff.get('asked_before', 0):.0f} → {diff.get('asked_after', 0):.0f}"
            print(f"{kind:24s} {diff['different']:.0f}/{diff['frames']:.0f} differ  {numbers}  {asked}")
            counted = ("frames", "asked_before", "asked_after")
            totals = [t + diff.get(k, 0.0) for t, k in zip(totals, counted, strict=True)]
    if args.save:
        np.savez_compressed(args.save, **store)  # type: ignore[arg-type]
        print(f"{len(chosen)} scenes saved to {args.save}")
    else:
        frames, before_n, after_n = totals
        print(f"network asked on {before_n / frames:.1%} of {frames:.0f} frames before, {after_n / frames:.1%} now")
    if moved:
        print(f"decisions moved in {moved} of {len(chosen)} scenes")
        sys.exit(1)
    elif args.against:
        print(f"the same decisions in all {len(chosen)} scenes")


if __name__ == "__main__":
    main()
