"""Someone sitting still: breathing, seen in the slow phase of the echoes.

Why: a person who reads or watches may not move a hand for longer than the
hold, and the Doppler frames cannot show breathing: a chest moves ~1 cm at
0.2-0.3 Hz, a Doppler of ~2 Hz, which the clutter filter (1 Hz corner) and
the smallest speed band (0.03 m/s) leave out. What breathing does change is
the phase of the received tone: the torso's echo turns by 2k·d, radians at
ultrasound, against a static sum that stays put.

How: each mic's baseband is averaged to SLOW_HZ. Over the last WINDOW_S,
its phase relative to the window's mean phasor (the static paths dominate
it, so this is, to first order, the projection of everything that moves),
with a linear trend taken out (air warming up, a slow drift of the room),
is split by frequency: breathing puts that phase's power below
BREATH_BAND_HZ[1]; mic noise, a fan's turbulence, music through the
speaker and a typing hand spread theirs above NOISE_BAND_HZ[0] as well. The
score is the power in the breathing band over what the same bandwidth holds
in the noise band, summed over mics, in dB. Two things that are not
breathing score -inf however strong: a slow phase that does not oscillate
(a door swinging shut, a step of the static paths: the smoothed phase must
cross its mean at least MIN_CROSSINGS times), and a moving part that turns
one way only (another device's tone a hertz or two off the carrier: a
chest comes and goes, so its echo's spectrum holds about as much
approaching as receding, within MIN_BALANCE_DB).

Over still_on_db (Tuning, tuning.py), a window is someone breathing. What
it may do (detector.py): only keep an occupied room occupied, and only
as of the start of the window it saw breathing in, so it never delays
vacancy after someone leaves. Alone it never opens a room; over
settle_still_db, with sustained minor motion, it may (the detector's slow
way in, for someone already seated, whose hands lower the score).
"""

from __future__ import annotations

import functools
import math
from collections import deque
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .tuning import TUNING, Tuning

SLOW_HZ = 20.0
WINDOW_S = 8.0
BREATH_BAND_HZ = (0.1, 2.0)
NOISE_BAND_HZ = (3.0, 9.5)
MIN_CROSSINGS = 2
MIN_BALANCE_DB = -10.0


@dataclass(frozen=True)
class _WindowConstants:
    """What every window of one length and rate shares (made once, not per window: 20 windows a second).

    Each spectrum the score needs is a few dozen bins of a tapered, detrended
    window: one product with a matrix that holds all three (the bins' DFT
    rows, the taper, the projection that takes out the mean and the linear
    trend), instead of a detrend, a taper and a whole FFT per window.
    """

    one_sided: NDArray[np.float64]  # (n, 2·bins): re, im of the breathing and noise bins of u, mean and trend out
    one_sided_bands: NDArray[np.float64]  # (2·bins, 2): the breathing band's sum and the noise band's mean, per mic
    breath_bins: int
    # (2n, 2·bins): the approaching bins, then the receding, of a mean-free window with its trend out, as re then
    # im; it takes the window as interleaved re, im (a view): a real product, faster than numpy's complex one.
    two_sided: NDArray[np.float64]
    two_sided_bands: NDArray[np.float64]  # (2·bins, 2): the approaching bins' sum, the receding bins' sum
    smoother: NDArray[np.float64]  # a one-second moving mean


def _projected(rows: NDArray[np.complex128], x: NDArray[np.float64], mean: bool) -> NDArray[np.complex128]:
    """The (n, k) matrix that gives v @ rows of v with its linear trend along x (and, if mean, its mean) taken out.

    Taking out a least-squares slope along a centred x, and the mean, are orthogonal projections that
    commute, and symmetric: (v·Q) @ rows = v @ (Q·rows).
    """
    out = rows - np.outer(x, x @ rows) / (x @ x)
    if mean:
        out -= np.add.reduce(rows, axis=0, keepdims=True) / len(x)
    return out


def _interleaved(m: NDArray[np.complex128]) -> NDArray[np.float64]:
    """The complex product v @ m as the real one v.view(float64) @ out, whose columns are the result's re, then im."""
    out = np.empty((2 * m.shape[0], 2 * m.shape[1]))
    k = m.shape[1]
    out[0::2, :k], out[0::2, k:] = m.real, m.imag  # a sample's real part
    out[1::2, :k], out[1::2, k:] = -m.imag, m.real  # its imaginary part: j·(a + jb) = -b + ja
    return out


@functools.lru_cache(maxsize=8)
def _window_constants(n: int, slow_hz: float) -> _WindowConstants:
    f = np.fft.rfftfreq(n, 1 / slow_hz)
    g = np.fft.fftfreq(n, 1 / slow_hz)
    breath = np.flatnonzero((f >= BREATH_BAND_HZ[0]) & (f < BREATH_BAND_HZ[1]))
    noise = np.flatnonzero((f >= NOISE_BAND_HZ[0]) & (f < NOISE_BAND_HZ[1]))
    towards = np.flatnonzero((g >= BREATH_BAND_HZ[0]) & (g < BREATH_BAND_HZ[1]))
    away = np.flatnonzero((-g >= BREATH_BAND_HZ[0]) & (-g < BREATH_BAND_HZ[1]))
    x = np.asarray(np.arange(n) - (n - 1) / 2, dtype=np.float64)
    taper = np.hanning(n)[:, None]
    dft = np.exp(-2j * np.pi * (np.outer(np.arange(n), np.arange(n)) % n) / n)  # dft[m, k]: sample m's weight in bin k

    one = _projected(taper * dft[:, np.concatenate([breath, noise])], x, mean=True)
    bands = np.zeros((len(breath) + len(noise), 2))
    bands[: len(breath), 0] = 1.0
    bands[len(breath) :, 1] = 1.0 / max(1, len(noise))
    sides = np.zeros((len(towards) + len(away), 2))
    sides[: len(towards), 0] = 1.0
    sides[len(towards) :, 1] = 1.0
    constants = _WindowConstants(
        one_sided=np.ascontiguousarray(np.concatenate([one.real, one.imag], axis=1)),
        one_sided_bands=np.concatenate([bands, bands]),  # re² and im² add up to each bin's power
        breath_bins=len(breath),
        two_sided=_interleaved(_projected(taper * dft[:, np.concatenate([towards, away])], x, mean=False)),
        two_sided_bands=np.concatenate([sides, sides]),
        smoother=np.ones(int(slow_hz)) / int(slow_hz),
    )
    for value in vars(constants).values():
        if isinstance(value, np.ndarray):
            value.flags.writeable = False  # shared by every window: nobody may change them
    return constants


def window_features(slow: NDArray[np.complex128], slow_hz: float) -> tuple[float, int, float]:
    """One window, (mics, samples) complex at slow_hz: (breathing band over noise dB, crossings, balance dB)."""
    n = slow.shape[1]
    ref = (np.add.reduce(slow, axis=1) / n)[:, None]
    if not np.abs(ref).min() > 0:  # NaN too
        return -math.inf, 0, -math.inf  # no tone: nothing to see
    c = _window_constants(n, slow_hz)
    p = slow * np.conj(ref)
    u = np.arctan2(p.imag, p.real)  # np.angle's values, without its wrapper
    # The breathing and noise bins of each mic's phase, mean and linear trend (drift) out, tapered; as re, im.
    z = u @ c.one_sided
    per_mic = np.multiply(z, z, out=z) @ c.one_sided_bands  # (mics, 2): breathing band's sum, noise band's mean
    breath, noise = np.add.reduce(per_mic, axis=0).tolist()
    floor = noise * c.breath_bins
    ratio_db = 10 * math.log10(breath / floor + 1e-30) if floor > 0 else -math.inf
    # Oscillation is judged before the detrend, which would make a step or a swing cross its line twice.
    strong = u[per_mic[:, 0].argmax()]
    smooth = np.convolve(strong - np.add.reduce(strong) / n, c.smoother, mode="valid")
    side = np.sign(smooth - np.add.reduce(smooth) / len(smooth))
    crossings = int(np.count_nonzero(side[1:] != side[:-1]))
    # A chest comes and goes: its echo turns both ways, and the moving part's spectrum holds as much
    # approaching as receding. Another device's tone a hertz or two off the carrier turns one way only.
    w = np.subtract(slow, ref).view(np.float64) @ c.two_sided
    towards, away = np.add.reduce(np.multiply(w, w, out=w) @ c.two_sided_bands, axis=0).tolist()
    balance_db = 10 * math.log10(min(towards, away) / max(towards, away)) if min(towards, away) > 0 else -math.inf
    return ratio_db, crossings, balance_db


def slow_phase_score(slow: NDArray[np.complex128], slow_hz: float) -> float:
    """Breathing's score of one window, (mics, samples) complex at slow_hz: dB, or -inf where it is not breathing."""
    ratio_db, crossings, balance_db = window_features(slow, slow_hz)
    if crossings < MIN_CROSSINGS or balance_db < MIN_BALANCE_DB:
        return -math.inf
    return ratio_db


class StillnessMeter:
    """Streaming: raw baseband in (any block split), the score of the window ending at each time out.

    Every slow sample ends a window; score_at(t) answers with the last window
    that had ended by t, so a frame never hears of samples after its own end.
    The meter keeps its own clock, in baseband samples from the start of the
    stream. A block that starts later than the clock says follows samples
    the meter never heard (the tone was off, or the demodulator's start-up
    transient was dropped): the window starts over at the block.
    """

    def __init__(self, baseband_rate_hz: float, channels: int) -> None:
        self.rate_hz = baseband_rate_hz
        self.per = max(1, round(baseband_rate_hz / SLOW_HZ))
        self.slow_hz = baseband_rate_hz / self.per
        self.size = round(WINDOW_S * self.slow_hz)
        self.channels = channels
        self._clock = 0  # stream sample of _partial's first
        self._partial = np.zeros((channels, 0), dtype=np.complex128)
        self._scores: deque[tuple[float, float]] = deque()
        self.restart()

    @property
    def next_sample(self) -> int:
        """The stream sample the next block starts at, unless it says otherwise."""
        return self._clock + self._partial.shape[1]

    def restart(self, ignore_samples: int = 0) -> None:
        """A new stream, or the tone switched: the window and its scores start over, after ignore_samples more."""
        self._start_window(self.next_sample)
        self._ignore = ignore_samples
        self._scores.clear()
        self._score = math.nan  # nan until a whole window was seen

    def _start_window(self, sample: int) -> None:
        """The window starts over at stream sample `sample`: nothing heard before it counts."""
        self._clock = sample
        self._partial = self._partial[:, :0]
        self._slow = np.zeros((self.channels, 0), dtype=np.complex128)

    def push(self, baseband: NDArray[np.complex128], start_sample: int | None = None) -> None:
        """baseband: (channels, samples) starting at stream sample start_sample (None: right after the last)."""
        if start_sample is not None and start_sample != self.next_sample:
            self._start_window(start_sample)
        if self._ignore:
            drop = min(self._ignore, baseband.shape[1])
            self._ignore -= drop
            self._start_window(self.next_sample + drop)
            baseband = baseband[:, drop:]
        x = np.concatenate([self._partial, baseband], axis=1) if self._partial.shape[1] else baseband
        count = x.shape[1] // self.per
        means = np.add.reduce(x[:, : count * self.per].reshape(self.channels, count, self.per), axis=2) / self.per
        slow = np.concatenate([self._slow, means], axis=1)
        first = self._slow.shape[1]
        for j in range(max(first, self.size - 1), slow.shape[1]):
            end = self._clock + (j - first + 1) * self.per
            self._scores.append(
                (end / self.rate_hz, slow_phase_score(slow[:, j + 1 - self.size : j + 1], self.slow_hz))
            )
        self._slow = slow[:, -(self.size - 1) :]
        self._clock += count * self.per
        self._partial = x[:, count * self.per :].copy()  # x may be the caller's block

    def score_at(self, t_s: float) -> float:
        """The score of the last window that ended by t_s (nan: none since the last restart)."""
        while self._scores and self._scores[0][0] <= t_s + 1e-9:
            self._score = self._scores.popleft()[1]
        return self._score


def still_since(t_s: float, score_db: float, tuning: Tuning = TUNING) -> float | None:
    """From when a still person was there (the window's start), if the window ending at t_s saw one."""
    return t_s - WINDOW_S if score_db >= tuning.still_on_db else None
