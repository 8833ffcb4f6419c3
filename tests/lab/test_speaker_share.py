"""lab.speaker_share: the walking band's share that the speaker's own distortion put there, from mirror-bin pairs."""

from __future__ import annotations

import numpy as np

from custom_components.uspd.engine.bands import MAJOR_BAND_MPS
from lab import why_missed
from lab.speaker_share import PairTracker, scene_shares

WINDOW = 128
SPEEDS = np.asarray((np.arange(WINDOW) - WINDOW // 2) * 0.14, dtype=np.float64)
HOP_S = 0.025
HALF = WINDOW // 2
PAIRS = np.arange(1, HALF)
WALKING = PAIRS[(SPEEDS[HALF + PAIRS] >= MAJOR_BAND_MPS[0]) & (SPEEDS[HALF + PAIRS] < MAJOR_BAND_MPS[1])]


def _noise(rng: np.random.Generator, mics: int, level: float = 1e-3) -> np.ndarray:
    return level * (rng.standard_normal((mics, WINDOW)) + 1j * rng.standard_normal((mics, WINDOW)))


def _music(rng: np.random.Generator, h_up: np.ndarray, h_down: np.ndarray) -> np.ndarray:
    """One frame of a real modulating signal through fixed paths: X(+f) = H(+f)·Z, X(−f) = H(−f)·Z*."""
    mics = h_up.shape[0]
    z = rng.standard_normal(HALF - 1) + 1j * rng.standard_normal(HALF - 1)
    out = np.zeros((mics, WINDOW), dtype=np.complex128)
    out[:, HALF + PAIRS] = h_up * z
    out[:, HALF - PAIRS] = h_down * np.conj(z)
    return out


def _paths(rng: np.random.Generator, mics: int) -> tuple[np.ndarray, np.ndarray]:
    """Each mic's and bin's own complex gain either side: several delays, so no fixed ratio across mics or bins."""
    shape = (mics, HALF - 1)
    return (
        rng.standard_normal(shape) + 1j * rng.standard_normal(shape),
        rng.standard_normal(shape) + 1j * rng.standard_normal(shape),
    )


def test_music_through_paths_of_their_own_delays_is_found_on_one_mic_as_on_several() -> None:
    rng = np.random.default_rng(1)
    for mics in (1, 3):
        tracker = PairTracker(SPEEDS, mics, HOP_S)
        h_up, h_down = _paths(rng, mics)
        shares = [tracker.push(_music(rng, h_up, h_down) + _noise(rng, mics)) for _ in range(400)]
        assert np.isnan(shares[:80]).all()  # a memory (2 s) learned first
        assert np.isfinite(shares[80:]).all()
        assert min(shares[-100:]) > 0.95


def test_a_walker_and_a_steady_one_sided_line_are_not_the_speakers() -> None:
    rng = np.random.default_rng(2)
    tracker = PairTracker(SPEEDS, 2, HOP_S)
    shares = []
    for i in range(400):
        frame = _noise(rng, 2)
        k = WALKING[(i // 4) % len(WALKING)]  # a walker sweeping the band, on the approaching side only
        frame[:, HALF + k] += 0.5 * (rng.standard_normal(2) + 1j * rng.standard_normal(2))
        frame[:, HALF + WALKING[3]] += 0.3  # another device's tone: steady, one-sided
        shares.append(tracker.push(frame))
    assert max(shares[100:]) < 0.05


def test_a_walker_louder_than_the_music_takes_the_share_down_in_his_frames() -> None:
    rng = np.random.default_rng(3)
    tracker = PairTracker(SPEEDS, 1, HOP_S)
    h_up, h_down = _paths(rng, 1)
    for _ in range(300):
        tracker.push(_music(rng, h_up, h_down) + _noise(rng, 1))
    frame = _music(rng, h_up, h_down) + _noise(rng, 1)
    frame[:, HALF + WALKING] += 30.0 * (rng.standard_normal(len(WALKING)) + 1j * rng.standard_normal(len(WALKING)))
    assert tracker.push(frame) < 0.05  # the music's part of a frame it fills a thousandth of
    later = [tracker.push(_music(rng, h_up, h_down) + _noise(rng, 1)) for _ in range(400)]
    assert later[-1] > 0.9  # the pairs he crossed are coherent again


def test_a_benchmark_scene_reads_as_the_benchmark_renders_it() -> None:
    """One mic, music at -24 dBc filling the walking band; then a walk in a room with no music."""
    t, shares = scene_shares((3_020_005, "shifted_walk_music", 20.0, None))
    assert len(t) == len(shares) > 700
    assert np.median(shares[t > 2.5]) > 0.9
    t, shares = scene_shares((3_000_002, "shifted_walk", 20.0, None))
    assert len(t) == len(shares) > 700
    assert np.nanmax(shares) < 0.05


def test_why_missed_tallies_walks_with_music_by_their_speaker_borne_share() -> None:
    assert [why_missed.speaker_band(x) for x in (0.0, 0.49, 0.5, 0.89, 0.9, 1.0)] == [
        "under 50 %", "under 50 %", "50-90 %", "50-90 %", "90 % or more", "90 % or more",
    ]  # fmt: skip
    line = why_missed.speaker_line({"90 % or more": [8, 8], "under 50 %": [2, 19]})
    assert line.endswith("under 50 % 2/19, 90 % or more 8/8")
