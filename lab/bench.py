"""Speed of the engine's stages on a seeded scene: CPU ms per second of audio, one core.

    scripts/env python -m lab.bench [--seconds 10] [--mics 4]

CPU time (time.process_time) of each stage over a passband render of
sim.library.walk_in_and_leave at 96 kHz, fed in 50 ms blocks as a sound card
would deliver them. Rendering is not counted. Breathing's share of the
front end (engine/stillness.py, which the engine runs inside it) is timed on
its own meter fed the same baseband, and not added to the whole.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time
from dataclasses import replace

# One core, as the figure claims: BLAS must not fan out over threads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.engine.pipeline import Engine, EngineConfig
from custom_components.uspd.engine.stillness import StillnessMeter
from custom_components.uspd.sim import library
from custom_components.uspd.sim.render import Renderer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--mics", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=5, help="runs; the median and range are reported")
    args = parser.parse_args()
    scene = library.walk_in_and_leave(duration_s=args.seconds)
    scene = replace(scene, device=replace(scene.device, mics_m=scene.device.mics_m[: args.mics]))
    fs = scene.device.audio_rate_hz
    t0 = time.perf_counter()
    audio = Renderer(scene).render_passband(0, int(args.seconds * fs), Emission())
    render_s = time.perf_counter() - t0

    runs: list[dict[str, float]] = []
    for _ in range(args.repeat):
        engine = Engine(EngineConfig(fs, 40000, audio.shape[1]))
        block = int(0.05 * fs)
        meter = StillnessMeter(engine.plan.baseband_rate_hz, audio.shape[1])
        cost = {"demodulate": 0.0, "clutter + canceller + frames + detector": 0.0}
        breathing = 0.0
        for i in range(0, len(audio), block):
            a = time.process_time()
            bb = engine.demodulator.process(audio[i : i + block])
            b = time.process_time()
            engine.process_baseband(bb)
            c = time.process_time()
            meter.push(bb)
            meter.score_at(math.inf)
            breathing += time.process_time() - c
            cost["demodulate"] += b - a
            cost["clutter + canceller + frames + detector"] += c - b
        cost["whole front end + detector"] = sum(cost.values())
        cost["of which breathing (stillness.py)"] = breathing
        runs.append({k: 1000 * v / args.seconds for k, v in cost.items()})
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, numpy {np.__version__}")
    mics = audio.shape[1]
    print(f"{args.seconds:.0f} s of {mics}-mic {fs} Hz audio (render took {render_s:.1f} s wall), {args.repeat} runs")
    print("  ms CPU per second of audio: median (min–max)")
    for stage in runs[0]:
        values = sorted(r[stage] for r in runs)
        median = values[len(values) // 2]
        print(f"  {stage:42s} {median:6.1f} ({values[0]:.1f}–{values[-1]:.1f})")


if __name__ == "__main__":
    main()
