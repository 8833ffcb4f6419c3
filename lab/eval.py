"""The detection benchmark: the full engine (front end + network + detector) beside the baseline.

    scripts/lab eval [--scale 1.0] [--negative-hours 20] [--model PATH] [--sets NAME ...] [--suite shifted]

A fixed, seeded suite from seeds.EVAL (never trained on): walks (in,
through, approach, leave, wander), walks with a ceiling or pedestal fan and
with music, seated minor motion within 1.5 m, enter-sit-leave scenes for
occupancy, the same walk-ins with a distractor already there (another
device's tone, a fan, music or a curtain: do they still open the room, and
does the distractor open it first?), four-minute sits of people who only
read (a hand moves every 2.5-12 s: is the room called vacant while they
sit, and how soon after they leave?), ≥ 20 h of scenes with nobody in the room (ceiling and pedestal
fans, bass-heavy music, a walker behind the wall, impulsive sounds,
curtains, other devices' tones, combinations), and walks on 48 kHz hardware
(near-ultrasonic carriers). Each device is calibrated in its room first and
senses at the carrier and level calibration chose, as the product does
(lab/dataset.py).

A walk counts for the major-motion figures from the moment the walker is
within 4 m of the device (rooms go up to 7 × 6 m, so some walks start
further away and a few never come that close: those are left out and
counted). Latency runs from that moment, or from the walk's onset if it
begins inside 4 m. Every figure comes
with a 95 % confidence interval: Wilson for rates, exact Poisson for false
alarms per hour, bootstrap for latency percentiles. Frames are the engine's
own (lab/dataset.py); the network is the shipped .tflite on LiteRT (the
numpy executor gives the same outputs: tests/engine/test_classifier.py) and both
detectors are the engine's state machine, run frame by frame.

--suite shifted runs the shifted suite instead (lab/shifted.py: physics
beyond training's ranges, one distractor class per empty room, its sets
named shifted_*) and writes lab/results/eval_shifted.json.

--model benchmarks another .tflite (a retrained one) in the shipped one's
place; --sets runs only the sets named. Either prints the table (and
writes it to --out if given) and leaves lab/results/eval.json, the whole
suite on the shipped model, as it is.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import stats

import lab  # noqa: F401
from custom_components.uspd.engine.classifier import MODEL_PATH, Classifier
from custom_components.uspd.engine.detector import Detector, DetectorConfig, Motion, SettleCounts
from custom_components.uspd.engine.direction import against_shares, one_way_shares
from custom_components.uspd.engine.evidence import NO_EVIDENCE, band_evidence, network_evidence, over_recent
from custom_components.uspd.engine.features import CONTEXT_FRAMES
from custom_components.uspd.engine.lines import LineMemory, Lines, beside_db, find_lines, held_still
from custom_components.uspd.engine.pipeline import network_start_frames
from custom_components.uspd.engine.rates import plan_baseband
from custom_components.uspd.engine.symmetry import symmetric
from custom_components.uspd.engine.tuning import TUNING, Tuning
from custom_components.uspd.engine.walking import WALKING_IN_LINE, top_db, walking_db, walking_power
from custom_components.uspd.sim.scene import Scene, Seated, Walker

from . import dataset, seeds
from .dataset import SIM_VERSION, Job, SceneFrames, build
from .model_arg import tflite
from .scenes import Kind, draw
from .shifted import DISTRACTOR_CLASSES
from .windows import Windows, trailing_max

RESULTS = Path(__file__).resolve().parent / "results" / "eval.json"
SHIFTED_RESULTS = RESULTS.with_name("eval_shifted.json")
MAJOR_RANGE_M = 4.0
# The sets whose walks the benchmark counts (major_events), by plain name (a shifted set without "shifted_").
WALK_SETS = ("walk", "walk_fan", "walk_music", "near_ultrasonic", "enter_sit", "enter_distracted")
# The sets whose seated hand bursts the benchmark counts (minor_events).
MINOR_SETS = ("seated", "enter_sit", "enter_distracted", "enter_read")


@dataclass
class Run:
    """One engine's motion (0/1/2) and occupancy per frame of a scene."""

    motion: np.ndarray  # 0/1/2 per frame
    occupied: np.ndarray
    # The Motion entity per frame (Decision.reported); None: motion while occupied, nothing lingering.
    reported: np.ndarray | None = None


def network_start(s: SceneFrames) -> int:
    """The frames at a scene's start that the engine does not ask the network about (a cold start)."""
    return network_start_frames(plan_baseband(s.rate_hz, s.carrier_hz))


def as_the_network_sees(s: SceneFrames) -> SceneFrames:
    """The scene with its cold-start frames zeroed.

    The engine's feature stack is reset until they pass, so the first windows
    it asks about hold zeros where those frames were.
    """
    x = s.x.copy()
    x[: network_start(s)] = 0
    return dataclasses.replace(s, x=x)


def litert_probs(scenes: list[SceneFrames], model: Path = MODEL_PATH) -> list[np.ndarray]:
    """The network's output at each frame of each scene (those before network_start are never used).

    On LiteRT where it is installed (the lab's environment), else on the numpy
    executor, which agrees with it to ~1e-6 (tests/engine/test_classifier.py).
    """
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        return numpy_probs(scenes, model)
    interp = Interpreter(model_path=str(model), num_threads=2)
    interp.allocate_tensors()
    i, o = interp.get_input_details()[0]["index"], interp.get_output_details()[0]["index"]
    frames = int(interp.get_input_details()[0]["shape"][1])  # the model's window (scripts/lab train --frames)
    out = []
    for s in scenes:
        w = Windows([as_the_network_sees(s)], frames=frames)
        probs = np.empty((len(w), 3), dtype=np.float32)
        for start in range(0, len(w), 4096):
            batch = w.batch(np.arange(start, min(start + 4096, len(w))))
            for k, row in enumerate(batch):
                interp.set_tensor(i, row[None])
                interp.invoke()
                probs[start + k] = interp.get_tensor(o)[0]
        out.append(probs)
    return out


def numpy_probs(scenes: list[SceneFrames], model: Path = MODEL_PATH) -> list[np.ndarray]:
    """As litert_probs, on the numpy executor (the main environment has no LiteRT)."""
    classifier = Classifier.load(model, prefer="numpy")
    out = []
    for s in scenes:
        w = Windows([as_the_network_sees(s)], frames=classifier.frames)
        batch = w.batch(np.arange(len(w)))
        out.append(np.stack([classifier.probs(row[..., 0]) for row in batch]) if len(w) else np.empty((0, 3)))
    return out


def run_detector(
    s: SceneFrames,
    probs: np.ndarray | None,
    config: DetectorConfig,
    occupy_frames: int = TUNING.occupy_frames,
    major_gate_db: float = TUNING.major_gate_db,
    motion_gate_db: float = TUNING.motion_gate_db,
    occupy_gate_db: float = TUNING.occupy_gate_db,
    line_std_db: float | None = TUNING.line_level_std_db,
    symmetry_db: float | None = TUNING.symmetry_db,
    line_min_frames: int = TUNING.line_min_frames,
    steady_std_db: float | None = TUNING.steady_std_db,
    symmetry_beside_line: bool = True,
    line_outlier_db: float | None = TUNING.line_outlier_db,
    line_known_frames: int | None = TUNING.line_known_frames,
    stillness: bool = True,
    motion_clear_s: float = TUNING.motion_clear_s,
    occupy_fast_frames: int = TUNING.occupy_fast_frames,
    occupy_fast_logit: float = TUNING.occupy_fast_logit,
    occupy_fast_one_way: float = TUNING.occupy_fast_one_way,
    one_way_frames: int = TUNING.one_way_frames,
    one_way_share: float = TUNING.one_way_share,
    turn_frames: int = TUNING.turn_frames,
    turn_share: float = TUNING.turn_share,
    line_skirt_db: float | None = TUNING.line_skirt_db,
    weak_line_db: float = TUNING.weak_line_db,
    split_line_db: float = TUNING.split_line_db,
    motion_cap_frames: int = TUNING.motion_cap_frames,
    network_motion_bias_logit: float = TUNING.network_motion_bias_logit,
    network_context_boost_logit: float = TUNING.network_context_boost_logit,
    recent_frames: int = TUNING.recent_frames,
    recent_rise_db: float = TUNING.recent_rise_db,
    occupy_gate_top_bins: int = TUNING.occupy_gate_top_bins,
    occupy_gate_top_db: float = TUNING.occupy_gate_top_db,
    comb_teeth: int = TUNING.comb_teeth,
    settle_minor_seconds: int = TUNING.settle_minor_seconds,
    settle_breath_s: float = TUNING.settle_breath_s,
    settle_guard_persist: float = TUNING.settle_guard_persist,
    settle_still_db: float = TUNING.settle_still_db,
    counts: list[SettleCounts] | None = None,
) -> Run:
    """The engine's detector over a scene's cached frames.

    As in the engine, the network's evidence starts network_start(s) frames
    in (before that the detector hears of no motion); the baseline's at once.
    line_std_db, symmetry_db None: still lines, symmetric spectra open rooms like anything else;
    steady_std_db None: only the bins next to a still line are its own; symmetry_beside_line False: the
    symmetry rule weighs a still line's bins too; line_outlier_db None: every frame on a line's bin is the line's.
    stillness False: breathing (engine/stillness.py) keeps no room occupied.
    counts: given, each frame's settle counts (Detector.settle_counts) are appended to it.
    """
    tuning = dataclasses.replace(
        TUNING,
        occupy_frames=occupy_frames,
        major_gate_db=major_gate_db,
        motion_gate_db=motion_gate_db,
        occupy_gate_db=occupy_gate_db,
        line_level_std_db=TUNING.line_level_std_db if line_std_db is None else line_std_db,
        symmetry_db=TUNING.symmetry_db if symmetry_db is None else symmetry_db,
        line_min_frames=line_min_frames,
        steady_std_db=steady_std_db,
        line_outlier_db=line_outlier_db,
        line_known_frames=line_known_frames,
        motion_clear_s=motion_clear_s,
        occupy_fast_frames=occupy_fast_frames,
        occupy_fast_logit=occupy_fast_logit,
        occupy_fast_one_way=occupy_fast_one_way,
        one_way_frames=one_way_frames,
        one_way_share=one_way_share,
        turn_frames=turn_frames,
        turn_share=turn_share,
        line_skirt_db=line_skirt_db,
        weak_line_db=weak_line_db,
        split_line_db=split_line_db,
        motion_cap_frames=motion_cap_frames,
        network_motion_bias_logit=network_motion_bias_logit,
        network_context_boost_logit=network_context_boost_logit,
        recent_frames=recent_frames,
        recent_rise_db=recent_rise_db,
        occupy_gate_top_bins=occupy_gate_top_bins,
        occupy_gate_top_db=occupy_gate_top_db,
        comb_teeth=comb_teeth,
        settle_minor_seconds=settle_minor_seconds,
        settle_breath_s=settle_breath_s,
        settle_guard_persist=settle_guard_persist,
        settle_still_db=settle_still_db,
    )
    det = Detector(config, tuning, network=probs is not None)
    unlike = np.zeros(len(s.t), dtype=bool)
    beside = np.full(len(s.t), np.nan)
    windows = network_windows(s) if probs is not None else None
    if windows is not None and (line_std_db is not None or symmetry_db is not None):
        own = None
        if line_std_db is not None:
            lines = remembered_lines(windows, tuning, network_start(s))
            beside = beside_db(lines)
            own = lines.own if symmetry_beside_line else None
        if symmetry_db is not None:
            unlike = symmetric(windows, tuning, own)
    still = np.zeros(len(s.t), dtype=bool)
    if windows is not None and occupy_fast_frames < occupy_frames:
        walking = walking_db(windows)
        still = held_still(walking, walking.argmax(axis=-1), occupy_fast_frames, tuning)
    blank = network_start(s) if probs is not None else 0
    two_way = np.zeros(len(s.t), dtype=bool)
    wavering = np.zeros(len(s.t), dtype=bool)
    opening = np.full(len(s.t), np.nan)
    if windows is not None:
        power = walking_power(windows[:, -1, :])
        if occupy_gate_top_bins:  # as the engine: the newest frame's strongest walking bins
            opening = top_db(power, occupy_gate_top_bins)
        shares = one_way_shares(power, one_way_frames)
        # As the engine: no window judged yet after the network's start (DirectionHistory.full) keeps no way.
        shares[: blank + one_way_frames - 1] = 0.0
        two_way = shares < one_way_share
        if turn_share <= 1.0:  # a frame turned against the last turn_frames (direction.against_share)
            # As the engine: the history starts at the network's start (frames before it are never pushed).
            turned = np.zeros(len(power))
            turned[blank:] = against_shares(power[blank:], turn_frames, one_way_frames)
            two_way |= turned >= turn_share
        if occupy_fast_frames < occupy_frames:
            wavering = ~two_way & (shares < occupy_fast_one_way)
    motion = np.zeros(len(s.t), dtype=np.int8)
    occ = np.zeros(len(s.t), dtype=bool)
    reported = np.zeros(len(s.t), dtype=bool)
    code = {Motion.NONE: 0, Motion.MINOR: 1, Motion.MAJOR: 2}
    moving = recent_motion_db(s, motion_cap_frames, blank)
    recent, run_db = (
        recent_walking_db(s, recent_frames, occupy_frames, blank)
        if probs is not None and recent_rise_db > -math.inf
        else (np.full(len(s.t), np.nan), np.full(len(s.t), np.nan))
    )
    for k in range(len(s.t)):
        bands = (float(s.bands[k, 0]), float(s.bands[k, 1]), float(s.bands[k, 2]))
        ev = (
            NO_EVIDENCE
            if k < blank
            else band_evidence(bands, tuning)
            if probs is None
            else network_evidence(
                probs[k],
                bands,
                tuning,
                bool(unlike[k]),
                None if np.isnan(beside[k]) else float(beside[k]),
                bool(still[k]),
                bool(two_way[k]),
                float(moving[k]) if det.occupied else None,
                bool(wavering[k]),
                None if np.isnan(opening[k]) else float(opening[k]),
            )
        )
        # As the engine: only where the frame may open a room (its major logit over the lowest bar walking has,
        # the room vacant).
        vacant = not det.occupied
        if vacant and not np.isnan(recent[k]) and ev.major_logit > det.threshold_logit() - tuning.hysteresis_logit:
            ev = over_recent(ev, float(recent[k]), float(run_db[k]), tuning)
        t = float(s.t[k])
        d = det.update(t, ev, float(s.still_db[k]) if stillness else math.nan)
        motion[k], occ[k], reported[k] = code[d.motion], d.occupied, d.reported != Motion.NONE
        if counts is not None:
            counts.append(det.settle_counts())
    return Run(motion, occ, reported)


def remembered_lines(windows: np.ndarray, tuning: Tuning, start: int) -> Lines:
    """find_lines over every window of a scene, with what the engine's LineMemory makes of them from `start` on.

    What the memory decides (how long a line has held, whether a broken
    window is its dropout) depends on each window's still line, its bin, its
    newest frame and the walking peak, none of which a known line's skirt
    changes; so a first pass finds the bin known before each frame, a second
    the lines given it, and the memory goes over those as the engine's does,
    frame by frame (before `start` the engine keeps none).
    """
    first = find_lines(windows, tuning)
    if tuning.line_known_frames is None:
        return first
    peak = WALKING_IN_LINE[first.newest_db.argmax(axis=-1)]  # the walking band's strongest bin, newest frame

    memory = LineMemory(tuning)
    known = np.full(len(windows), -1, dtype=np.intp)
    for k in range(start, len(windows)):
        known[k] = memory.known_bin()
        memory.update(first.take(k), int(peak[k]))
    lines = find_lines(windows, tuning, known) if (known >= 0).any() else first
    memory.reset()
    still, own, line_bin = lines.still.copy(), lines.own.copy(), lines.line_bin.copy()
    for k in range(start, len(windows)):
        kept = memory.update(lines.take(k), int(peak[k]))
        still[k], own[k], line_bin[k] = kept.still, kept.own, kept.line_bin
    return Lines(still, own, lines.newest_db, line_bin)


def recent_motion_db(s: SceneFrames, frames: int, start: int) -> np.ndarray:
    """Per frame, the most energy in either band over the last `frames` (engine/evidence.RecentMotionEnergy).

    As in the engine, only frames from `start` on count: before it the network is not asked and the engine keeps none.
    """
    e = np.maximum(s.bands[:, 0], s.bands[:, 1]).astype(np.float64)
    e[:start] = -np.inf
    return trailing_max(e, frames)


def recent_walking_db(s: SceneFrames, frames: int, gap: int, start: int) -> tuple[np.ndarray, np.ndarray]:
    """Per frame, the walking band's median over the `frames` before the last `gap`, and those last ones' mean.

    As RecentWalking.levels; NaN until a whole window was heard. As in the engine, only frames from `start` on count.
    """
    e = s.bands[start:, 1].astype(np.float64)
    median, mean = np.full(len(s.t), np.nan), np.full(len(s.t), np.nan)
    full = gap + frames - 1  # from here on (after start), a whole window of frames
    if len(e) > full:
        windows = sliding_window_view(e, gap + frames)
        median[start + full :] = np.median(windows[:, :frames], axis=1)
        mean[start + full :] = windows[:, frames:].mean(axis=1)
    return median, mean


def network_windows(s: SceneFrames) -> np.ndarray:
    """The window rules' window ending at each frame, (frames, CONTEXT_FRAMES, GRID_BINS), as the engine has it.

    The network's own may be longer (Windows(frames=Classifier.frames), as litert_probs and numpy_probs build it).
    Not Windows.batch: the rules read a whole scene's windows, here a strided view of its padded float16 frames, not
    a float32 copy of every window.
    """
    x = as_the_network_sees(s).x
    padded = np.concatenate([np.zeros((CONTEXT_FRAMES - 1, x.shape[1]), dtype=x.dtype), x])
    return np.moveaxis(sliding_window_view(padded, CONTEXT_FRAMES, axis=0), -1, -2)


def wilson(k: int, n: int) -> tuple[float, float, float]:
    """Share k/n and its 95 % Wilson interval."""
    if n == 0:
        return (math.nan, math.nan, math.nan)
    p, z = k / n, 1.96
    den = 1 + z * z / n
    c = (p + z * z / (2 * n)) / den
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (p, max(0.0, c - h), min(1.0, c + h))


def poisson_rate(k: int, hours: float) -> tuple[float, float, float]:
    """Events per hour and its 95 % interval, for k events in `hours`."""
    lo = 0.0 if k == 0 else stats.chi2.ppf(0.025, 2 * k) / 2
    hi = stats.chi2.ppf(0.975, 2 * k + 2) / 2
    return (k / hours, lo / hours, hi / hours)


def percentile_ci(x: np.ndarray, q: float, rng: np.random.Generator) -> tuple[float, float, float]:
    """The q-th percentile of x and its 95 % bootstrap interval."""
    if len(x) == 0:
        return (math.nan, math.nan, math.nan)
    boots = [np.percentile(rng.choice(x, len(x)), q) for _ in range(1000)]
    return (float(np.percentile(x, q)), float(np.percentile(boots, 2.5)), float(np.percentile(boots, 97.5)))


def runs_of(mask: np.ndarray) -> list[tuple[int, int]]:
    """The [start, end) index ranges where mask holds."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def walker_range_m(scene: Scene, t: np.ndarray) -> np.ndarray:
    """Per frame, how far the nearest walker inside the room is from the device's speaker (inf: none inside)."""
    room, dev = scene.room.size_m, scene.device.speaker_m
    out = np.full(len(t), np.inf)
    for src in scene.sources:
        if not isinstance(src, Walker):
            continue
        wp = np.asarray(src.waypoints)
        x, y = np.interp(t, wp[:, 0], wp[:, 1]), np.interp(t, wp[:, 0], wp[:, 2])
        # Standing up and sitting down happen at the first and last waypoints.
        on = (t >= src.start_s) & (t <= src.end_s) & (x >= 0) & (x <= room[0]) & (y >= 0) & (y <= room[1])
        out = np.where(on, np.minimum(out, np.hypot(x - dev[0], y - dev[1])), out)
    return out


def major_events(
    scenes: list[SceneFrames], runs: list[Run], ranges: list[np.ndarray], entity: bool = False
) -> tuple[int, int, list[float], int]:
    """Walks detected as MAJOR, of those that come within MAJOR_RANGE_M, and how late.

    A walk is a run of major truth ≥ 0.5 s; it is detected if MAJOR is
    reported during it (or 0.5 s after); with `entity`, as the Motion entity
    reports it (only once the room is occupied). Also returns how many walks
    never came that close.
    """
    hit = total = beyond = 0
    latency: list[float] = []
    for s, r, rng in zip(scenes, runs, ranges, strict=True):
        for a, b in runs_of(s.y == 2):
            if s.t[b - 1] - s.t[a] < 0.5:
                continue
            near = np.flatnonzero(rng[a:b] <= MAJOR_RANGE_M)
            if not len(near):
                beyond += 1
                continue
            total += 1
            end = min(len(s.t), b + 20)
            major = r.motion[a:end] == 2
            found = np.flatnonzero(major & r.occupied[a:end] if entity else major)
            if len(found):
                hit += 1
                latency.append(max(0.0, float(s.t[a + found[0]] - s.t[a + near[0]])))
    return hit, total, latency, beyond


def rooms_opened(
    layouts: list[Scene], scenes: list[SceneFrames], runs: list[Run], ranges: list[np.ndarray]
) -> tuple[int, int, list[float]]:
    """Each walk-in to a seat (enter-sit): whether the room opened, and how soon.

    Opened: occupied by the time the walker had sat down (+0.5 s); how soon:
    after the walker came within MAJOR_RANGE_M (0 if it opened before).
    """
    opened = total = 0
    delays: list[float] = []
    for layout, s, r, rng in zip(layouts, scenes, runs, ranges, strict=True):
        walker = next(src for src in layout.sources if isinstance(src, Walker))
        near = np.flatnonzero((rng <= MAJOR_RANGE_M) & (s.t <= walker.end_s))
        if not len(near):
            continue
        total += 1
        on = np.flatnonzero(r.occupied & (s.t <= walker.end_s + 0.5))
        if len(on):
            opened += 1
            delays.append(max(0.0, float(s.t[on[0]] - s.t[near[0]])))
    return opened, total, delays


def opened_before_walk_in(layouts: list[Scene], scenes: list[SceneFrames], runs: list[Run]) -> int:
    """Scenes whose room was occupied before the walker set off: something else opened it."""
    early = 0
    for layout, s, r in zip(layouts, scenes, runs, strict=True):
        walker = next(src for src in layout.sources if isinstance(src, Walker))
        early += bool((r.occupied & (s.t < walker.start_s)).any())
    return early


def seated_starts_opened(scenes: list[SceneFrames], runs: list[Run]) -> tuple[int, list[float]]:
    """Scenes of someone seated from the start, nobody walking in: how many the room opened in, and when.

    #26's goal 6: recognised within 60 s from minor motion and breathing, without a walk-in.
    """
    firsts = [float(s.t[np.argmax(r.occupied)]) for s, r in zip(scenes, runs, strict=True) if r.occupied.any()]
    return len(firsts), firsts


def by_distractor(
    layouts: list[Scene], scenes: list[SceneFrames], runs: list[Run], ranges: list[np.ndarray]
) -> dict[str, tuple[int, int, int]]:
    """Per distractor: (walk-ins that opened the room, walk-ins counted, rooms it opened before the walk-in)."""
    out: dict[str, tuple[int, int, int]] = {}
    for i, layout in enumerate(layouts):
        kind = next(src.kind for src in layout.sources if not isinstance(src, Walker | Seated))
        one = ([layout], [scenes[i]], [runs[i]])
        opened, total, _ = rooms_opened(*one, [ranges[i]])
        early = opened_before_walk_in(*one)
        a, b, c = out.get(kind, (0, 0, 0))
        out[kind] = (a + opened, b + total, c + early)
    return dict(sorted(out.items()))


def minor_events(scenes: list[SceneFrames], runs: list[Run]) -> tuple[int, int]:
    """Each burst of seated hand motion (≥ 0.5 s): detected if any motion is reported during it."""
    hit = total = 0
    for s, r in zip(scenes, runs, strict=True):
        for a, b in runs_of(s.y == 1):
            if s.t[b - 1] - s.t[a] < 0.5:
                continue
            total += 1
            hit += bool((r.motion[a:b] > 0).any())
    return hit, total


def false_alarms(scenes: list[SceneFrames], runs: list[Run]) -> tuple[int, int, float]:
    """Motion onsets and vacant→occupied changes in scenes with nobody in the room."""
    motion = occupancy = 0
    hours = 0.0
    for s, r in zip(scenes, runs, strict=True):
        hours += float(s.t[-1] - s.t[0]) / 3600
        m = r.motion > 0
        motion += int(np.sum(m[1:] & ~m[:-1]) + m[0])
        o = r.occupied
        occupancy += int(np.sum(o[1:] & ~o[:-1]) + o[0])
    return motion, occupancy, hours


def seated_called_vacant(
    layouts: list[Scene], scenes: list[SceneFrames], runs: list[Run], hold_s: float
) -> tuple[int, int, float, list[float], int]:
    """Someone sitting for minutes (enter_read): whether the room stays occupied while they only read.

    Once the room has opened: in how many scenes, and how many times, it was
    called vacant before they stood up, over how many hours seated; how long
    after they were out of the room it went vacant; and in how many scenes no
    hand moved for longer than hold_s at some point while seated (there, only
    breathing is left to see, which Doppler bins do not show).
    """
    scenes_hit = times = still = 0
    hours = 0.0
    after: list[float] = []
    for layout, s, r in zip(layouts, scenes, runs, strict=True):
        sit = next(src for src in layout.sources if isinstance(src, Seated))
        seated = (s.t >= sit.start_s) & (s.t <= sit.end_s)
        still += any(s.t[b - 1] - s.t[a] > hold_s for a, b in runs_of(seated & (s.y == 0)))
        gone = max(span.end for span in layout.occupied())
        vacant = np.flatnonzero((s.t >= gone) & ~r.occupied)
        if len(vacant):
            after.append(float(s.t[vacant[0]] - gone))
        opened = np.flatnonzero(r.occupied)
        if not len(opened):
            continue
        start = max(int(opened[0]), int(np.searchsorted(s.t, sit.start_s)))
        stop = int(np.searchsorted(s.t, sit.end_s))
        if stop - start < 2:
            continue
        hours += float(s.t[stop - 1] - s.t[start]) / 3600
        falls = len(runs_of(~r.occupied[start:stop]))
        times += falls
        scenes_hit += falls > 0
    return scenes_hit, times, hours, after, still


def entity_onsets(run: Run) -> int:
    """How often the Motion entity turned on (Decision.reported: only while the room is occupied, lingering)."""
    m = run.reported if run.reported is not None else (run.motion > 0) & run.occupied
    return int(np.sum(m[1:] & ~m[:-1]) + m[0]) if len(m) else 0


def major_onsets(runs: list[Run]) -> int:
    """How often MAJOR (walking) was reported anew: in an empty room, each is a false walk."""
    return sum(len(runs_of(r.motion == 2)) for r in runs)


def by_source(
    layouts: list[Scene], scenes: list[SceneFrames], runs: list[Run], entity: bool = False
) -> dict[str, object]:
    """False occupancies (or Motion entity turn-ons) per hour of the scenes holding each kind of distractor.

    A scene may hold several kinds, and then counts under each.
    """
    counts: dict[str, list[float]] = {}
    for layout, s, r in zip(layouts, scenes, runs, strict=True):
        _, fo, hours = false_alarms([s], [r])
        if entity:
            fo = entity_onsets(r)
        kinds: set[str] = {src.kind for src in layout.sources} or {"nothing"}
        for kind in kinds:
            c = counts.setdefault(kind, [0, 0.0])
            c[0] += fo
            c[1] += hours
    return {k: (int(n), round(h, 2), *poisson_rate(int(n), h)) for k, (n, h) in sorted(counts.items())}


def suite(scale: float, negative_hours: float) -> dict[str, list[Job]]:
    """The benchmark's sets of scenes, each `scale` times its full size."""
    base = seeds.EVAL.start

    def jobs(offset: int, count: int, kind: Kind, seconds: float, rate: int | None = None) -> list[Job]:
        return [(base + offset + i, kind, seconds, rate) for i in range(max(1, int(count * scale)))]

    return {
        "walk": jobs(0, 300, "walk", 20.0),
        "walk_fan": jobs(10_000, 100, "walk_fan", 20.0),
        "walk_music": jobs(20_000, 100, "walk_music", 20.0),
        "seated": jobs(30_000, 100, "seated", 30.0),
        "enter_sit": jobs(40_000, 100, "enter_sit", 40.0),
        # The same walk-ins with a tone, a fan, music or a curtain already there.
        "enter_distracted": jobs(90_000, 100, "enter_distracted", 40.0),
        "near_ultrasonic": [(j[0], j[1], j[2], 48000) for j in jobs(50_000, 100, "walk", 20.0)],
        # Four-minute sits with a hand moving only every 2.5-12 s: kept occupied while they read?
        "enter_read": jobs(96_000, 60, "enter_read", 240.0),
        # Three quarters fans, music, the walker behind the wall; a quarter
        # curtains and other devices' tones.
        "negative": [(base + 60_000 + i, "negative", 60.0, None) for i in range(int(negative_hours * 45))],
        "negative_home": [(base + 80_000 + i, "negative_home", 60.0, None) for i in range(int(negative_hours * 15))],
    }


def figures(
    row: dict[str, object],
    name: str,
    layouts: list[Scene],
    scenes: list[SceneFrames],
    runs: list[Run],
    ranges: list[np.ndarray],
    config: DetectorConfig,
    rng: np.random.Generator,
) -> None:
    """The figures a set of this name reports, into its row (the shifted suite's sets by their plain names)."""
    if name in WALK_SETS:
        hit, total, lat, beyond = major_events(scenes, runs, ranges)
        row["major_detected"] = (hit, total, *wilson(hit, total))
        row["walks_never_within_4m"] = beyond
        row["latency_median_s"] = percentile_ci(np.asarray(lat), 50, rng)
        row["latency_p95_s"] = percentile_ci(np.asarray(lat), 95, rng)
        hit, total, lat, _ = major_events(scenes, runs, ranges, entity=True)
        row["motion_entity_walks_detected"] = (hit, total, *wilson(hit, total))
        row["motion_entity_latency_median_s"] = percentile_ci(np.asarray(lat), 50, rng)
    if name in MINOR_SETS:
        hit, total = minor_events(scenes, runs)
        row["minor_detected"] = (hit, total, *wilson(hit, total))
    if name == "seated":  # seated from t=0 in both suites (lab/scenes.py, lab/shifted.py), nobody walking in
        opened, firsts = seated_starts_opened(scenes, runs)
        row["seated_from_the_start_occupied"] = (opened, len(scenes), *wilson(opened, len(scenes)))
        # Its own bootstrap stream, so that the figures that came before it keep their intervals.
        own = np.random.default_rng(0)
        row["seated_from_the_start_occupied_after_median_s"] = percentile_ci(np.asarray(firsts), 50, own)
    if name in ("enter_sit", "enter_distracted", "enter_read"):
        opened, total, delays = rooms_opened(layouts, scenes, runs, ranges)
        row["walk_ins_opening_the_room"] = (opened, total, *wilson(opened, total))
        row["room_opened_after_median_s"] = percentile_ci(np.asarray(delays), 50, rng)
        early = opened_before_walk_in(layouts, scenes, runs)
        row["rooms_opened_before_the_walk_in"] = (early, len(scenes), *wilson(early, len(scenes)))
    if name == "enter_distracted":
        row["walk_ins_opening_the_room_by_distractor"] = by_distractor(layouts, scenes, runs, ranges)
    if name == "enter_sit":
        agree = sum(int((r.occupied == s.occupied).sum()) for s, r in zip(scenes, runs, strict=True))
        frames = sum(len(s.t) for s in scenes)
        row["occupancy_accuracy"] = (agree, frames, *wilson(agree, frames))
    if name == "enter_read":
        hit, times, hours, after, still = seated_called_vacant(layouts, scenes, runs, config.hold_s)
        row["readers_called_vacant"] = (hit, len(scenes), *wilson(hit, len(scenes)))
        row["readers_still_longer_than_the_hold"] = (still, len(scenes), *wilson(still, len(scenes)))
        row["called_vacant_per_seated_h"] = (times, *poisson_rate(times, hours))
        row["vacant_after_leaving_median_s"] = percentile_ci(np.asarray(after), 50, rng)
        row["vacant_after_leaving_p95_s"] = percentile_ci(np.asarray(after), 95, rng)
    if name.startswith("negative"):
        fm, fo, hours = false_alarms(scenes, runs)
        row["hours"] = round(hours, 2)
        row["motion_false_alarms_per_h"] = (fm, *poisson_rate(fm, hours))
        row["occupancy_false_alarms_per_h"] = (fo, *poisson_rate(fo, hours))
        fmaj = major_onsets(runs)
        row["major_false_alarms_per_h"] = (fmaj, *poisson_rate(fmaj, hours))
        row["occupancy_false_alarms_by_source"] = by_source(layouts, scenes, runs)
        fe = sum(entity_onsets(r) for r in runs)
        row["motion_entity_false_alarms_per_h"] = (fe, *poisson_rate(fe, hours))
        row["motion_entity_false_alarms_by_source"] = by_source(layouts, scenes, runs, entity=True)


def model_name(model: Path) -> str:
    """A report's model: relative to the repository where it lies there, so the report reads the same anywhere."""
    path, root = model.resolve(), MODEL_PATH.resolve().parents[3]
    return str(path.relative_to(root) if path.is_relative_to(root) else path)


def shifted_suite(scale: float, negative_hours: float) -> dict[str, list[Job]]:
    """The shifted suite's sets (lab/shifted.py), the same figures; each empty-room class gets a sixth of the hours."""
    base = seeds.SHIFTED.start

    def jobs(offset: int, count: int, kind: Kind, seconds: float) -> list[Job]:
        return [(base + offset + i, kind, seconds, None) for i in range(max(1, int(count * scale)))]

    sets = {
        "shifted_walk": jobs(0, 300, "shifted_walk", 20.0),
        "shifted_walk_fan": jobs(10_000, 100, "shifted_walk_fan", 20.0),
        "shifted_walk_music": jobs(20_000, 100, "shifted_walk_music", 20.0),
        "shifted_seated": jobs(30_000, 100, "shifted_seated", 30.0),
        "shifted_enter_sit": jobs(40_000, 100, "shifted_enter_sit", 40.0),
        "shifted_enter_distracted": jobs(50_000, 100, "shifted_enter_distracted", 40.0),
    }
    per_class = max(1, int(negative_hours * 60 / len(DISTRACTOR_CLASSES)))
    for i, cls in enumerate(DISTRACTOR_CLASSES):
        kind: Kind = f"shifted_{cls}"  # type: ignore[assignment]
        sets[f"shifted_negative_{cls}"] = [(base + 60_000 + 5_000 * i + k, kind, 60.0, None) for k in range(per_class)]
    return sets


def main() -> None:
    """Run the benchmark and print its report (and write it with --out)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of each positive set")
    parser.add_argument("--negative-hours", type=float, default=20.0)
    parser.add_argument("--model", type=tflite, default=MODEL_PATH, help="another .tflite (default: the shipped one)")
    parser.add_argument("--sets", nargs="+", help="only these sets (default: all)")
    parser.add_argument("--out", type=Path, help="also write the report here (with --model or --sets)")
    parser.add_argument(
        "--music-reference",
        action="store_true",
        help="the engine cancels music from the audible band (Tuning.music_reference; off as shipped)",
    )
    parser.add_argument(
        "--suite", choices=("standard", "shifted"), default="standard", help="shifted: lab/shifted.py's scenes"
    )
    args = parser.parse_args()
    if args.out and not (args.sets or args.music_reference or args.model.resolve() != MODEL_PATH.resolve()):
        # The whole suite with the shipped model writes lab/results/ itself: a path here would be ignored.
        parser.error("--out needs --sets, --model or --music-reference (the whole suite writes lab/results/)")
    dataset.MUSIC_REFERENCE = args.music_reference
    began = time.time()
    rng = np.random.default_rng(0)
    config = DetectorConfig()
    report: dict[str, object] = {
        "command": f"scripts/lab eval --scale {args.scale} --negative-hours {args.negative_hours}"
        + (" --suite shifted" if args.suite == "shifted" else "")
        + (" --music-reference" if args.music_reference else ""),
        "deployment": "each device calibrated in its room first (carrier and level from engine/calibration.py)",
        "simulator": f"frame cache v{SIM_VERSION}",
    }
    table: dict[str, dict[str, object]] = {}
    sets = (shifted_suite if args.suite == "shifted" else suite)(args.scale, args.negative_hours)
    unknown = sorted(set(args.sets or ()) - set(sets))
    if unknown:
        # A misspelt set would be skipped without a word and leave the report short.
        parser.error(f"no set {', '.join(unknown)} in the {args.suite} suite; its sets: {', '.join(sets)}")
    for name, jobs in sets.items():
        if args.sets and name not in args.sets:
            continue
        scenes = build(jobs, calibrated=True, still=True)
        probs = litert_probs(scenes, args.model)
        # What each scene holds (drawn again from its seed; nothing is rendered).
        layouts = [draw(*job).scene for job in jobs]
        ranges = [walker_range_m(lay, s.t.astype(np.float64)) for lay, s in zip(layouts, scenes, strict=True)]
        for detector in ("network", "baseline"):
            runs = [
                run_detector(s, p if detector == "network" else None, config)
                for s, p in zip(scenes, probs, strict=True)
            ]
            row = table.setdefault(f"{name}/{detector}", {})
            figures(row, name.removeprefix("shifted_"), layouts, scenes, runs, ranges, config, rng)
        print(f"{name}: {len(scenes)} scenes done ({(time.time() - began) / 60:.1f} min)", flush=True)
    report["table"] = table
    report["minutes"] = round((time.time() - began) / 60, 1)
    if args.sets or args.music_reference or args.model.resolve() != MODEL_PATH.resolve():
        report["model"] = model_name(args.model)
        if args.out:
            args.out.write_text(json.dumps(report, indent=1, default=float) + "\n")
        print(format_table(table))
        return
    results = RESULTS if args.suite == "standard" else SHIFTED_RESULTS
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(report, indent=1, default=float) + "\n")
    print(format_table(table))


def _fmt(v: object) -> str:
    if isinstance(v, tuple) and len(v) == 5:  # k, n, p, lo, hi
        return f"{100 * v[2]:.1f} % [{100 * v[3]:.1f}, {100 * v[4]:.1f}] ({v[0]}/{v[1]})"
    if isinstance(v, tuple) and len(v) == 4:  # k, rate, lo, hi
        return f"{v[1]:.2f} [{v[2]:.2f}, {v[3]:.2f}] ({v[0]})"
    if isinstance(v, tuple) and len(v) == 3:
        return f"{1000 * v[0]:.0f} ms [{1000 * v[1]:.0f}, {1000 * v[2]:.0f}]"
    return str(v)


def format_table(table: dict[str, dict[str, object]]) -> str:
    """The report as a Markdown table."""
    lines = ["| set / detector | figure | value [95 % CI] |", "|---|---|---|"]
    for key, row in table.items():
        for fig, v in row.items():
            lines.append(f"| {key} | {fig} | {_fmt(v)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
