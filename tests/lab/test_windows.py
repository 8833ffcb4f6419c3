"""Which training windows count in the loss (lab/windows.py): --observable-walks."""

from __future__ import annotations

import dataclasses

import numpy as np

from custom_components.uspd.engine.features import CONTEXT_FRAMES
from custom_components.uspd.engine.tuning import TUNING
from lab.dataset import SceneFrames
from lab.windows import START_S, Windows, left_out_walking

FRAME_S = 0.025


def _scene(walking_db: np.ndarray, y: np.ndarray, minor_db: float = 1.0) -> SceneFrames:
    n = len(y)
    bands = np.zeros((n, 3), dtype=np.float32)
    bands[:, 0] = minor_db
    bands[:, 1] = walking_db
    return SceneFrames(
        name="test", kind="walk_music", t=((np.arange(n) + 1) * FRAME_S).astype(np.float32),
        x=np.zeros((n, 128), dtype=np.float16), y=y.astype(np.int8), occupied=y > 0, bands=bands,
        rate_hz=96000, carrier_hz=30000.0, mics=4, still_db=np.full(n, np.nan, dtype=np.float32),
    )  # fmt: skip


def _music_and_a_walker(walker_db: float) -> SceneFrames:
    """10 s of music filling the walking band at 8-14 dB, then 5 s of walking at walker_db."""
    level = np.random.default_rng(1).uniform(8.0, 14.0, 600).astype(np.float32)
    y = np.zeros(600, dtype=np.int8)
    y[400:] = 2
    level[400:] = walker_db
    return _scene(level, y)


def test_a_walker_who_rises_over_the_music_counts_in_the_loss() -> None:
    w = Windows([_music_and_a_walker(18.0)], observable=True).weight
    # All but the label edge's frames (EDGE_S).
    assert (w[400:] > 0).mean() > 0.9


def test_walking_that_the_music_alone_reaches_is_left_out() -> None:
    scene = _music_and_a_walker(12.0)  # the music's own windows peak at 12-14 dB
    w = Windows([scene], observable=True).weight
    assert not (w[400:] > 0).any()
    assert (Windows([scene]).weight[400:] > 0).mean() > 0.9  # only when asked
    # The room without anyone walking still counts, as background.
    assert (w[(scene.t >= START_S) & (scene.y == 0)] > 0).mean() > 0.9


def test_with_no_background_to_judge_by_a_walker_must_clear_the_reporting_gate() -> None:
    level = np.zeros(200, dtype=np.float32)
    level[100:] = TUNING.major_gate_db + 3.0
    scene = _scene(level, np.full(200, 2, dtype=np.int8))  # walking all along
    w = Windows([scene], observable=True).weight
    assert not (w[(scene.t >= START_S) & (np.arange(200) < 100)] > 0).any()
    # A window counts from its last frame's rise on: the window's peak is what stands out.
    assert (w[100 : 100 + CONTEXT_FRAMES] > 0).all()


def test_minor_motion_and_scenes_without_band_energies_keep_their_weights() -> None:
    y = np.zeros(200, dtype=np.int8)
    y[60:120] = 1
    y[150:] = 2
    flat = Windows([_scene(np.full(200, 0.5, dtype=np.float32), y)], observable=True).weight
    assert (flat[70:110] > 0).all()  # hands: as before
    assert not (flat[160:] > 0).any()  # walking under the gate: left out
    uncached = Windows([_scene(np.zeros(200, dtype=np.float32), y, minor_db=0.0)], observable=True).weight
    assert (uncached[160:] > 0).all()


def test_the_training_command_counts_what_it_leaves_out_per_kind() -> None:
    music = _music_and_a_walker(12.0)
    clear = dataclasses.replace(_music_and_a_walker(18.0), kind="walk")
    empty = dataclasses.replace(music, kind="negative", y=np.zeros_like(music.y))
    counts = left_out_walking([music, clear, empty])
    weighed = int(((Windows([music]).weight > 0) & (music.y == 2)).sum())
    assert counts["walk_music"] == (weighed, weighed)
    assert counts["walk"] == (0, weighed)
    assert "negative" not in counts  # nothing walking there to leave out


def test_a_longer_window_holds_the_frames_before_it_and_zeros_before_the_scene() -> None:
    """Windows(frames=40) (scripts/lab train --frames 40): frame i's window is frames i-39..i, zeros before frame 0."""
    y = np.zeros(100, dtype=np.int8)
    s = dataclasses.replace(_scene(np.zeros(100), y), x=np.arange(100, dtype=np.float16)[:, None].repeat(128, axis=1))
    w = Windows([s, s], frames=40)
    batch = w.batch(np.array([0, 50, 100, 199]))
    assert batch.shape == (4, 40, 128, 1)
    assert np.array_equal(batch[0, :, 0, 0], np.zeros(40))  # the first frame's own value is 0, and all before it
    assert np.array_equal(batch[1, :, 0, 0], np.arange(11, 51))
    # The second scene starts afresh: nothing of the first leaks into its window.
    assert np.array_equal(batch[2, :, 0, 0], np.zeros(40))
    assert np.array_equal(batch[3, :, 0, 0], np.arange(60, 100))
    assert Windows([s]).batch(np.array([50])).shape == (1, CONTEXT_FRAMES, 128, 1)
