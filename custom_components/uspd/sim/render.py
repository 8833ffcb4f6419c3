"""How a scene sounds: complex baseband or full-rate passband, from one path model.

Every path (speaker → [wall] → [scatterer] → mic) has an exact, time-varying
delay τ(t) and amplitude a(t) from spherical spreading, ISO 9613-1 absorption,
target strength, wall reflection and the transducers' responses at the
carrier. The received tone is Σ a·cos(2π f_c (t − τ) + φ(t − τ)), where φ is
the emitter's phase noise; the baseband render is Σ a·e^{j(φ − 2π f_c τ)},
which is exactly what the demodulator makes of the passband render. Emission
(carrier, level, on/off) is read per block: the engine closes the loop.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..base.acoustics import absorption_db_per_m, speed_of_sound_mps
from ..engine.emission import Emission
from .agc import Agc
from .fastmath import cis
from .grid import Knots
from .impulses import ImpulseSound
from .motion import Array, BassLine, Jitter, Mover, PedestalFanMover, SeatedMover, build_mover
from .response import apply, capture_db, dense_offsets, design, half_taps, ripple_taps, shapes_capture
from .scene import Device, Fan, Impulses, Interferer, Music, PedestalFan, Scene

DIFFUSE_PATHS = 24
IMAGES = 6  # first-order images: the static paths after the direct one, before the diffuse tail
# A full-duplex codec clocks DAC and ADC together, so the emitter's phase noise
# reaches a path only as φ(t − τ) − φ(t): the direct path (~0.15 ms) keeps
# almost none of it, echoes (~10 ms) most. One echo delay stands for all.
ECHO_DELAY_S = 0.010
# A small source's pressure follows its cone's acceleration: excursion x (phase β = 2π·x/λ on the tone) makes
# p = ρ·S·ω²·x / (4π·r) at a mic r away. For a 2.5 cm-radius cone 5 cm from a mic of −26 dBFS at 1 Pa: sidebands
# of −20 dBc at 40 kHz (x = 0.27 mm) are a 100 Hz note of 0.4 Pa, −34 dBFS; this many dB under the sidebands.
MUSIC_PRESSURE_DB = -14.0
# Passband renders evaluate path phasors on a grid of ~16 kHz and interpolate:
# they change at Doppler rates (< 3 kHz), and the interpolation's images land
# far outside the baseband.
PASSBAND_GRID_HZ = 16000
# Where the demodulator's low-pass has taken a path away (a fraction of the
# baseband rate): fast fan blades beyond it are dropped, with a short taper,
# instead of aliasing back into the Doppler band.
DOPPLER_EDGE = 0.4
DOPPLER_TAPER = 0.1


def speaker_gain_db(device: Device, freq_hz: float) -> float:
    """The speaker's gain at freq_hz in dB: its resonance, less its roll-off above speaker_rolloff_hz."""
    roll = max(0.0, freq_hz - device.speaker_rolloff_hz) / 1000 * device.speaker_rolloff_db_per_khz
    res = device.speaker_resonance_db * np.exp(-(((freq_hz - device.speaker_resonance_hz) / 2500) ** 2))
    return float(-roll + res)


def mic_response(device: Device, freq_hz: float) -> NDArray[np.complex128]:
    """Each mic's complex gain at freq_hz: its trim, its resonance (gain and phase), its roll-off and its phase."""
    n = len(device.mics_m)
    h = 10 ** (np.asarray(device.mic_gain_db[:n], dtype=np.float64) / 20) + 0j
    for i, (f0, peak_db) in enumerate(zip(device.mic_resonance_hz, device.mic_resonance_db, strict=False)):
        if i < n and f0 > 0 and peak_db:
            # A second-order resonance on a flat response: 1 + a/(1 + jQ(f/f0 − f0/f)), Q ≈ 8.
            a = 10 ** (peak_db / 20) - 1
            h[i] *= 1 + a / (1 + 8j * (freq_hz / f0 - f0 / freq_hz))
    for i, corner in enumerate(device.mic_rolloff_hz[:n]):
        h[i] *= 10 ** (-max(0.0, freq_hz - corner) / 1000 * device.mic_rolloff_db_per_khz / 20)
    for i, phase in enumerate(device.mic_phase_rad[:n]):
        h[i] *= np.exp(1j * phase)
    return np.asarray(h, dtype=np.complex128)


def mic_phase(device: Device) -> NDArray[np.complex128] | None:
    """Each mic's constant phase as a unit factor (mics,), or None where no mic has one."""
    n = len(device.mics_m)
    if not any(device.mic_phase_rad[:n]):
        return None
    phase = np.zeros(n)
    phase[: len(device.mic_phase_rad[:n])] = device.mic_phase_rad[:n]
    return np.asarray(np.exp(1j * phase), dtype=np.complex128)


def directivity(
    device: Device, directions: NDArray[np.float64], length: NDArray[np.float64] | float
) -> NDArray[np.float64]:
    """Speaker gain towards each direction (3, ...) of the given length: cardioid, floored at the back lobe."""
    axis = np.asarray(device.speaker_axis, dtype=np.float64)
    axis = axis / np.linalg.norm(axis)
    cos = (axis[0] * directions[0] + axis[1] * directions[1] + axis[2] * directions[2]) / np.maximum(length, 1e-12)
    gain: NDArray[np.float64] = np.maximum(0.5 * (1 + cos), 10 ** (device.speaker_back_db / 20))
    return gain


def _norm(d: Array) -> Array:
    """|d| of vectors (3, ...), coordinates first: without np.linalg.norm's overhead."""
    return np.asarray(np.sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]))


def _images(p: NDArray[np.float64], size: tuple[float, float, float]) -> list[NDArray[np.float64]]:
    """First-order image sources of point(s) p (3, ...), coordinates first, across the six walls."""
    out = []
    for axis in range(3):
        for wall in (0.0, size[axis]):
            q = p.copy()
            q[axis] = 2 * wall - p[axis]
            out.append(q)
    return out


class Renderer:
    """A scene's sound at the mics, rendered block by block at baseband or passband."""

    def __init__(self, scene: Scene) -> None:
        self.scene = scene
        room, dev = scene.room, scene.device
        rng = np.random.default_rng(scene.seed)
        self.c = speed_of_sound_mps(room.temperature_c)
        self.mics = np.asarray(dev.mics_m, dtype=np.float64)
        self.speaker = np.asarray(dev.speaker_m, dtype=np.float64)
        self.movers: list[Mover] = [
            build_mover(s, room, (dev.speaker_m[0], dev.speaker_m[1]), rng)
            for s in scene.sources
            if not isinstance(s, Music | Interferer | Impulses)
        ]
        self.interferers = [s for s in scene.sources if isinstance(s, Interferer)]
        self.music = [(m, BassLine(m, rng)) for m in scene.sources if isinstance(m, Music)]
        # Static paths per mic: direct, six first-order images, diffuse tail.
        lengths, gains = [], []
        for m in self.mics:
            ls = [np.linalg.norm(m - self.speaker)]
            gs = [float(directivity(dev, m - self.speaker, float(ls[0])))]
            # Via a wall, the tone leaves the speaker towards the mic's mirror image.
            for img in _images(m, room.size_m):
                ls.append(np.linalg.norm(img - self.speaker))
                gs.append(room.wall_reflection * float(directivity(dev, img - self.speaker, float(ls[-1]))))
            t_first = max(ls) / self.c
            delays = t_first + rng.exponential(room.rt60_s / 3, DIFFUSE_PATHS)
            decay = 10 ** (-60 * delays / room.rt60_s / 20)
            ls += list(delays * self.c)
            # Diffuse paths leave in all directions: the cardioid's mean gain, 1/2.
            gs += list(0.5 * decay * room.wall_reflection * rng.uniform(0.3, 1.0, DIFFUSE_PATHS))
            lengths.append(ls)
            gains.append(gs)
        self.static_len = np.asarray(lengths)  # (mics, paths)
        self.static_gain = np.asarray(gains)
        fans = [s for s in scene.sources if isinstance(s, Fan | PedestalFan)]
        self.airflow = [(f, Jitter(rng, f.airflow_jitter_mps, *f.jitter_band_hz, 0.5)) for f in fans]
        # A pedestal fan's jet crosses the device's paths most when it blows at the device.
        self.jets = {id(m.f): m for m in self.movers if isinstance(m, PedestalFanMover)}
        self.phase_noise = Jitter(rng, dev.phase_noise_rad, 1.0, 2000.0, 1.0)
        self.direct_s = float(self.static_len[:, 0].mean()) / self.c
        self.pn_direct = self.phase_noise.delayed_change(self.direct_s)
        self.pn_echo = self.phase_noise.delayed_change(ECHO_DELAY_S)
        self.noise_rng = np.random.default_rng([scene.seed, 1])
        self._reference_rng = np.random.default_rng([scene.seed, 3])
        impulses = [s for s in scene.sources if isinstance(s, Impulses)]
        self.impulses = ImpulseSound(impulses, np.random.default_rng([scene.seed, 2]), scene.seed) if impulses else None
        self._alpha_cache: dict[float, float] = {}
        self._mic_cache: dict[float, NDArray[np.complex128]] = {}
        self._taps: dict[tuple[float, float], NDArray[np.complex128]] = {}
        self.ripple = bool(dev.speaker_ripple_db and self.music)
        self._ripple_taps: dict[float, NDArray[np.complex128]] = {}
        self.mic_phase = mic_phase(dev)
        self.music_groups: NDArray[np.float32] | None = None
        self.music_delays_s = np.zeros(0)
        if any(m.multipath for m, _ in self.music):
            self.music_groups, self.music_delays_s = _delay_groups(
                self.static_len / self.c, self.static_gain / self.static_len
            )
        self.agc = Agc(dev.agc, self._heard_rms) if dev.agc is not None else None
        self._tone_rms = 0.0
        self._agc_carrier_hz = 40000.0  # the carrier the level meter's music is heard at (set with the tone's level)

    def activity(self, t: Array) -> NDArray[np.int8]:
        """Ground truth at each time: 2 someone walks in the room, 1 a seated hand moves, 0 neither.

        Finer than Scene.labels(), whose minor spans cover a whole sitting,
        pauses between bursts of typing included.
        """
        out = np.zeros(len(t), dtype=np.int8)
        for mover in self.movers:
            if isinstance(mover, SeatedMover):
                out[mover.active(t)] = 1
        for label in self.scene.labels():
            if label.motion == "major":
                out[(t >= label.start) & (t < label.end)] = 2
        return out

    @property
    def channels(self) -> int:
        """How many mics the device has."""
        return len(self.mics)

    def _alpha_np_per_m(self, carrier_hz: float) -> float:
        if carrier_hz not in self._alpha_cache:
            r = self.scene.room
            db = absorption_db_per_m(carrier_hz, r.temperature_c, r.humidity_pct)
            self._alpha_cache[carrier_hz] = db / 20 * np.log(10)
        return self._alpha_cache[carrier_hz]

    def _sound_speed(self, t: Array, grid: tuple[int, float] | None = None) -> Array:
        """Speed of sound at times t; with grid = (index of t[0], rate), t is that uniform grid (a faster path)."""
        c = np.full_like(t, self.c)
        for fan, jitter in self.airflow:
            on = (t >= fan.start_s) & (t <= fan.end_s)
            if not on.any():
                continue
            jet = self.jets.get(id(fan))
            gain = 0.1 + 0.9 * np.maximum(jet.facing(t), 0.0) ** 2 if jet is not None else 1.0
            c += on * gain * (jitter(t) if grid is None else jitter.on_grid(grid[0], len(t), grid[1]))
        return c

    def phasors(
        self, start: int, count: int, rate_hz: float, emission: Emission, max_doppler_hz: float | None = None
    ) -> NDArray[np.complex128]:
        """Noise-free complex envelope at the mics at samples start..start+count of rate_hz, (mics, count).

        Geometry is evaluated on ~1 ms knots (sim/grid.py), the phase of
        every path at every sample. With max_doppler_hz, fast scatterers (fan
        blades) are faded out where their Doppler passes it, as the
        demodulator's filter would.
        """
        if not emission.on or emission.level <= 0 or count <= 0:
            return np.zeros((len(self.mics), max(count, 0)), dtype=np.complex128)
        knots = Knots.covering(start, count, rate_hz)
        fc = emission.carrier_hz
        inv_c = 1.0 / self._sound_speed(knots.times, (knots.first - 2, rate_hz / knots.step))
        noise_direct = cis(self.pn_direct.on_grid(start, count, rate_hz))
        noise_echo = cis(self.pn_echo.on_grid(start, count, rate_hz))
        moving = self._moving(knots, inv_c, fc, max_doppler_hz)
        if self.music_groups is None:
            pn_direct = noise_direct * self._speaker(start, count, rate_hz, self.direct_s)
            pn_echo = noise_echo * self._speaker(start, count, rate_hz, ECHO_DELAY_S)
            direct, echoes = self._static(knots, inv_c, fc)
            out = direct * pn_direct + (echoes + moving) * pn_echo
        else:
            # Each group of fixed paths carries the music with its own delay; moving paths with the echo delay.
            direct, groups = self._static(knots, inv_c, fc, self.music_groups)
            delays = self.music_delays_s
            echoes = moving * self._speaker(start, count, rate_hz, ECHO_DELAY_S)
            for g, delay in enumerate(delays[1:]):
                echoes += groups[g] * self._speaker(start, count, rate_hz, float(delay))
            speaker = self._speaker(start, count, rate_hz, float(delays[0]))
            out = direct * (noise_direct * speaker) + echoes * noise_echo
        g0 = emission.level * self.scene.device.acoustic_gain * 10 ** (speaker_gain_db(self.scene.device, fc) / 20)
        return out * (g0 * self._mic_response(fc)[:, None])

    def _static(
        self, knots: Knots, inv_c: Array, fc: float, groups: NDArray[np.float32] | None = None
    ) -> tuple[NDArray[np.complex128], NDArray[np.complex128]]:
        """The direct path and the sum of the room's fixed echoes at every sample, (mics, count) each.

        Fixed lengths, but the air they cross may move (at < 20 Hz): each
        phase is the still air's, exact, times a small turn
        −k·L·(1/c(t) − 1/c₀) that float32 carries well, taken at the knots.
        With groups (a 0/1 mask, (groups, mics, echoes)), the echoes are
        summed per group instead: (groups, mics, count).
        """
        k = 2 * np.pi * fc
        paths = self.static_gain * np.exp(-self._alpha_np_per_m(fc) * self.static_len) / self.static_len
        paths = paths * np.exp(-1j * k * self.static_len / self.c)
        turn = inv_c - 1.0 / self.c
        if not turn.any():
            ones = np.ones(knots.count)
            if groups is not None:
                return paths[:, :1] * ones, np.einsum("gmp,mp->gm", groups, paths[:, 1:])[..., None] * ones
            return paths[:, :1] * ones, paths[:, 1:].sum(axis=1, keepdims=True) * ones
        small = ((-k * self.static_len)[:, :, None] * turn[None, None, :]).astype(np.float32)
        cos, sin = np.cos(small), np.sin(small)
        whole = Knots.span(0, knots.segments)
        # The direct path, dominant, in double precision; the echoes' sum Σ_p P_p·e^{j·small_p} in real float32
        # arithmetic: no (mics, paths, knots) complex array.
        direct = paths[:, 0, None] * (cos[:, 0, whole] + 1j * sin[:, 0, whole])
        re, im = paths.real[:, 1:].astype(np.float32), paths.imag[:, 1:].astype(np.float32)
        c, s = cos[:, 1:, whole], sin[:, 1:, whole]
        if groups is not None:
            re, im = re * groups, im * groups
        sums = "mp,mpn->mn" if groups is None else "gmp,mpn->gmn"
        echo_re = np.einsum(sums, re, c) - np.einsum(sums, im, s)
        echo_im = np.einsum(sums, re, s) + np.einsum(sums, im, c)
        return (
            knots.cubic(direct.real, 0) + 1j * knots.cubic(direct.imag, 0),
            knots.cubic(echo_re.astype(np.float64), 0) + 1j * knots.cubic(echo_im.astype(np.float64), 0),
        )

    def moving_load(self, t: Array, carrier_hz: float, max_doppler_hz: float) -> tuple[int, float]:
        """How many moving paths carry sound at some time in t, and at what fraction of (path, time) pairs.

        A path runs speaker or wall image → scatterer → mic, for every mic;
        fast ones are faded out past max_doppler_hz as the baseband render
        fades them.

        Each live pair needs its own phase, cosine and sine at every sample:
        the lab's speed benchmark counts them.
        """
        inv_c = 1.0 / self._sound_speed(t)
        _, amplitude = self._moving_paths(t, inv_c, carrier_hz, self._alpha_np_per_m(carrier_hz), max_doppler_hz)
        live = amplitude != 0
        paths = int(np.count_nonzero(np.any(live, axis=2)))
        return paths, float(np.count_nonzero(live) / (paths * len(t))) if paths else 0.0

    def _moving(self, knots: Knots, inv_c: Array, fc: float, max_doppler_hz: float | None) -> NDArray[np.complex128]:
        """Σ over moving paths of a·e^{−jk·r/c} at every sample, (mics, count): amplitudes and phases from the knots.

        Chunk by chunk, geometry included, so that every array stays in cache.
        """
        k = 2 * np.pi * fc
        alpha = self._alpha_np_per_m(fc)
        moving = np.zeros((len(self.mics), knots.count), dtype=np.complex128)
        for a, b in knots.chunks() if self.movers else []:
            span = Knots.span(a, b)
            phase, amplitude = self._moving_paths(knots.times[span], inv_c[span], fc, alpha, max_doppler_hz)
            live = np.any(amplitude != 0, axis=(0, 2))
            if not live.any():
                continue
            ph = knots.phase(k * phase[:, live], a)
            am = knots.linear(amplitude[:, live].astype(np.float32), a)
            at = knots.samples(a, b)
            moving[:, at].real = np.einsum("mpn,mpn->mn", am, np.cos(ph))
            moving[:, at].imag = np.einsum("mpn,mpn->mn", am, np.sin(ph))
        return moving

    def _moving_paths(
        self, tk: Array, inv_c: Array, fc: float, alpha: float, max_doppler_hz: float | None
    ) -> tuple[Array, Array]:
        """Each moving path's −r/c (s) and amplitude at the knots: (mics, paths, knots) each.

        Bistatic (speaker or its wall image → scatterer → mic), exact geometry.
        Every scatterer of every mover is one row of one array, so a block
        costs a few array operations, not a few per scatterer.
        """
        dev = self.scene.device
        n = len(tk)
        scatters = [sc for mover in self.movers for sc in mover.scatter(tk)]
        if not scatters:
            return np.zeros((len(self.mics), 0, n)), np.zeros((len(self.mics), 0, n))
        rows = [sc.amp.reshape(-1, n) for sc in scatters]
        amp = np.concatenate(rows)  # (scatterers, knots)
        count = [len(row) for row in rows]
        images = np.repeat([sc.images for sc in scatters], count)
        fast = np.repeat([sc.fast for sc in scatters], count)
        present = amp.any(axis=1)
        # Fast scatterers first, so that their direct paths are one slice to fade; absent ones dropped.
        order = np.concatenate([np.flatnonzero(present & fast), np.flatnonzero(present & ~fast)])
        quick = int(np.count_nonzero(present & fast))
        # Coordinates first, (3, scatterers, knots): every operation below runs over contiguous rows.
        pos = np.moveaxis(np.concatenate([sc.pos.reshape(-1, n, 3) for sc in scatters])[order], -1, 0).copy()
        amp, images = amp[order], images[order]
        # Paths leave the speaker itself towards each scatterer, and its six wall images towards the strong ones.
        to_scatterer = pos - self.speaker[:, None, None]
        r1 = [_norm(to_scatterer)]
        gains = [directivity(dev, to_scatterer, r1[0])]
        idx = [np.arange(len(amp))]  # the scatterer of each path
        strong = np.flatnonzero(images)
        for image in _images(pos[:, strong], self.scene.room.size_m) if len(strong) else []:
            # The speaker's image → scatterer is as long as the speaker → the scatterer's image.
            towards = image - self.speaker[:, None, None]
            r1.append(_norm(towards))
            gains.append(self.scene.room.wall_reflection * directivity(dev, towards, r1[-1]))
            idx.append(strong)
        path_scatterer = np.concatenate(idx)
        r1_all = np.concatenate(r1)  # (paths, knots)
        from_src = np.concatenate(gains) * amp[path_scatterer] * np.exp(-alpha * r1_all) / r1_all
        # |scatterer − mic|² = |s|² − 2 s·m + |m|² with s and m from the speaker: one matrix product for all mics.
        offsets = self.mics - self.speaker  # (mics, 3), centimetres
        along = (offsets @ to_scatterer.reshape(3, -1)).reshape(len(offsets), *to_scatterer.shape[1:])
        r2 = np.sqrt(r1[0] ** 2 - 2 * along + (offsets**2).sum(axis=1)[:, None, None])  # (mics, scatterers, knots)
        to_mic = np.exp(-alpha * r2) / r2
        r = r1_all[None, :, :] + r2[:, path_scatterer, :]
        a = from_src[None, :, :] * to_mic[:, path_scatterer, :]
        if max_doppler_hz is not None and quick:
            a[:, :quick] *= _in_band(r[:, :quick], tk, fc * inv_c, max_doppler_hz)
        return -r * inv_c, a

    def _mic_response(self, carrier_hz: float) -> NDArray[np.complex128]:
        # The Doppler band is < 1 % of the carrier: one gain per mic holds across it.
        if carrier_hz not in self._mic_cache:
            self._mic_cache[carrier_hz] = mic_response(self.scene.device, carrier_hz)
        return self._mic_cache[carrier_hz]

    def _speaker(self, start: int, count: int, rate_hz: float, delay_s: float) -> NDArray[np.complex128]:
        """The emitted tone's modulation delay_s late, at samples start..start+count of rate_hz, through the speaker.

        The speaker's ripple shapes only what music adds (m − 1): the steady
        tone keeps its level. Its filter (response.ripple_taps) needs m
        either side of the block: m is a function of time alone.
        """
        if not self.ripple:
            return self._modulation((start + np.arange(count)) / rate_hz - delay_s)
        if rate_hz not in self._ripple_taps:
            self._ripple_taps[rate_hz] = ripple_taps(self.scene.device, rate_hz)
        taps = self._ripple_taps[rate_hz]
        half = taps.shape[1] // 2
        added = self._modulation((start + np.arange(-half, count + half)) / rate_hz - delay_s) - 1
        return np.asarray(1 + apply(taps, added[None, :])[0], dtype=np.complex128)

    def _modulation(self, t: Array) -> NDArray[np.complex128]:
        """What music does to the emitted tone: e^{jβ b(t)} (cone excursion) × (1 + γ b(t)) (IMD)."""
        out = np.ones(len(t), dtype=np.complex128)
        for m, bass in self.music:
            b = bass(t)
            if not b.any():
                continue
            beta = 2 * 10 ** (m.pm_dbc / 20)  # small-angle PM: each sideband is β/2 of the tone
            gamma = 2 * 10 ** (m.imd_dbc / 20)
            out *= np.exp(1j * beta * b) * (1 + gamma * b)
        return out

    def _audible_peak(self, m: Music, carrier_hz: float) -> float:
        """A 100 Hz note's peak at the mics: the scene's, or what the excursion behind m.pm_dbc makes."""
        if m.audible_dbfs is not None:
            return float(10 ** (m.audible_dbfs / 20))
        # The same sidebands need twice the excursion at half the carrier (β ∝ x/λ).
        return float(10 ** ((m.pm_dbc + MUSIC_PRESSURE_DB + 20 * np.log10(40000.0 / carrier_hz)) / 20))

    def audible(self, t: Array, carrier_hz: float) -> Array:
        """The music itself as the mics hear it: the bass line's pressure through the mics' roll-off."""
        out = np.zeros(len(t))
        for m, bass in self.music:
            out += self._audible_peak(m, carrier_hz) * bass.pressure(t, self.scene.device.mic_highpass_hz)
        return out

    def render_reference(self, start: int, count: int, rate_hz: float, emission: Emission) -> NDArray[np.float64]:
        """What engine/demodulate.AudibleBand makes of the passband at samples start..start+count of rate_hz.

        The music and the mics' self-noise (their mean: 1/M of its power; white to half the rate, where the
        band stops at ~1.4 kHz). Nothing else the passband holds (clicks, coughs), and no clipping. Zeros in
        a scene without music: below reference.SILENT_DBFS the engine makes nothing of the band, and a scene
        without music renders the same frames as before the band was rendered.
        """
        if not self.music:
            return np.zeros(count)
        t = (start + np.arange(count)) / rate_hz
        dev = self.scene.device
        noise = 10 ** (dev.mic_noise_dbfs / 20) * np.sqrt(rate_hz / dev.audio_rate_hz / self.channels)
        return np.asarray(
            self.audible(t, emission.carrier_hz) + self._reference_rng.normal(scale=noise, size=count),
            dtype=np.float64,
        )

    def _heard_rms(self, t: Array) -> Array:
        """What a level meter on the capture path reads at t: our tone, music, impulsive sounds, noise."""
        power = np.full(len(t), self._tone_rms**2 + self._noise_rms() ** 2)
        for m, bass in self.music:
            level = self._audible_peak(m, self._agc_carrier_hz)
            power += (level * bass.envelope(t, self.scene.device.mic_highpass_hz)) ** 2
        if self.impulses is not None:
            power += self.impulses.envelope(t) ** 2
        return np.asarray(np.sqrt(power))

    def _agc_gain(self, start: int, count: int, rate_hz: float, emission: Emission) -> Array:
        assert self.agc is not None
        # The tone's level at the mics (its static part is nearly all of it), for the meter.
        self._tone_rms = float(np.abs(self.phasors(start, 1, rate_hz, emission)).mean()) / np.sqrt(2)
        self._agc_carrier_hz = emission.carrier_hz
        return self.agc.gain((start + np.arange(count)) / rate_hz)

    def _noise_rms(self) -> float:
        dev = self.scene.device
        q = 2.0 ** (1 - dev.bits) / np.sqrt(12)
        return float(np.hypot(10 ** (dev.mic_noise_dbfs / 20), q))

    def _captured(
        self, start: int, count: int, rate_hz: float, emission: Emission, max_doppler_hz: float
    ) -> NDArray[np.complex128]:
        """phasors() as each mic's capture path shapes them across the band: its tilt, the anti-alias filter.

        The filter's history is rendered with this block's emission (phasors
        depend on the sample index alone), so blocks join exactly.
        """
        dev = self.scene.device
        if not shapes_capture(dev) or count <= 0:
            return self.phasors(start, count, rate_hz, emission, max_doppler_hz)
        half = half_taps(rate_hz)
        wide = self.phasors(start - half, count + 2 * half, rate_hz, emission, max_doppler_hz)
        key = (emission.carrier_hz, rate_hz)
        if key not in self._taps:
            self._taps[key] = design(capture_db(dev, emission.carrier_hz, dense_offsets(rate_hz)), rate_hz)
        return apply(self._taps[key], wide)

    def _tone_gain(self, carrier_hz: float, freq_hz: float) -> NDArray[np.complex128] | None:
        """Each mic's complex gain on a tone at freq_hz: its phase, tilt and anti-alias filter; None for all ones."""
        dev = self.scene.device
        if self.mic_phase is None and not shapes_capture(dev):
            return None
        db = capture_db(dev, carrier_hz, np.array([freq_hz - carrier_hz]))[:, 0]
        gain = 10 ** (db / 20) + 0j
        return np.asarray(gain if self.mic_phase is None else gain * self.mic_phase, dtype=np.complex128)

    def render_baseband(self, start: int, count: int, rate_hz: float, emission: Emission) -> NDArray[np.complex128]:
        """Samples start..start+count at rate_hz, as the demodulator would output them.

        Each mic's tilt and anti-alias filter shape our tone's echoes and other
        devices' tones; mic noise and impulsive sounds stay white. Each mic's
        phase turns all but the noise (which looks the same turned or not).
        """
        t = (start + np.arange(count)) / rate_hz
        y = self._captured(start, count, rate_hz, emission, DOPPLER_EDGE * rate_hz)
        # White passband noise of variance σ² becomes complex noise of 4σ²·B/fs.
        band = np.sqrt(2 * rate_hz / self.scene.device.audio_rate_hz)
        noise = self.noise_rng.normal(scale=self._noise_rms() * band, size=(2, *y.shape))
        y = y + noise[0] + 1j * noise[1]
        if self.impulses is not None:  # broadband too: the same mapping as the mic noise
            burst = band * self.impulses.render(start, count, rate_hz, complex_out=True)[None, :]
            y = y + (burst if self.mic_phase is None else burst * self.mic_phase[:, None])
        for tone in self.interferers:
            offset = tone.freq_hz - emission.carrier_hz
            if abs(offset) < DOPPLER_EDGE * rate_hz:  # inside the demodulator's pass band
                on = (t >= tone.start_s) & (t <= tone.end_s)
                heard = on * 10 ** (tone.level_dbfs / 20) * np.exp(2j * np.pi * offset * t)[None, :]
                gain = self._tone_gain(emission.carrier_hz, tone.freq_hz)
                y = y + (heard if gain is None else heard * gain[:, None])
        if self.agc is not None:
            y = y * self._agc_gain(start, count, rate_hz, emission)[None, :]
        return np.asarray(y, dtype=np.complex128)

    def render_passband(self, start: int, count: int, emission: Emission) -> NDArray[np.float64]:
        """Audio samples start..start+count at the device rate: (count, mics) in [-1, 1].

        Tilt and anti-alias filter as in render_baseband: our tone's echoes
        and other tones through them, noise, impulses and the music itself
        left white (impulses turned by each mic's phase).
        """
        fs = self.scene.device.audio_rate_hz
        n = start + np.arange(count)
        step = max(1, fs // PASSBAND_GRID_HZ)
        # Grid points at absolute multiples of step: the same whatever the blocks.
        grid = np.arange(start - start % step, start + count + step, step)
        coarse = self._captured(int(grid[0]) // step, len(grid), fs / step, emission, DOPPLER_EDGE * fs / step)
        y = np.empty((coarse.shape[0], count), dtype=np.complex128)
        for m in range(coarse.shape[0]):
            y[m] = np.interp(n, grid, coarse[m].real) + 1j * np.interp(n, grid, coarse[m].imag)
        carrier = np.exp(2j * np.pi * ((n * emission.carrier_hz) % fs) / fs)
        x = (y * carrier[None, :]).real.T
        if self.music:
            x = x + self.audible(n / fs, emission.carrier_hz)[:, None]
        for tone in self.interferers:
            on = (n / fs >= tone.start_s) & (n / fs <= tone.end_s)
            phase = 2 * np.pi * ((n * tone.freq_hz) % fs) / fs
            gain = self._tone_gain(emission.carrier_hz, tone.freq_hz)
            if gain is None:
                x = x + (on * 10 ** (tone.level_dbfs / 20) * np.cos(phase))[:, None]
            else:
                level = on[:, None] * 10 ** (tone.level_dbfs / 20) * np.abs(gain)[None, :]
                x = x + level * np.cos(phase[:, None] + np.angle(gain)[None, :])
        if self.impulses is not None and self.mic_phase is None:
            x = x + self.impulses.render(start, count, fs, complex_out=False).real[:, None]
        elif self.impulses is not None and self.mic_phase is not None:  # a constant phase on a real signal
            burst = self.impulses.render(start, count, fs, complex_out=False, analytic=True)
            x = x + (burst[:, None] * self.mic_phase[None, :]).real
        x = x + self.noise_rng.normal(scale=10 ** (self.scene.device.mic_noise_dbfs / 20), size=x.shape)
        if self.agc is not None:
            x = x * self._agc_gain(start, count, fs, emission)[:, None]
        lsb = 2.0 ** (1 - self.scene.device.bits)
        return np.asarray(np.clip(np.round(x / lsb) * lsb, -1.0, 1.0 - lsb), dtype=np.float64)


def _in_band(r: Array, t: Array, fc_over_c: Array, max_doppler_hz: float) -> Array:
    """1 where a path's Doppler (−f_c/c · dr/dt) is within max_doppler_hz, fading to 0 past it (r: (..., len(t)))."""
    rate = np.zeros_like(r)
    rate[..., 1:-1] = (r[..., 2:] - r[..., :-2]) / (t[2:] - t[:-2])
    rate[..., 0], rate[..., -1] = rate[..., 1], rate[..., -2]
    doppler = np.abs(rate) * fc_over_c
    edge = max_doppler_hz * (1 - DOPPLER_TAPER)
    return np.asarray(np.clip((max_doppler_hz - doppler) / (max_doppler_hz - edge), 0.0, 1.0))


def _delay_groups(delays_s: Array, weights: Array) -> tuple[NDArray[np.float32], NDArray[np.float64]]:
    """The fixed paths (mics, paths) in eight groups that each carry the music with one delay: masks and delays.

    The direct path, each first-order image (nearly the same delay at every
    mic, and nearly all the echoes' energy) and the diffuse tail (~2 % of
    it): within 0.5 % of every path with its own delay, where quantiles of
    the delays (paths of unlike delays summed) miss by 5 %. Returns the
    echoes' masks (7, mics, paths − 1) and each group's delay, weighted by
    its paths' amplitudes (8,).
    """
    echo_index = np.minimum(np.arange(delays_s.shape[1] - 1), IMAGES)  # six images, then the tail
    masks = (echo_index[None, None, :] == np.arange(IMAGES + 1)[:, None, None]).astype(np.float32)
    masks = np.broadcast_to(masks, (IMAGES + 1, *delays_s[:, 1:].shape)).copy()
    mean = [float(np.average(delays_s[:, 0], weights=weights[:, 0]))]
    mean += [float(np.average(delays_s[:, 1:], weights=weights[:, 1:] * mask)) for mask in masks]
    return masks, np.asarray(mean)
