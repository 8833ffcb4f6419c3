"""What power saving costs and saves, in closed loop on seeded scenes (the worker itself, in fast-forward).

    scripts/lab powersave [--scenes 12] [--model PATH]

Each scene: someone walks in, sits and only makes small movements for
3 minutes, gets up and walks about for 5 s (the re-detection event), sits a
minute more and leaves. Every scene runs twice through the real
EngineWorker on the simulated room (the tone the worker asks for is the tone
the room gets): with power saving and without. Reported: the tone's duty
cycle while the person sits, how much later the walk is reported, and
whether the room was ever called vacant while they were there.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from multiprocessing import get_context
from pathlib import Path

import numpy as np

import lab  # noqa: F401
from custom_components.uspd.engine.classifier import MODEL_PATH, Classifier
from custom_components.uspd.engine.detector import DetectorConfig, Motion
from custom_components.uspd.engine.sources import SourceConfig
from custom_components.uspd.engine.worker import EngineWorker, Snapshot
from custom_components.uspd.sim.scene import Scene, Seated, Walker
from custom_components.uspd.sim.source import SimulatedRoom

from . import seeds
from .model_arg import tflite
from .scenes import _door, _u, random_device, random_room

RESULTS = Path(__file__).resolve().parent / "results" / "powersave.json"
HOLD_S = 30.0
SIT_S = 180.0
STAND_S = 1.0  # sitting down or standing up


def scene_for(seed: int) -> tuple[Scene, float, float, float]:
    """The scene, when the person is in the room (enter, leave), and when they get up to walk."""
    rng = np.random.default_rng([seed, 31])
    room = random_room(rng)
    device = random_device(rng, room, rate_hz=96000)
    dev = (device.speaker_m[0], device.speaker_m[1])
    ang = _u(rng, 0.3, math.pi - 0.3)
    r = _u(rng, 0.6, 1.5)
    seat = (dev[0] + r * math.cos(ang), dev[1] + r * math.sin(ang))
    inside, outside = _door(rng, room)
    speed = _u(rng, 0.8, 1.4)
    t_in = 2.0 + math.dist(outside, inside) / speed
    t_seat = t_in + math.dist(inside, seat) / speed
    up = t_seat + SIT_S
    walk = (up + 5.0, seat[0], min(room.size_m[1] - 0.5, seat[1] + 1.5))
    back = up + 10.0
    leave = back + 60.0
    t_door = leave + STAND_S + math.dist(seat, inside) / speed
    # Sitting down and standing up take STAND_S each: "up" is when the person starts to rise.
    sources = (
        Walker(((2.0, *outside), (t_in, *inside), (t_seat - STAND_S, *seat)), sit_down_s=STAND_S),
        Seated(t_seat, up, seat_m=seat, activity=_u(rng, 0.1, 1.0)),
        Walker(((up + STAND_S, *seat), walk, (back - STAND_S, *seat)), stand_up_s=STAND_S, sit_down_s=STAND_S),
        Seated(back, leave, seat_m=seat, activity=_u(rng, 0.1, 1.0)),
        Walker(((leave + STAND_S, *seat), (t_door, *inside), (t_door + 1.0, *outside)), stand_up_s=STAND_S),
    )
    scene = Scene(f"powersave-{seed}", t_door + HOLD_S + 10.0, sources=sources, room=room, device=device, seed=seed)
    return scene, t_in, t_door, up


def run(job: tuple[int, bool, Path]) -> dict[str, float]:
    """One scene through the worker, power saving on or off: duty cycle while seated, walk latency, vacant time."""
    seed, power_save, model = job
    scene, _, t_out, up = scene_for(seed)
    snaps: list[Snapshot] = []
    source = SimulatedRoom(SourceConfig(carrier_hz=40000.0, loop=False, baseband=True), scene=scene)
    worker = EngineWorker(
        SourceConfig(baseband=True),
        DetectorConfig(hold_s=HOLD_S),
        snaps.append,
        lambda err: None,
        speed=1e6,
        publish_s=0.25,
        classifier=Classifier.load(model),
        power_save=power_save,
    )
    worker.start(source)
    worker.join()
    worker.stop()
    entered = next((s.t_s for s in snaps if s.occupied), math.nan)
    present = [s for s in snaps if entered <= s.t_s <= t_out]
    seated = [s for s in snaps if entered + 70 <= s.t_s <= up]
    walk = next((s.t_s for s in snaps if s.t_s >= up and s.motion_type == Motion.MAJOR), math.nan)
    return {
        "seed": seed,
        "power_save": power_save,
        "duty_seated": float(np.mean([s.duty_cycle for s in seated])) if seated else math.nan,
        "walk_latency_s": walk - up,
        "vacant_while_present_s": 0.25 * sum(not s.occupied for s in present),
    }


def main() -> None:
    """Run each scene with power saving on and off and print what it costs and saves."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", type=int, default=12)
    parser.add_argument("--model", type=tflite, default=MODEL_PATH, help="another .tflite: printed, not saved")
    args = parser.parse_args()
    jobs = [(seeds.EVAL.start + 70_000 + i, mode, args.model) for i in range(args.scenes) for mode in (True, False)]
    with get_context("fork").Pool(os.cpu_count() or 1) as pool:
        rows = pool.map(run, jobs, chunksize=1)
    on = [r for r in rows if r["power_save"]]
    off = [r for r in rows if not r["power_save"]]
    extra = [a["walk_latency_s"] - b["walk_latency_s"] for a, b in zip(on, off, strict=True)]
    summary = {
        "command": f"scripts/lab powersave --scenes {args.scenes}",
        "duty_cycle_seated_mean": float(np.nanmean([r["duty_seated"] for r in on])),
        "duty_cycle_seated_max": float(np.nanmax([r["duty_seated"] for r in on])),
        "emitted_energy_saved_seated": 1 - float(np.nanmean([r["duty_seated"] for r in on])),
        "walk_latency_s_power_save": [float(np.nanmedian([r["walk_latency_s"] for r in on])),
                                      float(np.nanmax([r["walk_latency_s"] for r in on]))],
        "walk_latency_s_always_on": [float(np.nanmedian([r["walk_latency_s"] for r in off])),
                                     float(np.nanmax([r["walk_latency_s"] for r in off]))],
        "extra_latency_s_median_max": [float(np.nanmedian(extra)), float(np.nanmax(extra))],
        "walks_missed": [int(sum(math.isnan(r["walk_latency_s"]) for r in on)),
                         int(sum(math.isnan(r["walk_latency_s"]) for r in off))],
        "vacant_while_present_s_total": [sum(r["vacant_while_present_s"] for r in on),
                                         sum(r["vacant_while_present_s"] for r in off)],
        "rows": rows,
    }  # fmt: skip
    if args.model.resolve() == MODEL_PATH.resolve():
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(summary, indent=1) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "rows"}, indent=1))


if __name__ == "__main__":
    main()
