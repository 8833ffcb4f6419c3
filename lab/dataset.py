"""Scenes → Doppler frames on the classifier's grid, with frame-level ground truth.

    USPD_LAB=1 scripts/env python -m lab.dataset --split train --count 20

Each scene is rendered at baseband (the simulator's fast path, equal to the
demodulated passband: tests/sim/test_sim.py), run through the engine's front end,
and stored as float16 frames (n, GRID_BINS) with int8 truth (0 background,
1 minor, 2 major) in ``~/.cache/uspd/lab/frames/``. Cached by seed, kind and
duration, so reruns only render what is new.

``calibrated=True`` deploys each scene as the product would: the device is
first calibrated in its room (engine/calibration.py, on the simulated room
at a quiet moment: nobody moving, no fan, any other device's tone and any
music playing), then senses at the carrier and level calibration chose,
instead of the draw's random ones. The benchmark runs this way; training keeps the random
carriers and levels (wider than any calibration would choose).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from multiprocessing import get_context
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
from numpy.typing import NDArray

import lab  # noqa: F401  (registers the package without Home Assistant)
from custom_components.uspd.engine.calibration import Calibration, calibrate
from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.engine.features import FeatureStack
from custom_components.uspd.engine.pipeline import Engine, EngineConfig
from custom_components.uspd.engine.sources import SourceConfig
from custom_components.uspd.engine.tuning import TUNING
from custom_components.uspd.sim.render import Renderer
from custom_components.uspd.sim.scene import Interferer, Music
from custom_components.uspd.sim.source import SimulatedRoom

from . import seeds
from .scenes import KINDS, NAMED_ONLY, Draw, Kind, draw

# The simulator's version is part of the cache's name, so frames rendered by an
# older simulator (or older scene draws) are never mixed with new ones: bump it
# whenever a change alters what a seed renders.
SIM_VERSION = 5
# The stillness scores' own version (engine/stillness.py): files with older ones render again where scores are needed.
STILL_VERSION = 2
# With MUSIC_REFERENCE (scripts/lab eval or train --music-reference) the engine cancels music from the audible
# band the renderer gives it (engine/reference.py, Tuning.music_reference, off as shipped): scenes with music
# then have files of their own, this version in their name (bump it whenever what the band does changes).
# Scenes without music render no band, and their frames are the same either way.
MUSIC_VERSION = 1
MUSIC_REFERENCE = False
CACHE = Path(os.environ.get("USPD_CACHE", Path.home() / ".cache" / "uspd")) / "lab" / f"frames-v{SIM_VERSION}"
BLOCK_S = 1.0


@dataclass
class SceneFrames:
    """One scene's frames on the classifier's grid, with their truth and what the engine measured beside them."""

    name: str
    kind: str
    t: NDArray[np.float32]  # frame end times, s
    x: NDArray[np.float16]  # (n, GRID_BINS) scaled dB on the speed grid
    y: NDArray[np.int8]  # truth per frame
    occupied: NDArray[np.bool_]  # someone in the room at the frame's time
    bands: NDArray[np.float32]  # (n, 3) the baseline's minor, major, guard band dB
    rate_hz: int
    carrier_hz: float
    mics: int
    # Breathing's score of the window ending at each frame (engine/stillness.py); nan: none, or a
    # cached file without scores (load_or_make(still=True) renders those again).
    still_db: NDArray[np.float32]


def calibration_of(d: Draw) -> Calibration:
    """What the engine's calibration chooses in the draw's room before anyone or anything moves in it.

    The shifted suite's tones arrive after calibration, at their offset from whatever carrier it chose: the
    worst case, a device that came on in our band later (lab/shifted.py).
    """
    heard = (Music,) if d.kind.startswith("shifted_") else (Interferer, Music)
    quiet = dataclasses.replace(d.scene, sources=tuple(s for s in d.scene.sources if isinstance(s, heard)))
    return calibrate(SimulatedRoom(SourceConfig(carrier_hz=d.carrier_hz, baseband=True, loop=True), scene=quiet))


def frames_of(d: Draw, calibrated: bool = False, spy: Callable[[Engine], None] | None = None) -> SceneFrames:
    """Render a draw at baseband and run the engine's front end over it: its frames and their truth.

    spy: handed the engine before any audio, to look inside it (lab/speaker_share.py).
    """
    scene = d.scene
    carrier_hz, level = d.carrier_hz, d.level
    if calibrated:
        cal = calibration_of(d)
        carrier_hz, level = cal.carrier_hz, cal.level
        if d.kind.startswith("shifted_"):  # the tones move with the carrier calibration chose
            moved = carrier_hz - d.carrier_hz
            sources = tuple(
                dataclasses.replace(s, freq_hz=s.freq_hz + moved) if isinstance(s, Interferer) else s
                for s in scene.sources
            )
            scene = dataclasses.replace(scene, sources=sources)
    renderer = Renderer(scene)
    tuning = dataclasses.replace(TUNING, music_reference=True) if MUSIC_REFERENCE else TUNING
    config = EngineConfig(scene.device.audio_rate_hz, carrier_hz, renderer.channels, tuning=tuning)
    engine = Engine(config)
    if spy is not None:
        spy(engine)
    stack = FeatureStack(engine.speeds_mps)
    rate = engine.plan.baseband_rate_hz
    emission = Emission(carrier_hz=engine.plan.carrier_hz, level=level)
    block = int(BLOCK_S * rate)
    total = int(scene.duration_s * rate)
    ts, xs, bands, still = [], [], [], []
    for start in range(0, total, block):
        count = min(block, total - start)
        bb = renderer.render_baseband(start, count, rate, emission)
        for r in engine.process_baseband(bb, renderer.render_reference(start, count, rate, emission)):
            ts.append(r.frame.t_s)
            xs.append(stack.grid(r.frame.normalized_db))
            bands.append(engine.bands.bands(r.frame.ratio))
            still.append(r.stillness_db)
    t = np.asarray(ts, dtype=np.float64)
    occ = np.zeros(len(t), dtype=bool)
    for span in scene.occupied():
        occ |= (t >= span.start) & (t < span.end)
    return SceneFrames(
        name=scene.name,
        kind=d.kind,
        t=t.astype(np.float32),
        x=np.asarray(xs, dtype=np.float16).reshape(len(ts), -1),
        y=renderer.activity(t),
        occupied=occ,
        bands=np.asarray(bands, dtype=np.float32).reshape(len(ts), 3),
        rate_hz=scene.device.audio_rate_hz,
        carrier_hz=engine.plan.carrier_hz,
        mics=renderer.channels,
        still_db=np.asarray(still, dtype=np.float32),
    )


# A scene to render: (seed, kind or None for a random one, seconds, audio rate or None for the kind's own).
Job = tuple[int, Kind | None, float, int | None]


def _path(seed: int, kind: Kind | None, duration_s: float, rate_hz: int | None, calibrated: bool, music: bool) -> Path:
    tail = ("-cal" if calibrated else "") + (f"-music{MUSIC_VERSION}" if music and MUSIC_REFERENCE else "")
    return CACHE / f"{seed}-{kind or 'any'}-{duration_s:g}-{rate_hz or 'any'}{tail}.npz"


def load_or_make(
    job: tuple[int, Kind | None, float, int | None], calibrated: bool = False, still: bool = False
) -> SceneFrames:
    """still: the stillness scores are needed (the benchmark), so a file cached without them is rendered again."""
    seed, kind, duration_s, rate_hz = job
    # Drawn only where it decides the file (scenes are drawn again to render: it costs little beside that).
    music = MUSIC_REFERENCE and any(isinstance(s, Music) for s in draw(seed, kind, duration_s, rate_hz).scene.sources)
    path = _path(*job, calibrated, music)
    z = np.load(path) if path.exists() else None
    fresh = z is not None and (int(z["still_version"]) if "still_version" in z else 0) == STILL_VERSION
    if z is not None and (fresh or not still):
        bands = z["bands"] if "bands" in z else np.zeros((len(z["t"]), 3), dtype=np.float32)
        scores = z["still_db"] if fresh else np.full(len(z["t"]), np.nan, dtype=np.float32)
        return SceneFrames(
            str(z["name"]), str(z["kind"]), z["t"], z["x"], z["y"], z["occupied"], bands,
            int(z["rate_hz"]), float(z["carrier_hz"]), int(z["mics"]), scores,
        )  # fmt: skip
    f = frames_of(draw(seed, kind, duration_s, rate_hz), calibrated)
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")  # two commands may render the same scene at once
    np.savez_compressed(tmp, still_version=STILL_VERSION, **{k: getattr(f, k) for k in f.__dataclass_fields__})
    tmp.rename(path)
    return f


def build(
    jobs: Sequence[Job],
    processes: int | None = None,
    calibrated: bool = False,
    still: bool = False,
) -> list[SceneFrames]:
    """The frames of every job, from the cache or rendered in parallel."""
    for seed, *_ in jobs:
        if not any(seed in r for r in seeds.SPLITS.values()):
            raise ValueError(f"seed {seed} is in no split")
    processes = processes or os.cpu_count() or 1
    make = partial(load_or_make, calibrated=calibrated, still=still)
    if processes == 1 or len(jobs) == 1:
        return [make(j) for j in jobs]
    with get_context("fork").Pool(processes) as pool:
        return pool.map(make, jobs, chunksize=1)


def main() -> None:
    """Render a split's scenes into the cache and print each one's truth counts."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=list(seeds.SPLITS), default="train")
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--kind", choices=KINDS + NAMED_ONLY)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    base = seeds.SPLITS[args.split].start
    jobs = [(base + i, args.kind, args.seconds, None) for i in range(args.count)]
    for f in build(jobs):
        counts = np.bincount(f.y, minlength=3)
        print(f"{f.name:24s} {f.rate_hz} Hz {f.carrier_hz:.0f} Hz {f.mics} mics frames {len(f.t)} truth {counts}")


if __name__ == "__main__":
    main()
