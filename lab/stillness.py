"""Breathing's score (engine/stillness.py) on training seeds: where to set Tuning.still_on_db.

    scripts/lab stillness [--hours 3] [--home 100] [--wide-hours 0] [--readers 40] [--on-db 34] [--settle-db 28]

A false "still person" in an empty room would hold it occupied after
everyone left (it opens none), so the threshold must sit above every window
an empty room makes: the mining stream's first hours (empty rooms with fans,
curtains, music, tones, clicks, walkers behind walls, and the walks and
sittings drawn among them, scored only where nobody is in the room),
curtains and tones in homes (negative_home), and with --wide-hours the
widened mining stream's first hours (lab/widened.py, as scripts/lab
tune_detector reads it). Each class's "credits" count the runs of windows
over the hold's threshold (--on-db) and over the settle rule's (--settle-db,
Tuning.settle_still_db: it opens a room only with minor motion beside it).
What it buys shows on seated readers (enter_read, on training seeds): the
share of their seated time it vouches for, and of the stretches where no
hand moved for longer than the window. On them and on tune_detector
--settle's 60 widened seated starts: each window's score by how much of it a
seated hand moved (a hand raises the score's noise band), and how many of
the widened starts held settle_breath_s over each threshold anywhere in
their minute (an upper bound: the settle rule asks it within its window).
Prints a table (lab/results/stillness.txt); writes nothing.
"""

from __future__ import annotations

import argparse

import numpy as np

from custom_components.uspd.engine.stillness import WINDOW_S
from custom_components.uspd.engine.tuning import TUNING

from . import seeds
from .dataset import Job, SceneFrames, build
from .eval import runs_of
from .scenes import draw
from .train import mining_jobs, wide_mining_jobs
from .tune_detector import seated_from_start, wide_seated_jobs


def _window_frames(s: SceneFrames) -> int:
    """How many of the scene's frames one stillness window spans."""
    return round(WINDOW_S / float(np.median(np.diff(s.t))))


def _empty(s: SceneFrames) -> np.ndarray:
    """Frames whose whole window had nobody in the room."""
    empty = ~s.occupied
    span = _window_frames(s)
    out = empty.copy()
    for a, b in runs_of(~empty):  # a window reaching back into an occupied stretch is not an empty room's
        out[a : min(len(out), b + span)] = False
    return out


def main() -> None:
    """Score breathing on empty rooms and seated readers, and print what the threshold would cost and buy."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=float, default=3.0, help="of the mining stream")
    parser.add_argument("--home", type=int, default=100, help="negative_home scenes of 30 s")
    parser.add_argument("--wide-hours", type=float, default=0.0, help="of the widened mining stream")
    parser.add_argument("--readers", type=int, default=40, help="enter_read scenes of 240 s")
    parser.add_argument("--on-db", type=float, default=TUNING.still_on_db, help="the hold's threshold")
    parser.add_argument("--settle-db", type=float, default=TUNING.settle_still_db, help="the settle rule's")
    args = parser.parse_args()
    base = seeds.TRAIN.start
    jobs: list[Job] = mining_jobs(0, args.hours)
    jobs += [(base + 50_000 + i, "negative_home", 30.0, None) for i in range(args.home)]
    jobs += wide_mining_jobs(0, args.wide_hours) if args.wide_hours > 0 else []
    negatives = build(jobs, still=True)
    readers = build([(base + 90_000 + i, "enter_read", 240.0, None) for i in range(args.readers)], still=True)
    wide_seated = [s for s in build(wide_seated_jobs(), still=True) if seated_from_start(s)]

    print(f"empty rooms (scored only where nobody was in the room for the whole {WINDOW_S:g} s window):")
    by_kind: dict[str, list[float]] = {}
    hours: dict[str, float] = {}
    credited: dict[str, int] = {}
    settle_credited: dict[str, int] = {}
    total = 0.0
    for job, s in zip(jobs, negatives, strict=True):
        empty = _empty(s)
        empty_h = float(empty.mean()) * float(s.t[-1]) / 3600
        total += empty_h
        score = np.where(empty & np.isfinite(s.still_db), s.still_db, -np.inf)
        # By what sounds in the empty room: a scene counts under each of its distractors.
        names = {type(src).__name__ for src in draw(*job).scene.sources} - {"Walker", "Seated"}
        for source in sorted(names) or ["quiet"]:
            by_kind.setdefault(source, []).append(float(score.max()))
            hours[source] = hours.get(source, 0.0) + empty_h
            credited[source] = credited.get(source, 0) + len(runs_of(score >= args.on_db))
            settle_credited[source] = settle_credited.get(source, 0) + len(runs_of(score >= args.settle_db))
    print(
        f"  {'in the room':14s} {'scenes':>6s} {'empty h':>8s} {'max dB':>7s} {'p99 of maxima':>14s} credits"
        f" (hold {args.on_db:g} dB, settle {args.settle_db:g} dB)"
    )
    for kind in sorted(by_kind):
        m = np.asarray(by_kind[kind])
        print(
            f"  {kind:14s} {len(m):6d} {hours[kind]:8.2f} {m.max():7.1f} {np.percentile(m, 99):14.1f}"
            f" {credited[kind]:7d} {settle_credited[kind]:7d}"
        )
    top = max(max(v) for v in by_kind.values())
    print(f"  {len(negatives)} scenes, {total:.2f} h of empty room; highest window {top:.1f} dB;", end=" ")
    print(f"threshold {args.on_db:g} dB")

    seated = still = 0
    credited_frames = still_credited = 0
    for s in readers:
        sit = s.occupied & (s.y != 2)
        score = np.nan_to_num(s.still_db, nan=-np.inf)
        seated += int(sit.sum())
        credited_frames += int((sit & (score >= args.on_db)).sum())
        # Stretches with no hand moving for longer than the window: what only breathing shows.
        span = _window_frames(s)
        for a, b in runs_of(sit & (s.y == 0)):
            if b - a > span:
                still += b - a - span
                still_credited += int((score[a + span : b] >= args.on_db).sum())
    print(f"{len(readers)} seated readers (training seeds):")
    print(f"  seated frames vouched for by breathing: {credited_frames / max(seated, 1):.1%}")
    print(f"  of those in still stretches (no hand for over {WINDOW_S:g} s): {still_credited / max(still, 1):.1%}")
    print("breathing's score (median dB, windows) by the share of the window a seated hand moved in:")
    print(f"  {'':28s} {'none':>13s} {'under half':>13s} {'half or more':>13s}")
    for name, group in (("seated readers", readers), (f"{len(wide_seated)} widened seated starts", wide_seated)):
        cells = [f"{m:7.1f} ({n:4d})" for m, n in _by_hand_share(group)]
        print(f"  {name:28s} {' '.join(cells)}")
    for db in sorted({args.on_db, args.settle_db}, reverse=True):
        held = sum(_over_s(s, db) >= TUNING.settle_breath_s for s in wide_seated)
        print(f"  widened seated starts with {TUNING.settle_breath_s:g} s of windows over {db:g} dB in all: {held}")


def _by_hand_share(scenes: list[SceneFrames]) -> list[tuple[float, int]]:
    """Median score and count of the scenes' windows with no hand moving in them, one under half, half or more.

    Only windows with a score and someone seated (not walking) all through them count.
    """
    shares, scores = [np.zeros(0)], [np.zeros(0)]
    for s in scenes:
        span = _window_frames(s)
        hand = np.concatenate([[0], np.cumsum(s.y == 1)])
        away = np.concatenate([[0], np.cumsum((s.y == 2) | ~s.occupied)])  # walking, or nobody there
        k = np.arange(span - 1, len(s.t))
        ok = np.isfinite(s.still_db[k]) & (away[k + 1] == away[k + 1 - span])  # seated all window long
        shares.append(((hand[k + 1] - hand[k + 1 - span]) / span)[ok])
        scores.append(s.still_db[k][ok])
    share, score = np.concatenate(shares), np.concatenate(scores).astype(np.float64)
    out = []
    for part in (share == 0, (share > 0) & (share < 0.5), share >= 0.5):
        out.append((float(np.median(score[part])) if part.any() else float("nan"), int(part.sum())))
    return out


def _over_s(s: SceneFrames, db: float) -> float:
    """Seconds of the scene whose frames' window scored over db."""
    return float(np.count_nonzero(np.nan_to_num(s.still_db, nan=-np.inf) >= db)) * float(np.median(np.diff(s.t)))


if __name__ == "__main__":
    main()
