"""Frames of many scenes → classifier windows (frames × GRID_BINS), built per batch, never all at once."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

import lab  # noqa: F401
from custom_components.uspd.engine.features import CONTEXT_FRAMES
from custom_components.uspd.engine.tuning import TUNING

from .dataset import SceneFrames

# Frames this close to a change of truth are left out of the loss: the
# network sees only the past 300 ms (as shipped), and the simulator's label edges are
# exact to the sample while a walker's echo builds up over a step.
EDGE_S = 0.15
# Windows ending in a scene's first second carry no loss weight, as the shipped
# model was trained. The engine asks the network from NETWORK_START_S (0.5 s),
# in windows whose frames before it are zeros (as lab/eval.py measures it):
# windows training never weighted, a candidate for the next retrain.
START_S = 1.0
# With observable=True (scripts/lab train --observable-walks), a walking frame counts in the loss only where its
# window's walking band rises over what the scene holds without anyone walking (the 90th percentile of that band's
# window peaks over the scene's frames labelled background, where they make at least a second) and over the
# detector's gate for reporting walking (Tuning.major_gate_db): a walker far away or under music's sidebands looks
# like the room without him. Not by default: lab/results/retrains_observable.json.
OBSERVABLE_PERCENTILE = 90.0
OBSERVABLE_MIN_BACKGROUND_S = 1.0


class Windows:
    """All windows of a set of scenes; window i ends at frame i (zeros before a scene starts, as in the engine).

    observable: walking frames whose walker does not stand out of the scene's own background carry no loss weight.
    frames: the network's window (CONTEXT_FRAMES, or a longer model's: scripts/lab train --frames).
    """

    def __init__(self, scenes: list[SceneFrames], observable: bool = False, frames: int = CONTEXT_FRAMES) -> None:
        self.frames_per_window = frames
        pad = frames - 1
        xs, ends, ys, ws, negs = [], [], [], [], []
        offset = 0
        for s in scenes:
            xs.append(np.zeros((pad, s.x.shape[1]), dtype=np.float16))
            xs.append(s.x)
            ends.append(offset + pad + np.arange(len(s.t)))
            ys.append(s.y)
            w = _edge_weights(s.t, s.y)
            ws.append(w * _observable(s) if observable else w)
            negs.append(np.full(len(s.t), not s.occupied.any() and not s.y.any()))
            offset += pad + len(s.t)
        self.frames = np.concatenate(xs)
        self.ends = np.concatenate(ends)
        self.y = np.concatenate(ys).astype(np.int64)
        self.weight = np.concatenate(ws)
        self.negative_scene = np.concatenate(negs)
        self.hours = sum(float(s.t[-1] - s.t[0]) for s in scenes if len(s.t)) / 3600

    def __len__(self) -> int:
        return len(self.ends)

    def batch(self, index: NDArray[np.int64]) -> NDArray[np.float32]:
        """(len(index), frames, GRID_BINS, 1) float32."""
        n = self.frames_per_window
        rows = self.ends[index][:, None] - np.arange(n - 1, -1, -1)[None, :]
        batch: NDArray[np.float32] = self.frames[rows].astype(np.float32)[..., None]
        return batch


def _edge_weights(t: NDArray[np.float32], y: NDArray[np.int8]) -> NDArray[np.float32]:
    w = np.ones(len(t), dtype=np.float32)
    w[t < START_S] = 0.0
    changes = t[1:][np.diff(y) != 0]
    for c in changes:
        w[np.abs(t - c) < EDGE_S] = 0.0
    return w


def trailing_max(level: NDArray[np.floating], frames: int) -> NDArray[np.float64]:
    """Per frame, the highest level over the last `frames` frames (itself included; fewer at the start)."""
    frames = max(1, frames)
    padded = np.concatenate([np.full(frames - 1, -np.inf), level.astype(np.float64)])
    peaks: NDArray[np.float64] = np.lib.stride_tricks.sliding_window_view(padded, frames).max(axis=1)
    return peaks


def _observable(s: SceneFrames) -> NDArray[np.float32]:
    """1 where a frame's truth can be told from its window, 0 where walking is labelled but does not stand out."""
    w = np.ones(len(s.t), dtype=np.float32)
    if not (s.y == 2).any() or not s.bands.any():  # a cached file without band energies: nothing to judge by
        return w
    peaks = trailing_max(s.bands[:, 1], CONTEXT_FRAMES)  # each rules' window's peak (the last 300 ms, any model)
    floor = TUNING.major_gate_db
    background = (s.y == 0) & (s.t >= START_S)
    if len(s.t) > 1 and background.sum() * float(np.median(np.diff(s.t))) >= OBSERVABLE_MIN_BACKGROUND_S:
        floor = max(floor, float(np.percentile(peaks[background], OBSERVABLE_PERCENTILE)))
    w[(s.y == 2) & (peaks <= floor)] = 0.0
    return w


def left_out_walking(scenes: list[SceneFrames]) -> dict[str, tuple[int, int]]:
    """Per scene kind: (walking windows --observable-walks leaves out, walking windows the loss weighs without it)."""
    out: dict[str, tuple[int, int]] = {}
    for s in scenes:
        walking = (s.y == 2) & (_edge_weights(s.t, s.y) > 0)
        left, total = out.get(s.kind, (0, 0))
        out[s.kind] = (left + int((walking & (_observable(s) == 0)).sum()), total + int(walking.sum()))
    return {kind: counts for kind, counts in sorted(out.items()) if counts[1]}


def onsets(motion: NDArray[np.bool_], onset_frames: int = 2) -> NDArray[np.bool_]:
    """Where a run of onset_frames motion frames begins (the detector's debounce)."""
    run = np.zeros(len(motion), dtype=np.int64)
    count = 0
    for i, m in enumerate(motion):
        count = count + 1 if m else 0
        run[i] = count
    starts: NDArray[np.bool_] = run == onset_frames
    return starts
