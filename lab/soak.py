"""Soak: simulated-room entries faster than real time for hours, with random faults on a seeded schedule.

    scripts/env python -m lab.soak --entries 5 --hours 2 [--seed N] [--fault-every 60] [--out FILE]

Starts one EngineWorker per entry as lab/bench_entries.py does (its own
thread, the shipped model on the numpy executor, BLAS on one thread, the
simulated room rendered at baseband unless --passband), unpaced by default
(--speed), until every entry has sensed --hours of audio. Each entry draws
its faults from its own seeded stream, about one every --fault-every seconds
of its audio: reads that raise, reads that stall, reads that stall then time
out, NaN/Inf bursts, calibrations, captures, captures whose waiter gives up,
the tone switched off and on, power saving toggled, new detector options.

A fault counts as recovered when the worker shows it came through: a fresh
snapshot after the fault ended (the tone switched off must also be seen off),
and for a calibration or a capture, its Future ended as the worker promises
(a result, CalibrationError, RecordingAborted, cancelled by its waiter). It
reports memory (RSS; with --trace-python also Python's own allocations,
which tell objects held from native memory) over time after warm-up, that
no Future handed out is left pending after the workers stop, CPU per entry
per second of audio, and
per entry the faults injected and recovered. It exits 1 when an invariant
fails (a future pending, a fault not recovered, an error nobody injected, a
non-finite score); memory growth is reported against its goal (≤ 10 MB).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import math
import os
import platform
import random
import resource
import sys
import threading
import time
import tracemalloc
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import CancelledError, Future
from pathlib import Path
from typing import Any

import numpy as np

import lab  # noqa: F401  (registers the package without Home Assistant)
from custom_components.uspd.engine.blas import limit_blas_threads
from custom_components.uspd.engine.calibration import CalibrationError
from custom_components.uspd.engine.classifier import Classifier
from custom_components.uspd.engine.detector import DetectorConfig
from custom_components.uspd.engine.recorder import RecordingAborted
from custom_components.uspd.engine.sources import AudioSource, Block, SourceConfig, SourceError
from custom_components.uspd.engine.worker import EngineWorker, Snapshot
from custom_components.uspd.sim.source import SimulatedRoom, open_source
from lab.bench_entries import TimedSource
from lab.wrapped_source import WrappedSource

# Faults in the source, injected by the worker's own reads (its thread); the rest are asked for as the
# integration asks (another thread).
SOURCE_FAULTS = ("read_error", "stall", "timeout", "burst")
CONTROL_FAULTS = ("calibrate", "capture", "cancel", "emission", "power_save", "detector")
KINDS = SOURCE_FAULTS + CONTROL_FAULTS
SETTLE_S = 10.0  # of audio before the first fault: the first stream starts clean
TAIL_S = 30.0  # of audio at the end without new faults, for the last ones to come through
GRACE_S = 60.0  # of wall time after the target, at most, for faults still coming through
MEMORY_GOAL_MB = 10.0


@dataclasses.dataclass
class Fault:
    """One fault on an entry's schedule: what, when (seconds of the entry's audio), how long or how much."""

    kind: str
    at_s: float
    amount: float  # burst or tone-off or capture seconds of audio; stall seconds of wall time
    injected: bool = False
    recovered: bool = False
    # Recovery needs a snapshot after this many had been published (None: not yet ended, or no snapshot needed).
    after_snapshot: int | None = None
    seen_off: bool = False  # the tone switched off, seen off in a snapshot


def schedule(rng: random.Random, hours: float, every_s: float) -> list[Fault]:
    """The faults of one entry: a Poisson stream of kinds drawn evenly, none in the first and last seconds."""
    faults: list[Fault] = []
    t = SETTLE_S
    end = hours * 3600.0 - TAIL_S
    while True:
        t += rng.expovariate(1.0 / every_s)
        if t >= end:
            return faults
        kind = rng.choice(KINDS)
        amount = {
            "stall": rng.uniform(0.1, 1.5),  # wall seconds a read blocks
            "timeout": rng.uniform(0.1, 1.5),
            "burst": rng.uniform(0.05, 3.0),  # audio seconds of NaN/Inf
            "capture": rng.uniform(0.5, 20.0),
            "cancel": rng.uniform(0.0, 5.0),  # audio seconds before its waiter gives up
            "emission": rng.uniform(5.0, 30.0),  # audio seconds with the tone off
        }.get(kind, 0.0)
        faults.append(Fault(kind, t, amount))


class Entry:
    """One simulated-room device: its worker, its fault schedule, and what it did under them."""

    def __init__(self, index: int, faults: list[Fault]) -> None:
        self.index = index
        self.faults = faults
        self.lock = threading.Lock()
        self.source_due: deque[Fault] = deque(f for f in faults if f.kind in SOURCE_FAULTS)
        self.control_due: deque[Fault] = deque(f for f in faults if f.kind in CONTROL_FAULTS)
        self.followups: list[tuple[float, Callable[[], object]]] = []  # (audio seconds, what): tone on, cancel
        self.audio_s = 0.0  # audio the engine sensed (sweeps not counted)
        self.snapshots = 0
        self.nonfinite = 0  # snapshots whose score or noise floor is not finite
        self.errors: Counter[str] = Counter()  # reasons reported through on_error
        self.injected_errors = 0  # of those, ones this soak caused
        self.thread_cpu_s = 0.0  # the worker thread's CPU time so far
        self.sources: list[TimedSource] = []  # open ones: closed ones are only their render CPU
        self.closed_render_s = 0.0
        self.burst: Fault | None = None
        self.burst_until_s = 0.0
        self.armed: list[Fault] = []  # ended faults waiting for a snapshot
        self.handed_out = 0
        self.outstanding: dict[Future[Any], Fault] = {}
        self.outcomes: Counter[str] = Counter()
        self.power_save = True
        self.worker: EngineWorker | None = None

    @property
    def render_cpu_s(self) -> float:
        """CPU the simulated room took to render (a sound card's reads cost next to nothing)."""
        with self.lock:
            return self.closed_render_s + sum(s.cpu_s for s in self.sources)

    def closed(self, source: TimedSource) -> None:
        """A source the worker let go: keep its render CPU, not the room (a soak must not hold what it measures)."""
        with self.lock:
            if source in self.sources:
                self.sources.remove(source)
                self.closed_render_s += source.cpu_s

    def arm(self, fault: Fault) -> None:
        """The fault has ended: the next snapshot shows whether the worker came through."""
        with self.lock:
            fault.after_snapshot = self.snapshots
            if fault not in self.armed:
                self.armed.append(fault)

    def watch_tone_off(self, fault: Fault) -> None:
        """The tone was switched off: a snapshot must show it off before the fault can end."""
        with self.lock:
            self.armed.append(fault)

    def on_snapshot(self, snapshot: Snapshot) -> None:
        """The worker's on_snapshot: counts, and recovers armed faults."""
        with self.lock:
            self.snapshots += 1
            if not (math.isfinite(snapshot.score) and math.isfinite(snapshot.noise_floor_db)):
                self.nonfinite += 1
                return
            waiting = []
            for fault in self.armed:
                if fault.kind == "emission" and not fault.seen_off:
                    fault.seen_off = not snapshot.emitting
                    waiting.append(fault)
                elif fault.after_snapshot is not None and self.snapshots > fault.after_snapshot:
                    fault.recovered = True
                else:
                    waiting.append(fault)
            self.armed = waiting

    def on_error(self, error: SourceError) -> None:
        """The worker's on_error: counted by reason."""
        with self.lock:
            self.errors[error.reason] += 1

    def hand_out(self, future: Future[Any], fault: Fault) -> None:
        """Track a Future until it ends; then arm the fault (a calibration must also be followed by sensing)."""
        with self.lock:
            self.handed_out += 1
            self.outstanding[future] = fault
        future.add_done_callback(self._ended)

    def _ended(self, future: Future[Any]) -> None:
        with self.lock:
            fault = self.outstanding.pop(future)
        try:
            future.result(timeout=0)
            outcome = "result"
        except CancelledError:
            outcome = "cancelled"
        except (CalibrationError, RecordingAborted) as err:
            outcome = type(err).__name__
        except Exception as err:  # noqa: BLE001 - what the worker must never end a Future with, counted
            outcome = f"unexpected {type(err).__name__}"
        with self.lock:
            self.outcomes[outcome] += 1
        if outcome.startswith("unexpected"):
            return
        if fault.kind == "calibrate":
            self.arm(fault)
        else:
            fault.recovered = True

    def due_source_fault(self) -> Fault | None:
        """The source fault due now, if any (the worker's thread asks at each read)."""
        with self.lock:
            if self.source_due and self.source_due[0].at_s <= self.audio_s:
                fault = self.source_due.popleft()
                fault.injected = True
                return fault
        return None


class FaultySource(WrappedSource):
    """A simulated room (timed as bench_entries times it) whose reads inject its entry's source faults."""

    def __init__(self, inner: TimedSource, room: SimulatedRoom, entry: Entry, *, sweep: bool = False) -> None:
        super().__init__(inner)
        self.timed = inner
        self.room = room
        self.entry = entry
        self.sweep = sweep  # a calibration's twin: its audio is not the entry's sensing

    def read(self) -> Block | None:
        """The next block, after the fault due now, through a burst if one runs."""
        entry = self.entry
        entry.thread_cpu_s = time.thread_time()
        fault = entry.due_source_fault()
        if fault is not None:
            self._inject(fault)
        block = self.inner.read()
        if block is None:
            return None
        with entry.lock:
            burst, until = entry.burst, entry.burst_until_s
        if burst is not None:
            if entry.audio_s < until or self.sweep:
                block = corrupt(block)
            else:
                with entry.lock:
                    entry.burst = None
                entry.arm(burst)
        if not self.sweep:
            rate = self.audio_rate_hz if block.audio is not None else self.room.plan.baseband_rate_hz
            with entry.lock:
                entry.audio_s += block.duration_samples / rate
        return block

    def _inject(self, fault: Fault) -> None:
        entry = self.entry
        if fault.kind in ("stall", "timeout"):
            time.sleep(fault.amount)  # the read blocks (a driver's hiccup, or until its timeout)
        if fault.kind == "burst":
            with entry.lock:
                overlapped, entry.burst, entry.burst_until_s = entry.burst, fault, entry.audio_s + fault.amount
            if overlapped is not None:
                entry.arm(overlapped)  # one burst ran into the next: the first ends with it
            return
        entry.arm(fault)
        if fault.kind in ("read_error", "timeout"):
            with entry.lock:
                entry.injected_errors += 1
            message = "no audio within the read timeout" if fault.kind == "timeout" else "the device went away"
            raise SourceError("device_lost", f"soak: {message}")

    def calibration_twin(self) -> AudioSource:
        """The room's twin for a sweep, its reads through the same faults."""
        return FaultySource(TimedSource(self.room.calibration_twin()), self.room, self.entry, sweep=True)

    def close(self) -> None:
        """Close the room."""
        self.inner.close()
        self.entry.closed(self.timed)


def corrupt(block: Block) -> Block:
    """NaN, ±Inf and absurd samples in part of the block, as a broken driver or file might deliver."""
    if block.audio is not None:
        audio = block.audio.copy()
        audio[::3] = np.nan
        audio[1::5] = np.inf
        audio[2::7] = -1e300
        return Block(audio=audio)
    assert block.baseband is not None
    bb = block.baseband.copy()
    bb[:, ::3] = complex(np.nan, np.nan)
    bb[:, 1::5] = complex(np.inf, -np.inf)
    bb[:, 2::7] = 1e300
    return Block(baseband=bb)


def control(entry: Entry, fault: Fault, rng: random.Random) -> None:
    """Ask the worker for what the fault says, from this thread, as the integration would."""
    worker = entry.worker
    assert worker is not None
    fault.injected = True
    at = entry.audio_s
    match fault.kind:
        case "calibrate":
            entry.hand_out(worker.calibrate(), fault)
        case "capture":
            entry.hand_out(worker.capture_baseband(fault.amount), fault)
        case "cancel":
            future = worker.capture_baseband(30.0)
            entry.hand_out(future, fault)
            entry.followups.append((at + fault.amount, future.cancel))
        case "emission":
            worker.set_emission(False)
            entry.watch_tone_off(fault)  # recovered once seen off, then sensing after the tone is back

            def back_on() -> None:
                worker.set_emission(True)
                entry.arm(fault)

            entry.followups.append((at + fault.amount, back_on))
        case "power_save":
            entry.power_save = not entry.power_save
            worker.set_power_save(entry.power_save)
            entry.arm(fault)
        case "detector":
            worker.set_detector(DetectorConfig(rng.uniform(10.0, 90.0), rng.uniform(5.0, 120.0)))
            entry.arm(fault)


def rss_mb() -> float:
    """The process's resident memory now."""
    try:
        with Path("/proc/self/statm").open() as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:  # not Linux: the peak is the best there is
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


@dataclasses.dataclass
class Report:
    """What a soak found."""

    command: str
    entries: list[Entry]
    hours: float
    wall_s: float
    cpu_s: float
    rss: list[tuple[float, float]]  # (hours of audio the slowest entry had sensed, MB)
    warmup_h: float
    traced: list[tuple[float, float]]  # as rss, Python's own allocations (tracemalloc); empty unless asked for
    pending: int  # futures not ended after every worker stopped
    threads_left: int  # engine threads alive after stop
    stop_s: float  # the longest stop()
    header: str

    @property
    def rss_after_warmup(self) -> list[float]:
        """RSS samples once the slowest entry was past warm-up."""
        return [mb for h, mb in self.rss if h >= self.warmup_h]

    @property
    def growth_mb(self) -> float:
        """RSS at the end over RSS at warm-up's end (NaN without samples)."""
        after = self.rss_after_warmup
        return after[-1] - after[0] if after else math.nan

    @property
    def peak_growth_mb(self) -> float:
        """The most RSS after warm-up over RSS at warm-up's end."""
        after = self.rss_after_warmup
        return max(after) - after[0] if after else math.nan

    def rss_series(self, points: int = 8) -> list[tuple[float, float]]:
        """About `points` RSS samples, evenly spread over the run, the last one included."""
        step = max(1, math.ceil(len(self.rss) / points))
        picked = self.rss[::step]
        return picked if picked[-1] == self.rss[-1] else [*picked, self.rss[-1]]

    @property
    def unrecovered(self) -> int:
        """Faults injected that the worker did not come through."""
        return sum(1 for e in self.entries for f in e.faults if f.injected and not f.recovered)

    @property
    def injected(self) -> int:
        """Faults injected in all."""
        return sum(1 for e in self.entries for f in e.faults if f.injected)

    @property
    def unexpected(self) -> int:
        """Errors nobody injected, futures ended otherwise than promised, non-finite snapshots."""
        return sum(
            sum(e.errors.values())
            - e.injected_errors
            + sum(n for k, n in e.outcomes.items() if k.startswith("unexpected"))
            + e.nonfinite
            for e in self.entries
        )

    @property
    def ok(self) -> bool:
        """Every hard invariant held (memory is a goal, reported beside)."""
        return self.pending == 0 and self.unrecovered == 0 and self.unexpected == 0 and self.threads_left == 0


def run(args: argparse.Namespace) -> Report:
    """Run the soak as `args` say and measure it."""
    limit_blas_threads()
    rngs = [random.Random(f"{args.seed}-{i}") for i in range(args.entries)]
    entries = [Entry(i + 1, schedule(rngs[i], args.hours, args.fault_every)) for i in range(args.entries)]
    config = SourceConfig(scenario=args.scenario, baseband=not args.passband)

    def opener_for(entry: Entry) -> Callable[[SourceConfig], AudioSource]:
        def opener(source_config: SourceConfig) -> AudioSource:
            room = open_source(source_config)
            assert isinstance(room, SimulatedRoom)
            timed = TimedSource(room)
            with entry.lock:
                entry.sources.append(timed)
            return FaultySource(timed, room, entry)

        return opener

    for entry in entries:
        entry.worker = EngineWorker(
            config,
            DetectorConfig(),
            entry.on_snapshot,
            entry.on_error,
            speed=args.speed,
            classifier=Classifier.load(prefer="numpy"),
            opener=opener_for(entry),
        )
    target_s = args.hours * 3600.0
    rss: list[tuple[float, float]] = []
    traced: list[tuple[float, float]] = []
    if args.trace_python:
        tracemalloc.start()

    def sample() -> None:
        rss.append((min(e.audio_s for e in entries) / 3600.0, rss_mb()))
        if args.trace_python:
            traced.append((rss[-1][0], tracemalloc.get_traced_memory()[0] / 1e6))

    before = set(threading.enumerate())
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for entry in entries:
        assert entry.worker is not None
        entry.worker.start()
    last_sample = -math.inf
    grace_until = math.inf
    while True:
        for entry, rng in zip(entries, rngs, strict=True):
            while entry.control_due and entry.control_due[0].at_s <= entry.audio_s:
                control(entry, entry.control_due.popleft(), rng)
            for item in [f for f in entry.followups if f[0] <= entry.audio_s]:
                entry.followups.remove(item)
                item[1]()
        now = time.perf_counter()
        if now - last_sample >= args.sample_s:
            last_sample = now
            sample()
        if min(e.audio_s for e in entries) >= target_s:
            grace_until = min(grace_until, now + GRACE_S)
            waiting = any(f.injected and not f.recovered for e in entries for f in e.faults)
            if not waiting or now >= grace_until:
                break
        time.sleep(0.02)
    sample()
    if args.trace_python:
        tracemalloc.stop()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    stop_s = 0.0
    for entry in entries:
        assert entry.worker is not None
        began = time.perf_counter()
        entry.worker.stop(5.0)
        stop_s = max(stop_s, time.perf_counter() - began)
    threads_left = sum(1 for t in threading.enumerate() if t not in before and t.name == "uspd-engine" and t.is_alive())
    pending = sum(1 for e in entries for f in list(e.outstanding) if not f.done())
    header = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, numpy {np.__version__}, BLAS 1 thread"
    )
    argv = " ".join(args.argv)
    return Report(
        command=f"scripts/env python -m lab.soak {argv}".rstrip(),
        entries=entries,
        hours=args.hours,
        wall_s=wall,
        cpu_s=cpu,
        rss=rss,
        warmup_h=args.warmup * args.hours,
        traced=traced,
        pending=pending,
        threads_left=threads_left,
        stop_s=stop_s,
        header=header,
    )


def format_report(report: Report, args: argparse.Namespace) -> str:
    """The report as a short table, the command that made it first."""
    kind = "passband (4 mics, 96 kHz)" if args.passband else "baseband"
    audio_s = sum(e.audio_s for e in report.entries)
    pace = audio_s / len(report.entries) / report.wall_s
    lines = [
        f"$ {report.command}",
        report.header,
        f"{len(report.entries)} simulated-room entries ({args.scenario}, rendered at {kind}), "
        f"{report.hours:g} h of audio each, a fault every ~{args.fault_every:g} s of audio, seed {args.seed}",
        f"wall {report.wall_s / 60:.1f} min, each entry {pace:.1f}x real time; "
        f"process CPU {1000 * report.cpu_s / audio_s:.1f} ms per entry per audio s",
        "",
        "entry  audio h  CPU ms/audio s (render)  faults  recovered  errors  futures ended/out",
    ]
    for e in report.entries:
        cpu_ms = 1000 * e.thread_cpu_s / max(e.audio_s, 1e-9)
        render_ms = 1000 * e.render_cpu_s / max(e.audio_s, 1e-9)
        injected = sum(f.injected for f in e.faults)
        recovered = sum(f.injected and f.recovered for f in e.faults)
        ended = e.handed_out - sum(1 for f in e.outstanding if not f.done())
        lines.append(
            f"{e.index:5d}  {e.audio_s / 3600:7.2f}  {cpu_ms:14.1f} ({render_ms:5.1f})  {injected:6d}  "
            f"{recovered:9d}  {sum(e.errors.values()):6d}  {ended:7d}/{e.handed_out}"
        )
    by_kind = Counter(f.kind for e in report.entries for f in e.faults if f.injected)
    recovered_kind = Counter(f.kind for e in report.entries for f in e.faults if f.injected and f.recovered)
    outcomes = sum((e.outcomes for e in report.entries), Counter[str]())
    after = report.rss_after_warmup
    memory = (
        f"memory (RSS) after warm-up (the first {report.warmup_h:g} h): {after[0]:.1f} -> {after[-1]:.1f} MB, "
        f"max {max(after):.1f}: {report.growth_mb:+.1f} MB ({report.peak_growth_mb:+.1f} at most); "
        f"goal within {MEMORY_GOAL_MB:g} MB: {'met' if report.peak_growth_mb <= MEMORY_GOAL_MB else 'NOT met'}"
        if after
        else "memory (RSS): no sample after warm-up (a longer run has some)"
    )
    series = report.rss_series()
    traced = [mb for h, mb in report.traced if h >= report.warmup_h]
    if traced:
        # Python's own objects beside RSS: growth here is something held; RSS growth without it is native
        # buffers or the allocator's arenas.
        memory += (
            f"\nPython objects (tracemalloc) after warm-up: {traced[0]:.2f} -> {traced[-1]:.2f} MB, "
            f"range {min(traced):.2f}-{max(traced):.2f} MB"
        )
    lines += [
        "",
        "faults injected/recovered: " + ", ".join(f"{k} {by_kind[k]}/{recovered_kind[k]}" for k in KINDS),
        f"futures: {sum(e.handed_out for e in report.entries)} handed out, {report.pending} pending after stop; "
        + ", ".join(f"{k} {n}" for k, n in sorted(outcomes.items())),
        memory,
        "  RSS by hours of audio: " + ", ".join(f"{h:.2f} h {mb:.1f}" for h, mb in series),
        f"stop: the slowest took {report.stop_s:.2f} s; engine threads left {report.threads_left}; "
        f"errors nobody injected, futures ended otherwise, non-finite snapshots: {report.unexpected}",
        f"invariants: {'held' if report.ok else 'FAILED'}",
    ]
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (kept, to be quoted with its figures)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=5)
    parser.add_argument("--hours", type=float, default=2.0, help="of audio each entry senses")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fault-every", type=float, default=60.0, help="mean seconds of audio between faults")
    parser.add_argument("--speed", type=float, default=1000.0, help="playback speed (> 1: faster than real time)")
    parser.add_argument("--scenario", default="demo_loop")
    parser.add_argument("--passband", action="store_true", help="render 96 kHz audio (slow) instead of baseband")
    parser.add_argument("--warmup", type=float, default=0.1, help="fraction of the run before memory counts")
    parser.add_argument("--sample-s", type=float, default=2.0, help="wall seconds between memory samples")
    parser.add_argument("--out", type=Path, help="also write the report here")
    parser.add_argument(
        "--trace-python", action="store_true", help="also follow Python's own allocations (tracemalloc; slower)"
    )
    args = parser.parse_args(argv)
    if args.entries < 1 or args.hours <= 0 or args.fault_every <= 0 or args.speed <= 1:
        parser.error("--entries ≥ 1, --hours > 0, --fault-every > 0 and --speed > 1, please")
    args.argv = list(sys.argv[1:] if argv is None else argv)
    return args


def main(argv: list[str] | None = None) -> int:
    """Run, print the report (and write it to --out); 1 if an invariant failed."""
    args = parse_args(argv)
    # The engine logs each fault it meets (a warning per burst, per failed sweep): the report counts them.
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    report = run(args)
    text = format_report(report, args)
    print(text, end="")
    if args.out is not None:
        args.out.write_text(text)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
