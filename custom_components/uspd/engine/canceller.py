"""Multi-mic removal of what the loudspeaker itself puts around the tone (music distortion).

Music through the sensing speaker moves its cone and so phase-modulates the
tone: sidebands at f_c ± f_bass (−8…−35 dBc), right in the walking band. They
originate at the speaker, so across microphones they arrive in the fixed
proportions of the static paths (dominated by the direct path): in every
Doppler bin the distortion's mic vector is parallel to the static phasor
vector S that clutter removal tracks. A person's echo arrives with
geometry-dependent inter-mic phases (mics centimetres apart, λ = 8.6 mm at
40 kHz): the fraction f of its power along S is random, Beta(1, M−1)
(uniform for two mics).

So, per frame and bin, the component along S is removed only where it holds
more than GATE_FRACTION of the bin's power: distortion (f ≈ 1) goes; an echo
loses something only in the few bins where it happens to align with S (10 %
of bins for two mics, 0.1 % for four), and then only that component. With
one mic there is no second view and spectra pass through.

Known limit (lab/README.md, the benchmark): an echo's f is set by its direction,
not drawn afresh per bin, so an echo from a direction that lines up with S
loses its component there for as long as it stays; one side of a fan's hub
lost 11 dB on two mics in a lab scene. Gating on the sideband pair's mirror
bin avoids that, but costs walks with music.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

GATE_FRACTION = 0.9
# Channels that are copies of one another (an upmixing virtual device, a
# stereo file of a mono mic) leave no power across the static direction in
# any bin, not even in those that hold only noise; then every bin would look
# speaker-borne. When the median bin has less than this fraction of its power
# across, the mics are taken as one. (Independent mics keep ~(M-1)/M of the
# noise there, however loud the music in its own bins.)
COPIES_FRACTION = 1e-6


def _median(values: NDArray[np.float64]) -> float:
    """np.median of all the values, the same float (NaN if any is), without its overhead (~4x, every block)."""
    flat = values.ravel()
    k = flat.size // 2
    part = np.partition(flat, [k - 1, k, -1] if flat.size % 2 == 0 else [k, -1])
    if np.isnan(part[-1]):  # NaNs sort last, and the last place was partitioned for
        return float("nan")
    return float(part[k]) if flat.size % 2 else float((part[k - 1] + part[k]) / 2)


def _mostly_copies(across: NDArray[np.float64]) -> bool:
    """_median(across) < COPIES_FRACTION; counted first, the median taken only where the count cannot tell.

    With at most (n-1)//2 values under the fraction, the median (the middle value, or the mean of the two
    middle ones) is not under it, or is NaN: either way not copies. Independent mics are always so.
    """
    if np.count_nonzero(across < COPIES_FRACTION) <= (across.size - 1) // 2:
        return False
    return _median(across) < COPIES_FRACTION


class SpeakerDistortionCanceller:
    """Removes, per Doppler bin, the part of the spectrum that arrives as the speaker's own distortion does."""

    def __init__(self, channels: int) -> None:
        self.enabled = channels > 1

    def process(
        self,
        spectra: NDArray[np.complex128],
        static: NDArray[np.complex128],
        total: NDArray[np.float64] | None = None,
    ) -> NDArray[np.complex128]:
        """spectra: (mics, frames, bins); static: (mics, frames), the static phasors during each frame.

        total: the spectra's power summed over mics, where the caller has it. Where nothing is removed,
        spectra itself comes back (the same object: its power stands).
        """
        if not self.enabled or spectra.shape[1] == 0:
            return spectra
        unit = static / np.maximum(np.sqrt(np.add.reduce(static.real**2 + static.imag**2, axis=0)), 1e-30)
        along = np.add.reduce(unit.conj()[:, :, None] * spectra, axis=0)
        if total is None:
            total = np.add.reduce(spectra.real**2 + spectra.imag**2, axis=0)
        along_power = along.real**2 + along.imag**2
        if _mostly_copies(1.0 - along_power / np.maximum(total, 1e-300)):
            return spectra
        speaker_borne = along_power > GATE_FRACTION * total
        if not speaker_borne.any():  # most frames: nothing to take (subtracting zeros gives the same values)
            return spectra
        out: NDArray[np.complex128] = spectra - unit[:, :, None] * (along * speaker_borne)[None, :, :]
        return out
