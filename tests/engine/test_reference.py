"""Music's distortion removed with what the mics hear of the music (engine/reference.py, demodulate.AudibleBand)."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest
from scipy import signal

from custom_components.uspd.engine import reference
from custom_components.uspd.engine.demodulate import AudibleBand, Demodulator
from custom_components.uspd.engine.pipeline import Engine, EngineConfig
from custom_components.uspd.engine.rates import plan_baseband
from custom_components.uspd.engine.tuning import TUNING

FS, FC = 96000, 40000.0
ON = dataclasses.replace(TUNING, music_reference=True)  # off as shipped (Tuning.music_reference)
RATE = plan_baseband(FS, FC).baseband_rate_hz


def _bass(t: np.ndarray, rng: np.random.Generator, beat_s: float = 0.45) -> tuple[np.ndarray, np.ndarray]:
    """A bass line: its excursion x(t) (a note per beat, swelling and fading) and the pressure it makes, ẍ."""
    idx = (t // beat_s).astype(int)
    f = rng.uniform(40.0, 150.0, idx.max() + 1)[idx]
    phase = rng.uniform(0, 2 * np.pi, idx.max() + 1)[idx]
    env = np.sin(np.pi * (t - idx * beat_s) / beat_s) ** 2
    x = env * np.sin(2 * np.pi * f * t + phase)
    dt = t[1] - t[0]
    return x, np.gradient(np.gradient(x, dt), dt) / (2 * np.pi * 100.0) ** 2


def _scene(
    mics: int, seconds: float, seed: int, music: bool = True, walker: bool = True, echo_delay_s: float = 0.012
) -> tuple[np.ndarray, np.ndarray]:
    """Baseband and audible band of a room where music plays through the speaker (−15 dBc) and a walker comes.

    The distortion rides the direct path and a wall echo 20 dB down and echo_delay_s later, in unlike
    proportions at each mic; the mics hear the music through a 40 Hz roll-off, at −40 dBFS for a 100 Hz
    note, over noise. The walker is a line at +250 Hz, 60 dB under the direct path, from half the scene on.
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    x, p = _bass(t, rng)
    late, _ = _bass(t - echo_delay_s, np.random.default_rng(seed))
    beta = 2 * 10 ** (-15 / 20) if music else 0.0
    direct = np.exp(2j * np.pi * rng.uniform(size=mics))[:, None]
    echo = 0.1 * np.exp(2j * np.pi * rng.uniform(size=mics))[:, None]
    y = direct * np.exp(1j * beta * x)[None, :] + echo * np.exp(1j * beta * late)[None, :]
    if walker:
        on = t >= seconds / 2
        y = y + 1e-3 * on * np.exp(2j * np.pi * (250.0 * t[None, :] + rng.uniform(size=(mics, 1))))
    y = y + 1e-5 * (rng.standard_normal(y.shape) + 1j * rng.standard_normal(y.shape))
    b, a = signal.butter(1, 40.0 / (RATE / 2), "high")
    heard = 0.01 * signal.lfilter(b, a, p) if music else np.zeros(n)
    return y, heard + 1e-6 * rng.standard_normal(n)


def _powers(mics: int, y: np.ndarray, audible: np.ndarray | None, block: int = 400) -> np.ndarray:
    engine = Engine(EngineConfig(FS, FC, mics, tuning=ON))
    out = []
    for i in range(0, y.shape[1], block):
        part = None if audible is None else audible[i : i + block]
        out += [r.frame.power for r in engine.process_baseband(y[:, i : i + block], part)]
    return np.asarray(out)


@pytest.mark.parametrize("mics", [1, 2])
def test_music_through_the_speaker_drops_15_db_more_and_a_walker_keeps_its_echo(mics: int) -> None:
    y, audible = _scene(mics, 16.0, seed=mics)
    quiet, _ = _scene(mics, 16.0, seed=mics, music=False)
    cancelled = _powers(mics, y, audible)
    left = _powers(mics, y, None)
    alone = _powers(mics, quiet, None)
    half = len(cancelled) // 2
    # Music alone, once the fit has seen a few seconds of it: what is left of it against what was there.
    music_drop_db = 10 * np.log10(cancelled[half // 2 : half].sum() / left[half // 2 : half].sum())
    assert music_drop_db < -15.0
    # The walker's bins after it arrives: with the music cancelled against the same room without music.
    speeds = Engine(EngineConfig(FS, FC, mics, tuning=ON)).framer.freqs_hz
    bins = np.abs(speeds - 250.0) < 40.0
    kept_db = 10 * np.log10(cancelled[half + 8 :, bins].sum() / alone[half + 8 :, bins].sum())
    assert abs(kept_db) < 1.0


def test_the_late_references_take_the_distortion_s_wall_echo(monkeypatch: pytest.MonkeyPatch) -> None:
    """An echo of the distortion 25 ms late: x̂ that late among the references takes 3 dB more of the music."""
    y, audible = _scene(1, 16.0, seed=5, walker=False, echo_delay_s=0.025)
    before = _powers(1, y, None)[160:].sum()
    with_echoes = _powers(1, y, audible)[160:].sum() / before
    monkeypatch.setattr(reference, "ECHO_DELAYS_S", ())
    without = _powers(1, y, audible)[160:].sum() / before
    assert 10 * np.log10(without / with_echoes) > 3.0


def test_a_silent_audible_band_changes_nothing_and_the_result_is_the_same_whatever_the_blocks() -> None:
    y, audible = _scene(2, 8.0, seed=3)
    plain = _powers(2, y, None)
    assert np.array_equal(plain, _powers(2, y, np.zeros(y.shape[1])))
    # The same up to rounding, which the fit's solve amplifies from ~1e-13 (the stages before it) to ~1e-8;
    # empty and one-sample blocks included.
    a, b = _powers(2, y, audible, block=400), _powers(2, y, audible, block=133)
    assert (np.abs(a - b).max(axis=1) / a.max(axis=1)).max() < 1e-6
    engine = Engine(EngineConfig(FS, FC, 2, tuning=ON))
    cuts = np.cumsum(np.resize([0, 1, 57, 0, 900, 3], 2000))
    cuts = np.unique(np.concatenate([[0], cuts[cuts < y.shape[1]], [y.shape[1]]]))
    odd = []
    for lo, hi in itertools.pairwise(cuts):
        odd += [r.frame.power for r in engine.process_baseband(y[:, lo:lo], audible[lo:lo])]  # an empty block
        odd += [r.frame.power for r in engine.process_baseband(y[:, lo:hi], audible[lo:hi])]
    assert (np.abs(a - np.asarray(odd)).max(axis=1) / a.max(axis=1)).max() < 1e-6


def test_the_audible_band_lines_up_with_the_baseband_and_keeps_only_the_bass() -> None:
    plan = plan_baseband(FS, FC)
    n = int(1.0 * FS)
    t = np.arange(n) / FS
    band = AudibleBand(plan)
    assert band.delay_s == pytest.approx(Demodulator(plan, 1).delay_s)
    lag = round(band.delay_s * RATE)
    skip = int(0.1 * RATE)

    def through(f: float, amp: float = 0.5) -> np.ndarray:
        band.reset()
        return band.process(np.stack([amp * np.cos(2 * np.pi * f * t)] * 2, axis=1))

    got = through(100.0)[skip + lag :]
    want = 0.5 * np.cos(2 * np.pi * 100.0 * (skip + np.arange(len(got))) / RATE)
    assert np.abs(got - want).max() < 0.01
    # Speech's upper band and the tone itself are gone.
    assert np.abs(through(2500.0)[skip:]).max() < 0.5 * 1e-4
    assert np.abs(through(FC)[skip:]).max() < 0.5 * 1e-5


def test_as_shipped_the_engine_takes_no_audible_band() -> None:
    """Tuning.music_reference is off: demodulation makes no band, and a band handed in changes nothing."""
    y, audible = _scene(2, 4.0, seed=6)
    engine = Engine(EngineConfig(FS, FC, 2))
    assert engine.demodulate(np.zeros((4800, 2)))[1] is None
    plain = [r.frame.power for r in Engine(EngineConfig(FS, FC, 2)).process_baseband(y)]
    given = [r.frame.power for r in engine.process_baseband(y, audible)]
    assert np.array_equal(plain, given)
