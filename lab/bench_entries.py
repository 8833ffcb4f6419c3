"""Several simulated-room devices in one process, in real time, as Home Assistant runs them: share of one core.

    scripts/env python -m lab.bench_entries [--entries 5] [--seconds 60] [--scenario demo_loop] [--baseband]

Starts one EngineWorker per entry (its own thread, the shipped model on the
numpy executor, BLAS on one thread: what the integration starts per config
entry), lets them sense for --seconds of wall time at real-time pace, and
reports the process's CPU time as a percentage of one core: in all, spent
rendering the simulated rooms (the simulator stands in for a sound card,
which costs next to nothing), and the rest (the engines and their threads).
It also checks each worker kept pace: the audio it sensed against the wall time.
"""

from __future__ import annotations

import argparse
import os
import platform
import threading
import time
from collections.abc import Callable

import numpy as np

import lab  # noqa: F401  (registers the package without Home Assistant)
from custom_components.uspd.engine.blas import limit_blas_threads
from custom_components.uspd.engine.classifier import Classifier
from custom_components.uspd.engine.detector import DetectorConfig
from custom_components.uspd.engine.sources import AudioSource, Block, SourceConfig, SourceError
from custom_components.uspd.engine.worker import EngineWorker, Snapshot
from custom_components.uspd.sim.source import open_source
from lab.wrapped_source import WrappedSource


class TimedSource(WrappedSource):
    """A source whose reads are timed in CPU seconds of the thread that reads (the render)."""

    def __init__(self, inner: AudioSource) -> None:
        super().__init__(inner)
        self.cpu_s = 0.0

    def read(self) -> Block | None:
        """The wrapped source's next block, its CPU time counted."""
        start = time.thread_time()
        block = self.inner.read()
        self.cpu_s += time.thread_time() - start
        return block


def main() -> None:
    """Run the entries, then print the shares of one core."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=60.0, help="of wall time, sensing in real time")
    parser.add_argument("--scenario", default="demo_loop")
    parser.add_argument("--baseband", action="store_true", help="render the rooms at baseband (no demodulation)")
    args = parser.parse_args()
    limit_blas_threads()
    sources: list[TimedSource] = []
    errors: list[SourceError] = []
    latest: dict[int, Snapshot] = {}
    lock = threading.Lock()

    def opener(config: SourceConfig) -> AudioSource:
        source = TimedSource(open_source(config))
        with lock:
            sources.append(source)
        return source

    def on_snapshot(index: int) -> Callable[[Snapshot], None]:
        def record(snapshot: Snapshot) -> None:
            latest[index] = snapshot

        return record

    workers = [
        EngineWorker(
            SourceConfig(scenario=args.scenario, baseband=args.baseband),
            DetectorConfig(),
            on_snapshot(i),
            errors.append,
            classifier=Classifier.load(prefer="numpy"),
            opener=opener,
        )
        for i in range(args.entries)
    ]
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for worker in workers:
        worker.start()
    time.sleep(args.seconds)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    render = sum(s.cpu_s for s in sources)
    for worker in workers:
        worker.stop()
    sensed = [latest[i].t_s if i in latest else 0.0 for i in range(args.entries)]
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, numpy {np.__version__}, BLAS 1 thread"
    )
    kind = "baseband" if args.baseband else "passband (4 mics, 96 kHz)"
    print(f"{args.entries} simulated-room entries ({args.scenario}, rendered at {kind}) for {wall:.0f} s of wall time")
    print(f"  CPU, % of one core:  all {100 * cpu / wall:5.1f}")
    print(f"                       rendering the rooms {100 * render / wall:5.1f}")
    print(f"                       engines and threads {100 * (cpu - render) / wall:5.1f}")
    print(f"  audio sensed per entry, s: {', '.join(f'{s:.1f}' for s in sensed)} (real time: {wall:.1f})")
    if errors:
        print(f"  errors: {'; '.join(str(e) for e in errors)}")


if __name__ == "__main__":
    main()
