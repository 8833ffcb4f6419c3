"""Render speed of the simulator: one walker and a ceiling fan, 4 mics, seeded.

    scripts/env python -m lab.bench_sim [--seconds 20]

CPU time (one core, BLAS on one thread; the median of five runs) of the
complex-baseband render at 4 kHz (in one call, and in the 1 s blocks the lab
and the integration ask for) and of the passband render at 96 kHz, as
multiples of real time; then the baseband render of a mix of the lab's
training draws (its scenes, devices and carriers, 1 s blocks), which is what
training and the benchmark wait for.

Last, the floor under any baseband render of the bench scene that keeps the
issue's exact per-mic geometry: the noise draw as the render makes it (the
same generator, shape and precision) plus one float32 cosine and sine (numpy's
fastest) for every moving path at every sample, and the multiple of real
time that would leave if the render did nothing else.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.sim.render import Renderer
from custom_components.uspd.sim.scene import Fan, Scene, Walker

from . import seeds
from .scenes import draw

RATE_HZ = 4000  # the engine's baseband rate at 96 kHz


def _median_cpu_s(render: Callable[[Renderer], object], scene: Scene, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        renderer = Renderer(scene)
        start = time.process_time()
        render(renderer)
        times.append(time.process_time() - start)
    return float(statistics.median(times))


def _floor_cpu_s(scene: Scene, seconds: float, runs: int = 5) -> tuple[float, float, int]:
    """CPU seconds, for seconds of scene, of the noise draw and of the paths' per-sample part; the path count.

    The per-sample part at its least: a float32 cosine and sine of every
    path's phase (numpy's fastest trigonometry) and their amplitude-weighted
    sum over each mic's paths, one pass each, as the render's own einsum.
    """
    renderer = Renderer(scene)
    knots = np.arange(0.0, seconds, 1e-3, dtype=np.float64)
    paths = renderer.moving_paths(knots, Emission().carrier_hz)
    rng = np.random.default_rng(0)
    shape = (renderer.channels, paths // renderer.channels, RATE_HZ)
    phases = rng.uniform(-np.pi, np.pi, shape).astype(np.float32)
    amplitudes = rng.uniform(0.0, 1e-3, shape).astype(np.float32)

    def noise(_: Renderer) -> None:
        draw = np.random.default_rng(scene.seed)
        for _second in range(int(seconds)):
            draw.normal(scale=1e-5, size=(2, renderer.channels, RATE_HZ))

    def per_sample(_: Renderer) -> None:
        for _second in range(int(seconds)):
            np.einsum("mpn,mpn->mn", amplitudes, np.cos(phases))
            np.einsum("mpn,mpn->mn", amplitudes, np.sin(phases))

    return _median_cpu_s(noise, scene, runs), _median_cpu_s(per_sample, scene, runs), paths


def _in_blocks(renderer: Renderer, count: int, block: int, emission: Emission) -> None:
    for start in range(0, count, block):
        renderer.render_baseband(start, min(block, count - start), float(block), emission)


def _lab_mix(scenes: int, seconds: float) -> float:
    """Baseband render of training draws as the lab renders them, multiples of real time (CPU, one core)."""
    cpu = 0.0
    for i in range(scenes):
        d = draw(seeds.SPLITS["train"].start + i, None, seconds, None)
        renderer = Renderer(d.scene)
        start = time.process_time()
        _in_blocks(renderer, int(seconds * RATE_HZ), RATE_HZ, Emission(carrier_hz=d.carrier_hz, level=d.level))
        cpu += time.process_time() - start
    return scenes * seconds / cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--lab-scenes", type=int, default=12, help="training draws of 30 s for the lab mix")
    args = parser.parse_args()
    seconds = args.seconds
    scene = Scene(
        "walker_and_fan",
        seconds,
        sources=(Walker(((0.0, 0.5, 3.5), (seconds / 2, 4.5, 1.0), (seconds, 0.5, 3.5))), Fan(0.0, seconds)),
        seed=1,
    )
    passband_s = min(seconds, 5.0)
    fs = scene.device.audio_rate_hz
    # CPU time on a shared machine drifts: each render five times on a fresh renderer, the median kept.
    baseband = _median_cpu_s(lambda r: r.render_baseband(0, int(seconds * RATE_HZ), float(RATE_HZ), Emission()), scene)
    blocks = _median_cpu_s(lambda r: _in_blocks(r, int(seconds * RATE_HZ), RATE_HZ, Emission()), scene)
    passband = _median_cpu_s(lambda r: r.render_passband(0, int(passband_s * fs), Emission()), scene)
    print(f"walker + ceiling fan, {len(scene.device.mics_m)} mics:")
    print(f"  baseband render (4 kHz):  {seconds / baseband:7.1f}x real time ({seconds:.0f} s of scene)")
    print(f"  the same in 1 s blocks:   {seconds / blocks:7.1f}x real time")
    print(f"  passband render (96 kHz): {passband_s / passband:7.1f}x real time ({passband_s:.0f} s of scene)")
    if args.lab_scenes:
        mix = _lab_mix(args.lab_scenes, 30.0)
        print(f"{args.lab_scenes} training draws of 30 s (1 s blocks, baseband): {mix:.1f}x real time")
    noise, per_sample, paths = _floor_cpu_s(scene, seconds)
    print(f"floor under the baseband render, CPU per {seconds:.0f} s of the walker + ceiling fan scene:")
    print(f"  the noise draw:                                {noise * 1e3:7.1f} ms")
    print(f"  cosine, sine and weighted sum of {paths} paths:     {per_sample * 1e3:7.1f} ms")
    print(f"  nothing else (no geometry, no phase): at most {seconds / (noise + per_sample):7.1f}x real time")


if __name__ == "__main__":
    main()
