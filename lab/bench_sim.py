"""Render speed of the simulator: one walker and a ceiling fan, 4 mics, seeded.

    scripts/env python -m lab.bench_sim [--seconds 20] [--stages]

CPU time (one core, BLAS on one thread; the median of five runs) of the
complex-baseband render at 4 kHz (in one call, and in the 1 s blocks the lab
and the integration ask for) and of the passband render at 96 kHz, as
multiples of real time; then the baseband render of a mix of the lab's
training draws (its scenes, devices and carriers, 1 s blocks), which is what
training and the benchmark wait for.

Last, a floor under a numpy baseband render of the bench scene that keeps
exact per-mic geometry, as the render does: the noise draw as the render
makes it (the same generator, shape and precision) plus, for every moving path at
every sample where it carries sound, the least per-sample work (a phase and
an amplitude by straight lines between knots, a float32 cosine and sine, a
weighted sum), and the multiple of real time that would leave if the render
computed no geometry at all.

--stages: where the baseband render's CPU goes, stage by stage (cProfile
on CPU time over the bench scene in 1 s blocks, one run).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import time
from collections.abc import Callable

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.sim.grid import KNOT_HZ, Knots
from custom_components.uspd.sim.render import DOPPLER_EDGE, Renderer
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


def _floor_cpu_s(scene: Scene, seconds: float, runs: int = 5) -> tuple[float, float, int, float]:
    """CPU seconds, for seconds of scene, of the noise draw and of the live paths' per-sample part at its least.

    The least: each live path-sample's phase and amplitude by the render's
    own straight line between knots (its phases take a cubic, dearer), a
    float32 cosine and sine (numpy's fastest) and the render's own weighted
    sum over each mic's paths. Also returns the path count and the fraction
    of path-samples that are live (fan blades fade out past the band's edge).
    """
    renderer = Renderer(scene)
    times = np.arange(0.0, seconds, 1.0 / KNOT_HZ, dtype=np.float64)
    paths, live = renderer.moving_load(times, Emission().carrier_hz, DOPPLER_EDGE * RATE_HZ)
    knots = Knots.covering(0, round(live * RATE_HZ), float(RATE_HZ))
    rng = np.random.default_rng(0)
    shape = (renderer.channels, paths // renderer.channels, len(knots.times))
    phases = rng.uniform(-np.pi, np.pi, shape).astype(np.float32)
    amplitudes = rng.uniform(0.0, 1e-3, shape).astype(np.float32)

    def noise(_: Renderer) -> None:
        draw = np.random.default_rng(scene.seed)
        for _second in range(int(seconds)):
            draw.normal(scale=1e-5, size=(2, renderer.channels, RATE_HZ))

    def per_sample(_: Renderer) -> None:
        for _second in range(int(seconds)):
            phase, amplitude = knots.linear(phases, 0), knots.linear(amplitudes, 0)
            np.einsum("mpn,mpn->mn", amplitude, np.cos(phase))
            np.einsum("mpn,mpn->mn", amplitude, np.sin(phase))

    return _median_cpu_s(noise, scene, runs), _median_cpu_s(per_sample, scene, runs), paths, live


def _stages(scene: Scene, seconds: float) -> dict[str, float]:
    """CPU seconds of the baseband render's stages in 1 s blocks: cProfile's times of the render's own parts."""
    renderer = Renderer(scene)
    profile = cProfile.Profile(time.process_time)
    profile.runcall(_in_blocks, renderer, int(seconds * RATE_HZ), RATE_HZ, Emission())
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]

    def cumulative(module: str, name: str, own: bool = False) -> float:
        """The function's time with what it calls (own: without)."""
        return float(
            sum(v[2 if own else 3] for (path, _, fn), v in stats.items() if path.endswith(module) and fn == name)
        )

    positions = cumulative("sim/motion.py", "scatter")
    geometry = cumulative("sim/render.py", "_moving_paths")
    phases = cumulative("sim/grid.py", "phase")
    amplitudes = cumulative("sim/grid.py", "linear")
    stages = {
        "movers' positions": positions,
        "path lengths, directivity, spreading, absorption": geometry - positions,
        "every sample's phase from the knots": phases,
        "every sample's amplitude from the knots": amplitudes,
        "cosines, sines and sums over paths": cumulative("sim/render.py", "_moving") - geometry - phases - amplitudes,
        "static paths and their airflow": cumulative("sim/render.py", "_static"),
        # numpy's generator is compiled code cProfile does not see: its draw counts as the caller's own time.
        "noise draw (render_baseband's own time)": cumulative("sim/render.py", "render_baseband", own=True),
    }
    whole = cumulative("sim/render.py", "render_baseband")
    rest = whole - sum(stages.values())
    return {"the whole render": whole, **stages, "the rest (phase noise, sums of the parts)": rest}


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
    """Print the simulator's render speeds as multiples of real time."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--lab-scenes", type=int, default=12, help="training draws of 30 s for the lab mix")
    parser.add_argument("--stages", action="store_true", help="only where the baseband render's CPU goes")
    args = parser.parse_args()
    seconds = args.seconds
    scene = Scene(
        "walker_and_fan",
        seconds,
        sources=(Walker(((0.0, 0.5, 3.5), (seconds / 2, 4.5, 1.0), (seconds, 0.5, 3.5))), Fan(0.0, seconds)),
        seed=1,
    )
    if args.stages:
        print(f"baseband render of the walker + ceiling fan scene in 1 s blocks, CPU per {seconds:.0f} s (cProfile):")
        for stage, cpu in _stages(scene, seconds).items():
            print(f"  {stage:50s} {cpu * 1e3:6.1f} ms")
        return
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
    noise, per_sample, paths, live = _floor_cpu_s(scene, seconds)
    print(f"floor under the baseband render, CPU per {seconds:.0f} s of the walker + ceiling fan scene:")
    print(f"  the noise draw:                                      {noise * 1e3:7.1f} ms")
    print(f"  {paths} paths, {live:.1%} of their samples live: phase, amplitude,")
    print(f"    cosine, sine and weighted sum of each live sample:  {per_sample * 1e3:7.1f} ms")
    print(f"  with nothing else (no geometry): at most {seconds / (noise + per_sample):7.1f}x real time")
    print(f"  and without the noise draw:      at most {seconds / per_sample:7.1f}x real time")


if __name__ == "__main__":
    main()
