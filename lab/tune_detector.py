"""The detector's knobs for opening rooms and reporting walking, chosen on training data, never on the benchmark.

    scripts/lab tune_detector [--hours 20] [--wide-hours 4]
                              [--occupy | --lines | --symmetry | --line-frames | --steady | --symmetry-beside
                               | --line-outliers | --fast | --one-way | --tones | --known | --regate | --recent
                               | --recent-short | --resteady | --turn | --motion | --motion-frames | --motion-bar
                               | --top | --comb | --split | --settle | --settle-guard | --settle-db
                               | --clear]

Runs the shipped model and the engine's detector over the mining stream
(training seeds, the same scenes `scripts/lab train` mined) for several
values of (engine/tuning.py's fields)

- occupy_frames: how long MAJOR must hold before an empty room counts as
  occupied;
- major_gate_db: how much walking-band energy (dB over the noise floor)
  must stand behind the network's major call. A walk across the device's
  line of sight has little radial speed, so its walking-band energy is low
  while the network still recognises the gait; a texture the network never
  saw is what the gate is for.

For each pair it prints false occupancies per hour in scenes with nobody in
the room (fans, music, clicks and the wall apart from curtains and other
devices' tones, drawn on the stream's own seeds); of the walks that come within 4 m (as the benchmark counts
them), how many were never called MAJOR; and for the scenes where someone
walks in, how many were never called occupied and how long after the walk
began they were (median, p95); and of walk-ins with a distractor already
there (another device's tone, a fan, music or a curtain; lab/scenes.py
enter_distracted, drawn on the stream's seeds), how many never opened the
room and in how many the distractor opened it first.

In that sweep one walking gate serves both reporting and opening. With
--occupy it keeps them apart: major_gate_db, what the network's walking call
needs to be reported, against occupy_gate_db, what it needs to open an empty
room, and occupy_frames; each line adds how often MAJOR was reported anew in
the empty rooms. Reporting costs no rooms, so the reporting gate can sit
lower than the opening one. With --lines, at the chosen gates and frames,
how still a spectral line in the walking band must be (its level's spread
over the network's window) for only the band beside it to count towards
opening a room (engine/lines.py): another device's tone. With --symmetry,
how even the walking band's approaching and receding sides must be for a
frame to open no room (engine/symmetry.py): fans and music. With
--line-frames, in how many of the window's frames a still line's bin must be
the strongest. With --steady, how little a walking bin beside a still line
may vary over the window to count as the line's own (a strong tone's
sidelobes and copies), not as someone beside it. With --symmetry-beside,
whether the symmetry rule weighs the walking band without a still line's own
bins (a tone on one side would otherwise hide a fan's or music's evenness).
With --line-outliers, how far a frame's level on a still line's bin may rise
over the line's median and still be the line's (a click lifts it for a
frame). With --fast, the shorter run (Tuning.occupy_fast_frames) that opens a
room when each of its frames is some logits over both opening bars (the
network's and the gate's) and the walking band's strongest bin did not hold
still through it (lines.held_still) nor its energy kept one way less than
a share over the last second (Tuning.occupy_fast_one_way), against the
plain run alone (off); it
also counts false occupancies in the widened mining stream's first hours
(lab/widened.py: strong ceiling-fan drafts make clear walking energy fast).
With --one-way (the widened stream too), over how many frames and by what
share the walking band's energy must have kept one side of the carrier for
a frame to count towards opening a room (engine/direction.py: a draft swings
every echo both ways within a second, a walker keeps coming or going). With
--tones (the widened stream too: its tones lie 2 Hz-1.2 kHz off the
carrier), two more rules against other devices' tones (engine/lines.py):
how far a walking bin may rise over the one nearer a still line and still
be the line's skirt (a strong tone's leakage falls away over many bins,
wavering too much for --steady), and how far over the floor a still line
must stand to be known in the slow bins between the walking band's sides
(a tone a few hertz off the carrier peaks there) or split evenly between
two neighbouring bins (a tone between them): a walker's weak echo at a
steady speed can do either for 300 ms. With --known (the widened stream
too), how many frames in a row a still line must hold its bin to be known
(engine/lines.py, LineMemory): a known line takes its skirt at the top of
the scale, where a walker passing within a metre clips bins as flat, and
stays known through the windows its own dropout breaks.

Each sweep sets the other knobs as they were when its choice was made, as
far as the code can; the tables are in lab/results/tune_detector.txt, whose
header says where a rerun differs from them.

With --motion, at the chosen pair, it sweeps motion_gate_db instead: the
band energy behind any motion call (minor or major). It prints motion false
alarms per hour in the empty rooms (both sets), false occupancies, and how
many bursts of seated hand motion (≥ 0.5 s, as the benchmark counts them)
were never reported as motion.

With --motion-frames, over how many recent frames an occupied room's
motion gate finds its band energy (engine/evidence.RecentMotionEnergy: the
network's call on a hand's short burst peaks after the energy did): hand
bursts never seen, false occupancies, and in the scenes everyone left
before the end, the motion still called after they had gone: each call
restarts the room's hold (noise that passes the gate keeps the room).
With --motion-bar, the same for the network's motion bar
(Tuning.network_motion_bias_logit): minor motion counts only in an
occupied room (and for someone seated when sensing starts), so a lower bar
sees fainter hands and may keep a left room longer. Then the bar out of
context only: for a while after walking (Tuning.context_window_s) the bar
sits lower by network_context_boost_logit, and the boost takes up the
difference, so the bar after someone walks out stays where it is.

With --regate (the widened stream too), occupy_gate_db again, with every
rule chosen after it on as shipped: the gate was chosen when it alone stood
between a fan's, music's or a tone's walking-band energy and an opened
room; the rules now judge that energy's shape (a still line, two even
sides, a draft's swing), and a walker 4-5.5 m away or across the line of
sight brings little energy.

With --recent (the widened stream too), whether an opening run's mean
walking-band level must clear the band's median over the frames before it
(Tuning.recent_frames) by recent_rise_db, where that is higher than the
opening gate: music and a fan's draft hold the band up for as long as they
sound, and someone coming in rises over them (evidence.RecentWalking).
With --recent-short, the same over a second or two before the run instead
of ten: a fan or music that came on moments before the run is not yet
under a long median.

With --turn (the widened stream too), whether a frame whose walking-band
energy lay on the other side of the carrier than most of the last few
hundred milliseconds' counts towards no opening (Tuning.turn_frames,
turn_share; engine/direction.py): a draft just switched on has not swung
both ways over a whole second yet, but its eddies turn it within a few
hundred milliseconds, while a walker keeps their side.

With --wide-hours, how many hours of the widened stream (default 4) the
sweeps that count it run; walk-ins among them that come within 4 m (beside
a fan or music as the widened stream draws them, or neither) count as a
column of their own.

With --resteady (the widened stream too), steady_std_db again, with every
rule chosen after --steady on: a steady modulation of the carrier (a held
note of music through the speaker, a fan's blade pass) puts a comb of lines
at multiples of its offset on both sides, and the weaker teeth waver more
than the line does.

With --top (the widened stream too), whether the opening gate weighs the
mean of the walking band's strongest bins instead of the whole band's, and
at what level (Tuning.occupy_gate_top_bins, occupy_gate_top_db; the gate
beside a still line and the rules that weigh the band's mean keep
occupy_gate_db): a walker's echo fills a few of its 62 bins, a fan's draft
most of them.

With --comb (the widened stream too), up to which multiple of a still
line's offset from the carrier, on either side, a bin is the line's where
it holds to that multiple of steady_std_db (Tuning.comb_teeth): the comb a
steady modulation of the carrier makes, whose tooth k wavers k times as
much as the line in dB.

With --split (the widened stream too), the least level of a still line in
the slow bins (Tuning.weak_line_db) and of one split over two walking bins
(Tuning.split_line_db), apart: --tones moves both at once.

With --settle, --settle-guard or --settle-db (the widened stream too, and
60 widened scenes of someone seated from the start), the settle rule that
opens a room for someone seated since sensing started: how many seconds of
minor motion and of breathing it asks (Tuning.settle_minor_seconds,
settle_breath_s), how much of a second energy beyond human speeds must fill
to count as a machine's (settle_guard_persist), and breathing's score over
which a window counts for it (settle_still_db); each line adds how many
seated starts opened, and how soon.

The benchmark is run once, after the choice.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np

import lab  # noqa: F401
from custom_components.uspd.base.acoustics import speed_of_sound_mps
from custom_components.uspd.engine.bands import MAJOR_BAND_MPS
from custom_components.uspd.engine.detector import DetectorConfig
from custom_components.uspd.engine.features import CONTEXT_FRAMES, GRID_STEP_MPS
from custom_components.uspd.engine.pipeline import EngineConfig
from custom_components.uspd.engine.tuning import TUNING
from custom_components.uspd.sim.scene import Interferer

from . import seeds
from .dataset import Job, SceneFrames, build
from .eval import (
    MAJOR_RANGE_M,
    Run,
    entity_onsets,
    false_alarms,
    litert_probs,
    major_events,
    major_onsets,
    minor_events,
    poisson_rate,
    run_detector,
    runs_of,
    seated_starts_opened,
    walker_range_m,
)
from .scenes import draw
from .train import mining_jobs, wide_mining_jobs

OCCUPY_CHOICES = (6, 8, 12)
GATE_CHOICES_DB = (6.0, 4.5, 3.0, 1.5)
# --occupy: the walking gate for reporting MAJOR below the gate for opening a room.
OCCUPY_GATE_CHOICES_DB = (4.5, 6.0, 8.0)
OCCUPY_CHOICES_SPLIT = (12, 16)
SPLIT_GATE_CHOICES_DB = (4.5, 3.0, 1.5)
# --lines: a still line's largest level spread (std over the window, dB); None: lines open rooms like anything else.
LINE_STD_CHOICES_DB = (None, 0.5, 1.0, 1.5, 2.0)
# --symmetry: how close the walking band's approaching and receding energy must be (dB) to open no room.
SYMMETRY_CHOICES_DB = (None, 1.0, 2.0, 3.0, 4.0)
# --line-frames: in how many of the window's frames a still line's bin must be the strongest.
LINE_FRAMES_CHOICES = (12, 11, 10, 9)
# --steady: how still a walking bin beside a still line must hold to count as the line's (None: only its neighbours).
STEADY_CHOICES_DB = (None, 1.5, 2.0, 3.0)
# --symmetry-beside: the symmetry rule with or without a still line's bins, at these settings of it.
SYMMETRY_BESIDE_CHOICES_DB = (3.0, 4.0)
# --line-outliers: how far a frame's level may rise over a still line's median and be the line's (None: any).
LINE_OUTLIER_CHOICES_DB = (None, 8.0, 6.0, 4.5)
# --fast: a shorter run that opens a room when every frame of it is far over the bars (frames, logits over, and the
# least one-way share over one_way_frames it asks; 0: no more than any opening).
FAST_CHOICES = ((12, math.inf, 0.0), *((4, 1.0, share) for share in (0.0, 0.6, 0.7, 0.8, 0.9)))
# --one-way: over how many frames the walking band must keep one direction, and what share of it (0: off).
ONE_WAY_CHOICES = ((40, 0.0), (40, 0.3), (40, 0.4), (40, 0.5), (60, 0.4), (80, 0.4))
# --tones: how far a bin may rise over the one nearer a still line and be its skirt (None: no skirt), and the least
# level over the floor of a still line in the slow bins or split over two (inf: no such line).
TONE_CHOICES_DB = ((None, math.inf), (0.0, math.inf), (0.0, 30.0), (0.0, 25.0))
# --split: the least level of a still line in the slow bins, and of one split over two walking bins, apart (--tones
# sets both at once; inf: no such line).
SPLIT_CHOICES_DB = ((math.inf, math.inf), (30.0, math.inf), (math.inf, 30.0), (math.inf, 25.0), (30.0, 30.0))
# --known: how many frames a still line must hold its bin to be known (lines.LineMemory; None: never).
KNOWN_CHOICES = (None, 40, 28, 20)
# --regate: the walking-band energy behind the network's call that opens an empty room, with every later rule on.
REGATE_CHOICES_DB = (4.5, 3.5, 2.5, 1.5)
# --resteady: --steady's spread again, with every later rule on (a modulation's weaker comb teeth waver more).
RESTEADY_CHOICES_DB = (2.0, 2.5, 3.0, 4.0)
# --recent: (frames before the opening run, rise over their walking-band median in dB); -inf: off.
RECENT_CHOICES = ((400, 3.0), (800, 3.0), (400, 0.0), (800, 1.5), (400, -math.inf))
# --recent-short: the same, with a baseline of 1-1.5 s (a fan or music switched on seconds before is still in it).
RECENT_SHORT_CHOICES = ((400, 0.0), (60, 0.0), (60, 2.0), (40, 2.0), (60, 4.0))
# --turn: (frames, least share of their side difference against a frame's side that bars it); inf: off.
TURN_CHOICES = ((12, math.inf), (12, 0.4), (12, 0.3), (12, 0.2), (12, 0.1), (8, 0.3), (20, 0.3), (40, 0.3))
# --top: (the strongest walking bins the opening gate weighs, 0: the band's mean; the level in dB it asks).
TOP_CHOICES = ((0, 12.0), (8, 9.0), (8, 10.5), (8, 12.0), (16, 7.5), (16, 9.0))
# --comb: up to which multiple of a still line's offset the comb's teeth are its (0: none).
COMB_CHOICES = (0, 2, 3, 4)
# --settle: (seconds with minor motion, seconds of breathing) over the settle window that open a vacant room for
# someone seated since sensing started (the settle rule, engine/detector.py).
SETTLE_CHOICES = ((8, 2.0), (8, 3.0), (8, 4.0), (8, 6.0), (12, 2.0), (12, 4.0))
# --settle-guard: how much of a second energy beyond human speeds must fill for its frames to count as a machine's
# in the settle rule (0: every such frame does, inf: none does).
SETTLE_GUARD_CHOICES = (0.0, 0.5, 0.8, 1.0, math.inf)
# --settle-db: breathing's score over which a window counts for the settle rule (still_on_db, the hold's, is 34).
SETTLE_DB_CHOICES = (34.0, 32.0, 30.0, 28.0, 26.0, 24.0)
# --settle's widened seated starts: as many one-minute scenes of someone seated from the start with the widened
# physics (seats to 2 m; keys, speech and steps through a wall), on mining seeds no stream or training round draws.
WIDE_SEATED_SCENES = 60


@dataclass(frozen=True)
class Setting:
    """The detector's knobs for one line of a sweep (None: that rule off)."""

    gate_db: float
    occupy_gate_db: float
    occupy_frames: int
    line_std_db: float | None
    line_frames: int
    symmetry_db: float | None
    steady_std_db: float | None = None
    symmetry_beside_line: bool = False
    line_outlier_db: float | None = None
    fast_frames: int = TUNING.occupy_fast_frames
    fast_logit: float = TUNING.occupy_fast_logit
    fast_one_way: float = TUNING.occupy_fast_one_way
    one_way_frames: int = TUNING.one_way_frames
    one_way_share: float = TUNING.one_way_share
    line_skirt_db: float | None = TUNING.line_skirt_db
    weak_line_db: float = TUNING.weak_line_db
    split_line_db: float = TUNING.split_line_db
    line_known_frames: int | None = TUNING.line_known_frames
    recent_frames: int = TUNING.recent_frames
    recent_rise_db: float = TUNING.recent_rise_db
    turn_frames: int = TUNING.turn_frames
    turn_share: float = TUNING.turn_share
    top_bins: int = TUNING.occupy_gate_top_bins
    top_db: float = TUNING.occupy_gate_top_db
    comb_teeth: int = TUNING.comb_teeth
    settle_minor_seconds: int = TUNING.settle_minor_seconds
    settle_breath_s: float = TUNING.settle_breath_s
    settle_guard_persist: float = TUNING.settle_guard_persist
    settle_still_db: float = TUNING.settle_still_db


MOTION_GATE_CHOICES_DB = (4.0, 3.0, 2.0, 1.0)
# --motion-frames: over how many frames an occupied room's motion gate finds its energy (1: the frame's own).
MOTION_FRAMES_CHOICES = (1, 2, 4)
# --motion-bar: the network's motion bar, logits over p = 0.5 (2.0: p 0.88, 0.0: p 0.5), with the context's boost as
# set by hand (the bar in context, after a walk, falls with it), then with the boost taking up the difference (the bar
# in context stays where the hand-set values put it).
MOTION_BAR_CHOICES_LOGIT = (2.0, 1.5, 1.0, 0.5, 0.0)
MOTION_BAR_OUT_OF_CONTEXT_LOGIT = (2.0, 1.5, 1.0, 0.5)
HAND_SET_CONTEXT_BOOST_LOGIT = 1.5
HAND_SET_IN_CONTEXT_LOGIT = 0.5
# --clear: how long the Motion entity stays on after the last motion in an occupied room.
CLEAR_CHOICES_S = (0.0, 1.0, 2.0, 3.0, 5.0, 10.0)
# --clear also runs the widened mining stream's first hours (lab/widened.py): where fans and music open rooms.
CLEAR_WIDE_HOURS = 4.0


def settle_settings(now: Setting, column: str) -> list[Setting]:
    """The settle sweep's lines, as column ("", "guard", "db") names them.

    --settle: minor seconds and breathing seconds; --settle-guard: how much of a second the guard must fill;
    --settle-db: breathing's score.
    """
    if column == "guard":
        return [dataclasses.replace(now, settle_guard_persist=share) for share in SETTLE_GUARD_CHOICES]
    if column == "db":
        return [dataclasses.replace(now, settle_still_db=db) for db in SETTLE_DB_CHOICES]
    return [dataclasses.replace(now, settle_minor_seconds=n, settle_breath_s=b) for n, b in SETTLE_CHOICES]


def wide_seated_jobs(n: int = WIDE_SEATED_SCENES) -> list[Job]:
    """Widened scenes (lab/widened.py) of someone seated since they began, nobody walking in: the settle rule's."""
    base = seeds.MINING.start + 90_000
    return [(base + i, "wide_seated", 60.0, None) for i in range(n)]


def tuning_jobs(hours: float) -> tuple[list[Job], list[Job], list[Job]]:
    """The mining stream's first `hours`, and curtains and tones drawn on its seeds (training seeds both).

    The stream's empty rooms hold fans, music, clicks, the wall; what the gates are for (curtains, other
    devices' tones) is drawn on the seeds where the stream puts anyone or anything in the room.
    """
    jobs = mining_jobs(0, hours)
    home: list[Job] = [(seed, "negative_home", seconds, rate) for seed, _, seconds, rate in jobs if seed % 10 in (5, 6)]
    # And walk-ins with a distractor already there, which the rules against distractors must not lock out.
    distracted: list[Job] = [(seed, "enter_distracted", 40.0, rate) for seed, _, _, rate in jobs if seed % 10 == 7]
    return jobs, home, distracted


def tuning_sets(hours: float, wide_hours: float) -> dict[str, list[Job]]:
    """The streams by name, as lab.why_opened and lab.why_missed read them with --suite tuning."""
    stream, home, distracted = tuning_jobs(hours)
    return {"stream": stream, "home": home, "distracted": distracted, "widened": wide_mining_jobs(0, wide_hours)}


def slow_tones(jobs: list[Job]) -> list[float]:
    """The level (dBFS) of each tone in these scenes that peaks in the slow bins (where weak_line_db looks).

    Past the still bin's half-step and under the walking band's Doppler, as the lab's engine reads an offset from the
    carrier (at its assumed speed of sound).
    """
    c = speed_of_sound_mps(EngineConfig.temperature_c)
    out = []
    for job in jobs:
        d = draw(*job)
        out += [
            s.level_dbfs
            for s in d.scene.sources
            if isinstance(s, Interferer)
            and GRID_STEP_MPS / 2 <= abs(s.freq_hz - d.carrier_hz) * c / (2 * d.carrier_hz) < MAJOR_BAND_MPS[0]
        ]
    return out


def add_tuning_arguments(parser: argparse.ArgumentParser) -> None:
    """--hours and --wide-hours, for a command that reads the streams with --suite tuning."""
    parser.add_argument("--hours", type=float, default=20.0, help="--suite tuning: as scripts/lab tune_detector's")
    parser.add_argument(
        "--wide-hours", type=float, default=CLEAR_WIDE_HOURS, help="--suite tuning: as scripts/lab tune_detector's"
    )


def _per_hour(scenes: list[SceneFrames], runs: list[Run], occupancy: bool) -> str:
    fm, fo, hours = false_alarms(scenes, runs)
    k = fo if occupancy else fm
    rate = poisson_rate(k, hours)
    return f"{rate[0]:6.2f} [{rate[1]:.2f}, {rate[2]:.2f}]"


def motion_gate(scenes: list[SceneFrames], probs: list[np.ndarray], groups: tuple[list[int], list[int]]) -> None:
    """Print the motion gate's sweep: false alarms on empty rooms against hand bursts missed."""
    seated = [i for i, s in enumerate(scenes) if (s.y == 1).any()]
    gate_db, frames = TUNING.major_gate_db, TUNING.occupy_frames
    print(f"gate {gate_db} dB, {frames} frames; {len(seated)} scenes with seated hand motion")
    print("motion_gate_db  motion false alarms/h (two sets)  false occupancies/h (two sets)  hand bursts never seen")
    for gate in MOTION_GATE_CHOICES_DB:
        use = set(seated).union(*groups)
        runs = {i: run_detector(scenes[i], probs[i], DetectorConfig(), motion_gate_db=gate) for i in use}
        motion = "  ".join(_per_hour([scenes[i] for i in g], [runs[i] for i in g], False) for g in groups)
        occupancy = "  ".join(_per_hour([scenes[i] for i in g], [runs[i] for i in g], True) for g in groups)
        hit, total = minor_events([scenes[i] for i in seated], [runs[i] for i in seated])
        print(f"{gate:14.1f}  {motion}  {occupancy}  {total - hit:5d}/{total}")


def motion_sweep(
    scenes: list[SceneFrames],
    probs: list[np.ndarray],
    groups: tuple[list[int], list[int]],
    seated: list[int],
    settings: list[dict[str, float]] | None = None,
) -> None:
    """Print a motion knob's sweep, by default the motion gate's recent frames.

    Hand bursts seen against motion called after people left.
    """
    left = [i for i, s in enumerate(scenes) if s.occupied.any() and not s.occupied[-1]]
    print(f"{len(seated)} scenes with seated hand motion, {len(left)} where everyone left before the end;")
    print("false occupancies/h [95% CI] in empty rooms: fans, music, clicks, the wall | curtains, tones; after")
    print("everyone left: motion onsets per hour (each restarts the room's hold), in how many scenes the last motion")
    print("came over 1 s after and how long after on average and at most (the room stays occupied that much")
    print("longer); hand bursts never seen")
    settings = settings or [{"motion_cap_frames": n} for n in MOTION_FRAMES_CHOICES]
    print(f"{', '.join(settings[0]):>17s}  false occupancies/h (two sets)  after leaving: motion/h", end="")
    print("  over 1 s  mean  longest  bursts never seen")
    use = set(seated).union(left, *groups)
    for setting in settings:
        runs = {i: run_detector(scenes[i], probs[i], DetectorConfig(), **setting) for i in use}  # type: ignore[arg-type]
        occupancy = "  ".join(_per_hour([scenes[i] for i in g], [runs[i] for i in g], True) for g in groups)
        onsets = vacant = 0
        lasts = []
        for i in left:
            s = scenes[i]
            gone = int(np.flatnonzero(s.occupied)[-1]) + 1
            moved = runs[i].motion[gone:] > 0
            onsets += int(np.sum(moved[1:] & ~moved[:-1]) + moved[0])
            vacant += len(moved)
            after = np.flatnonzero(moved)
            lasts.append(float(s.t[gone + after[-1]] - s.t[gone]) if len(after) else 0.0)
        hours = vacant * 0.025 / 3600
        late = sum(x > 1.0 for x in lasts)
        hit, total = minor_events([scenes[i] for i in seated], [runs[i] for i in seated])
        values = ", ".join(f"{v:g}" for v in setting.values())
        print(
            f"{values:>17s}  {occupancy}  {onsets / max(hours, 1e-9):23.0f}  {late:4d}/{len(left)}"
            f"  {np.mean(lasts):4.1f} s  {max(lasts):5.1f} s  {total - hit:5d}/{total}"
        )


def motion_clear(
    scenes: list[SceneFrames], probs: list[np.ndarray], groups: tuple[list[int], ...], seated: list[int]
) -> None:
    """Print the Motion entity's sweep: turn-ons in empty rooms and beside seated people, and how long it lingers."""
    print(f"{len(seated)} scenes with seated hand motion; Motion turn-ons/h [95% CI] in empty rooms: fans, music,")
    print("clicks, the wall | curtains, tones | the widened stream; seated: turn-ons per occupied hour, the share of")
    print("occupied time Motion is on, hand bursts never seen")
    print("motion_clear_s  Motion turn-ons/h, empty (three sets)  seated: turn-ons/h  Motion on  bursts never seen")
    for clear in CLEAR_CHOICES_S:
        runs = {
            i: run_detector(scenes[i], probs[i], DetectorConfig(), motion_clear_s=clear)
            for i in set(seated).union(*groups)
        }
        empty = []
        for group in groups:
            _, _, hours = false_alarms([scenes[i] for i in group], [runs[i] for i in group])
            k = sum(entity_onsets(runs[i]) for i in group)
            rate = poisson_rate(k, hours)
            empty.append(f"{rate[0]:6.2f} [{rate[1]:.2f}, {rate[2]:.2f}] ({k})")
        occupied_h = max(sum(float(runs[i].occupied.sum()) * 0.025 for i in seated) / 3600, 1e-9)
        on_h = sum(float((runs[i].reported & runs[i].occupied).sum()) * 0.025 for i in seated) / 3600
        turn_ons = sum(entity_onsets(runs[i]) for i in seated)
        hit, total = minor_events([scenes[i] for i in seated], [runs[i] for i in seated])
        print(
            f"{clear:14.1f}  {'  '.join(empty)}  {turn_ons / occupied_h:18.1f}  {100 * on_h / occupied_h:7.1f} %"
            f"  {total - hit:5d}/{total}"
        )


def main() -> None:
    """Print the sweep the options ask for."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=float, default=20.0)
    parser.add_argument("--motion", action="store_true", help="sweep the motion gate at the chosen pair")
    parser.add_argument("--clear", action="store_true", help="sweep how long Motion stays on after the last motion")
    parser.add_argument(
        "--motion-frames", action="store_true", help="sweep over how many frames an occupied room's motion gate looks"
    )
    parser.add_argument("--motion-bar", action="store_true", help="sweep the network's motion bar, the same way")
    parser.add_argument(
        "--occupy", action="store_true", help="sweep the walking gate for reporting apart from the one for opening"
    )
    parser.add_argument("--lines", action="store_true", help="sweep how still a spectral line must be to open no room")
    parser.add_argument(
        "--symmetry", action="store_true", help="sweep how symmetric a spectrum must be to open no room"
    )
    parser.add_argument("--line-frames", action="store_true", help="sweep in how many frames a still line must hold")
    parser.add_argument("--steady", action="store_true", help="sweep how steady a bin beside a line must be to be its")
    parser.add_argument(
        "--symmetry-beside", action="store_true", help="weigh symmetry with or without a still line's bins"
    )
    parser.add_argument(
        "--line-outliers", action="store_true", help="sweep how far a frame may rise over a still line's level"
    )
    parser.add_argument(
        "--fast", action="store_true", help="sweep a shorter opening run for walking far over every bar"
    )
    parser.add_argument(
        "--one-way", action="store_true", help="sweep how steadily walking energy must keep one direction to open"
    )
    parser.add_argument("--tones", action="store_true", help="sweep a still line's skirt and how strong a line must be")
    parser.add_argument(
        "--known", action="store_true", help="sweep how long a still line must hold its bin to be known"
    )
    parser.add_argument("--regate", action="store_true", help="sweep the opening gate again with every later rule on")
    parser.add_argument(
        "--recent", action="store_true", help="sweep how far walking must rise over the band's recent median to open"
    )
    parser.add_argument(
        "--recent-short", action="store_true", help="the same over the second or two before the run instead"
    )
    parser.add_argument(
        "--turn", action="store_true", help="sweep how far a frame may turn against the last ones' side and open"
    )
    parser.add_argument("--top", action="store_true", help="sweep an opening gate on the walking band's strongest bins")
    parser.add_argument(
        "--wide-hours", type=float, default=CLEAR_WIDE_HOURS, help="of the widened stream, where a sweep counts it"
    )
    parser.add_argument(
        "--resteady", action="store_true", help="sweep how steady a bin beside a line must be again, every rule on"
    )
    parser.add_argument("--comb", action="store_true", help="sweep how many of a comb's teeth are a still line's")
    parser.add_argument(
        "--split", action="store_true", help="sweep how strong a slow line and a line split over two bins must be"
    )
    parser.add_argument(
        "--settle", action="store_true", help="sweep how much minor motion and breathing open a room without a walk"
    )
    parser.add_argument(
        "--settle-guard",
        action="store_true",
        help="sweep how much of a second energy beyond human speeds must fill to hold a seated start back",
    )
    parser.add_argument(
        "--settle-db", action="store_true", help="sweep breathing's score over which a window counts to settle"
    )
    args = parser.parse_args()
    stream, home, distracted = tuning_jobs(args.hours)
    jobs = stream + home + distracted
    widened = any(
        (
            args.clear,
            args.fast,
            args.one_way,
            args.tones,
            args.known,
            args.regate,
            args.recent,
            args.recent_short,
            args.resteady,
            args.turn,
            args.top,
            args.comb,
            args.split,
            args.settle,
            args.settle_guard,
            args.settle_db,
        )
    )
    wide = wide_mining_jobs(0, args.wide_hours) if widened else []
    # The widened stream seats nobody: --settle, --settle-guard and --settle-db add their own seated starts after it.
    settle = args.settle or args.settle_guard or args.settle_db
    column = "guard" if args.settle_guard else "db" if args.settle_db else ""
    wide_seated = wide_seated_jobs() if settle else []
    scenes = build(jobs + wide + wide_seated)
    probs = litert_probs(scenes)
    empty = [i for i, s in enumerate(scenes) if not s.occupied.any()]
    empty_home = [i for i in empty if len(stream) <= i < len(stream) + len(home)]
    empty_other = [i for i in empty if i < len(stream)]
    if args.clear:
        empty_wide = [i for i in empty if len(jobs) <= i < len(jobs) + len(wide)]
        seated = [i for i, s in enumerate(scenes[: len(stream)]) if (s.y == 1).any()]
        motion_clear(scenes, probs, (empty_other, empty_home, empty_wide), seated)
        return
    if args.motion:
        motion_gate(scenes, probs, (empty_other, empty_home))
        return
    if args.motion_frames:
        seated = [i for i, s in enumerate(scenes) if (s.y == 1).any()]
        motion_sweep(scenes, probs, (empty_other, empty_home), seated)
        return
    if args.motion_bar:
        seated = [i for i, s in enumerate(scenes) if (s.y == 1).any()]
        bar = [
            {"network_motion_bias_logit": b, "network_context_boost_logit": HAND_SET_CONTEXT_BOOST_LOGIT}
            for b in MOTION_BAR_CHOICES_LOGIT
        ]
        out = [
            {"network_motion_bias_logit": b, "network_context_boost_logit": b - HAND_SET_IN_CONTEXT_LOGIT}
            for b in MOTION_BAR_OUT_OF_CONTEXT_LOGIT
        ]
        motion_sweep(scenes, probs, (empty_other, empty_home), seated, bar)
        motion_sweep(scenes, probs, (empty_other, empty_home), seated, out)
        return
    walked = [i for i, s in enumerate(scenes[: len(stream)]) if (s.y == 2).any()]
    print(f"{len(empty_other)} empty scenes with fans, music, clicks or the wall, {len(empty_home)} with curtains or")
    print(f"tones, {len(walked)} with someone walking")
    # Each sweep sets the other knobs as they were when its choice was made (the results file says what it cannot).
    now = Setting(
        TUNING.major_gate_db,
        TUNING.occupy_gate_db,
        TUNING.occupy_frames,
        TUNING.line_level_std_db,
        TUNING.line_min_frames,
        TUNING.symmetry_db,
        TUNING.steady_std_db,
        symmetry_beside_line=True,
        line_outlier_db=TUNING.line_outlier_db,
    )
    if settle:
        settings = settle_settings(now, column)
    elif args.comb:
        settings = [dataclasses.replace(now, comb_teeth=n) for n in COMB_CHOICES]
    elif args.top:
        settings = [dataclasses.replace(now, top_bins=n, top_db=db) for n, db in TOP_CHOICES]
    elif args.turn:
        settings = [dataclasses.replace(now, turn_frames=n, turn_share=share) for n, share in TURN_CHOICES]
    elif args.recent or args.recent_short:
        choices = RECENT_CHOICES if args.recent else RECENT_SHORT_CHOICES
        settings = [dataclasses.replace(now, recent_frames=n, recent_rise_db=db) for n, db in choices]
    elif args.regate:
        settings = [dataclasses.replace(now, occupy_gate_db=db) for db in REGATE_CHOICES_DB]
    elif args.resteady:
        settings = [dataclasses.replace(now, steady_std_db=db) for db in RESTEADY_CHOICES_DB]
    elif args.known:
        settings = [dataclasses.replace(now, line_known_frames=n) for n in KNOWN_CHOICES]
    elif args.tones:
        settings = [
            dataclasses.replace(now, line_skirt_db=sk, weak_line_db=weak, split_line_db=weak)
            for sk, weak in TONE_CHOICES_DB
        ]
    elif args.split:
        settings = [dataclasses.replace(now, weak_line_db=w, split_line_db=sp) for w, sp in SPLIT_CHOICES_DB]
        for name, named in (("curtains and tones", home), ("the widened stream", wide)):
            levels = slow_tones(named)
            span = f" ({min(levels):.0f} to {max(levels):.0f} dBFS)" if levels else ""
            print(f"{len(levels)} tones in the slow bins among {name}{span}")
    elif args.fast:
        settings = [
            dataclasses.replace(now, fast_frames=n, fast_logit=m, fast_one_way=share) for n, m, share in FAST_CHOICES
        ]
    elif args.one_way:
        settings = [dataclasses.replace(now, one_way_frames=n, one_way_share=m) for n, m in ONE_WAY_CHOICES]
    elif args.line_outliers:
        settings = [dataclasses.replace(now, line_outlier_db=db) for db in LINE_OUTLIER_CHOICES_DB]
    elif args.symmetry_beside:
        settings = [
            dataclasses.replace(now, symmetry_beside_line=beside, symmetry_db=db)
            for beside in (False, True)
            for db in SYMMETRY_BESIDE_CHOICES_DB
        ]
    elif args.steady:
        settings = [dataclasses.replace(now, steady_std_db=db, symmetry_beside_line=False) for db in STEADY_CHOICES_DB]
    elif args.line_frames:
        settings = [
            dataclasses.replace(now, line_frames=n, steady_std_db=None, symmetry_beside_line=False)
            for n in LINE_FRAMES_CHOICES
        ]
    elif args.symmetry:
        settings = [
            dataclasses.replace(
                now, line_frames=CONTEXT_FRAMES, symmetry_db=db, steady_std_db=None, symmetry_beside_line=False
            )
            for db in SYMMETRY_CHOICES_DB
        ]
    elif args.lines:
        settings = [
            dataclasses.replace(now, line_std_db=std, line_frames=CONTEXT_FRAMES, symmetry_db=None, steady_std_db=None)
            for std in LINE_STD_CHOICES_DB
        ]
    elif args.occupy:
        settings = [
            Setting(g, o, n, None, CONTEXT_FRAMES, None)
            for n in OCCUPY_CHOICES_SPLIT
            for o in OCCUPY_GATE_CHOICES_DB
            for g in SPLIT_GATE_CHOICES_DB
            if g <= o
        ]
    else:
        settings = [Setting(g, g, n, None, CONTEXT_FRAMES, None) for g in GATE_CHOICES_DB for n in OCCUPY_CHOICES]
    # --fast, --one-way, --tones, --regate, --recent(-short), --resteady, --turn, --top, --comb, --split and --settle
    # (-guard, -db) count the widened stream's empty rooms, and its walk-ins.
    wide_groups = ([i for i in empty if len(jobs) <= i < len(jobs) + len(wide)],) if widened else ()
    wide_entered = [
        i
        for i in range(len(jobs), len(jobs) + len(wide))
        if walked_in(scenes[i])
        and (walker_range_m(draw(*wide[i - len(jobs)]).scene, scenes[i].t.astype(np.float64)) <= MAJOR_RANGE_M).any()
    ]
    sweep(
        jobs,
        scenes,
        probs,
        (empty_other, empty_home, *wide_groups),
        walked,
        list(range(len(jobs) - len(distracted), len(jobs))),
        settings,
        wide_entered,
        [i for i, s in enumerate(scenes[: len(stream)]) if seated_from_start(s)],
        [i for i in range(len(jobs) + len(wide), len(scenes)) if seated_from_start(scenes[i])],
        column,
    )


# What sweep's workers read: set before the pool forks, so the frames are shared, not pickled.
_SWEEP: dict[str, object] = {}


def sweep(
    jobs: list[Job],
    scenes: list[SceneFrames],
    probs: list[np.ndarray],
    groups: tuple[list[int], ...],
    walked: list[int],
    distracted: list[int],
    settings: list[Setting],
    wide_entered: list[int] | None = None,
    seated: list[int] | None = None,
    wide_seated: list[int] | None = None,
    column: str = "",
) -> None:
    """One line per setting, the settings spread over the cores.

    wide_entered: the widened stream's walk-ins; seated: scenes with someone seated since they began, nobody walking;
    wide_seated: the same with the widened physics; column: the settle column adds settle_guard_persist ("guard")
    or settle_still_db ("db").
    """
    entered = [i for i in walked if walked_in(scenes[i])]
    ranges = {i: walker_range_m(draw(*jobs[i]).scene, scenes[i].t.astype(np.float64)) for i in walked}
    _SWEEP.update(
        scenes=scenes,
        probs=probs,
        groups=groups,
        walked=walked,
        entered=entered,
        ranges=ranges,
        distracted=distracted,
        wide_entered=wide_entered or [],
        seated=seated or [],
        wide_seated=wide_seated or [],
        column=column,
    )
    wide = " | the widened stream" if len(groups) > 2 else ""
    sets_named = f"fans, music, clicks, the wall | curtains, tones{wide}"
    print(f"{len(entered)} with a walk-in; false occupancies/h [95% CI]: {sets_named}")
    sets = ("two", "three")[len(groups) > 2]
    print("gate_db  occupy_gate_db  occupy_frames  line_std_db  line_frames  symmetry_db  steady_db  symmetry"
          "  outlier_db       fast  one_way  skirt  weak_line  split  known  recent    turn      top  comb"
          f"  false occupancies/h ({sets} sets)  MAJOR onsets/h ({sets} sets)  walks never MAJOR"
          "  walk-ins missed  occupied after  walk-ins with a distractor missed (opened before)"
          + ("  widened walk-ins missed" if wide_entered else "")
          + (f"  settle{'/' + column if column else ''}  seated from the start, occupied (median s)" if seated else "")
          + ("  widened, seated from the start, occupied (median s)" if wide_seated else ""))  # fmt: skip
    with get_context("fork").Pool(os.cpu_count() or 1) as pool:
        for line in pool.imap(_sweep_line, settings):
            print(line, flush=True)


def _sweep_line(setting: Setting) -> str:
    scenes: list[SceneFrames] = _SWEEP["scenes"]  # type: ignore[assignment]
    probs: list[np.ndarray] = _SWEEP["probs"]  # type: ignore[assignment]
    groups: tuple[list[int], ...] = _SWEEP["groups"]  # type: ignore[assignment]
    walked: list[int] = _SWEEP["walked"]  # type: ignore[assignment]
    entered: list[int] = _SWEEP["entered"]  # type: ignore[assignment]
    ranges: dict[int, np.ndarray] = _SWEEP["ranges"]  # type: ignore[assignment]
    distracted: list[int] = _SWEEP["distracted"]  # type: ignore[assignment]
    wide_entered: list[int] = _SWEEP["wide_entered"]  # type: ignore[assignment]
    seated: list[int] = _SWEEP["seated"]  # type: ignore[assignment]
    wide_seated: list[int] = _SWEEP["wide_seated"]  # type: ignore[assignment]
    persist = setting.settle_guard_persist
    if _SWEEP["column"] == "guard":  # and the guard's share of a second, from every such frame (0) to none (off)
        share = "off" if persist > 1.0 else f"{persist:g}"
        settle = f"{setting.settle_minor_seconds:>2}/{setting.settle_breath_s:g}/{share:<3}"
    elif _SWEEP["column"] == "db":  # and breathing's score
        settle = f"{setting.settle_minor_seconds:>2}/{setting.settle_breath_s:g}/{setting.settle_still_db:g}"
    else:
        settle = f"{setting.settle_minor_seconds:>2}/{setting.settle_breath_s:<3g}"
    use = set(walked).union(*groups, distracted, wide_entered, seated, wide_seated)
    runs = {
        i: run_detector(
            scenes[i],
            probs[i],
            DetectorConfig(),
            setting.occupy_frames,
            setting.gate_db,
            occupy_gate_db=setting.occupy_gate_db,
            line_std_db=setting.line_std_db,
            line_min_frames=setting.line_frames,
            symmetry_db=setting.symmetry_db,
            steady_std_db=setting.steady_std_db,
            symmetry_beside_line=setting.symmetry_beside_line,
            line_outlier_db=setting.line_outlier_db,
            occupy_fast_frames=setting.fast_frames,
            occupy_fast_logit=setting.fast_logit,
            occupy_fast_one_way=setting.fast_one_way,
            one_way_frames=setting.one_way_frames,
            one_way_share=setting.one_way_share,
            line_skirt_db=setting.line_skirt_db,
            weak_line_db=setting.weak_line_db,
            split_line_db=setting.split_line_db,
            line_known_frames=setting.line_known_frames,
            recent_frames=setting.recent_frames,
            recent_rise_db=setting.recent_rise_db,
            turn_frames=setting.turn_frames,
            turn_share=setting.turn_share,
            occupy_gate_top_bins=setting.top_bins,
            occupy_gate_top_db=setting.top_db,
            comb_teeth=setting.comb_teeth,
            settle_minor_seconds=setting.settle_minor_seconds,
            settle_breath_s=setting.settle_breath_s,
            settle_guard_persist=setting.settle_guard_persist,
            settle_still_db=setting.settle_still_db,
        )
        for i in use
    }
    rates, majors = [], []
    for group in groups:
        _, fo, hours = false_alarms([scenes[i] for i in group], [runs[i] for i in group])
        rate = poisson_rate(fo, hours)
        rates.append(f"{rate[0]:5.2f} [{rate[1]:.2f}, {rate[2]:.2f}] ({fo:3d} in {hours:.1f} h)")
        onsets = major_onsets([runs[i] for i in group])
        majors.append(f"{onsets / hours:6.1f}")
    hit, total, _, _ = major_events([scenes[i] for i in walked], [runs[i] for i in walked], [ranges[i] for i in walked])
    delays, missed = [], 0
    for i in entered:
        s, r = scenes[i], runs[i]
        first_walk = runs_of(s.y == 2)[0][0]
        on = np.flatnonzero(r.occupied[first_walk:])
        if len(on):
            delays.append(float(s.t[first_walk + on[0]] - s.t[first_walk]))
        else:
            missed += 1
    late = f"{np.median(delays):.3f} s, {np.percentile(delays, 95):.3f} s"
    d_missed = d_early = 0
    for i in distracted:
        first_walk = runs_of(scenes[i].y == 2)[0][0]
        d_early += bool(runs[i].occupied[:first_walk].any())
        d_missed += _missed_walk_in(scenes[i], runs[i])
    fast = (
        "off"
        if setting.fast_frames >= setting.occupy_frames
        else f"{setting.fast_frames}@{setting.fast_logit:g}/{setting.fast_one_way:g}"
    )
    one_way = f"{setting.one_way_share:g}/{setting.one_way_frames}" if setting.one_way_share > 0 else "off"
    recent = "off" if setting.recent_rise_db == -math.inf else f"{setting.recent_rise_db:g}/{setting.recent_frames}"
    turn = "off" if setting.turn_share > 1.0 else f"{setting.turn_share:g}/{setting.turn_frames}"
    std, sym, steady, outlier = setting.line_std_db, setting.symmetry_db, setting.steady_std_db, setting.line_outlier_db
    return (
        f"{setting.gate_db:7.1f}  {setting.occupy_gate_db:14.1f}  {setting.occupy_frames:13d}"
        f"  {'off' if std is None else std:>11}  {setting.line_frames:11d}  {'off' if sym is None else sym:>11}"
        f"  {'off' if steady is None else steady:>9}  {'beside' if setting.symmetry_beside_line else 'all':>8}"
        f"  {'off' if outlier is None else outlier:>10}"
        f"  {fast:>9}  {one_way:>7}  {'off' if setting.line_skirt_db is None else setting.line_skirt_db:>5}"
        f"  {setting.weak_line_db:9g}  {setting.split_line_db:5g}"
        f"  {'off' if setting.line_known_frames is None else setting.line_known_frames:>5}"
        f"  {recent:>7}  {turn:>6}  {f'{setting.top_bins}@{setting.top_db:g}' if setting.top_bins else 'off':>7}"
        f"  {setting.comb_teeth if setting.comb_teeth > 1 else 'off':>4}"
        f"  {'  '.join(rates)}  {'  '.join(majors)}"
        f"  {total - hit:7d}/{total}  {missed:9d}/{len(entered)}  {late}  {d_missed:5d}/{len(distracted)} ({d_early})"
        + (
            f"  {sum(_missed_walk_in(scenes[i], runs[i]) for i in wide_entered):9d}/{len(wide_entered)}"
            if wide_entered
            else ""
        )
        + (f"  {settle}  {_settled(scenes, runs, seated)}" if seated else "")
        + (f"  {_settled(scenes, runs, wide_seated)}" if wide_seated else "")
    )


def seated_from_start(s: SceneFrames) -> bool:
    """Someone seated since the scene began, and nobody walking in it: only the settle rule can open the room."""
    return bool(s.occupied[0] and not (s.y == 2).any())


def _settled(scenes: list[SceneFrames], runs: dict[int, Run], seated: list[int]) -> str:
    """How many of these scenes the room opened in, of how many, and the median time it took."""
    opened, times = seated_starts_opened([scenes[i] for i in seated], [runs[i] for i in seated])
    median = f"{np.median(times):.1f}" if times else "-"
    return f"{opened:>9}/{len(seated)} ({median})"


def walked_in(s: SceneFrames) -> bool:
    """Someone came into a room that was empty when the scene began."""
    return bool(s.occupied.any() and not s.occupied[0])


def _missed_walk_in(s: SceneFrames, run: Run) -> bool:
    """The room never opened from the first walking frame on (a walk-in with a distractor there first, or widened)."""
    return not run.occupied[runs_of(s.y == 2)[0][0] :].any()


if __name__ == "__main__":
    main()
