"""Speed of the engine as users run it: CPU ms per second of audio, the shipped model in the loop, one BLAS thread.

    scripts/env python -m lab.bench [--seconds 20] [--mics 4] [--classifier numpy|litert|none] [--scene NAME]
        [--against FIELD=VALUE ...]

CPU time (time.process_time) of the engine (engine/pipeline.py: demodulation,
clutter removal, canceller, Doppler frames, breathing, the network and the
detector) over a passband render of sim.library.walk_in_and_leave (or
--scene empty_room, where the network is seldom asked, or --scene
walk_in_with_music, where engine/reference.py works all along with
--music-reference) at 96 kHz,
fed in 50 ms blocks as a sound card would deliver them. The engine runs
from the start; the first 8 s are not counted, as breathing scores nothing
until its first window is full and twenty windows a second after (the
walk-in's counted part: someone standing, leaving, the room empty).
Rendering is not counted. BLAS is limited to one thread the way the worker limits it
(engine/blas.py). The network's share is timed around each inference; the
numpy executor is what Home Assistant OS runs (LiteRT has no musl wheels).

--against FIELD=VALUE (repeatable) measures a change of engine/tuning.py's
Tuning beside the shipped one in the same invocation, on the same audio:
the runs alternate, shipped first, and both columns are printed (a rule's
cost before and after, free of the drift between invocations on a shared
machine).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time
from collections.abc import Callable
from dataclasses import fields, replace
from typing import Literal

import numpy as np
from numpy.typing import NDArray

import lab  # noqa: F401  (registers the package without Home Assistant)
from custom_components.uspd.engine.blas import limit_blas_threads
from custom_components.uspd.engine.classifier import Classifier
from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.engine.pipeline import Engine, EngineConfig
from custom_components.uspd.engine.stillness import WINDOW_S
from custom_components.uspd.engine.tuning import TUNING, Tuning
from custom_components.uspd.sim import library
from custom_components.uspd.sim.render import Renderer
from custom_components.uspd.sim.scene import Music, Scene

WHOLE = "whole engine"
# Not counted: the engine's first seconds, before breathing's first window is full (stillness.WINDOW_S) and
# twenty windows a second are scored from then on.
WARM_S = WINDOW_S


def walk_in_with_music(duration_s: float = 20.0) -> Scene:
    """walk_in_and_leave with music through the speaker all along (-20 dBc): the reference canceller at work."""
    scene = library.walk_in_and_leave(duration_s=duration_s)
    return replace(scene, sources=(*scene.sources, Music(0.0, duration_s)))


SCENES: dict[str, Callable[..., Scene]] = {
    "walk_in_and_leave": library.walk_in_and_leave,
    "empty_room": library.empty_room,
    "walk_in_with_music": walk_in_with_music,
}


class _Timed:
    """A classifier whose inferences are timed (CPU), standing in for it inside the engine."""

    def __init__(self, inner: Classifier) -> None:
        self.inner = inner
        self.backend = inner.backend
        self.frames = inner.frames
        self.cpu_s = 0.0
        self.calls = 0

    def probs(self, window: NDArray[np.float32]) -> NDArray[np.float32]:
        start = time.process_time()
        y = self.inner.probs(window)
        self.cpu_s += time.process_time() - start
        self.calls += 1
        return y


def run_once(
    audio: NDArray[np.float64], fs: int, classifier: Classifier | None, tuning: Tuning = TUNING
) -> tuple[dict[str, float], float]:
    """CPU seconds of each part over one pass of `audio` through a fresh engine (from WARM_S on), and how often.

    How often: the share of those frames it asked the network about
    (engine/pipeline.py asks only where the band energy leaves motion possible).
    """
    timed = _Timed(classifier) if classifier is not None else None
    engine = Engine(EngineConfig(fs, 40000, audio.shape[1], tuning=tuning), timed)  # type: ignore[arg-type]
    block = int(0.05 * fs)
    demodulate = rest = network = 0.0
    frames = asked = 0
    for i in range(0, len(audio), block):
        counted = i >= WARM_S * fs
        before = (timed.cpu_s, timed.calls) if timed is not None else (0.0, 0)
        a = time.process_time()
        bb, audible = engine.demodulate(audio[i : i + block])
        b = time.process_time()
        results = engine.process_baseband(bb, audible)
        c = time.process_time()
        if counted:
            frames += len(results)
            demodulate += b - a
            rest += c - b
            if timed is not None:
                network += timed.cpu_s - before[0]
                asked += timed.calls - before[1]
    cost = {"demodulation (4 mics, 96 kHz → 4 kHz)": demodulate}
    if timed is not None:
        cost["network (asked where the band energy leaves motion possible)"] = network
        cost["clutter, canceller, frames, breathing, rules, detector"] = rest - network
    else:
        cost["clutter, canceller, frames, breathing, detector"] = rest
    cost[WHOLE] = demodulate + rest
    return cost, asked / max(1, frames)


def tuning_change(text: str) -> tuple[str, object]:
    """FIELD=VALUE → a Tuning field and its value, typed as the shipped one (None, inf, true and false read too)."""
    name, _, value = text.partition("=")
    field = next((f for f in fields(Tuning) if f.name == name), None)
    if field is None:
        raise argparse.ArgumentTypeError(f"{name!r} is not a field of engine/tuning.py's Tuning")
    current = getattr(TUNING, name)
    if value == "None":
        if "None" not in str(field.type):
            raise argparse.ArgumentTypeError(f"{name} takes no None")
        return name, None
    if isinstance(current, bool):
        if value.lower() not in ("true", "false"):
            raise argparse.ArgumentTypeError(f"{name} is true or false, not {value!r}")
        return name, value.lower() == "true"
    try:
        number = int(value) if isinstance(current, int) else float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{name} takes a number, not {value!r}") from None
    if isinstance(number, float) and math.isnan(number):
        raise argparse.ArgumentTypeError(f"{name} takes a number, not NaN")
    return name, number


def summary(runs: list[dict[str, float]], stage: str) -> str:
    """A stage's median (min–max) over the runs, in ms per audio second."""
    values = sorted(r[stage] for r in runs)
    return f"{values[len(values) // 2]:6.1f} ({values[0]:.1f}–{values[-1]:.1f})"


def main() -> None:
    """Render once, run the engine --repeat times (alternating with --against), print each part's median and range."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help=f"of audio; the first {WARM_S:g} s not counted")
    parser.add_argument("--mics", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=5, help="runs; the median and range are reported")
    parser.add_argument("--classifier", choices=("numpy", "litert", "none"), default="numpy")
    parser.add_argument("--scene", choices=list(SCENES), default="walk_in_and_leave")
    parser.add_argument(
        "--music-reference", action="store_true", help="with engine/reference.py on (Tuning.music_reference)"
    )
    parser.add_argument(
        "--against",
        type=tuning_change,
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="also run with this Tuning field changed, alternating with the shipped tuning (repeatable)",
    )
    args = parser.parse_args()
    tuning = replace(TUNING, music_reference=True) if args.music_reference else TUNING
    tunings = [tuning] + ([replace(tuning, **dict(args.against))] if args.against else [])
    if args.seconds <= WARM_S + 1:
        parser.error(f"--seconds must be over {WARM_S + 1:g}: the first {WARM_S:g} s are not counted")
    limit_blas_threads()
    scene = SCENES[args.scene](duration_s=args.seconds)
    scene = replace(scene, device=replace(scene.device, mics_m=scene.device.mics_m[: args.mics]))
    fs = scene.device.audio_rate_hz
    t0 = time.perf_counter()
    audio = Renderer(scene).render_passband(0, int(args.seconds * fs), Emission())
    render_s = time.perf_counter() - t0
    prefer: Literal["numpy", "litert"] = "litert" if args.classifier == "litert" else "numpy"
    classifier = None if args.classifier == "none" else Classifier.load(prefer=prefer)
    if classifier is not None and classifier.backend != args.classifier:
        parser.error(f"{args.classifier} is not available here (the classifier runs on {classifier.backend})")
    runs: list[list[dict[str, float]]] = [[] for _ in tunings]
    asked = [0.0 for _ in tunings]
    for _ in range(args.repeat):
        for k, each in enumerate(tunings):
            cost, asked[k] = run_once(audio, fs, classifier, each)
            runs[k].append({stage: 1000 * v / (args.seconds - WARM_S) for stage, v in cost.items()})
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, numpy {np.__version__}, BLAS 1 thread"
    )
    print(
        f"{args.seconds:.0f} s of {audio.shape[1]}-mic {fs} Hz audio, the last {args.seconds - WARM_S:.0f} s counted "
        f"(render took {render_s:.1f} s wall), "
        f"{args.repeat} runs, classifier: {args.classifier}, scene: {args.scene}"
        + (", music reference on" if args.music_reference else "")
    )
    changed = ", ".join(f"{name}={value}" for name, value in args.against)
    shipped = "shipped, music reference on" if args.music_reference else "shipped"
    print("  ms CPU per second of audio: median (min–max)" + (f", {shipped} | {changed}" if args.against else ""))
    for stage in runs[0][0]:
        print(f"  {stage:56s} " + " | ".join(summary(each, stage) for each in runs))
    if classifier is not None:
        print(f"  the network was asked about {' | '.join(f'{a:.0%}' for a in asked)} of the frames")


if __name__ == "__main__":
    main()
