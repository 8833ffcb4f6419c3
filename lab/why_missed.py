"""Why walks went unreported: each walk of a set that came within 4 m and never opened the room, and why.

    USPD_LAB=1 scripts/env python -m lab.why_missed --suite shifted --set shifted_walk_fan
    scripts/env python -m lab.why_missed --set walk_music --scale 0.3
    USPD_LAB=1 scripts/env python -m lab.why_missed --suite shifted --set shifted_seated --minor
    USPD_LAB=1 scripts/env python -m lab.why_missed --suite tuning --set widened --wide-hours 12

The benchmark counts walks the Motion entity reported (the room opened and
MAJOR was reported within the walk or 0.5 s after, lab/eval.major_events);
this says what each miss was. For every such walk (the shipped model on
LiteRT where the environment has it, as `scripts/lab eval` runs it, else on
the numpy executor as `scripts/env python -m lab.eval` does; the benchmark's
frames and detector, lab/eval.run_detector): its seed and times, how near it
came, its radial speed (the median rate at which its distance to the speaker
changed while within 4 m: a walk across the line of sight, or slow, brings
little Doppler), the walker's own speed, the device with its carrier and
emission level after calibration and the echo SNR per Doppler bin
calibration predicts for a person at 4 m (below 24 kHz the level is capped,
as the tone may be heard), and the other sources in the room; the network's
highest P(major) and the walking band's energy while within 4 m, and the
longest run of frames the detector called MAJOR during the walk against the
occupy_frames that open a room; and which of the detector's window rules,
turned off alone, would have let the room open: the still-line rule
(lines.py; off, symmetry weighs the line's bins too), symmetry
(symmetry.py), one-way or the turn against the last frames (direction.py),
the opening gate (occupy_gate_db), both walking gates (major_gate_db too),
or only all of them together.
"nothing": not even with all of them off (the motion gate stays), so the
network's own call never held MAJOR long enough. Last, how many walks were
missed of how many, by the sound card's rate, by one mic or more, and by how
far calibration's level makes a person's echo reach its target
(engine/calibration.echo_reach_m; under 3 m the integration raises a repair
issue). In scenes with music, also how much of the walking band the
speaker's own distortion put there while the walker was within 4 m
(lab/speaker_share.py, on the scene rendered again), and the misses by that
share. It looks at the suite's frames and tunes nothing.

--suite tuning reads the streams scripts/lab tune_detector chooses the
detector's rules on, as it reads them (uncalibrated: the drawn carrier and
level, which tell no reach): "widened", the widened stream's walks
(--wide-hours of it), and "distracted", the walk-ins with a distractor
there first (drawn on --hours of the mining stream's seeds). The speaker's
share is measured on the scene rendered uncalibrated too.

With --minor, the seated hand bursts of a set instead (each ≥ 0.5 s, as
lab/eval.minor_events counts them; a burst is seen when any motion is called
during it): for each one never seen, how far the seat is from the speaker,
the device, the most band energy (either band) over the floor and the
network's highest P(motion) during it, and what stood in the way, frame by
frame at sensitivity 50 %: the network's motion call never passed its bar
(lower in context, after a walk, where the detector set it); the band
energy never passed the motion gate (Tuning.motion_gate_db); both did, but
never in the same frame (the network judges its whole 300 ms window, so its
call on a short burst can come after the energy); or both did in a frame,
too briefly for the detector's onset. Last, the misses by seat distance
(training seats people within 1.5 m) and by reach, and the median energy of
the bursts missed and seen.
"""

from __future__ import annotations

import argparse
import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

import lab  # noqa: F401  (registers the package without Home Assistant)
from custom_components.uspd.engine.blas import limit_blas_threads
from custom_components.uspd.engine.calibration import DEFAULT_RANGE_M, TARGET_ECHO_SNR_DB
from custom_components.uspd.engine.detector import DetectorConfig
from custom_components.uspd.engine.tuning import TUNING
from custom_components.uspd.sim.scene import Fan, Music, PedestalFan, Seated, Walker

from . import dataset
from .eval import (
    MAJOR_RANGE_M,
    MINOR_SETS,
    WALK_SETS,
    Run,
    litert_probs,
    run_detector,
    runs_of,
    shifted_suite,
    suite,
    walker_range_m,
)
from .scenes import draw
from .speaker_share import scene_shares
from .tune_detector import add_tuning_arguments, tuning_sets
from .why_opened import source_line

# Each window rule off alone (run_detector's arguments), then all of them; a gate "off" is one no frame fails.
OFF = -100.0
WITHOUT: dict[str, dict[str, float | None]] = {
    "the still-line rule": {"line_std_db": None},
    "symmetry": {"symmetry_db": None},
    "one-way": {"one_way_share": 0.0, "occupy_fast_one_way": 0.0},
    "the turn": {"turn_share": math.inf},
    "the opening gate": {"occupy_gate_db": OFF},
    "both walking gates": {"occupy_gate_db": OFF, "major_gate_db": OFF},
}
ALL_OFF: dict[str, float | None] = {k: v for kw in WITHOUT.values() for k, v in kw.items()}


def walks(s: dataset.SceneFrames, rng: np.ndarray) -> list[tuple[int, int, np.ndarray]]:
    """The walks the benchmark counts (lab/eval.major_events): (start, end, the frames within 4 m)."""
    out = []
    for a, b in runs_of(s.y == 2):
        if s.t[b - 1] - s.t[a] < 0.5:
            continue
        near = np.flatnonzero(rng[a:b] <= MAJOR_RANGE_M)
        if len(near):
            out.append((a, b, a + near))
    return out


def reported(s: dataset.SceneFrames, r: Run, a: int, b: int) -> bool:
    """Whether the Motion entity reported MAJOR during the walk or 0.5 s after (as major_events(entity=True))."""
    end = min(len(s.t), b + 20)
    return bool(((r.motion[a:end] == 2) & r.occupied[a:end]).any())


def longest_run(mask: np.ndarray) -> int:
    """The longest run of True."""
    return max((b - a for a, b in runs_of(mask)), default=0)


@dataclass
class Missed:
    """One scene's missed walks: the lines that explain them, each one's cause, and what the scene was."""

    lines: list[str]
    causes: list[str]
    walks: int  # the walks the benchmark counts in the scene
    rate_hz: int
    mics: int
    reach_m: float = float("nan")  # calibration's: how far a person's echo reaches its target SNR
    beside: str = "neither"  # what else sounds in the room: music, a fan (ceiling or pedestal), or neither
    # With music: each counted walk's walking band share that the speaker put there (median within 4 m), and
    # whether it was missed.
    speaker: list[tuple[float, bool]] = field(default_factory=list)


def beside(sources: tuple[object, ...]) -> str:
    """What else sounds in a walk's room: music (with or without a fan), a fan, or neither."""
    if any(isinstance(src, Music) for src in sources):
        return "music"
    return "a fan" if any(isinstance(src, Fan | PedestalFan) for src in sources) else "neither"


def explain(job: tuple[int, object, float, int | None], tuning: bool = False) -> Missed:
    """Each missed walk of one scene, explained.

    tuning: a scene of tune_detector's streams, read as it reads them (uncalibrated, so no reach).
    """
    s = dataset.load_or_make(job, calibrated=not tuning, still=not tuning)  # type: ignore[arg-type]
    d = draw(*job)  # type: ignore[arg-type]
    t = s.t.astype(np.float64)
    rng = walker_range_m(d.scene, t)
    counted = walks(s, rng)
    out = Missed([], [], len(counted), s.rate_hz, s.mics, beside=beside(d.scene.sources))
    if not counted:
        return out
    cal = None if tuning else dataset.calibration_of(d)
    if cal is not None:
        out.reach_m = cal.reach_m
    probs = litert_probs([s])[0]
    shipped = run_detector(s, probs, DetectorConfig())
    missed = [(a, b, near) for a, b, near in counted if not reported(s, shipped, a, b)]
    # With music: each walk's median share within 4 m, by its first frame; not where the walk came within 4 m
    # before the share was known (its first MEMORY_S).
    share: dict[int, float] = {}
    if out.beside == "music":
        shared_t, speaker = scene_shares(job, calibrated=not tuning)  # type: ignore[arg-type]
        same = len(shared_t) == len(speaker) == len(t) and np.allclose(shared_t, t, atol=1e-3)
        assert same, "rendered again, the scene gave other frames than its cached ones"
        share = {a: float(np.nanmedian(speaker[near])) for a, _, near in counted if np.isfinite(speaker[near]).any()}
        out.speaker = [(share[a], not reported(s, shipped, a, b)) for a, b, _ in counted if a in share]
    if not missed:
        return out
    variants = {name: run_detector(s, probs, DetectorConfig(), **kw) for name, kw in WITHOUT.items()}  # type: ignore[arg-type]
    every = run_detector(s, probs, DetectorConfig(), **ALL_OFF)  # type: ignore[arg-type]
    walker = next(src for src in d.scene.sources if isinstance(src, Walker))
    wp = np.asarray(walker.waypoints)
    legs = np.diff(wp, axis=0)
    moving = legs[:, 0] > 0
    pace = np.hypot(legs[moving, 1], legs[moving, 2]) / legs[moving, 0]
    others = [source_line(src) for src in d.scene.sources if not isinstance(src, Walker)]
    radial = np.abs(np.gradient(np.where(np.isfinite(rng), rng, np.nan), t))
    lines, causes = out.lines, out.causes
    for a, b, near in missed:
        opens = [name for name, r in variants.items() if reported(s, r, a, b)]
        if opens:
            cause = ", ".join(opens)
        elif reported(s, every, a, b):
            cause = "all of them together"
        else:
            cause = "nothing"
        causes.append(cause)
        walking = s.bands[near, 1]
        moved = pace[pace > 0]
        device = (
            f"carrier {s.carrier_hz:.0f} Hz at level {d.level:g} as drawn (uncalibrated)"
            if cal is None
            else f"carrier {s.carrier_hz:.0f} Hz at level {cal.level:g}: a person at {DEFAULT_RANGE_M:g} m "
            f"{cal.echo_snr_db:.1f} dB over the noise, calibration's target {TARGET_ECHO_SNR_DB:g} dB "
            f"(reached within {cal.reach_m:.1f} m)"
        )
        lines += [
            f"seed {job[0]}: walk {t[a]:.2f}-{t[b - 1]:.2f} s, nearest {rng[a:b].min():.2f} m, radial speed "
            f"{np.nanmedian(radial[near]):.2f} m/s (median within {MAJOR_RANGE_M:.0f} m; walker "
            f"{np.median(moved) if len(moved) else 0.0:.2f} m/s), {s.mics} mic(s) at {s.rate_hz} Hz, {device}",
            *(f"  {o}" for o in others),
            f"  within {MAJOR_RANGE_M:.0f} m: P(major) up to {probs[near, 2].max():.2f}, walking band "
            f"{np.median(walking):.1f} dB median, {walking.max():.1f} dB at most; during the walk the detector's "
            f"MAJOR at most {longest_run(shipped.motion[a:b] == 2)} frames in a row "
            f"(a room opens after {TUNING.occupy_frames}, after {TUNING.occupy_fast_frames} where each is clear)",
            *(
                [
                    f"  the walking band {share[a]:.0%} the speaker's own distortion (median within "
                    f"{MAJOR_RANGE_M:.0f} m; lab/speaker_share.py)"
                ]
                if a in share
                else []
            ),
            f"  opens without: {cause}",
        ]
    return out


@dataclass
class MissedBursts:
    """One scene's hand bursts: the lines that explain the missed ones, their causes, and what the scene was."""

    lines: list[str]
    causes: list[str]
    seen_db: list[float]  # the most band energy in each burst seen
    missed_db: list[float]  # and in each missed
    seat_m: float
    reach_m: float


def burst_cause(net: np.ndarray, energy: np.ndarray, both_frames: int) -> str:
    """Why a burst went unseen, from its frames' network call and band energy (each over its bar)."""
    if not net.any() and not energy.any():
        return "neither the network nor the energy"
    if not net.any():
        return "the network"
    if not energy.any():
        return "the motion gate"
    if not (net & energy).any():
        return "the network and the energy in other frames"
    return f"too brief (fewer than {both_frames} frames in a row)"


def network_motion_bars(t: np.ndarray, motion: np.ndarray, occupied: np.ndarray) -> np.ndarray:
    """The network's motion bar per frame, as P(motion), where the detector set it at sensitivity 50 %.

    In context (Detector.in_context: the room occupied as the frame began and
    the last MAJOR within context_window_s) it sits lower by the context boost,
    and after a frame with motion lower by the hysteresis (Detector._bars).
    """
    last_major = np.maximum.accumulate(np.where(motion == 2, t, -np.inf))
    before = np.concatenate(([-np.inf], last_major[:-1]))
    was_occupied = np.concatenate(([False], occupied[:-1].astype(bool)))
    in_context = was_occupied & (t - before <= TUNING.context_window_s)
    held = np.concatenate(([False], motion[:-1] > 0))
    bias = (
        TUNING.network_motion_bias_logit
        - np.where(in_context, TUNING.network_context_boost_logit, 0.0)
        - np.where(held, TUNING.hysteresis_logit, 0.0)
    )
    bars: np.ndarray = 1.0 / (1.0 + np.exp(-bias))
    return bars


def explain_bursts(job: tuple[int, object, float, int | None]) -> MissedBursts:
    """Each seated hand burst of one scene: the missed ones explained."""
    s = dataset.load_or_make(job, calibrated=True, still=True)  # type: ignore[arg-type]
    d = draw(*job)  # type: ignore[arg-type]
    seat = next((src for src in d.scene.sources if isinstance(src, Seated)), None)
    speaker = d.scene.device.speaker_m
    seat_m = float(np.hypot(seat.seat_m[0] - speaker[0], seat.seat_m[1] - speaker[1])) if seat else float("nan")
    bursts = [(a, b) for a, b in runs_of(s.y == 1) if s.t[b - 1] - s.t[a] >= 0.5]
    if not bursts:
        return MissedBursts([], [], [], [], seat_m, math.nan)
    cal = dataset.calibration_of(d)
    out = MissedBursts([], [], [], [], seat_m, cal.reach_m)
    probs = litert_probs([s])[0]
    run = run_detector(s, probs, DetectorConfig())
    p_motion = 1.0 - probs[:, 0].astype(np.float64)
    # The network's motion call passes its bar (evidence.network_evidence: logit less the bias over 0) where p does.
    net = p_motion > network_motion_bars(s.t.astype(np.float64), run.motion, run.occupied)
    band = np.maximum(s.bands[:, 0], s.bands[:, 1]).astype(np.float64)
    energy = band > TUNING.motion_gate_db
    others = [source_line(src) for src in d.scene.sources if not isinstance(src, Seated | Walker)]
    for a, b in bursts:
        peak = float(band[a:b].max())
        if (run.motion[a:b] > 0).any():
            out.seen_db.append(peak)
            continue
        out.missed_db.append(peak)
        cause = burst_cause(net[a:b], energy[a:b], TUNING.onset_frames)
        out.causes.append(cause)
        out.lines += [
            f"seed {job[0]}: burst {s.t[a]:.2f}-{s.t[b - 1]:.2f} s, seat {seat_m:.2f} m from the speaker, "
            f"{s.mics} mic(s) at {s.rate_hz} Hz, carrier {s.carrier_hz:.0f} Hz at level {cal.level:g} "
            f"(a person's echo reaches {TARGET_ECHO_SNR_DB:g} dB within {cal.reach_m:.1f} m)",
            *(f"  {o}" for o in others),
            f"  band energy up to {peak:.1f} dB (the motion gate {TUNING.motion_gate_db:g} dB), "
            f"P(motion) up to {p_motion[a:b].max():.2f}; in the way: {cause}",
        ]
    return out


def main_bursts(jobs: list[dataset.Job]) -> None:
    """Explain every missed hand burst of a set, then the misses by seat distance and reach."""
    causes: Counter[str] = Counter()
    by_seat: dict[str, list[int]] = {}
    by_reach: dict[str, list[int]] = {}
    seen: list[float] = []
    missed: list[float] = []
    for job in jobs:
        scene = explain_bursts(job)
        if scene.lines:
            print("\n".join(scene.lines))
        causes.update(scene.causes)
        seen += scene.seen_db
        missed += scene.missed_db
        n = len(scene.seen_db) + len(scene.missed_db)
        if n:
            seat = "within 1.5 m" if scene.seat_m < 1.5 else "1.5 m or further"
            for tally in (by_seat.setdefault(seat, [0, 0]), by_reach.setdefault(reach_band(scene.reach_m), [0, 0])):
                tally[0] += len(scene.missed_db)
                tally[1] += n
    print(f"{len(missed)} of {len(missed) + len(seen)} hand bursts missed in {len(jobs)} scenes; in the way:")
    for cause, n in causes.most_common():
        print(f"  {n:3d}  {cause}")
    print("missed by seat: " + ", ".join(f"{k} {m}/{w}" for k, (m, w) in sorted(by_seat.items())))
    print(reach_line(by_reach))
    if seen and missed:
        print(f"band energy at its most, median: {np.median(missed):.1f} dB missed, {np.median(seen):.1f} dB seen")


def main() -> None:
    """Explain every missed walk of one walk set (or hand burst, with --minor)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", choices=("standard", "shifted", "tuning"), default="standard")
    parser.add_argument("--set", required=True, help="a walk set of that suite, e.g. shifted_walk_fan")
    parser.add_argument("--scale", type=float, default=0.3, help="as scripts/lab eval's")
    parser.add_argument("--negative-hours", type=float, default=18.0, help="as scripts/lab eval's")
    parser.add_argument("--minor", action="store_true", help="the set's seated hand bursts instead of its walks")
    add_tuning_arguments(parser)
    args = parser.parse_args()
    limit_blas_threads()
    tuning = args.suite == "tuning"
    if tuning:
        if args.minor:
            parser.error("--minor reads the standard and shifted suites' seated sets; the tuning streams have none")
        streams = tuning_sets(args.hours, args.wide_hours)
        sets = {name: streams[name] for name in ("widened", "distracted")}
    else:
        sets = (shifted_suite if args.suite == "shifted" else suite)(args.scale, args.negative_hours)
    kinds, what = (MINOR_SETS, "set with seated people") if args.minor else (WALK_SETS, "walk set")
    named = list(sets) if tuning else [name for name in sets if name.removeprefix("shifted_") in kinds]
    if args.set not in named:
        parser.error(f"{args.set!r} is not a {what} of the {args.suite} suite: {', '.join(named)}")
    if args.minor:
        main_bursts(sets[args.set])
        return
    causes: Counter[str] = Counter()
    # (missed, walks) by the sound card's rate and by one mic or more.
    by_rate: dict[int, list[int]] = {}
    by_mics: dict[str, list[int]] = {}
    by_reach: dict[str, list[int]] = {}
    by_speaker: dict[str, list[int]] = {}
    by_beside: dict[str, list[int]] = {}
    for job in sets[args.set]:
        scene = explain(job, tuning)
        if scene.lines:
            print("\n".join(scene.lines))
        causes.update(scene.causes)
        tallies = [
            by_rate.setdefault(scene.rate_hz, [0, 0]),
            by_mics.setdefault(_mics(scene.mics), [0, 0]),
            by_beside.setdefault(scene.beside, [0, 0]),
        ]
        if scene.walks and not tuning:  # uncalibrated, a scene tells no reach
            tallies.append(by_reach.setdefault(reach_band(scene.reach_m), [0, 0]))
        for tally in tallies:
            tally[0] += len(scene.causes)
            tally[1] += scene.walks
        for share, was_missed in scene.speaker:
            tally = by_speaker.setdefault(speaker_band(share), [0, 0])
            tally[0] += was_missed
            tally[1] += 1
    total = sum(causes.values())
    walked = sum(w for _, w in by_rate.values())
    print(f"{total} of {walked} walks missed in {len(sets[args.set])} scenes; opens without:")
    for cause, n in causes.most_common():
        print(f"  {n:3d}  {cause}")
    print("missed by card rate: " + ", ".join(f"{r} Hz {m}/{w}" for r, (m, w) in sorted(by_rate.items())))
    print("missed by mics: " + ", ".join(f"{k} {m}/{w}" for k, (m, w) in sorted(by_mics.items())))
    if by_reach:
        print(reach_line(by_reach))
    print("missed by what else sounds: " + ", ".join(f"{k} {m}/{w}" for k, (m, w) in sorted(by_beside.items())))
    if by_speaker:
        print(speaker_line(by_speaker))


def _mics(n: int) -> str:
    return "1 mic" if n == 1 else "2 or more"


# calibration.echo_reach_m in bands; the last is the range the benchmark counts walks within and calibration aims at.
REACH_BANDS = ("under 2 m", "2-3 m", "3-4 m", "4 m or more")


def reach_band(m: float) -> str:
    """calibration.echo_reach_m in REACH_BANDS."""
    return REACH_BANDS[0] if m < 2 else REACH_BANDS[1] if m < 3 else REACH_BANDS[2] if m < 4 else REACH_BANDS[3]


def reach_line(by_reach: dict[str, list[int]]) -> str:
    """The closing line: (missed, counted) by reach band."""
    bands = ", ".join(f"{k} {by_reach[k][0]}/{by_reach[k][1]}" for k in REACH_BANDS if k in by_reach)
    return f"missed by how far calibration's level reaches its {TARGET_ECHO_SNR_DB:g} dB target: {bands}"


# The walking band's share that the speaker's own distortion put there (lab/speaker_share.py), in bands.
SPEAKER_BANDS = ("under 50 %", "50-90 %", "90 % or more")


def speaker_band(share: float) -> str:
    """A walk's speaker-borne share of the walking band in SPEAKER_BANDS."""
    return SPEAKER_BANDS[0] if share < 0.5 else SPEAKER_BANDS[1] if share < 0.9 else SPEAKER_BANDS[2]


def speaker_line(by_speaker: dict[str, list[int]]) -> str:
    """The closing line for scenes with music: (missed, counted) by how much of the walking band was the speaker's."""
    bands = ", ".join(f"{k} {by_speaker[k][0]}/{by_speaker[k][1]}" for k in SPEAKER_BANDS if k in by_speaker)
    return f"with music, missed by the walking band's share that was the speaker's own distortion: {bands}"


if __name__ == "__main__":
    main()
