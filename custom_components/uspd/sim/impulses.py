"""Impulsive broadband sounds, as both renders hear them.

Each event is a burst of noise under an envelope: a click (a key, a spoon:
1–4 ms decay), a crinkle (a train of clicks over up to 1.5 s) or a cough
(0.15–0.4 s, raised-cosine). The noise of an event is drawn from its own
seed at the render's sample rate, indexed from the event's first sample, so
a block-by-block render equals a render in one go. The passband render gets
real noise over the whole band; the baseband render gets the complex noise
the demodulator would make of it (same spectral density, as for mic noise),
so both carry the same energy per Doppler bin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .scene import Impulses

Array = NDArray[np.float64]
# The level meter (sim/agc.py) scales each event's envelope on this grid.
METER_HZ = 2000.0


@dataclass(frozen=True)
class Event:
    """One impulsive sound: when, how long, how loud, its clicks, and the seed of its noise."""

    t0: float
    duration_s: float
    rms: float
    clicks: tuple[tuple[float, float], ...]  # (offset s, decay s); empty: one raised-cosine burst
    seed: int


def _draw(src: Impulses, rng: np.random.Generator, base_seed: int) -> list[Event]:
    n = rng.poisson(src.rate_hz * max(0.0, src.end_s - src.start_s))
    starts = np.sort(rng.uniform(src.start_s, src.end_s, n))
    events = []
    for i, t0 in enumerate(starts):
        rms = float(10 ** (rng.uniform(*src.level_dbfs) / 20))
        what = int(rng.integers(0, 3))
        if what == 0:  # a click
            tau = float(rng.uniform(0.001, 0.004))
            clicks: tuple[tuple[float, float], ...] = ((0.0, tau),)
            duration = 6 * tau
        elif what == 1:  # crinkling: clicks at random within up to 1.5 s
            duration = float(rng.uniform(0.3, 1.5))
            k = int(rng.integers(5, 30))
            clicks = tuple(
                (float(o), float(tau))
                for o, tau in zip(rng.uniform(0, duration, k), rng.uniform(0.0005, 0.003, k), strict=True)
            )
            duration += 0.02
        else:  # a cough
            duration = float(rng.uniform(0.15, 0.4))
            clicks = ()
        events.append(Event(float(t0), duration, rms, clicks, base_seed + i))
    return events


class ImpulseSound:
    """A scene's impulsive sounds, drawn once, rendered block by block at any rate."""

    def __init__(self, sources: list[Impulses], rng: np.random.Generator, scene_seed: int) -> None:
        self.events: list[Event] = []
        for k, src in enumerate(sources):
            self.events += _draw(src, rng, scene_seed * 1000 + k * 100_000)
        self._scales: dict[tuple[int, float], float] = {}

    def _samples(self, i: int, rate_hz: float) -> tuple[int, Array]:
        """Event i on the sample grid of rate_hz: its first sample, and its envelope scaled to rms e.rms.

        The scale is the event's own (whatever its shape), computed once per
        rate, so every block of a render scales it alike.
        """
        e = self.events[i]
        first = int(np.ceil(e.t0 * rate_hz))
        u = (first + np.arange(int(e.duration_s * rate_hz) + 1)) / rate_hz - e.t0
        env = self._envelope(e, u)
        if (i, rate_hz) not in self._scales:
            self._scales[i, rate_hz] = e.rms / max(float(np.sqrt(np.mean(env**2))), 1e-12)
        return first, env * self._scales[i, rate_hz]

    def _envelope(self, e: Event, u: Array) -> Array:
        """Amplitude at u seconds into the event, peaking near 1 (rms over the event ≈ e.rms after scaling)."""
        if not e.clicks:
            return np.asarray(0.5 * (1 - np.cos(2 * np.pi * np.clip(u / e.duration_s, 0, 1))))
        env = np.zeros_like(u)
        for offset, tau in e.clicks:
            d = u - offset
            env += np.where(d >= 0, np.exp(-np.maximum(d, 0) / tau), 0.0)
        return env

    def envelope(self, t: Array) -> Array:
        """The bursts' rms envelope at times t (what a level meter follows; no noise)."""
        power = np.zeros_like(t)
        for i, e in enumerate(self.events):
            u = t - e.t0
            inside = (u >= 0) & (u <= e.duration_s)
            if not inside.any():
                continue
            if (i, METER_HZ) not in self._scales:
                self._samples(i, METER_HZ)
            power[inside] += (self._scales[i, METER_HZ] * self._envelope(e, u[inside])) ** 2
        return np.sqrt(power)

    def render(
        self, start: int, count: int, rate_hz: float, complex_out: bool, analytic: bool = False
    ) -> NDArray[np.complex128]:
        """Samples start..start+count at rate_hz: complex (baseband) or real-valued (passband) noise bursts.

        With ``analytic``, the passband bursts come as their analytic signals
        (real part the same), so a mic's constant phase can turn them.
        """
        out = np.zeros(count, dtype=np.complex128)
        t_lo, t_hi = start / rate_hz, (start + count) / rate_hz
        for i, e in enumerate(self.events):
            if e.t0 >= t_hi or e.t0 + e.duration_s <= t_lo:
                continue
            first, env = self._samples(i, rate_hz)
            length = len(env)
            noise_rng = np.random.default_rng([e.seed, 1 if complex_out else 0])
            if complex_out:
                # Real noise of variance σ² over fs/2 becomes complex noise of σ²·2B/fs per component
                # pair (the mic noise's mapping in render_baseband), B the baseband rate.
                noise = noise_rng.normal(size=(2, length))
                burst = env * (noise[0] + 1j * noise[1])
            else:
                burst = env * noise_rng.normal(size=length)
                if analytic:  # of the whole event, whichever part this block holds
                    burst = _analytic(burst)
            a, b = max(first, start), min(first + length, start + count)
            if a < b:
                out[a - start : b - start] += burst[a - first : b - first]
        return out


def _analytic(x: Array) -> NDArray[np.complex128]:
    """The analytic signal x + j·H{x} (H the Hilbert transform), by the FFT."""
    spectrum = np.fft.fft(x)
    keep = np.zeros(len(x))
    keep[0] = 1.0
    keep[1 : (len(x) + 1) // 2] = 2.0
    if len(x) % 2 == 0:
        keep[len(x) // 2] = 1.0
    return np.asarray(np.fft.ifft(spectrum * keep), dtype=np.complex128)
