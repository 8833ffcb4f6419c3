"""Doppler spectrogram frames, noise-normalised, from clutter-free baseband.

Frame layout (the classifier's input): ``window`` bins, fftshifted so bin
``window // 2`` is 0 Hz, negative Doppler (receding) left of it and positive
(approaching) right; ``window`` is chosen in rates.py so a bin is ~0.14 m/s
of radial speed at any carrier (128 points, 31.25 Hz at 40 kHz). The
multi-mic canceller works on each frame's spectra before the mics are
averaged. Values are 10·log10(power / noise floor) of the mean over
microphones: noise alone reads ~0 dB on average.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .canceller import SpeakerDistortionCanceller
from .reference import SILENT_DBFS, ReferenceCanceller, reference_count

# The noise floor is each bin's mean power over ~FLOOR_MEAN_S, fed only by
# values within FLOOR_GATE_DB of it, so motion does not raise it; a bin held
# above the gate (a genuinely louder room) creeps up FLOOR_RISE_DB_PER_S.
FLOOR_MEAN_S = 2.0
FLOOR_GATE_DB = 10.0
FLOOR_RISE_DB_PER_S = 1.0 / 3.0
_TINY = 1e-30


@dataclass(frozen=True)
class DopplerFrame:
    """One analysis frame's Doppler spectrum, over the noise floor and on the Doppler frequency axis."""

    t_s: float  # end of the frame, seconds from the start of the stream
    power: NDArray[np.float64]  # (window,) mean power over mics, fftshifted
    ratio: NDArray[np.float64]  # (window,) power over the noise floor, linear
    normalized_db: NDArray[np.float64]  # (window,) the same in dB: the classifier's input
    freqs_hz: NDArray[np.float64]  # (window,) Doppler frequency of each bin


class NoiseFloor:
    """Per-bin noise floor: a censored running mean of power (kept in dB).

    A fall-fast/rise-slow tracker would settle at a low quantile of the noise
    (tens of dB under its mean for 256 bins' worth of chances); a mean that
    ignores values far above it settles on the noise itself. Cold start: the
    mean of the first SEED_FRAMES frames (the demodulator's start-up
    transient never reaches here). A floor that went non-finite (a NaN among
    the seed frames would stay for good) starts over: the engine cleans its
    input, this is the stage's own guard.
    """

    SEED_FRAMES = 6

    def __init__(self, hop_s: float) -> None:
        self._alpha = 1.0 - float(np.exp(-hop_s / FLOOR_MEAN_S))
        self._gate = 10 ** (FLOOR_GATE_DB / 10)
        self._creep = 10 ** (FLOOR_RISE_DB_PER_S * hop_s / 10)
        self._power: NDArray[np.float64] | None = None
        self._seen = 0

    @property
    def power(self) -> NDArray[np.float64] | None:
        """The floor, linear power per bin."""
        return self._power

    def reset(self) -> None:
        """Forget the floor: the next frame seeds it anew."""
        self._power = None
        self._seen = 0

    def update(self, power: NDArray[np.float64]) -> NDArray[np.float64]:
        """power: one frame's linear power per bin; returns the floor, linear."""
        self._seen += 1
        if self._power is None:
            floor = power.copy()
        elif self._seen <= self.SEED_FRAMES:
            floor = self._power + (power - self._power) / self._seen
        else:
            # The same values as np.where(quiet, floor + alpha·(power - floor), floor·creep), in fewer arrays.
            floor = self._power * self._creep
            follow = power - self._power
            follow *= self._alpha
            follow += self._power
            np.copyto(floor, follow, where=power < self._power * self._gate)
        if not math.isfinite(float(np.add.reduce(floor))):  # any NaN or Inf makes the sum so
            # Start over: this frame's finite part stands in until the next frame seeds the floor afresh.
            self._power = np.where(np.isfinite(power), power, 0.0)
            self._seen = 0
            return self._power
        self._power = floor
        return floor


class DopplerFramer:
    """Baseband (mics × samples) → DopplerFrame every ``hop`` samples.

    The framer keeps its own clock, in baseband samples from the start of the
    stream: a frame's time is where its window ends. A block that starts
    later than the clock says follows samples the framer never saw (the
    demodulator's start-up transient, dropped): no frame spans them.
    """

    def __init__(self, window: int, hop: int, baseband_rate_hz: float, channels: int, music: bool = False) -> None:
        self.window = window
        self.hop = hop
        self.rate_hz = baseband_rate_hz
        taper = np.hanning(window + 2)[1:-1]
        if window % 2:
            raise ValueError(f"a Doppler window of {window} samples: rates.py makes it a power of two")
        # Power normalised so a unit phasor in one bin reads 1; and (-1)^n, which moves the spectrum by
        # half the (even) window: the FFT comes out fftshifted (0 Hz in the middle), with no roll after it.
        self._taper = taper / taper.sum() * (1 - 2 * (np.arange(window) % 2))
        self.freqs_hz = np.fft.fftshift(np.fft.fftfreq(window, 1.0 / baseband_rate_hz))
        self._buf = np.zeros((channels, 0), dtype=np.complex128)
        self._static = np.zeros((channels, 0), dtype=np.complex128)
        self.canceller = SpeakerDistortionCanceller(channels)
        # music (Tuning.music_reference): what the speaker plays is taken out first (reference.py).
        self.music = ReferenceCanceller(hop / baseband_rate_hz, channels, window) if music else None
        # What the speaker plays, lined up with _buf (reference.SpeakerReferences: the gate's row, then the references).
        self._refs = np.zeros((1 + reference_count() if music else 0, 0), dtype=np.float64)
        self._silent = window * 10 ** (SILENT_DBFS / 10)
        self._consumed = 0  # stream sample of _buf's first
        self.floor = NoiseFloor(hop / baseband_rate_hz)

    @property
    def next_sample(self) -> int:
        """The stream sample the next block starts at, unless it says otherwise."""
        return self._consumed + self._buf.shape[1]

    def _frames[T: (np.float64, np.complex128)](self, x: NDArray[T], count: int) -> NDArray[T]:
        """(rows, count, window): a read-only view of x's first count frames, hop apart (x C-contiguous).

        Made by the array constructor: as_strided's Python costs more than the frames' arithmetic.
        """
        mics, step = x.strides
        view: NDArray[T] = np.ndarray(
            (x.shape[0], count, self.window), x.dtype, buffer=x, strides=(mics, self.hop * step, step)
        )
        view.flags.writeable = False
        return view

    def _without_music(self, spectra: NDArray[np.complex128], count: int) -> NDArray[np.complex128]:
        """The spectra less what the speaker's music predicts (reference.ReferenceCanceller); as they are in silence."""
        if self.music is None:
            return spectra
        refs = self._frames(self._refs, count)
        loud = np.add.reduce(refs[0], axis=1) > self._silent
        if not loud.any():
            self.music.skip(count)
            return spectra
        segs = refs[1:] - np.add.reduce(refs[1:], axis=2, keepdims=True) / self.window
        return self.music.process(spectra, np.fft.fft(segs * self._taper, axis=2), loud)

    def reset(self) -> None:
        """A new stream: its clock starts at zero, the noise floor and the music's fit afresh."""
        self._buf = self._buf[:, :0]
        self._static = self._static[:, :0]
        self._refs = self._refs[:, :0]
        if self.music is not None:
            self.music.reset()
        self._consumed = 0
        self.floor.reset()

    def process(
        self,
        x: NDArray[np.complex128],
        static: NDArray[np.complex128],
        start_sample: int | None = None,
        references: NDArray[np.float64] | None = None,
    ) -> list[DopplerFrame]:
        """x: clutter-free baseband; static: the static phasors it was taken from (both mics × samples).

        start_sample: the stream sample x starts at (None: right after the last block). references: what
        reference.SpeakerReferences made of the same samples' audible band (None: none heard, a silent band).
        """
        if start_sample is not None and start_sample != self.next_sample:
            self._buf = self._buf[:, :0]
            self._static = self._static[:, :0]
            self._refs = self._refs[:, :0]
            self._consumed = start_sample
        self._buf = np.concatenate([self._buf, x], axis=1)
        self._static = np.concatenate([self._static, static], axis=1)
        if self.music is not None:
            if references is None:
                references = np.zeros((self._refs.shape[0], x.shape[1]))
            self._refs = np.concatenate([self._refs, references], axis=1)
        count = (self._buf.shape[1] - self.window) // self.hop + 1
        if count <= 0:
            return []
        segs = self._frames(self._buf, count)
        # What clutter removal has not yet absorbed (a static path that just
        # changed, an AGC drifting) is ~constant over one frame; a window would
        # leak it into bins ±1 at −6 dB, the heart of the minor-motion band.
        # A whole-cycle Doppler component has zero mean and is untouched.
        segs = segs - np.add.reduce(segs, axis=2, keepdims=True) / self.window
        spectra = np.fft.fft(segs * self._taper, axis=2)  # fftshifted by the taper's sign
        spectra = self._without_music(spectra, count)
        total = np.add.reduce(spectra.real**2 + spectra.imag**2, axis=0)  # (frames, window), over mics
        if self.canceller.enabled:
            cancelled = self.canceller.process(
                spectra, np.add.reduce(self._frames(self._static, count), axis=2) / self.window, total
            )
            if cancelled is not spectra:
                spectra, total = cancelled, np.add.reduce(cancelled.real**2 + cancelled.imag**2, axis=0)
        power = total / spectra.shape[0]
        # The floor moves frame by frame; the ratios and their dB are then one operation for the block.
        floors = np.empty_like(power)
        for i in range(count):
            floors[i] = self.floor.update(power[i])
        ratio = power / (floors + _TINY)
        normalized_db = 10 * np.log10(ratio + _TINY)
        frames = [
            DopplerFrame(
                t_s=(self._consumed + i * self.hop + self.window) / self.rate_hz,
                power=power[i],
                ratio=ratio[i],
                normalized_db=normalized_db[i],
                freqs_hz=self.freqs_hz,
            )
            for i in range(count)
        ]
        drop = count * self.hop
        self._buf = self._buf[:, drop:]
        self._static = self._static[:, drop:]
        if self.music is not None:
            self._refs = self._refs[:, drop:]
        self._consumed += drop
        return frames
