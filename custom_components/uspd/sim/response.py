"""Gains that change across the Doppler band (against the offset from the carrier), on a complex envelope.

A mic's tilt and the ADC's anti-alias filter (Device.mic_tilt_db_per_khz,
Device.antialias_hz) shape what each mic hears: a windowed frequency-sampling
FIR on the envelope at its rate, linear phase with its delay taken out, so
nothing moves in time. The taps span FIR_SPAN_S at any rate (~65 Hz of
resolution), so baseband and passband renders get one response. The
loudspeaker's ripple (Device.speaker_ripple_db) shapes what music puts on the
tone; a gain of ripple·sin(2πf/P) dB is exactly a few copies of the signal
advanced and delayed by multiples of 1/P (ripple_terms), each a windowed-sinc
fractional delay in ripple_taps.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .scene import Device

Array = NDArray[np.float64]
FIR_SPAN_S = 0.015
# The tilt models a response across the Doppler band; held at its edge value past this offset (far interferers).
TILT_SPAN_HZ = 4000.0
ANTIALIAS_DEPTH_DB = 60.0
# A fractional delay's windowed sinc reaches this many samples either side (Kaiser β 8: ~−70 dB to 0.3 of the rate).
SINC_HALF = 16


def half_taps(rate_hz: float) -> int:
    """Taps either side of the centre for an envelope at rate_hz: the history a block needs each side."""
    return max(1, round(FIR_SPAN_S * rate_hz / 2))


def antialias_db(device: Device, freq_hz: Array) -> Array:
    """The ADC's anti-alias filter at absolute frequencies: 0 dB to its corner, −60 dB at Nyquist, lower past it."""
    if device.antialias_hz is None:
        return np.zeros_like(freq_hz)
    nyquist = device.audio_rate_hz / 2
    return np.asarray(
        -ANTIALIAS_DEPTH_DB * np.maximum(freq_hz - device.antialias_hz, 0.0) / (nyquist - device.antialias_hz)
    )


def capture_db(device: Device, carrier_hz: float, offsets_hz: Array) -> Array:
    """Each mic's gain in dB at these offsets from the carrier, (mics, offsets): its tilt and the anti-alias filter."""
    n = len(device.mics_m)
    tilt = np.zeros(n)
    given = np.asarray(device.mic_tilt_db_per_khz[:n], dtype=np.float64)
    tilt[: len(given)] = given
    f = np.clip(offsets_hz, -TILT_SPAN_HZ, TILT_SPAN_HZ)
    return np.asarray(tilt[:, None] * f[None, :] / 1000 + antialias_db(device, carrier_hz + offsets_hz)[None, :])


def shapes_capture(device: Device) -> bool:
    """Whether any mic's gain changes across the Doppler band."""
    return device.antialias_hz is not None or any(device.mic_tilt_db_per_khz[: len(device.mics_m)])


def ripple_terms(device: Device, floor: float = 1e-5) -> list[tuple[float, complex]]:
    """The speaker's ripple as (advance s, weight) pairs: x ↦ Σ weight·x(t + advance) has exactly its gain.

    e^{a·sin θ} = Σₙ Iₙ(a)·(−j)ⁿ·e^{jnθ} (Jacobi–Anger), with θ = 2πf/P and
    a the ripple in nepers; a factor e^{j2πf·n/P} is an advance of n/P.
    Terms below ``floor`` (−100 dB) are left out: a handful for a 5 dB ripple.
    """
    a = device.speaker_ripple_db * np.log(10) / 20
    terms: list[tuple[float, complex]] = []
    for n in range(64):
        weight = _bessel_i(n, abs(a))
        if weight < floor:
            break
        for k in (n, -n) if n else (0,):
            # I₋ₙ = Iₙ; a negative ripple flips the sine, as does (−1)ⁿ on odd terms.
            sign = (-1) ** n if a < 0 else 1
            terms.append((k / device.speaker_ripple_period_hz, complex(sign * weight * (-1j) ** k)))
    return terms


def ripple_taps(device: Device, rate_hz: float) -> NDArray[np.complex128]:
    """The speaker's ripple as zero-phase taps at rate_hz (1, 2·half + 1): one windowed sinc per ripple term.

    Each sinc is scaled to unit sum, so the taps keep a signal's mean as the ripple (0 dB at the carrier) does.
    """
    terms = ripple_terms(device)
    half = int(np.ceil(max(abs(a) for a, _ in terms) * rate_hz)) + SINC_HALF
    k = np.arange(-half, half + 1)
    taps = np.zeros(len(k), dtype=np.complex128)
    for advance_s, weight in terms:
        u = k + advance_s * rate_hz  # x(t + a) is x[i + a·rate]: its tap sits at k = −a·rate
        inside = np.abs(u) < SINC_HALF
        window = np.where(inside, np.i0(8.0 * np.sqrt(np.maximum(1 - (u / SINC_HALF) ** 2, 0.0))) / np.i0(8.0), 0.0)
        sinc = np.sinc(u) * window
        taps += weight * sinc / sinc.sum()
    return taps[None, :]


def _bessel_i(n: int, x: float) -> float:
    """The modified Bessel function Iₙ(x) for small x, by its power series."""
    term = (x / 2) ** n / float(np.prod(np.arange(1, n + 1))) if n else 1.0
    total, k = 0.0, 0
    while term > 1e-18 * max(total, 1e-300) or k == 0:
        total += term
        k += 1
        term *= (x / 2) ** 2 / (k * (k + n))
    return total


def design(gain_db: Array, rate_hz: float) -> NDArray[np.complex128]:
    """Zero-phase taps (rows, 2·half_taps + 1), centre tap in the middle, for gains sampled at fftfreq(n, 1/rate_hz).

    Frequency sampling on a dense grid, the impulse response cut to the
    span and Hann-windowed: within 0.1 dB of the asked response over the
    band, away from a kink (the anti-alias corner blurs over ~±100 Hz).
    """
    half = half_taps(rate_hz)
    h = np.fft.ifft(10 ** (gain_db / 20), axis=-1)
    taps = np.concatenate([h[..., -half:], h[..., : half + 1]], axis=-1)
    return np.asarray(taps * np.hanning(2 * half + 3)[1:-1], dtype=np.complex128)


def dense_offsets(rate_hz: float) -> Array:
    """The offsets from the carrier at which design() samples a response: ≥ 16 points per tap."""
    n = 1 << int(np.ceil(np.log2(16 * (2 * half_taps(rate_hz) + 1))))
    return np.asarray(np.fft.fftfreq(n, 1 / rate_hz), dtype=np.float64)


def apply(taps: NDArray[np.complex128], wide: NDArray[np.complex128]) -> NDArray[np.complex128]:
    """Filter each row of ``wide`` (rows or 1, count + 2·half) by its taps: the count samples in the middle."""
    rows = max(len(taps), len(wide))
    out = [np.convolve(wide[i % len(wide)], taps[i % len(taps)], mode="valid") for i in range(rows)]
    return np.asarray(out, dtype=np.complex128)
