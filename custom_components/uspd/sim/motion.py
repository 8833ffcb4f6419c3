"""Moving scatterers: positions as functions of absolute time, randomness fixed at build time.

A Mover returns, for a time vector, its scatterers' positions (n × 3) and
linear target-strength amplitudes (n,), several alike stacked in one Scatter
where that saves work (a fan's blade points, a walker's limbs); an
amplitude of 0 means absent. Doppler is never added: it comes from how
these positions change.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .fastmath import sin
from .scene import CURTAIN_WAVE_POINTS, SEATED_TORSO_Z_M, Curtain, Fan, Music, PedestalFan, Room, Seated, Walker

Array = NDArray[np.float64]


@dataclass
class Scatter:
    """Points that reflect the tone, with their positions and amplitudes at each knot."""

    pos: Array  # (knots, 3), or (scatterers, knots, 3) for several alike
    amp: Array  # (knots,), or (scatterers, knots)
    images: bool = False  # also reflect it via the walls (strong scatterers only)
    # Fast enough to leave the demodulator's band (fan blades): the baseband
    # render must drop what the demodulator's filter would, not alias it.
    fast: bool = False


def _amp(ts_db: float) -> float:
    return float(10 ** (ts_db / 20))


# A body turns and changes pace over about half a second: the walker's floor
# position is its waypoint polyline averaged over ±TURN_S (smooth velocity, no
# corners for the Doppler to click on).
TURN_S = 0.25
# Below this speed the stride shortens; at a standstill the legs are together.
FULL_STRIDE_MPS = 0.6


class WalkerMover:
    """Torso, head, two legs, two arms; a gait along the path; standing up and sitting down at its ends."""

    # (standing height fraction, swing amplitude m, swing phase, TS re torso dB, seated height m, seated reach m)
    PARTS = (
        (0.62, 0.0, 0.0, 0.0, SEATED_TORSO_Z_M, 0.0),  # torso: sits where a Seated torso is
        (0.92, 0.0, 0.0, -12.0, SEATED_TORSO_Z_M + 0.3, 0.05),  # head
        (0.25, 0.35, 0.0, -10.0, 0.5, 0.4),  # legs: knees forward at seat height
        (0.25, 0.35, np.pi, -10.0, 0.5, 0.4),
        (0.50, 0.20, np.pi, -14.0, 0.75, 0.25),  # arms: onto the desk
        (0.50, 0.20, 0.0, -14.0, 0.75, 0.25),
    )

    def __init__(self, w: Walker, room: Room, rng: np.random.Generator) -> None:
        wp = np.asarray(w.waypoints, dtype=np.float64)
        self.t, self.xy = wp[:, 0], wp[:, 1:3]
        seg = np.linalg.norm(np.diff(self.xy, axis=0), axis=1)
        self.dist = np.concatenate([[0.0], np.cumsum(seg)])
        self.w = w
        self.room = room
        self.phase0 = rng.uniform(0, 2 * np.pi)
        # Where the body faces while it stands up and sits down: along its first and last moves.
        moves = np.diff(self.xy, axis=0)[seg > 0]
        self.face_first = moves[0] / np.linalg.norm(moves[0]) if len(moves) else np.array([0.0, 1.0])
        self.face_last = moves[-1] / np.linalg.norm(moves[-1]) if len(moves) else np.array([0.0, 1.0])
        # The track (x, y, distance walked) at the waypoints and its antiderivative, for the moving average.
        self._track = np.column_stack([self.xy, self.dist])
        dt = np.diff(self.t)[:, None]
        self._area = np.vstack([np.zeros(3), np.cumsum(dt * (self._track[1:] + self._track[:-1]) / 2, axis=0)])

    def position_xy(self, t: Array) -> Array:
        """Where the polyline is at t (held before the first and after the last waypoint)."""
        return np.stack([np.interp(t, self.t, self.xy[:, i]) for i in range(2)], axis=1)

    def _integral(self, t: Array) -> Array:
        """∫ from the first waypoint to t of the track's polyline, (len(t), 3), held constant outside."""
        values, area = self._track, self._area
        clipped = np.clip(t, self.t[0], self.t[-1])
        k = np.clip(np.searchsorted(self.t, clipped, side="right") - 1, 0, len(self.t) - 2)
        u = (clipped - self.t[k])[:, None]
        dt = self.t[k + 1] - self.t[k]
        rate = (values[k + 1] - values[k]) / np.where(dt > 0, dt, 1.0)[:, None]
        inside = area[k] + values[k] * u + 0.5 * rate * u**2
        before = np.minimum(t - self.t[0], 0.0)[:, None] * values[0]
        after = np.maximum(t - self.t[-1], 0.0)[:, None] * values[-1]
        return np.asarray(inside + before + after)

    def _smoothed(self, t: Array) -> Array:
        """The track averaged over ±TURN_S: (x, y, distance walked) per time."""
        both = self._integral(np.concatenate([t + TURN_S, t - TURN_S]))
        return (both[: len(t)] - both[len(t) :]) / (2 * TURN_S)

    def seated(self, t: Array) -> Array:
        """How far into a seated posture the body is: 0 standing, 1 seated (smooth steps at either end)."""
        w = self.w
        out = np.zeros_like(t)
        if w.stand_up_s > 0:
            u = np.clip((self.t[0] - t) / w.stand_up_s, 0.0, 1.0)
            out = np.maximum(out, u * u * (3 - 2 * u))
        if w.sit_down_s > 0:
            u = np.clip((t - self.t[-1]) / w.sit_down_s, 0.0, 1.0)
            out = np.maximum(out, u * u * (3 - 2 * u))
        return out

    def scatter(self, t: Array) -> list[Scatter]:
        """The torso (also seen via the walls), then head, legs and arms together (in PARTS order)."""
        w = self.w
        present = (t >= w.start_s) & (t < w.end_s) if w.sit_down_s > 0 else (t >= w.start_s) & (t <= w.end_s)
        track = self._smoothed(t)
        xy, s = track[:, :2], track[:, 2]
        # The smoothed position's exact derivative: how fast and where to the body goes.
        velocity = (self.position_xy(t + TURN_S) - self.position_xy(t - TURN_S)) / (2 * TURN_S)
        speed = np.hypot(velocity[:, 0], velocity[:, 1])
        heading = velocity / np.maximum(speed, 1e-9)[:, None]
        stride = np.clip(speed / FULL_STRIDE_MPS, 0.0, 1.0) if w.stride_m > 0 else np.zeros_like(speed)
        phi = 2 * np.pi * s / w.stride_m + self.phase0 if w.stride_m > 0 else np.full_like(s, self.phase0)
        inside = (
            (xy[:, 0] >= 0) & (xy[:, 0] <= self.room.size_m[0]) & (xy[:, 1] >= 0) & (xy[:, 1] <= self.room.size_m[1])
        )
        wall = np.where(inside, 1.0, 10 ** (-2 * self.room.wall_loss_db / 20))
        sit = self.seated(t)
        face = np.where((t < self.t[0])[:, None], self.face_first, self.face_last)
        hf, swing, ph, ts, seat_z, reach = (np.asarray(c)[:, None] for c in zip(*self.PARTS, strict=True))
        offset = swing * stride * np.sin(phi + ph)  # (parts, knots)
        p = np.empty((len(self.PARTS), len(t), 3))
        p[..., :2] = xy + heading * offset[..., None] + face * (reach * sit)[..., None]
        bob = np.zeros((len(self.PARTS), 1))
        bob[:2] = 0.03  # torso and head bob twice a stride
        p[..., 2] = (1 - sit) * (hf * w.height_m + bob * stride * np.sin(2 * phi)) + sit * seat_z
        # Seated, the legs go under the desk and the arms onto it: only the torso is left to see.
        fade = np.vstack([np.ones_like(sit), np.broadcast_to(1.0 - sit, (len(self.PARTS) - 1, len(t)))])
        amp = present * wall * fade * 10 ** ((w.torso_ts_db + ts) / 20)
        return [Scatter(p[0], amp[0], images=True), Scatter(p[1:], amp[1:])]


class SeatedMover:
    """Breathing torso plus bursts of hand motion (typing, reaching, page turns)."""

    def __init__(self, s: Seated, rng: np.random.Generator) -> None:
        self.s = s
        n = rng.poisson(s.activity * (s.end_s - s.start_s)) + 1
        self.starts = np.sort(rng.uniform(s.start_s, s.end_s, n))
        self.kinds = rng.integers(0, 3, n)  # 0 typing, 1 reaching, 2 page turn
        self.durs = np.where(self.kinds == 0, rng.uniform(0.5, 3.0, n), rng.uniform(0.8, 2.0, n))
        self.dirs = rng.normal(size=(n, 3)) * np.array([1.0, 1.0, 0.4])
        self.dirs /= np.linalg.norm(self.dirs, axis=1, keepdims=True)
        self.ampl = np.where(self.kinds == 0, rng.uniform(0.002, 0.008, n), rng.uniform(0.05, 0.15, n))
        self.freq = rng.uniform(3.0, 7.0, n)
        self.breath_hz = rng.uniform(0.2, 0.3)

    def active(self, t: Array) -> NDArray[np.bool_]:
        """When a hand is actually moving (breathing alone is below the minor-motion band)."""
        out = np.zeros(len(t), dtype=bool)
        for t0, dur in zip(self.starts, self.durs, strict=True):
            out |= (t >= t0) & (t < t0 + dur)
        return out & (t >= self.s.start_s) & (t <= self.s.end_s)

    def scatter(self, t: Array) -> list[Scatter]:
        """The breathing torso (also seen via the walls), then the moving hand."""
        s = self.s
        present = ((t >= s.start_s) & (t <= s.end_s)).astype(np.float64)
        seat = np.array([s.seat_m[0], s.seat_m[1], SEATED_TORSO_Z_M])
        torso = np.tile(seat, (len(t), 1))
        # Settling in: breathing and the hands come up over the first seconds, so a walker who sat
        # down here hands over without a jump.
        settle = np.clip((t - s.start_s) / 2.0, 0.0, 1.0)
        torso[:, 1] -= 0.005 * settle * np.sin(2 * np.pi * self.breath_hz * t)
        hand = np.tile(seat + np.array([0.0, -0.35, -0.25]), (len(t), 1))
        for t0, dur, kind, d, a, f in zip(
            self.starts, self.durs, self.kinds, self.dirs, self.ampl, self.freq, strict=True
        ):
            m = (t >= t0) & (t < t0 + dur)
            if not m.any():
                continue
            u = (t[m] - t0) / dur
            if kind == 0:
                disp = a * np.sin(2 * np.pi * f * (t[m] - t0)) * np.sin(np.pi * u)
            else:  # out and back, raised-cosine
                disp = a * 0.5 * (1 - np.cos(2 * np.pi * u))
            hand[m] += disp[:, None] * d
        return [
            Scatter(torso, present * _amp(s.torso_ts_db), images=True),
            Scatter(hand, present * settle * _amp(-30.0)),
        ]


def _blade_angles(t: Array, rpm: float, blades: int, phase0: float) -> Array:
    """Each blade's angle at each time, (blades, len(t)): evenly spaced, turning together."""
    return np.asarray((2 * np.pi * rpm / 60 * t)[None, :] + (phase0 + 2 * np.pi * np.arange(blades) / blades)[:, None])


# A flat blade's specular lobe (Fan.flash_lobe_deg) peaks this far over blade_ts_db, on a floor this far below the peak.
FLASH_PEAK_DB = 6.0
FLASH_FLOOR_DB = -25.0


class FanMover:
    """Points along each blade; blades flash when broadside to the device."""

    POINTS = (0.35, 0.65, 0.95)

    def __init__(self, f: Fan, device_xy: tuple[float, float], rng: np.random.Generator) -> None:
        self.f = f
        self.phase0 = rng.uniform(0, 2 * np.pi)
        self.los = np.arctan2(device_xy[1] - f.center_m[1], device_xy[0] - f.center_m[0])

    def scatter(self, t: Array) -> list[Scatter]:
        """Every point of every blade, one fast set, flashing when broadside to the device."""
        f = self.f
        present = ((t >= f.start_s) & (t <= f.end_s)).astype(np.float64)
        # Every point of every blade at once: (blades, points, knots).
        theta = _blade_angles(t, f.rpm, f.blades, self.phase0)
        flash = self.flash(theta)
        radius = (np.asarray(self.POINTS) * f.radius_m)[None, :, None]
        p = np.empty((f.blades, len(self.POINTS), len(t), 3))
        p[..., 0] = f.center_m[0] + radius * np.cos(theta)[:, None, :]
        p[..., 1] = f.center_m[1] + radius * np.sin(theta)[:, None, :]
        p[..., 2] = f.center_m[2]
        amp = np.broadcast_to((present * flash * _amp(f.blade_ts_db))[:, None, :], p.shape[:3])
        return [Scatter(p.reshape(-1, len(t), 3), amp.reshape(-1, len(t)), fast=True)]

    def flash(self, theta: Array) -> Array:
        """Each blade's amplitude re blade_ts_db at blade angles theta: brightest broadside to the device.

        Broadside is across the blade's length, in the plane it turns in. A
        flat plate (flash_lobe_deg > 0) flashes in a narrow Gaussian lobe
        there, twice a turn; otherwise a broad |sin|⁸ flash.
        """
        lobe_deg = self.f.flash_lobe_deg
        if lobe_deg <= 0:
            return np.asarray(0.3 + 0.7 * np.abs(np.sin(theta - self.los)) ** 8)
        off = (theta - self.los) % np.pi - np.pi / 2  # from broadside, wrapped to [−90°, 90°)
        lobe = np.exp(-0.5 * (off / np.deg2rad(lobe_deg)) ** 2)
        floor = 10 ** (FLASH_FLOOR_DB / 20)
        return np.asarray(10 ** (FLASH_PEAK_DB / 20) * (floor + (1 - floor) * lobe))


class PedestalFanMover:
    """Blades spinning in a vertical plane on a head that yaws back and forth; the housing swings with it."""

    POINTS = (0.4, 0.7, 0.95)

    def __init__(self, f: PedestalFan, device_xy: tuple[float, float], rng: np.random.Generator) -> None:
        self.f = f
        self.phase0 = rng.uniform(0, 2 * np.pi)
        self.swing0 = rng.uniform(0, 2 * np.pi)
        to_device = np.array([device_xy[0] - f.center_m[0], device_xy[1] - f.center_m[1]])
        self.to_device = np.arctan2(to_device[1], to_device[0])

    def heading(self, t: Array) -> Array:
        """The head's yaw at times t, in radians."""
        f = self.f
        swing = np.sin(2 * np.pi * t / f.oscillation_period_s + self.swing0)
        return np.asarray(np.deg2rad(f.facing_deg + f.oscillation_deg * swing))

    def facing(self, t: Array) -> Array:
        """Cosine of the angle between the fan's axis and the device: 1 when it blows straight at it."""
        return np.asarray(np.cos(self.heading(t) - self.to_device))

    def scatter(self, t: Array) -> list[Scatter]:
        """The blades (flashing level with the device, glinting when the head faces it), then the motor housing."""
        f = self.f
        present = ((t >= f.start_s) & (t <= f.end_s)).astype(np.float64)
        psi = self.heading(t)
        # Blade faces glint along the axis: brightest when the head looks at the device.
        glint = 0.2 + 0.8 * np.abs(self.facing(t)) ** 2
        across = np.stack([-np.sin(psi), np.cos(psi)], axis=1)  # horizontal, in the blade plane
        centre = np.asarray(f.center_m)
        theta = _blade_angles(t, f.rpm, f.blades, self.phase0)
        flash = 0.4 + 0.6 * np.abs(np.cos(theta)) ** 6  # a blade level with the device flashes
        radius = (np.asarray(self.POINTS) * f.radius_m)[None, :, None]
        out_along = radius * np.cos(theta)[:, None, :]  # (blades, points, knots)
        p = np.empty((f.blades, len(self.POINTS), len(t), 3))
        p[..., :2] = centre[:2] + out_along[..., None] * across
        p[..., 2] = centre[2] + radius * np.sin(theta)[:, None, :]
        amp = np.broadcast_to((present * glint * flash * _amp(f.blade_ts_db))[:, None, :], p.shape[:3])
        out = [Scatter(p.reshape(-1, len(t), 3), amp.reshape(-1, len(t)), fast=True)]
        # The motor housing sits 15 cm behind the blades and turns with the head.
        housing = np.empty((len(t), 3))
        housing[:, 0] = centre[0] - 0.15 * np.cos(psi)
        housing[:, 1] = centre[1] - 0.15 * np.sin(psi)
        housing[:, 2] = centre[2]
        out.append(Scatter(housing, present * _amp(f.housing_ts_db)))
        return out


class CurtainMover:
    """Points across the curtain, each swaying along the normal at its own rate; gusts come and go.

    The curtain's sway_m at sway_hz is its swing in the strongest gust: every
    point peaks at that speed, 2π·sway_hz·sway_m, and the draft eases to a
    fifth of it between gusts. Curtains move at ~0.3 m/s at most (< 70 Hz of
    Doppler at 40 kHz); a gust that swung them further would reach walking
    speed, which is not a curtain. With Curtain.wave_m > 0 the points
    (WAVE_POINTS of them) sway together at sway_hz as a wave travelling along
    the width, each a phase 2π·x/wave_m behind (x along the width).
    """

    POINTS = 5
    WAVE_POINTS = CURTAIN_WAVE_POINTS

    def __init__(self, c: Curtain, rng: np.random.Generator) -> None:
        self.c = c
        n = self.POINTS
        self.freq = c.sway_hz * rng.uniform(0.7, 1.3, n)
        self.phase = rng.uniform(0, 2 * np.pi, n)
        self.gust = Jitter(rng, 0.5, 0.02, 0.2, 0.0, count=8)
        normal = np.asarray(c.normal, dtype=np.float64)
        self.normal = normal / np.linalg.norm(normal)
        along = np.cross(self.normal, [0.0, 0.0, 1.0])
        # The same draws either way: a travelling wave takes its phase from the first point's.
        self.offsets = np.linspace(-0.5, 0.5, self.WAVE_POINTS if c.wave_m > 0 else n) * c.width_m
        self.rest = np.asarray(c.center_m)[None, :] + self.offsets[:, None] * along[None, :]

    def scatter(self, t: Array) -> list[Scatter]:
        """Each point of the curtain, swaying along its normal."""
        c = self.c
        present = ((t >= c.start_s) & (t <= c.end_s)).astype(np.float64)
        # 0.2-1 of the full swing: calm spells and gusts (the jitter drifts at 0.02-0.2 Hz, so the swing's own
        # change adds little speed).
        gust = 0.6 + 0.4 * np.tanh(2 * self.gust(t))
        if c.wave_m > 0:
            phase = 2 * np.pi * c.sway_hz * t[None, :] + self.phase[0] - 2 * np.pi * self.offsets[:, None] / c.wave_m
            disp = c.sway_m * gust * np.sin(phase)  # (points, knots)
            pos = self.rest[:, None, :] + disp[..., None] * self.normal
            return [Scatter(pos, np.broadcast_to(present * _amp(c.ts_db), disp.shape).copy())]
        out = []
        for k in range(self.POINTS):
            # Each point at its own rate, all at the curtain's peak speed.
            sway = c.sway_m * c.sway_hz / self.freq[k]
            disp = sway * gust * np.sin(2 * np.pi * self.freq[k] * t + self.phase[k])
            pos = self.rest[k][None, :] + disp[:, None] * self.normal[None, :]
            out.append(Scatter(pos, present * _amp(c.ts_db)))
        return out


class Jitter:
    """Band-limited random process as a fixed sum of sinusoids: same value at the same time, however rendered."""

    def __init__(
        self, rng: np.random.Generator, rms: float, low_hz: float, high_hz: float, slope: float, count: int = 48
    ) -> None:
        self.f = np.exp(rng.uniform(np.log(low_hz), np.log(high_hz), count))
        a = self.f ** (-slope)
        self.a = a * rms * np.sqrt(2.0 / np.sum(a**2))
        self.p = rng.uniform(0, 2 * np.pi, count)
        self._tables: dict[float, tuple[Array, Array]] = {}

    def delayed_change(self, delay_s: float) -> Jitter:
        """x(t − delay_s) − x(t) as a process of its own: the same tones, each scaled by −2·sin(ω·delay_s/2)."""
        # A copy keeps the tones' frequencies and so shares their tables, which depend on nothing else.
        out = copy.copy(self)
        half = np.pi * self.f * delay_s
        out.a = -2 * self.a * np.sin(half)
        out.p = self.p - half + np.pi / 2
        return out

    def on_grid(self, start: int, count: int, rate_hz: float) -> Array:
        """Values at samples start..start+count of a grid at rate_hz.

        sin(ω(t₀ + τ) + p) = sin(ωτ)·cos(ωt₀ + p) + cos(ωτ)·sin(ωt₀ + p): one
        table over τ in a short span and a matrix product per span, instead of
        a sine per tone per sample.
        """
        span = 256
        if rate_hz not in self._tables:  # the same few rates, block after block
            wt = (2 * np.pi * self.f)[:, None] * (np.arange(span) / rate_hz)[None, :]
            self._tables[rate_hz] = (np.sin(wt), np.cos(wt))
        sin_wt, cos_wt = self._tables[rate_hz]
        t0 = (start + np.arange(0, count, span)) / rate_hz
        theta = (2 * np.pi * self.f)[None, :] * t0[:, None] + self.p[None, :]
        out = (self.a * np.cos(theta)) @ sin_wt + (self.a * np.sin(theta)) @ cos_wt
        return np.asarray(out.ravel()[:count], dtype=np.float64)

    def __call__(self, t: Array) -> Array:
        """The process's values at times t."""
        out = np.empty_like(t)
        # In chunks: the (count × chunk) phase matrix stays in cache.
        for i in range(0, len(t), 8192):
            chunk = t[i : i + 8192]
            phase = (2 * np.pi * self.f)[:, None] * chunk[None, :] + self.p[:, None]
            out[i : i + 8192] = self.a @ sin(phase)
        return out


class BassLine:
    """A seeded bass line b(t) in [-1, 1]: a note per beat, kick-like envelope; zero outside the music."""

    def __init__(self, m: Music, rng: np.random.Generator) -> None:
        self.m = m
        self.beat_s = 60.0 / m.tempo_bpm
        count = int(np.ceil((m.end_s - m.start_s) / self.beat_s)) + 1
        self.freqs = rng.uniform(m.bass_hz[0], m.bass_hz[1], count)
        self.phases = rng.uniform(0, 2 * np.pi, count)

    def __call__(self, t: Array) -> Array:
        """The bass line's value at times t."""
        m = self.m
        rel = t - m.start_s
        on = (t >= m.start_s) & (t < m.end_s)
        idx = np.clip((rel // self.beat_s).astype(int), 0, len(self.freqs) - 1)
        within = rel - idx * self.beat_s
        env = 0.55 + 0.45 * np.exp(-within / 0.12)
        return np.where(on, env * np.sin(2 * np.pi * self.freqs[idx] * rel + self.phases[idx]), 0.0)

    def pressure(self, t: Array, highpass_hz: float) -> Array:
        """The pressure the line makes, per unit of b at 100 Hz, through a mic's first-order roll-off at highpass_hz.

        A small source's pressure follows its cone's acceleration: −(f/100 Hz)² times each note (the
        envelope's own slow change left out), turned and scaled by the roll-off.
        """
        m = self.m
        rel = t - m.start_s
        on = (t >= m.start_s) & (t < m.end_s)
        idx = np.clip((rel // self.beat_s).astype(int), 0, len(self.freqs) - 1)
        within = rel - idx * self.beat_s
        env = 0.55 + 0.45 * np.exp(-within / 0.12)
        f = self.freqs[idx]
        mic = (1j * f / highpass_hz) / (1 + 1j * f / highpass_hz)
        wave = np.sin(2 * np.pi * f * rel + self.phases[idx] + np.angle(mic))
        return np.where(on, -env * (f / 100.0) ** 2 * np.abs(mic) * wave, 0.0)

    def envelope(self, t: Array, highpass_hz: float) -> Array:
        """The rms of pressure() over a few cycles: what a level meter follows."""
        m = self.m
        rel = t - m.start_s
        on = (t >= m.start_s) & (t < m.end_s)
        idx = np.clip((rel // self.beat_s).astype(int), 0, len(self.freqs) - 1)
        within = rel - idx * self.beat_s
        f = self.freqs[idx]
        gain = (f / 100.0) ** 2 * (f / highpass_hz) / np.sqrt(1 + (f / highpass_hz) ** 2)
        return np.where(on, gain * (0.55 + 0.45 * np.exp(-within / 0.12)) / np.sqrt(2), 0.0)


Mover = WalkerMover | SeatedMover | FanMover | PedestalFanMover | CurtainMover


def build_mover(
    src: Walker | Seated | Fan | PedestalFan | Curtain,
    room: Room,
    device_xy: tuple[float, float],
    rng: np.random.Generator,
) -> Mover:
    """The mover that animates a scene's source."""
    if isinstance(src, PedestalFan):
        return PedestalFanMover(src, device_xy, rng)
    if isinstance(src, Curtain):
        return CurtainMover(src, rng)
    if isinstance(src, Walker):
        return WalkerMover(src, room, rng)
    if isinstance(src, Seated):
        return SeatedMover(src, rng)
    return FanMover(src, device_xy, rng)
