"""Why an empty room opened: every false opening of a negative set, with what the rules saw before it.

    scripts/env python -m lab.why_opened --suite shifted --set shifted_negative_tone
    scripts/env python -m lab.why_opened --set negative --scale 1 --negative-hours 2
    USPD_LAB=1 scripts/env python -m lab.why_opened --suite tuning --set home
    scripts/env python -m lab.why_opened --suite shifted --set shifted_negative_music --held-out --model PATH

The benchmark counts false occupancies per distractor class; this says
what each one was. For every scene of the set that opened while nobody was
in the room (shipped model on the numpy executor, the benchmark's frames
and detector, lab/eval.run_detector): its seed, when it opened, the
device (carrier after calibration, rate, mics), the sources the scene
holds, and over the 13 frames that ended at the opening (the 12 that
opened it and the one before) what the window rules saw: a still line
(L; or one known and kept, lines.LineMemory) or not (.), the walking
band's energy beside the line's own bins (dB; '-' where there is no line),
symmetry (S: it opens no room), the network's P(major) and the walking
band's energy (dB). It looks at the suite's frames and tunes nothing.

--suite tuning reads the streams scripts/lab tune_detector chooses the
detector's knobs on (training seeds, uncalibrated, the network on LiteRT
where the lab has it, as there): its empty rooms with fans, music, clicks
or the wall (stream), with curtains or tones (home), and the widened
stream's first --wide-hours (widened; 4 h unless given, as tune_detector
runs it). Only scenes with nobody in them count.

--held-out runs only the shifted scenes no window rule was made from (+180…+359
of the class): where two models are compared, the first 180 favour the shipped
one, whose openings the rules were made against. --model: another .tflite.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np

import lab  # noqa: F401  (registers the package without Home Assistant)
from custom_components.uspd.engine.blas import limit_blas_threads
from custom_components.uspd.engine.classifier import MODEL_PATH
from custom_components.uspd.engine.detector import DetectorConfig
from custom_components.uspd.engine.lines import beside_db
from custom_components.uspd.engine.symmetry import symmetric
from custom_components.uspd.engine.tuning import TUNING

from . import dataset
from .eval import (
    litert_probs,
    network_start,
    network_windows,
    numpy_probs,
    remembered_lines,
    run_detector,
    shifted_suite,
    suite,
)
from .model_arg import tflite
from .scenes import draw
from .tune_detector import add_tuning_arguments, tuning_sets

# The shifted suite's scenes of each negative class that no window rule was made from (lab/README.md).
HELD_OUT = range(180, 360)


def source_line(s: object) -> str:
    """A source in one line: its kind and its fields, numbers rounded."""
    fields = []
    for f in dataclasses.fields(s):  # type: ignore[arg-type]
        v = getattr(s, f.name)
        if f.name == "kind":
            continue
        if isinstance(v, float):
            v = round(v, 3)
        elif isinstance(v, tuple) and len(v) > 4:
            v = f"({len(v)} values)"
        fields.append(f"{f.name}={v}")
    return f"{type(s).__name__}({', '.join(fields)})"


def explain(
    job: tuple[int, object, float, int | None], tuning: bool = False, model: Path = MODEL_PATH
) -> list[str] | None:
    """The lines that explain one scene's first opening; None where the room never opened or someone was in it.

    tuning: a scene of tune_detector's streams, read as it reads them. model: the network's .tflite.
    """
    s = dataset.load_or_make(job, calibrated=not tuning, still=not tuning)  # type: ignore[arg-type]
    if s.occupied.any():
        return None
    probs = (litert_probs if tuning else numpy_probs)([s], model)[0]
    run = run_detector(s, probs, DetectorConfig())
    if not run.occupied.any():
        return None
    k = int(np.argmax(run.occupied))
    lo = max(0, k - TUNING.occupy_frames)
    # As the detector judged them: the line memory needs the scene's history (lab/eval.remembered_lines).
    every = network_windows(s)
    shown = slice(lo, k + 1)
    windows = every[shown]
    lines = remembered_lines(every, TUNING, network_start(s)).take(shown)
    beside = beside_db(lines)
    unlike = symmetric(windows, TUNING, lines.own)
    d = draw(*job)  # type: ignore[arg-type]
    out = [
        f"seed {job[0]}: opened at {s.t[k]:.2f} s; carrier {s.carrier_hz:.0f} Hz"
        + ("" if tuning else f" after calibration (drawn {d.carrier_hz:.0f})")
        + f", {s.rate_hz} Hz, {s.mics} mic(s)",
        *(f"  {source_line(src)}" for src in d.scene.sources),
        "  still line    " + " ".join(f"{'L' if x else '.':>4}" for x in lines.still),
        "  beside, dB    " + " ".join("   -" if np.isnan(b) else f"{b:4.0f}" for b in beside),
        "  symmetric     " + " ".join(f"{'S' if x else '.':>4}" for x in unlike),
        "  P(major)      " + " ".join(f"{p:4.2f}" for p in probs[lo : k + 1, 2]),
        "  walking, dB   " + " ".join(f"{b:4.0f}" for b in s.bands[lo : k + 1, 1]),
    ]
    return out


def main() -> None:
    """Explain every false opening of one negative set."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", choices=("standard", "shifted", "tuning"), default="standard")
    parser.add_argument("--set", required=True, help="a negative set of that suite, e.g. shifted_negative_tone")
    parser.add_argument("--scale", type=float, default=0.3, help="as scripts/lab eval's")
    parser.add_argument(
        "--negative-hours",
        type=float,
        help="as scripts/lab eval's (default: 36 for the shifted suite, held-out hours included; 18 for the others)",
    )
    parser.add_argument("--model", type=tflite, default=MODEL_PATH, help="another .tflite (default: the shipped one)")
    parser.add_argument(
        "--held-out", action="store_true", help=f"only the shifted scenes +{HELD_OUT.start}…+{HELD_OUT.stop - 1}"
    )
    add_tuning_arguments(parser)
    args = parser.parse_args()
    limit_blas_threads()
    if args.suite == "tuning":
        streams = tuning_sets(args.hours, args.wide_hours)
        sets = {name: streams[name] for name in ("stream", "home", "widened")}
    else:
        hours = args.negative_hours if args.negative_hours is not None else 36.0 if args.suite == "shifted" else 18.0
        sets = (shifted_suite if args.suite == "shifted" else suite)(args.scale, hours)
    negatives = [name for name in sets if "negative" in name or args.suite == "tuning"]
    if args.set not in negatives:
        parser.error(f"{args.set!r} is not a negative set of the {args.suite} suite: {', '.join(negatives)}")
    if args.held_out and (args.suite != "shifted" or len(sets[args.set]) < HELD_OUT.stop):
        parser.error("--held-out needs --suite shifted and --negative-hours 36 or more")
    opened, held_out = 0, 0
    for i, job in enumerate(sets[args.set]):
        if args.held_out and i not in HELD_OUT:
            continue
        lines = explain(job, tuning=args.suite == "tuning", model=args.model)
        if lines is not None:
            opened += 1
            # The shifted suite's scenes +180…+359 of a class are held out: no window rule was made from them.
            late = args.suite == "shifted" and i in HELD_OUT
            held_out += late
            print("\n".join([lines[0] + (" (held out)" if late else ""), *lines[1:]]))
    print(f"{opened} of {len(HELD_OUT) if args.held_out else len(sets[args.set])} scenes opened")
    if args.suite == "shifted":
        print(f"{held_out} of them among the held-out scenes +{HELD_OUT.start}…+{HELD_OUT.stop - 1}")


if __name__ == "__main__":
    main()
