"""Music through the sensing speaker, removed with what the microphones hear of the music itself.

Music moves the speaker's cone: the tone leaves it phase-modulated by the
cone's excursion x(t) (β·x, β = 2π·x/λ: 0.27 mm is −20 dBc at 40 kHz)
and, through the speaker's nonlinearity, with terms in x² and x³.
Sidebands at f_c ± the bass notes land in the walking band, on every path
the tone takes, wall echoes included (engine/canceller.py removes what
arrives in the direct path's proportions only; the rest is what opened
empty rooms while music played).

The same microphones hear the music. From a small source, pressure follows
the cone's acceleration (p ∝ ẍ), so the audible band integrated twice
estimates x up to a filter (the microphone's low-frequency roll-off, the
integrators' leak). ``AudibleBand`` takes the mics' mean below
REFERENCE_CUTOFF_HZ, decimated by filters as long as the demodulator's so it
lines up with the baseband sample for sample; ``SpeakerReferences`` makes
the estimate x̂ and the references: every product x̂^a·x̂'^b up to the third
order (x's powers, whatever phase the mic's roll-off turned each note by;
the slope also stands for a small delay) and x̂ ECHO_DELAYS_S late (the
distortion's wall echoes).
``ReferenceCanceller`` then fits, per Doppler bin and mic, the least-squares
weights of the references' spectra on the frames of the last MEMORY_S
(exponentially) and subtracts their prediction.

A frame never explains itself: the weights come from earlier frames only.
Fitted on the frame itself, a note arriving in a bin (its reference far
stronger there than in any earlier frame) would take the bin's whole
content with it, a walker's echo included. A walker's echo is not a
function of the music, so it loses only what chance alignment over MEMORY_S
fits.

Off as shipped (Tuning.music_reference): with the network retrained on what
it leaves, the lab's shifted suite opened more empty rooms beside music
(lab/results/music_reference.txt). Off, the engine makes no audible band.

Privacy, on: the band below ~1 kHz holds the pitch and much of the energy
of speech. The engine keeps it a block at a time in memory, as x̂ (weighted
−12 dB per octave above 100 Hz) and its power; it is never recorded
(recorder.py keeps baseband only), published or sent. Turning this on
changes what README.md says uspd keeps of the sound: it must say so first.

Known limits: frames while the tone is off or settling (power saving) are
fitted too; the lab's band holds only the speaker's music (no voices or
footsteps open the gate there).

Cost: the references' spectra and the fit run only on frames whose audible
band is above SILENT_DBFS; the weights are solved every REFRESH_FRAMES
frames of the stream, whatever the blocks.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy import signal

# PM (∝ x) matters where excursion is large: the bass. 1 kHz keeps its third harmonic and drops most of speech.
REFERENCE_CUTOFF_HZ = 1000.0
# The integrators' leak and the DC block before them: a microphone's offset or rumble cannot grow without bound.
LEAK_HZ = 2.0
# x̂ is scaled so a 100 Hz tone keeps its amplitude through the two integrations.
UNITY_HZ = 100.0
# The sidebands of e^{jβx}(1 + γx) to third order in x; the fourth is ~60 dB down even at −6 dBc.
ORDER = 3
# The distortion's echoes off walls arrive later than the direct path: x̂ this late as references of their own.
ECHO_DELAYS_S = (0.010, 0.025)
# The fit's memory: the transfer from excursion to sideband is the room's static paths, constant for minutes.
MEMORY_S = 4.0
# Weights solved every this many frames (100 ms): they change only as fast as the memory lets them.
REFRESH_FRAMES = 4
# Nothing is subtracted until the fit holds this many loud frames' worth (~1 s): fitted on N frames, K
# references explain ~K/N of anything by chance, and what they predict from it is noise added.
MIN_FRAMES = 44
# A frame whose audible band (below the cutoff, mean power over its window) is quieter than this holds no music
# worth cancelling (a quiet room is ~ -90 dBFS there; music loud enough to matter, -60 dBFS and up).
SILENT_DBFS = -80.0


def reference_count() -> int:
    """How many references SpeakerReferences makes."""
    return sum(order + 1 for order in range(1, ORDER + 1)) + len(ECHO_DELAYS_S)


class SpeakerReferences:
    """The audible band (at the baseband rate) → the references, (reference_count(), samples), block by block."""

    def __init__(self, rate_hz: float) -> None:
        self.rate_hz = rate_hz
        a = math.exp(-2 * math.pi * LEAK_HZ / rate_hz)
        gain = (2 * math.pi * UNITY_HZ / rate_hz) ** 2
        # (1 − z⁻¹) / (1 − a·z⁻¹)³: the DC block, then two leaky integrators.
        self._b = gain * np.array([1.0, -1.0])
        self._a = np.poly([a, a, a])
        self._zi = np.zeros(3)
        self._delays = [round(d * rate_hz) for d in ECHO_DELAYS_S]
        self._history = np.zeros(max(self._delays, default=0) + 1)

    def reset(self) -> None:
        """A new stream: the integrators and the delay line start from silence."""
        self._zi[:] = 0
        self._history[:] = 0

    def process(self, audible: NDArray[np.float64]) -> NDArray[np.float64]:
        """audible: (samples,) the mics' mean below REFERENCE_CUTOFF_HZ → (1 + reference_count(), samples).

        Row 0 is the audible band's power (the gate's: SILENT_DBFS); the references follow.
        """
        if not len(audible):  # lfilter hands back junk for its state from an empty block
            return np.zeros((1 + reference_count(), 0))
        x, self._zi = signal.lfilter(self._b, self._a, audible, zi=self._zi)
        # The slope by one-sided difference, its first sample from the block before (the same at any split),
        # in units that keep a 100 Hz tone's amplitude.
        slope = np.diff(x, prepend=self._history[-1:]) * (self.rate_hz / (2 * math.pi * UNITY_HZ))
        # Every product x̂^a·x̂'^b with 1 <= a + b <= ORDER: what x's powers are when x̂ is x turned by
        # some phase (a note through the mic's roll-off), so the fit can turn each note's back per bin.
        products = [x**a * slope ** (order - a) for order in range(1, ORDER + 1) for a in range(order, -1, -1)]
        extended = np.concatenate([self._history, x])
        n = len(x)
        late = [extended[len(self._history) - d : len(self._history) - d + n] for d in self._delays]
        self._history = extended[-len(self._history) :]
        return np.stack([audible**2, *products, *late])


class ReferenceCanceller:
    """Per Doppler bin and mic, subtracts what earlier frames say the references predict.

    Every frame ages the fit by alpha and a loud one adds to it; the ageing of silent frames is applied at
    the next loud one, in one factor. The weights are solved at every REFRESH_FRAMES-th frame of the stream
    where something was added since. So a silent frame costs a counter, and the arithmetic is the same
    whatever the blocks (the solve would amplify any difference in rounding).
    """

    def __init__(self, hop_s: float, channels: int, window: int) -> None:
        self.alpha = math.exp(-hop_s / MEMORY_S)
        k = reference_count()
        self._cross = np.zeros((window, k, channels), dtype=np.complex128)  # Σ R_k* Y_m, per bin
        self._auto = np.zeros((window, k, k), dtype=np.complex128)  # Σ R_k* R_l, per bin
        self._weights = np.zeros((window, k, channels), dtype=np.complex128)
        self._frame = 0  # frames of the stream seen, silent ones included
        self._idle = 0  # silent frames whose ageing the fit has not had yet
        self._fresh = False  # added to since the last solve
        self._seen = 0.0  # loud frames in the fit, aged as it is

    def reset(self) -> None:
        """A new stream: nothing learned yet."""
        self._cross[:] = 0
        self._auto[:] = 0
        self._weights[:] = 0
        self._frame = 0
        self._idle = 0
        self._fresh = False
        self._seen = 0.0

    def skip(self, count: int) -> None:
        """Frames whose audible band was silent: nothing to remove or learn; the clock moves on."""
        first = -self._frame % REFRESH_FRAMES  # the first refresh among them, counted from the first
        if self._fresh and first < count:
            self._solve()
        self._idle += count
        self._frame += count

    def process(
        self, spectra: NDArray[np.complex128], references: NDArray[np.complex128], loud: NDArray[np.bool_]
    ) -> NDArray[np.complex128]:
        """spectra: (mics, frames, bins) of the baseband; references: (refs, frames, bins) of the same windows.

        loud: the frames whose audible band was heard (reference.SILENT_DBFS); the others pass as they are.
        """
        out = spectra.copy()
        y = spectra.transpose(2, 1, 0)  # (bins, frames, mics)
        r = references.transpose(2, 1, 0)  # (bins, frames, refs)
        rc = r.conj().transpose(0, 2, 1)  # (bins, refs, frames)
        for i in range(spectra.shape[1]):
            if self._fresh and self._frame % REFRESH_FRAMES == 0:
                self._solve()
            self._frame += 1
            if not loud[i]:
                self._idle += 1
                continue
            if self._idle and self._too_young():
                self._weights[:] = 0  # back after a long silence: the fit has aged out of use, as solve() would say
            out[:, i] = (y[:, i] - np.matmul(r[:, i : i + 1], self._weights)[:, 0]).T
            age = self.alpha ** (self._idle + 1)
            self._idle = 0
            self._cross = age * self._cross + np.matmul(rc[:, :, i : i + 1], y[:, i : i + 1])
            self._auto = age * self._auto + np.matmul(rc[:, :, i : i + 1], r[:, i : i + 1])
            self._seen = age * self._seen + 1.0
            self._fresh = True
        return out

    def _too_young(self) -> bool:
        """Fewer than MIN_FRAMES loud frames' worth in the fit, aged to now: nothing is subtracted from it."""
        return self._seen * self.alpha**self._idle < MIN_FRAMES

    def _solve(self) -> None:
        """Weights from the fit so far (zero while it is too young); a little loading keeps each solvable."""
        if self._too_young():
            self._weights[:] = 0
            self._fresh = False
            return
        k = self._auto.shape[1]
        # Each reference's own power: x̂³ is orders of magnitude under x̂, and must not drown in x̂'s loading.
        own = np.diagonal(self._auto, axis1=1, axis2=2).real
        loading = (1e-6 * own + 1e-300)[:, :, None] * np.eye(k)
        self._weights = np.asarray(np.linalg.solve(self._auto + loading, self._cross), dtype=np.complex128)
        self._fresh = False
