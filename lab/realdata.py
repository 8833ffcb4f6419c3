"""Real recordings: whether the engine reports motion in recordings this project did not make.

    scripts/lab realdata [DIR] [--engine network|baseline|both] [--out FILE]

Every WAV in DIR (default ../shared/realdata beside the repository: 40
tablet recordings, 44.1 kHz, a 19 kHz tone, people drawing digits in the air;
see its README) goes through the recording backend, which finds the carrier
by the same rule as the CLI (engine/rates.py, carrier_range_hz), and then
through a fresh engine: a cold start per file. Two engines: the network (the
shipped model, as the integration runs it) and the baseline (band energy,
what ``uspd detect`` runs). Per file: duration, carrier found, carrier SNR,
and per engine when motion was first reported, the fraction of frames with
motion and whether it reported any; then "N of M report motion". Where a
labelled-recording JSON lies beside a WAV (engine/labelled.py), its labels
say whether motion should be reported, and the report counts agreement.

The recordings check the real signal chain (a consumer device's speaker,
microphone and processing, short clips, cold starts). They are not training
data and say nothing about false alarms. They are never copied into the
repository: a missing folder is skipped with a note. Runs in the main
environment (no TensorFlow). Its output, from --out: lab/results/realdata.txt.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import lab  # noqa: F401
from custom_components.uspd.base.labelled import LabelError, labels_path, read_labels
from custom_components.uspd.engine.blas import limit_blas_threads
from custom_components.uspd.engine.classifier import Classifier
from custom_components.uspd.engine.detector import Motion
from custom_components.uspd.engine.pipeline import Engine, EngineConfig
from custom_components.uspd.engine.sources import SourceConfig, SourceError, open_source

DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "realdata"
ENGINES = ("network", "baseline")
ENGINE_NOTES = {
    "network": "the shipped model, as the integration runs it",
    "baseline": "band energy, as `uspd detect` runs it",
}


@dataclass(frozen=True)
class EngineRun:
    """When one engine first reported motion in a recording, and how often it did."""

    first_motion_s: float | None  # stream time of the first frame with motion
    motion_fraction: float  # of all frames

    @property
    def reported(self) -> bool:
        """Whether this engine reported motion at all."""
        return self.first_motion_s is not None


@dataclass(frozen=True)
class FileResult:
    """What one recording gave: its length, carrier and SNR, and each engine's run."""

    name: str
    duration_s: float
    carrier_hz: float | None
    carrier_snr_db: float
    runs: dict[str, EngineRun]
    labelled_motion: bool | None = None  # what its labels say; None without a labels file
    error: str | None = None

    def reported(self, engine: str) -> bool:
        """Whether `engine` reported motion in this recording."""
        run = self.runs.get(engine)
        return run is not None and run.reported


def _audio(path: Path) -> tuple[np.ndarray, int, float, int]:
    """(audio, rate, carrier, channels) through the recording backend, which finds the carrier."""
    source = open_source(SourceConfig(backend="recording", path=str(path), loop=False))
    try:
        blocks = []
        while (block := source.read()) is not None:
            assert block.audio is not None
            blocks.append(block.audio)
        audio = np.concatenate(blocks) if blocks else np.zeros((0, source.channels))
        return audio, source.audio_rate_hz, source.carrier_hz, source.channels
    finally:
        source.close()


def _labelled_motion(path: Path) -> tuple[bool | None, str | None]:
    if not labels_path(path).exists():
        return None, None
    try:
        return bool(read_labels(path).labels), None
    except LabelError as err:
        return None, str(err)


def run_file(path: Path, classifiers: dict[str, Classifier | None]) -> FileResult:
    """One recording, a cold start per engine (engine name → classifier, None for the baseline)."""
    labelled, label_error = _labelled_motion(path)
    try:
        audio, rate, carrier, channels = _audio(path)
    except SourceError as err:
        message = str(err).removeprefix(f"{path}: ")
        return FileResult(path.name, math.nan, None, math.nan, {}, labelled, message)
    runs: dict[str, EngineRun] = {}
    snr = math.nan
    for name, classifier in classifiers.items():
        engine = Engine(EngineConfig(rate, carrier, channels), classifier)
        results = engine.process(audio)
        moving = [r.decision.t_s for r in results if r.decision.motion != Motion.NONE]
        runs[name] = EngineRun(moving[0] if moving else None, len(moving) / len(results) if results else 0.0)
        snrs = [r.carrier_snr_db for r in results if math.isfinite(r.carrier_snr_db)]
        snr = float(np.median(snrs)) if snrs else math.nan
    return FileResult(path.name, len(audio) / rate, carrier, snr, runs, labelled, label_error)


def run_folder(folder: Path, engines: tuple[str, ...] = ENGINES) -> list[FileResult]:
    """Every *.wav in folder, sorted by name."""
    classifiers: dict[str, Classifier | None] = {}
    for name in engines:
        classifiers[name] = Classifier.load() if name == "network" else None
    limit_blas_threads()
    return [run_file(path, classifiers) for path in sorted(folder.glob("*.wav"))]


def _cell(run: EngineRun | None) -> str:
    if run is None:
        return f"{'-':>7s} {'-':>7s} {'-':>4s}"
    first = f"{run.first_motion_s:.2f}" if run.first_motion_s is not None else "-"
    return f"{first:>7s} {100 * run.motion_fraction:6.0f}% {'yes' if run.reported else 'no':>4s}"


def report(results: list[FileResult], engines: tuple[str, ...] = ENGINES) -> list[str]:
    """The per-file table, then per engine "N of M report motion" (and agreement with labels, where any)."""
    width = max([len(r.name) for r in results] + [4])
    head = f"{'file':{width}s} {'dur s':>5s} {'carrier':>8s} {'SNR dB':>6s} {'labels':>6s}"
    for name in engines:
        head += f" | {name + ': first s':>15s} {'motion':>7s} {'rep':>4s}"
    lines = [head]
    for r in results:
        carrier = f"{r.carrier_hz:.0f}" if r.carrier_hz is not None else "-"
        labels = "-" if r.labelled_motion is None else ("motion" if r.labelled_motion else "none")
        dur = f"{r.duration_s:.2f}" if math.isfinite(r.duration_s) else "-"
        snr = f"{r.carrier_snr_db:.0f}" if math.isfinite(r.carrier_snr_db) else "-"
        line = f"{r.name:{width}s} {dur:>5s} {carrier:>8s} {snr:>6s} {labels:>6s}"
        for name in engines:
            line += f" | {_cell(r.runs.get(name)):>28s}"
        if r.error:
            line += f"  ({r.error})"
        lines.append(line)
    lines.append("")
    labelled = [r for r in results if r.labelled_motion is not None]
    for name in engines:
        n = sum(r.reported(name) for r in results)
        line = f"{name} ({ENGINE_NOTES[name]}): {n} of {len(results)} report motion"
        if labelled:
            agree = sum(r.reported(name) == r.labelled_motion for r in labelled)
            line += f"; {agree} of {len(labelled)} labelled files agree with their labels"
        lines.append(line)
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run every WAV in the folder through the engines and print the report; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir", nargs="?", type=Path, help=f"folder of WAVs (default: {DEFAULT_DIR})")
    parser.add_argument("--engine", choices=(*ENGINES, "both"), default="both")
    parser.add_argument("--out", type=Path, help="also write the report here, with a header naming the command")
    args = parser.parse_args(argv)
    folder: Path = args.dir if args.dir is not None else DEFAULT_DIR
    if not folder.is_dir():
        if args.dir is not None:
            print(f"realdata: {folder} is not a folder", file=sys.stderr)
            return 2
        print(f"realdata: no {folder}: nothing to check (the real recordings live outside the repository)")
        return 0
    engines = ENGINES if args.engine == "both" else (args.engine,)
    start = time.perf_counter()
    results = run_folder(folder, engines)
    if not results:
        print(f"realdata: no *.wav in {folder}", file=sys.stderr)
        return 2
    lines = report(results, engines)
    seconds = time.perf_counter() - start
    print("\n".join(lines))
    print(f"({seconds:.0f} s)")
    if args.out is not None:
        command = "scripts/lab realdata" + "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
        shown = folder if args.dir is not None else "../shared/realdata (the default)"
        header = [
            f"# {command}",
            f"# {len(results)} WAVs in {shown}; a cold start per file; {seconds:.0f} s on this machine",
            "# columns per engine: first frame with motion (s, stream time), frames with motion, any motion",
            "",
        ]
        args.out.write_text("\n".join(header + lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
