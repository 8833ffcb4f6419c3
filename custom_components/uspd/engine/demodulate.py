"""Streaming demodulation of each microphone to complex baseband around the carrier.

Mixing is folded into the first decimating FIR (taps h[i]·e^{jωi}, with the
oscillator applied only at that stage's output rate), so the full-rate audio
is touched once, by one real matrix product. Both stages keep exact history,
so the output does not depend on how the audio was cut into blocks. The
oscillator is an exact integer phase, carrier·n mod rate in units of
2π/rate, advanced by a fixed step per stage-1 output: it never drifts over
days of streaming. Its period is kept as a table only where it is short
(MAX_PHASOR_TABLE: every whole-hertz carrier at 48, 96, 192 and 384 kHz;
about half of them in the 44.1 kHz family, where the rest compute each
phasor), so what it holds never grows with the rate (a whole period would
take 320 MB at 20,000,003 Hz). The
stop band (>= 100 dB) is where privacy is enforced: everything farther than
the baseband's half-width from the carrier, the whole audible band included,
is gone after this stage. The one exception is off as shipped:
``AudibleBand``, the mics' mean below 1 kHz, made only where
Tuning.music_reference turns on reference.py (in memory, never stored).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import signal

from .rates import BasebandPlan
from .reference import REFERENCE_CUTOFF_HZ

STOPBAND_DB = 100.0
MAX_PHASOR_TABLE = 1 << 14  # phasors kept for one period of the oscillator, at most (256 KB)
PASSBAND_FRACTION = 0.4  # of the final baseband rate, each side of the carrier
MAX_PHASES = 4  # a polyphase stage's phases, at most (FirDecimator)


def _lowpass(rate_hz: float, pass_hz: float, stop_hz: float) -> NDArray[np.float64]:
    numtaps, beta = signal.kaiserord(STOPBAND_DB, (stop_hz - pass_hz) / (rate_hz / 2))
    taps = signal.firwin(numtaps, (pass_hz + stop_hz) / 2, window=("kaiser", beta), fs=rate_hz)
    return np.asarray(taps, dtype=np.float64)


class FirDecimator:
    """y[k] = sum_i taps[i]·x[kD - i] for every k, block by block, with exact history."""

    def __init__(self, taps: NDArray[np.generic], factor: int, channels: int, dtype: type) -> None:
        # Complex input through real taps (the later stages) is 2·channels real rows, its real and imaginary
        # parts: every stage is then one real polyphase product (numpy's own loop over strided complex
        # windows cost the second stage more than the first's full-rate product).
        self._split = np.dtype(dtype).kind == "c"
        if self._split and np.iscomplexobj(taps):
            raise ValueError("complex input takes real taps")
        self.taps = np.ascontiguousarray(taps[::-1])
        self.factor = factor
        # Polyphase, every stage on real rows: windows D apart overlap, and numpy's matmul cannot hand
        # overlapping rows to BLAS (its own loop is ~2x slower here). Cut into rows of S = C·D samples
        # instead (a view), each row gives C outputs: output c of row m sums, over P phases q, row m+q
        # times the matrix [r, q, c, part] = taps[q·S + r - c·D] (zero off the taps; part: re, im, so a
        # complex output comes out as numpy lays complex numbers out).
        # C is the fewest that leaves at most MAX_PHASES: one product with a long enough inner dimension
        # for BLAS, and a short sum after it (rows of D alone left the second stage 33 phases of 2).
        for outputs in range(1, len(self.taps) + 1):
            phases = -(-(len(self.taps) + (outputs - 1) * factor) // (outputs * factor))
            if phases <= MAX_PHASES:
                break
        self._outputs, self._phases, self._row = outputs, phases, outputs * factor
        parts = [self.taps.real, self.taps.imag] if np.iscomplexobj(taps) else [self.taps]
        matrix = np.zeros((self._row, phases, outputs, len(parts)), dtype=np.float64)
        r, q, c = np.meshgrid(np.arange(self._row), np.arange(phases), np.arange(outputs), indexing="ij")
        i = q * self._row + r - c * factor
        on = (i >= 0) & (i < len(self.taps))
        for part, values in enumerate(parts):
            matrix[r[on], q[on], c[on], part] = values[i[on]]
        self._polyphase = matrix.reshape(self._row, -1)
        rows = 2 * channels if self._split else channels
        # The last row's phases reach past the last window by less than two rows, all on zero taps.
        self._tail = np.zeros((rows, 2 * self._row), dtype=np.float64)
        self._history = np.zeros((rows, len(taps) - 1), dtype=np.float64)
        self._phase = 0  # index, in the next block, of the next output's newest sample

    def reset(self) -> None:
        """Forget the history: the next block starts from zeros."""
        self._history[:] = 0
        self._phase = 0

    def process(self, x: NDArray[Any]) -> NDArray[Any]:
        """The decimated outputs this block completes, (channels, outputs): complex unless input and taps are real."""
        if not self._split:
            return self._process_polyphase(np.asarray(x, dtype=np.float64))
        y = self._process_polyphase(np.concatenate([x.real, x.imag]))
        out = np.empty((y.shape[0] // 2, y.shape[1]), dtype=np.complex128)
        out.real, out.imag = y[: len(out)], y[len(out) :]
        return out

    def _process_polyphase(self, x: NDArray[np.float64]) -> NDArray[Any]:
        """Real rows in, y[k] = sum_i taps[i]·x[kD - i] out: the direct sums in another order (float64 rounding)."""
        n, length, factor = x.shape[1], len(self.taps), self.factor
        buf = np.concatenate([self._history, x, self._tail], axis=1)
        total = self._history.shape[1] + n
        self._history = buf[:, n:total].copy()
        start = self._phase
        count = max(0, -(-(total - length + 1 - start) // factor))
        self._phase += count * factor - n
        channels, outputs, phases, row = buf.shape[0], self._outputs, self._phases, self._row
        whole = -(-count // outputs)  # rows whose outputs are wanted (the last one's perhaps not all)
        rows = whole + phases - 1
        cut = buf[:, start : start + rows * row].reshape(channels * rows, row)
        nc = 2 if np.iscomplexobj(self.taps) else 1
        z = (cut @ self._polyphase).reshape(channels, rows, phases, outputs, nc)
        # Row m's outputs sum z[:, m + q, q] over q: a view whose phase axis steps one row on too, summed in
        # one call; made by the array constructor on the product's own buffer (as_strided's Python costs more).
        c, m, q, o, part = z.strides
        diagonal = np.ndarray((channels, whole, phases, outputs, nc), z.dtype, buffer=z, strides=(c, m, m + q, o, part))
        # A fresh array laid out (channels, rows, C, re and im): complex numbers' own layout, so a view.
        y: NDArray[np.float64] = np.add.reduce(diagonal, axis=2)
        out: NDArray[Any] = (y.view(np.complex128) if nc == 2 else y).reshape(channels, -1)[:, :count]
        return out


def _stages(plan: BasebandPlan) -> list[tuple[NDArray[np.float64], float, int]]:
    """The decimating low-passes, first to last: (taps, the rate they run at, the factor they decimate by)."""
    fs = plan.audio_rate_hz
    final = plan.baseband_rate_hz
    pass_hz = PASSBAND_FRACTION * final
    first, *rest = plan.stage_factors
    rate = fs / first
    # Stage 1 only has to keep aliases out of what stage 2 passes.
    stages = [(_lowpass(fs, pass_hz, rate - pass_hz if rest else final - pass_hz), float(fs), first)]
    for factor in rest:
        stages.append((_lowpass(rate, pass_hz, rate / factor - pass_hz), rate, factor))
        rate /= factor
    return stages


def _delay_s(stages: list[tuple[NDArray[np.float64], float, int]]) -> float:
    """The stages' group delay, seconds."""
    delay = 0.0
    for taps, rate, _ in stages:
        delay += (len(taps) - 1) / 2 / rate
    return delay


class Demodulator:
    """Audio (frames × mics, float) → complex baseband (mics × samples)."""

    def __init__(self, plan: BasebandPlan, channels: int) -> None:
        self.plan = plan
        fs = plan.audio_rate_hz
        omega = 2 * np.pi * plan.carrier_hz / fs
        stages = _stages(plan)
        (h1, _, first), *rest = stages
        self.delay_s = _delay_s(stages)
        # Scale 2: a tone of amplitude A at the carrier becomes |y| = A.
        g1 = 2 * h1 * np.exp(1j * omega * np.arange(len(h1)))
        self._stage1 = FirDecimator(g1, first, channels, np.float64)
        self._later = [FirDecimator(h, factor, channels, np.complex128) for h, _, factor in rest]
        # Outputs before the filters' histories fill come from implicit zeros.
        self.settle_samples = int(np.ceil(2 * self.delay_s * plan.baseband_rate_hz)) + 1
        # rates.py makes the carrier whole hertz, so the phase is exact in integers.
        self._rate = int(fs)
        self._phase_step = (round(plan.carrier_hz) * first) % self._rate  # per stage-1 output
        self._phase = 0  # the next stage-1 output, counted from the stream's start, mod the period below
        # The phasors repeat every rate/gcd(step, rate) outputs (at most rate/first for a whole-hertz carrier
        # where first divides the rate: 8000 at 96 kHz): where that is short, one period is made once and read,
        # the same values as exp of the same phases; a period of one is all ones (a carrier the first stage's
        # rate divides).
        self._period = self._rate // math.gcd(self._phase_step, self._rate)
        self._phasors = (
            self._oscillator(np.arange(self._period, dtype=np.int64)) if self._period <= MAX_PHASOR_TABLE else None
        )

    def _oscillator(self, outputs: NDArray[np.int64]) -> NDArray[np.complex128]:
        """The mixing phasors at these stage-1 outputs (counted from the stream's start, mod the period)."""
        phases: NDArray[np.int64] = (self._phase_step * outputs) % self._rate
        phasors: NDArray[np.complex128] = np.exp((-2j * np.pi / self._rate) * phases)
        return phasors

    def reset(self) -> None:
        """Forget the filters' history and the oscillator's phase: the next block starts a new stream."""
        self._stage1.reset()
        for stage in self._later:
            stage.reset()
        self._phase = 0

    def process(self, audio: NDArray[np.floating]) -> NDArray[np.complex128]:
        """The baseband samples this block of audio completes."""
        x = np.asarray(audio, dtype=np.float64).T
        y = self._stage1.process(x)
        n = y.shape[1]
        if self._phasors is None:
            y = y * self._oscillator(np.arange(n, dtype=np.int64) + self._phase)
        elif self._period > 1:
            y = y * self._phasors.take(np.arange(self._phase, self._phase + n), mode="wrap")
        self._phase = (self._phase + n) % self._period
        for stage in self._later:
            y = stage.process(y)
        return np.asarray(y, dtype=np.complex128)


class AudibleBand:
    """Audio (frames × mics) → the mics' mean below ``cutoff_hz`` at the baseband rate, (samples,).

    For reference.SpeakerReferences. Its stages are as long as the
    demodulator's (the same delays, so its samples line up with the
    baseband's), the last one's cut-off moved down to ``cutoff_hz``: where
    the demodulator keeps 0.4 of the baseband rate around the carrier, this
    keeps the bass and drops most of speech. Nothing mixes: the band is
    taken where it is.
    """

    def __init__(self, plan: BasebandPlan, cutoff_hz: float = REFERENCE_CUTOFF_HZ) -> None:
        stages = _stages(plan)
        self.delay_s = _delay_s(stages)
        # The last stage narrowed: as many taps, its cut-off moved down (the transition band keeps its width).
        h, r, factor = stages[-1]
        beta = signal.kaiser_beta(STOPBAND_DB)
        narrow = signal.firwin(len(h), min(cutoff_hz, 0.5 * r), window=("kaiser", beta), fs=r)
        stages[-1] = (np.asarray(narrow, dtype=np.float64), r, factor)
        self._stages = [FirDecimator(h, factor, 1, np.float64) for h, _, factor in stages]

    def reset(self) -> None:
        """Forget the filters' history: the next block starts a new stream."""
        for stage in self._stages:
            stage.reset()

    def process(self, audio: NDArray[np.floating]) -> NDArray[np.float64]:
        """The band's samples this block of audio completes."""
        y = np.asarray(audio, dtype=np.float64).mean(axis=1)[None, :]
        for stage in self._stages:
            y = stage.process(y)
        return np.asarray(y[0], dtype=np.float64)
