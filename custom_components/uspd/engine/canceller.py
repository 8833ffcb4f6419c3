"""Multi-mic removal of what the loudspeaker itself puts around the tone (music distortion).

Music through the sensing speaker moves its cone and so phase-modulates the
tone: sidebands at f_c ± f_bass (−8…−35 dBc), right in the walking band. They
originate at the speaker, so across microphones they arrive in the fixed
proportions of the static paths (dominated by the direct path, 40–60 dB above
any echo): at every instant the distortion vector over the mics is a multiple
of the static phasor vector S that clutter removal already tracks. A person's
echo arrives with geometry-dependent inter-mic phases (mics centimetres apart,
λ = 8.6 mm at 40 kHz) and is almost never parallel to S. So each sample's mic
vector x is projected off S:  y = x − S·(Sᴴx)/(SᴴS).
With M mics a person's echo keeps on average (M−1)/M of its energy; with one
mic there is no second view and the stage passes the signal through.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


class SpeakerDistortionCanceller:
    def __init__(self, channels: int) -> None:
        self.enabled = channels > 1

    def process(self, moving: NDArray[np.complex128], static: NDArray[np.complex128]) -> NDArray[np.complex128]:
        """moving, static: (mics, samples) — clutter-free signal and the static phasors it was taken from."""
        if not self.enabled or moving.shape[1] == 0:
            return moving
        power = np.sum(np.abs(static) ** 2, axis=0)
        coef = np.sum(np.conj(static) * moving, axis=0) / np.maximum(power, 1e-30)
        out: NDArray[np.complex128] = moving - static * coef[None, :]
        return out
