"""Render speed of the simulator: one walker and a ceiling fan, 4 mics, seeded.

    scripts/env python -m lab.bench_sim [--seconds 20]

CPU time (one core, BLAS on one thread) of the complex-baseband render at
4 kHz and of the passband render at 96 kHz, as multiples of real time.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.sim.render import Renderer
from custom_components.uspd.sim.scene import Fan, Scene, Walker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    seconds = args.seconds
    scene = Scene(
        "walker_and_fan",
        seconds,
        sources=(Walker(((0.0, 0.5, 3.5), (seconds / 2, 4.5, 1.0), (seconds, 0.5, 3.5))), Fan(0.0, seconds)),
        seed=1,
    )
    renderer = Renderer(scene)
    start = time.process_time()
    renderer.render_baseband(0, int(seconds * 4000), 4000.0, Emission())
    baseband = time.process_time() - start
    passband_s = min(seconds, 5.0)
    start = time.process_time()
    renderer.render_passband(0, int(passband_s * scene.device.audio_rate_hz), Emission())
    passband = time.process_time() - start
    print(f"walker + ceiling fan, {renderer.channels} mics:")
    print(f"  baseband render (4 kHz):  {seconds / baseband:7.1f}x real time ({seconds:.0f} s of scene)")
    print(f"  passband render (96 kHz): {passband_s / passband:7.1f}x real time ({passband_s:.0f} s of scene)")


if __name__ == "__main__":
    main()
