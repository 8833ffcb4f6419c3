"""How much of a frame's walking band the speaker itself put there: the mirror-bin pairs' coherent share.

Music moving the sensing speaker's cone modulates the tone by a real signal
x(t) on every path it takes: S·(jβ + γ)·x(t). A real signal's spectrum is
conjugate-symmetric, so in each pair of mirror Doppler bins (+f, −f) the
distortion keeps a fixed complex ratio X(+f) / X(−f)* = H(+f)·c / (H(−f)·c)*
(H: the static paths' sum, each with its own delay; c = jβ + γ) whatever the note, on
one mic as on several. A person's echo at +f has no partner at −f. So per
mic and walking-band pair, the pair (X(+f), X(−f)*) is tracked over
MEMORY_S; where it has been coherent (COHERENCE), the speaker's power in
the frame's pair is what its quieter side predicts for both through their
learned power ratio (an echo on one side raises only that side). The share
is that over the walking band's whole power (mics and pairs together):
about 0 for a walker or a fan alone, near 1 where music's sidebands fill
the band, and the music's part where a walker stands out of it.

A lab measure, read by lab/why_missed.py on scenes with music: the engine
does not use it. It measures, it does not cancel: taking that component out
of the spectra leaves a residual (the estimate's noise, higher-order
sidebands) that the network was never trained on.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from custom_components.uspd.engine.bands import MAJOR_BAND_MPS
from custom_components.uspd.engine.canceller import SpeakerDistortionCanceller
from custom_components.uspd.engine.pipeline import Engine

from . import dataset
from .scenes import draw

MEMORY_S = 2.0
COHERENCE = 0.7


class PairTracker:
    """Streaming: each frame's spectra (mics, window, fftshifted) in; the walking band's speaker-borne share out."""

    def __init__(self, speeds_mps: NDArray[np.float64], mics: int, hop_s: float) -> None:
        window = len(speeds_mps)
        self._half = window // 2
        pairs = np.arange(1, self._half)
        speed = np.abs(speeds_mps[self._half + pairs])
        self._pairs = pairs[(speed >= MAJOR_BAND_MPS[0]) & (speed < MAJOR_BAND_MPS[1])]
        self._alpha = 1.0 - math.exp(-hop_s / MEMORY_S)
        # A pair's first frames are coherent with themselves, whatever they hold: no share until a memory's worth.
        self._warm = math.ceil(MEMORY_S / hop_s)
        self._seen = 0
        shape = (mics, len(self._pairs))
        self._aa = np.zeros(shape)
        self._bb = np.zeros(shape)
        self._ab = np.zeros(shape, dtype=np.complex128)

    def push(self, spectrum: NDArray[np.complex128]) -> float:
        """One frame's spectra (mics, window): the share of its walking-band power that the speaker put there.

        NaN until MEMORY_S of frames have been seen, or where the band holds no power at all. A pair counts where
        its coherence is over COHERENCE, its noise too; a weaker music pair not at all, so the share reads the
        loud music (the measure's bias).
        """
        a = spectrum[:, self._half + self._pairs]
        b = np.conj(spectrum[:, self._half - self._pairs])
        p, s, q = self._aa, self._bb, self._ab
        # Judged on what came before the frame: a walker's one-sided power lowers the coherence of the pairs he
        # crosses, for about a memory after.
        coherent = q.real**2 + q.imag**2 > COHERENCE * p * s
        # The speaker's power in a coherent pair, from the side that holds less beside it: |X(+f)|² / |X(−f)|²
        # keeps p / s, so either side predicts the pair's whole power, and a one-sided echo raises only one.
        power = np.abs(a) ** 2 + np.abs(b) ** 2
        ratio = p / np.maximum(s, 1e-300)
        speaker = np.minimum(np.abs(b) ** 2 * (1 + ratio), np.abs(a) ** 2 * (1 + 1 / np.maximum(ratio, 1e-300)))
        self._aa += self._alpha * (np.abs(a) ** 2 - p)
        self._bb += self._alpha * (np.abs(b) ** 2 - s)
        self._ab += self._alpha * (a * np.conj(b) - q)
        self._seen += 1
        if self._seen <= self._warm:
            return math.nan
        total = float(power.sum())
        return float((speaker * coherent).sum()) / total if total > 0 else math.nan


class _Spy(SpeakerDistortionCanceller):
    """The framer's multi-mic canceller, unchanged, that hands every frame's spectra after it to a PairTracker."""

    def __init__(self, inner: SpeakerDistortionCanceller, tracker: PairTracker, shares: list[float]) -> None:
        self._inner = inner
        self.enabled = True  # called on one mic too, where the inner one passes the spectra through
        self._tracker = tracker
        self._shares = shares

    def process(
        self,
        spectra: NDArray[np.complex128],
        static: NDArray[np.complex128],
        total: NDArray[np.float64] | None = None,
    ) -> NDArray[np.complex128]:
        out = self._inner.process(spectra, static, total) if self._inner.enabled else spectra
        for i in range(out.shape[1]):
            self._shares.append(self._tracker.push(out[:, i, :]))
        return out


def scene_shares(job: dataset.Job, calibrated: bool = True) -> tuple[NDArray[np.float32], NDArray[np.float64]]:
    """A scene rendered as the benchmark renders it (calibrated unless told): its frame times and each one's share."""
    shares: list[float] = []

    def spy(engine: Engine) -> None:
        framer = engine.framer
        tracker = PairTracker(engine.speeds_mps, engine.config.channels, framer.hop / framer.rate_hz)
        framer.canceller = _Spy(framer.canceller, tracker, shares)

    frames = dataset.frames_of(draw(*job), calibrated=calibrated, spy=spy)
    return frames.t, np.asarray(shares, dtype=np.float64)
