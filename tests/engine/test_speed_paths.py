"""The engine's shortcuts give what the plain computation gives: row reuse, polyphase, the oscillator's table, lines."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import signal

from custom_components.uspd.engine import lines
from custom_components.uspd.engine.classifier import MODEL_PATH
from custom_components.uspd.engine.clutter import CHUNK, ClutterFilter
from custom_components.uspd.engine.demodulate import Demodulator, FirDecimator
from custom_components.uspd.engine.features import CONTEXT_FRAMES, GRID_BINS, GRID_SPEEDS_MPS
from custom_components.uspd.engine.lines import find_lines, lines_in
from custom_components.uspd.engine.rates import plan_baseband
from custom_components.uspd.engine.tflite_numpy import NumpyModel
from custom_components.uspd.engine.tuning import TUNING, Tuning
from custom_components.uspd.engine.walking import (
    LINE_BINS,
    SLOW_IN_LINE,
    WALKING_BINS,
    WalkingWindow,
    line_db,
    walking_db,
    walking_power,
)

SHAPE = (1, CONTEXT_FRAMES, GRID_BINS, 1)


def _sliding_windows(count: int, seed: int = 0) -> list[np.ndarray]:
    """Windows as the engine's feature stack makes them: each the last one moved up a frame, a new frame below."""
    rng = np.random.default_rng(seed)
    stack = np.zeros((CONTEXT_FRAMES, GRID_BINS), dtype=np.float32)
    windows = []
    for _ in range(count):
        stack[:-1] = stack[1:]
        stack[-1] = rng.uniform(-0.5, 2.5, GRID_BINS).astype(np.float32)
        windows.append(stack.reshape(SHAPE).copy())
    return windows


def test_a_sliding_window_gives_exactly_what_each_window_gives_alone() -> None:
    content = MODEL_PATH.read_bytes()
    streaming, alone = NumpyModel(content), NumpyModel(content)
    unrelated = np.full(SHAPE, 0.25, dtype=np.float32)
    windows = _sliding_windows(30)
    got = [streaming.run(w) for w in windows]
    want = []
    for w in windows:
        alone.run(unrelated)  # nothing of the last window is left to reuse
        want.append(alone.run(w))
    # The same values (here to the bit; a BLAS may round a product of fewer rows differently).
    assert np.abs(np.asarray(got) - np.asarray(want)).max() < 1e-6
    # A window that is not the last one moved (a reset stack) is computed afresh, not patched.
    assert np.abs(streaming.run(unrelated) - alone.run(unrelated)).max() < 1e-6


@pytest.mark.parametrize(
    ("length", "factor", "complex_taps"),
    [(37, 5, True), (130, 12, True), (66, 2, False), (7, 3, False), (5, 8, True)],  # first stages take real input
)
def test_polyphase_decimation_matches_the_direct_sums(length: int, factor: int, complex_taps: bool) -> None:
    rng = np.random.default_rng(length)
    taps = rng.standard_normal(length) * (np.exp(1j * rng.uniform(0, 6, length)) if complex_taps else 1)
    x = rng.standard_normal((2, 2000)) * (1 if complex_taps else np.exp(1j * rng.uniform(0, 6, (2, 2000))))
    decimator = FirDecimator(taps, factor, 2, x.dtype.type)
    parts, i = [], 0
    while i < x.shape[1]:  # blocks shorter than a phase, and longer than the filter
        n = int(rng.integers(1, 200))
        parts.append(decimator.process(x[:, i : i + n]))
        i += n
    got = np.concatenate(parts, axis=1)
    padded = np.concatenate([np.zeros((2, len(taps) - 1)), x], axis=1)
    want = np.stack([np.convolve(row, taps, mode="valid")[::factor] for row in padded])
    assert got.shape == want.shape
    assert np.abs(got - want).max() < 1e-12


def test_a_window_without_a_repeated_peak_has_no_line_and_one_with_it_has() -> None:
    rng = np.random.default_rng(2)
    noise = rng.uniform(0, 0.3, (CONTEXT_FRAMES, GRID_BINS)).astype(np.float32)
    assert not find_lines(noise).still
    toned = noise.copy()
    toned[:, int(np.argmin(np.abs(GRID_SPEEDS_MPS - 1.5)))] = 1.5  # a steady tone at +1.5 m/s, 30 dB
    assert find_lines(toned).still


def test_one_window_finds_the_lines_a_batch_of_windows_finds() -> None:
    rng = np.random.default_rng(3)
    windows = rng.uniform(0, 0.3, (40, CONTEXT_FRAMES, GRID_BINS)).astype(np.float32)
    tone = int(np.argmin(np.abs(GRID_SPEEDS_MPS - 1.5)))
    windows[::2, rng.integers(0, CONTEXT_FRAMES, 7), tone] = 1.5  # a tone in some frames of every other window
    windows[::4, :, tone] = 1.5 + rng.normal(0, 0.01, (10, CONTEXT_FRAMES))  # and held in every fourth
    # Between two bins: noise picks the peak.
    windows[1::4, :, tone + 1] = windows[1::4, :, tone] = 1.5 + rng.normal(0, 0.01, (10, CONTEXT_FRAMES))
    # As shipped, with slow lines and tones split over two bins (tune_detector --tones) on, and with a comb's teeth.
    for tuning in (
        TUNING,
        dataclasses.replace(TUNING, weak_line_db=20.0, split_line_db=20.0),
        dataclasses.replace(TUNING, comb_teeth=3),
    ):
        batch = find_lines(windows, tuning)
        assert 0 < batch.still.sum() < len(windows)
        for i, window in enumerate(windows):
            alone = find_lines(window, tuning)
            assert alone.still == batch.still[i]
            assert np.array_equal(alone.own, batch.own[i])


@pytest.mark.parametrize(("rate", "carrier"), [(96000, 40000.0), (96000, 38517.0), (44100, 19000.0)])
def test_the_oscillator_table_gives_what_the_phases_give(rate: int, carrier: float) -> None:
    plan = plan_baseband(rate, carrier)
    rng = np.random.default_rng(4)
    audio = rng.standard_normal((rate, 2)) * 0.1
    tabled, computed = Demodulator(plan, 2), Demodulator(plan, 2)
    computed._phasors = None  # noqa: SLF001 - the table's fallback: exp of each phase
    assert tabled._phasors is not None  # noqa: SLF001
    got, want, i = [], [], 0
    while i < len(audio):  # blocks of every length, across many periods
        n = int(rng.integers(1, 3000))
        got.append(tabled.process(audio[i : i + n]))
        want.append(computed.process(audio[i : i + n]))
        i += n
    assert np.array_equal(np.concatenate(got, axis=1), np.concatenate(want, axis=1))


def test_the_walking_window_holds_what_the_whole_window_gives() -> None:
    rng = np.random.default_rng(5)
    stack = np.zeros((CONTEXT_FRAMES, GRID_BINS), dtype=np.float32)
    window = WalkingWindow()
    for _ in range(30):
        stack[:-1] = stack[1:]
        stack[-1] = rng.uniform(-0.5, 2.5, GRID_BINS).astype(np.float32)
        window.push(stack[-1])
        assert np.array_equal(window.db, walking_db(stack))
        assert np.array_equal(window.power, walking_power(stack))
        assert np.array_equal(window.peaks, np.argmax(walking_db(stack), axis=-1))
        slow = line_db(stack)[:, SLOW_IN_LINE]
        assert np.array_equal(window.slow_peaks, SLOW_IN_LINE[slow.argmax(axis=-1)])
        assert np.array_equal(window.slow_top_db, slow.max(axis=-1))
    window.reset()
    assert np.array_equal(window.power, walking_power(np.zeros_like(stack)))
    assert np.array_equal(window.slow_top_db, np.zeros(CONTEXT_FRAMES))
    assert np.isin(window.slow_peaks, SLOW_IN_LINE).all()
    # Without slow lines (as shipped) the walking band is kept just the same and the slow bins not at all.
    plain = WalkingWindow(slow=False)
    for row in stack:
        plain.push(row)
    assert np.array_equal(plain.db, walking_db(stack))
    assert np.array_equal(plain.slow_top_db, np.zeros(CONTEXT_FRAMES))


@pytest.mark.parametrize(
    "tuning",
    [
        TUNING,
        dataclasses.replace(TUNING, weak_line_db=20.0, split_line_db=20.0),
        dataclasses.replace(TUNING, comb_teeth=3),
    ],
)
def test_the_engine_finds_from_its_walking_window_the_lines_the_whole_window_gives(tuning: Tuning) -> None:
    """As the pipeline asks: the feature stack, and the walking window kept beside it frame by frame."""
    rng = np.random.default_rng(6)
    tone = int(np.argmin(np.abs(GRID_SPEEDS_MPS - 1.5)))
    slow = int(np.argmin(np.abs(GRID_SPEEDS_MPS - 0.2)))
    stack = np.zeros((CONTEXT_FRAMES, GRID_BINS), dtype=np.float32)
    window = WalkingWindow()
    stills = slow_stills = split_stills = 0
    for k in range(80):
        stack[:-1] = stack[1:]
        stack[-1] = rng.uniform(0, 0.3, GRID_BINS).astype(np.float32)
        if 20 <= k < 45:
            stack[-1, tone] = 1.5  # a tone in the walking band
        if 45 <= k < 58:
            # Then one split between two walking bins, noise picking the stronger, its level wavering by about
            # 1 dB; then a walker's echo as strong moving between two bins with the gait (the engine's shortcut
            # must set aside only the walker).
            stack[-1, tone - 8 : tone - 6] = 1.5 + rng.uniform(-0.07, 0.07) + rng.uniform(-0.005, 0.005, 2)
        elif 58 <= k < 70:
            stack[-1, tone + 8 + k % 2] = 1.5 + 0.1 * (k % 3)
        if k >= 55:
            stack[-1, slow] = 1.5  # then one in the slow bins
        window.push(stack[-1])
        want = find_lines(stack[None], tuning).take(0)  # the lab's batch path, no shortcut of the engine's
        # As the pipeline asks (the slow bins' strongest kept frame by frame too), and from the stack alone.
        for got in (
            lines_in(stack, window.db, window.peaks, tuning, -1, window.slow_peaks, window.slow_top_db),
            lines_in(stack, window.db, window.peaks, tuning),
        ):
            assert got.still == want.still
            assert np.array_equal(got.own, want.own)
            assert np.array_equal(got.newest_db, want.newest_db)
            assert got.line_bin == want.line_bin
        stills += bool(want.still)
        slow_stills += bool(want.still and LINE_BINS[want.line_bin] == slow)
        split_stills += bool(want.still and LINE_BINS[want.line_bin] in (tone - 8, tone - 7))
    assert stills > 20  # the tones were found, not only their absence agreed on
    if math.isfinite(tuning.weak_line_db):
        assert slow_stills > 10  # the slow tone too, where slow lines are looked for
    if math.isfinite(tuning.split_line_db):
        assert split_stills > 5  # and the split one, where split lines are


@pytest.mark.parametrize(
    "tuning",
    [
        dataclasses.replace(TUNING, split_line_db=30.0, weak_line_db=20.0),
        dataclasses.replace(TUNING, split_line_db=20.0, weak_line_db=30.0, line_min_frames=6, line_level_std_db=3.0),
    ],
)
def test_the_engine_finds_the_split_lines_the_whole_window_gives_in_random_windows(tuning: Tuning) -> None:
    """Its shortcuts set a window aside only where no split line can be, in seeded random windows.

    Tones split over two walking or slow bins, their levels and shares wavering, frames dropping out or clipping,
    beside stray peaks.
    """
    rng = np.random.default_rng(26)
    pairs = [(b, b + 1) for b in WALKING_BINS if b + 1 in WALKING_BINS] + [(62, 63), (65, 66)]
    found = 0
    for _ in range(300):
        stack = rng.uniform(0, rng.choice([0.3, 0.8]), (CONTEXT_FRAMES, GRID_BINS))
        b, c = pairs[rng.integers(len(pairs))]
        level, share, waver = rng.uniform(15, 53), rng.uniform(-1.5, 1.5), rng.choice([0.1, 0.8, 2.5])
        for f in range(CONTEXT_FRAMES):
            d, base = rng.normal(share, 0.5), level + rng.normal(0, waver)
            stack[f, b], stack[f, c] = (base + d / 2) / 20, (base - d / 2) / 20
            kind = rng.integers(12)  # now and then a click, a dropout, clipping or a stray peak
            if kind == 0:
                stack[f, b] += rng.uniform(5, 10) / 20
            elif kind == 1:
                stack[f, [b, c]] = rng.uniform(0, 0.5)
            elif kind == 2:
                stack[f, [b, c]] = 2.5
            elif kind == 3:
                stack[f, rng.integers(28, 100)] = rng.uniform(1, 2.6)
        stack = np.clip(np.round(stack * 80) / 80, -0.5, 2.5).astype(np.float32)  # levels on a grid: exact ties
        window = WalkingWindow()
        for row in stack:
            window.push(row)
        want = find_lines(stack[None], tuning).take(0)
        got = lines_in(stack, window.db, window.peaks, tuning, -1, window.slow_peaks, window.slow_top_db)
        assert (got.still, got.line_bin) == (want.still, want.line_bin)
        assert np.array_equal(got.own, want.own)
        found += bool(want.still)
    assert found > 30  # lines were found, not only their absence agreed on


@pytest.mark.parametrize("rate", [4000.0, 3675.0, 2000.0])
def test_clutter_removal_in_closed_form_tracks_the_sample_by_sample_filter(rate: float) -> None:
    """The exponential mean a chunk at a time against scipy's recursion, past the warm-up, in blocks of every size."""
    rng = np.random.default_rng(int(rate))
    static = 1e5 * np.exp(1j * rng.uniform(0, 6, (3, 1)))  # the static paths far over the moving part, as in rooms
    clutter = ClutterFilter(rate, 3)
    a = clutter.alpha
    seen, mean, worst = 0, np.zeros(3, dtype=np.complex128), 0.0
    for k in range(120):
        n = int(rng.integers(0, 3 * CHUNK)) if k % 3 else 200
        x = static * (1 + 1e-3 * np.sin(k / 9)) + rng.normal(size=(3, n)) + 1j * rng.normal(size=(3, n))
        clutter.process(x)
        want = np.empty_like(x)
        done = min(n, max(0, clutter._warmup - seen))  # noqa: SLF001 - the same running average at first
        if done:
            want[:, :done] = (mean[:, None] * seen + np.cumsum(x[:, :done], axis=1)) / (seen + np.arange(1, done + 1))
            mean = want[:, done - 1]
        if done < n:
            want[:, done:], _ = signal.lfilter([a], [1.0, a - 1.0], x[:, done:], axis=1, zi=((1 - a) * mean)[:, None])
            mean = want[:, -1]
        seen += n
        if n:
            worst = max(worst, float(np.abs(clutter.static - want).max()))
    assert worst < 1e-13 * 1e5  # to the static phasor's last digits: the moving part (unit noise) is untouched


def test_a_split_line_is_looked_for_only_at_a_frame_peak_with_a_tie_beside() -> None:
    """The engine's shortcut: a split line's bin is some frame's strongest, with frames beside it strong enough."""
    where = np.array([40] + [41] * 11)
    on_bin = np.bincount(where)
    loud, quiet = np.full(12, 35.0, np.float32), np.full(12, 25.0, np.float32)
    # 40 holds one frame and gathers the eleven beside; 41 its own and the one beside.
    assert lines._split_candidates(where, on_bin, loud, 30.0, 9).tolist() == [40, 41]  # noqa: SLF001
    # 41 gathers all twelve as ties, but no frame's strongest is there: no line's bin.
    apart = np.array([40] * 6 + [42] * 6)
    assert lines._split_candidates(apart, np.bincount(apart), loud, 30.0, 9).tolist() == []  # noqa: SLF001
    # Beside frames under the tie level tie on nothing: 41 alone holds its own eleven, and no tie.
    assert lines._split_candidates(where, on_bin, quiet, 30.0, 9).tolist() == []  # noqa: SLF001
    # At the top of the scale a frame's own bin is not steady: its frames count only as ties beside.
    clipped = np.where(where == 41, np.float32(lines.CLIPPED_DB), loud)
    assert lines._split_candidates(where, on_bin, clipped, 30.0, 9).tolist() == [40]  # noqa: SLF001
