"""Wall time of ``scripts/uspd detect`` on a long multi-channel file, start-up included.

    scripts/env python -m lab.bench_detect [--minutes 10] [--mics 4]

Writes a 16-bit 96 kHz WAV of the seeded walk_in_and_leave scene (20 s,
looped to the length asked) to a temporary directory, then times the real
command line on it, as a user would run it.
"""

from __future__ import annotations

import argparse
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.sim import library
from custom_components.uspd.sim.render import Renderer

REPO = Path(__file__).resolve().parents[1]


def write_looped(path: Path, minutes: float, mics: int) -> None:
    """A walk-in scene rendered and repeated to `minutes` of audio at `path`."""
    scene = library.walk_in_and_leave()
    scene = replace(scene, device=replace(scene.device, mics_m=scene.device.mics_m[:mics]))
    fs = scene.device.audio_rate_hz
    clip = Renderer(scene).render_passband(0, int(scene.duration_s * fs), Emission())
    pcm = np.clip(np.round(clip * 32767), -32768, 32767).astype("<i2").tobytes()
    loops = int(np.ceil(minutes * 60 / scene.duration_s))
    data_len = len(pcm) * loops
    with path.open("wb") as f:
        f.write(
            struct.pack(
                "<4sI4s4sIHHIIHH4sI",
                b"RIFF",
                36 + data_len,
                b"WAVE",
                b"fmt ",
                16,
                1,
                mics,
                fs,
                fs * mics * 2,
                mics * 2,
                16,
                b"data",
                data_len,
            )
        )
        for _ in range(loops):
            f.write(pcm)


def main() -> None:
    """Write a long recording and time `uspd detect` on it."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--mics", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.wav"
        write_looped(path, args.minutes, args.mics)
        size_mb = path.stat().st_size / 1e6
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "custom_components.uspd.engine", "detect", str(path)],
            cwd=REPO,
            capture_output=True,
            check=True,
        )
        wall = time.perf_counter() - start
    frames = proc.stdout.count(b"\n")
    print(
        f"{args.minutes:.0f} min, {args.mics} mics, 96 kHz, 16-bit ({size_mb:.0f} MB): "
        f"uspd detect took {wall:.1f} s wall, start-up included ({frames} frames printed)"
    )


if __name__ == "__main__":
    main()
