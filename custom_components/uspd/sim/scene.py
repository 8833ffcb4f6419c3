"""What a scene is: declarative, seeded, and labelled (rendering lives in render.py).

Positions are metres in room coordinates (x, y on the floor, z up), with the
room spanning [0, size] on each axis. The defaults are typical values; a
figure known only as a range (wall reflection, reverberation, a device's
responses) is drawn from that range by the scene's seed (lab/scenes.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..base.labelled import MotionLabel, Span

Vec = tuple[float, float, float]
# Points across a curtain that sways as a travelling wave (Curtain.wave_m > 0).
CURTAIN_WAVE_POINTS = 9


@dataclass(frozen=True)
class Room:
    """The room's size and acoustics."""

    size_m: Vec = (5.0, 4.0, 2.6)
    wall_reflection: float = 0.6  # pressure reflection coefficient at ~40 kHz
    rt60_s: float = 0.11  # ultrasonic reverberation (90–130 ms at 40 kHz)
    temperature_c: float = 21.0
    humidity_pct: float = 45.0
    wall_loss_db: float = 45.0  # drywall transmission loss, one way, ultrasonic


@dataclass(frozen=True)
class OsAgc:
    """The capture path's automatic gain control (sim/agc.py): fast down, slow up, towards a target level."""

    target_dbfs: float = -30.0
    max_gain_db: float = 30.0
    attack_s: float = 0.005
    release_s: float = 0.8


@dataclass(frozen=True)
class Device:
    """A speaker and 1–8 microphones, with their (device-specific) responses."""

    speaker_m: Vec = (2.5, 0.15, 0.9)
    mics_m: tuple[Vec, ...] = (
        (2.46, 0.15, 0.95),
        (2.54, 0.15, 0.95),
        (2.5, 0.11, 0.95),
        (2.5, 0.19, 0.95),
    )
    audio_rate_hz: int = 96000
    # Where the speaker faces; ultrasonic tweeters are directional: a cardioid
    # whose back lobe is speaker_back_db down (walls behind the device barely
    # see the tone).
    speaker_axis: Vec = (0.0, 1.0, 0.0)
    speaker_back_db: float = -20.0
    # Speaker: flat to rolloff_hz, then falls; a resonance bump. dB re nominal.
    speaker_rolloff_hz: float = 38000.0
    speaker_rolloff_db_per_khz: float = 1.5
    speaker_resonance_hz: float = 31000.0
    speaker_resonance_db: float = 3.0
    # The speaker's ripple near the carrier: ripple_db·sin(2π f / period) dB at offset f (0 dB at the carrier), so
    # it shapes music's sidebands, not the steady tone. 0 for none.
    speaker_ripple_db: float = 0.0
    speaker_ripple_period_hz: float = 1500.0
    mic_gain_db: tuple[float, ...] = (0.0, -1.5, 1.0, -0.7)
    # Each mic's own response above 20 kHz (MEMS mics are lumpy there, unit to
    # unit): a resonance (centre, peak dB) and a roll-off corner, per mic. Empty
    # means flat. A resonance turns the phase as well as the gain.
    mic_resonance_hz: tuple[float, ...] = ()
    mic_resonance_db: tuple[float, ...] = ()
    mic_rolloff_hz: tuple[float, ...] = ()
    mic_rolloff_db_per_khz: float = 1.0
    # Unit-to-unit: a constant phase per mic on all it hears, and a gain slope across the Doppler band (dB per kHz
    # of offset from the carrier). Empty means none; a short tuple leaves the remaining mics alone.
    mic_phase_rad: tuple[float, ...] = ()
    mic_tilt_db_per_khz: tuple[float, ...] = ()
    # The ADC's anti-alias filter: flat to this frequency, then down linearly in dB to −60 dB at half the audio
    # rate. None for no filter.
    antialias_hz: float | None = None
    # Pressure at 1 m from full-scale drive, as digital full scale at the mic
    # (sensitivities of both transducers folded in).
    acoustic_gain: float = 0.02
    mic_noise_dbfs: float = -88.0  # self-noise, whole band, rms
    # The mics' first-order roll-off below this (MEMS mics: 20–100 Hz): what they hear of music's bass.
    mic_highpass_hz: float = 40.0
    bits: int = 16
    phase_noise_rad: float = 2e-4  # tone phase jitter (rms), drives a skirt
    agc: OsAgc | None = None  # an OS gain control left on (it must be off for sensing)

    def __post_init__(self) -> None:
        """Reject responses the renderer cannot draw: an anti-alias corner past Nyquist, a ripple of no period."""
        nyquist = self.audio_rate_hz / 2
        if self.antialias_hz is not None and not 0 < self.antialias_hz < nyquist:
            raise ValueError(f"antialias_hz {self.antialias_hz} must lie between 0 and half the audio rate ({nyquist})")
        if self.speaker_ripple_db and not self.speaker_ripple_period_hz > 0:
            raise ValueError(f"speaker_ripple_period_hz must be positive, not {self.speaker_ripple_period_hz}")


@dataclass(frozen=True)
class Walker:
    """A person walking along waypoints: (time_s, x, y) triples, linear between."""

    waypoints: tuple[tuple[float, float, float], ...]
    height_m: float = 1.75
    # Distance covered in one gait cycle (two steps); 0 makes a rigid body
    # with no swinging limbs (a clean target for physics tests).
    stride_m: float = 1.4
    torso_ts_db: float = -8.0
    # Standing up from a seat at the first waypoint before walking off, and
    # sitting down at the last one: the body folds (torso and head drop, knees
    # come forward) over these many seconds; 0 for neither.
    stand_up_s: float = 0.0
    sit_down_s: float = 0.0
    kind: Literal["walker"] = "walker"

    @property
    def start_s(self) -> float:
        """When the walker appears: at the first waypoint, less the time to stand up."""
        return self.waypoints[0][0] - self.stand_up_s

    @property
    def end_s(self) -> float:
        """When the walker is gone: at the last waypoint, plus the time to sit down."""
        return self.waypoints[-1][0] + self.sit_down_s


# Where a seated person's torso (the chest, its strongest reflector) is; a walker that sits down
# ends there, so the two meet.
SEATED_TORSO_Z_M = 1.0


@dataclass(frozen=True)
class Seated:
    """A person sitting still but for minor motion (typing, reaching, breathing)."""

    start_s: float
    end_s: float
    seat_m: tuple[float, float] = (2.5, 1.5)
    activity: float = 1.0  # bursts of hand motion per second
    torso_ts_db: float = -8.0
    kind: Literal["seated"] = "seated"


@dataclass(frozen=True)
class Fan:
    """A ceiling fan: blades (points along each blade) rotating, plus airflow jitter."""

    start_s: float
    end_s: float
    center_m: Vec = (2.5, 2.2, 2.35)
    radius_m: float = 0.6
    rpm: float = 180.0
    blades: int = 4
    blade_ts_db: float = -22.0
    airflow_jitter_mps: float = 0.05  # rms speed-of-sound jitter on every path
    # > 0: each blade is a flat plate flashing in a Gaussian lobe of this many degrees (std) as it turns broadside
    # to the device, peaking 6 dB over blade_ts_db on a floor 25 dB below the peak; 0: a broad |sin|⁸ flash.
    flash_lobe_deg: float = 0.0
    jitter_band_hz: tuple[float, float] = (0.3, 15.0)  # the band of the draft's speed-of-sound jitter
    kind: Literal["fan"] = "fan"

    def __post_init__(self) -> None:
        """Reject a negative lobe or an empty jitter band."""
        _check_fan(self.flash_lobe_deg, self.jitter_band_hz)


@dataclass(frozen=True)
class PedestalFan:
    """A standing fan: fast blades in a vertical plane, a head that oscillates (yaws), a jet of air.

    Its blade tips run at 15–40 m/s, far past the walking band (the
    demodulator's filter takes most of that away); what is left is the inner
    blade, the blade-pass flicker, the slow swing of the head and the jet
    jittering the speed of sound on the paths it crosses, strongest when it
    points at the device.
    """

    start_s: float
    end_s: float
    center_m: Vec = (1.0, 2.5, 1.1)
    facing_deg: float = 0.0  # mean heading of the fan's axis in the floor plane (0: +x)
    oscillation_deg: float = 35.0  # half the sweep; 0 holds the head still
    oscillation_period_s: float = 16.0
    radius_m: float = 0.2
    rpm: float = 1100.0
    blades: int = 5
    blade_ts_db: float = -28.0
    housing_ts_db: float = -22.0
    airflow_jitter_mps: float = 0.2  # rms sound-speed jitter on a path the jet crosses head-on
    jitter_band_hz: tuple[float, float] = (0.3, 15.0)  # the band of the jet's speed-of-sound jitter
    kind: Literal["pedestal_fan"] = "pedestal_fan"

    def __post_init__(self) -> None:
        """Reject an empty jitter band."""
        _check_fan(0.0, self.jitter_band_hz)


def _check_fan(flash_lobe_deg: float, jitter_band_hz: tuple[float, float]) -> None:
    if flash_lobe_deg < 0:
        raise ValueError(f"flash_lobe_deg must not be negative, not {flash_lobe_deg}")
    if not 0 < jitter_band_hz[0] < jitter_band_hz[1]:
        raise ValueError(f"jitter_band_hz must be (low, high) with 0 < low < high, not {jitter_band_hz}")


@dataclass(frozen=True)
class Music:
    """Music through the sensing loudspeaker: the cone's bass excursion phase-modulates the tone.

    Sidebands at f_c ± f_bass of ``pm_dbc`` (−8…−35 dBc) and electrical
    intermodulation of ``imd_dbc`` (−30…−70 dBc) relative to the tone; both
    originate at the speaker, so every path carries them. With ``multipath``
    each group of the room's fixed paths carries them with its own delay (so
    their ratio to the tone differs across mics and with the note), instead
    of the direct path's and one echo delay for all the rest.
    """

    start_s: float
    end_s: float
    pm_dbc: float = -20.0
    imd_dbc: float = -45.0
    bass_hz: tuple[float, float] = (40.0, 150.0)
    tempo_bpm: float = 120.0
    # The music itself at the mics: a 100 Hz note's peak, dBFS. None: what the cone's excursion makes
    # (render.MUSIC_PRESSURE_DB: sidebands of −20 dBc at 40 kHz are a 100 Hz note at −34 dBFS).
    audible_dbfs: float | None = None
    multipath: bool = False
    kind: Literal["music"] = "music"


@dataclass(frozen=True)
class Curtain:
    """A curtain (or a plant) in a draft: a few points swaying slowly across a wall, gusting.

    With ``wave_m`` > 0 it sways as a wave travelling along its width (this
    wavelength), over CURTAIN_WAVE_POINTS points, each of ``ts_db``; with 0,
    five points sway each at its own rate.
    """

    start_s: float
    end_s: float
    center_m: Vec = (0.15, 2.0, 1.4)  # on the wall at x = 0 by default
    normal: Vec = (1.0, 0.0, 0.0)  # the direction it billows in
    width_m: float = 1.2
    sway_m: float = 0.03
    sway_hz: float = 0.4
    ts_db: float = -22.0
    wave_m: float = 0.0
    kind: Literal["curtain"] = "curtain"

    def __post_init__(self) -> None:
        """Reject a negative wavelength."""
        if self.wave_m < 0:
            raise ValueError(f"wave_m must not be negative, not {self.wave_m}")


@dataclass(frozen=True)
class Interferer:
    """An ultrasonic tone from something else (a switch-mode supply, another sensor): not ours, not a person."""

    freq_hz: float
    level_dbfs: float = -50.0
    start_s: float = 0.0
    end_s: float = 1e9
    kind: Literal["interferer"] = "interferer"


@dataclass(frozen=True)
class Impulses:
    """Impulsive broadband sounds: key clicks, crinkling paper or packaging, coughs, a dropped spoon.

    Events come at ``rate_hz`` on average (Poisson), each with a level drawn
    from ``level_dbfs`` (rms at the mics over the whole band while it lasts).
    Nobody moves: their energy spreads over every Doppler bin at once.
    """

    start_s: float
    end_s: float
    rate_hz: float = 0.3
    level_dbfs: tuple[float, float] = (-70.0, -40.0)
    kind: Literal["impulses"] = "impulses"


Source = Walker | Seated | Fan | PedestalFan | Music | Curtain | Interferer | Impulses


@dataclass(frozen=True)
class Scene:
    """What a simulated room holds over its duration: sources, room, device, and the seed of everything random."""

    name: str
    duration_s: float
    sources: tuple[Source, ...] = ()
    room: Room = field(default_factory=Room)
    device: Device = field(default_factory=Device)
    seed: int = 0

    def labels(self) -> list[MotionLabel]:
        """What the sensor should report: motion of people inside the room (not behind its walls)."""
        out: list[MotionLabel] = []
        for s in self.sources:
            if isinstance(s, Walker):
                out += _walker_labels(s, self.room)
            elif isinstance(s, Seated):
                out.append(MotionLabel(s.start_s, s.end_s, "minor"))
        return sorted(out, key=lambda lab: lab.start)

    def occupied(self) -> list[Span]:
        """Spans when someone is inside the room (a walker outside it does not count)."""
        spans: list[tuple[float, float]] = []
        for s in self.sources:
            if isinstance(s, Walker):
                spans += _inside_spans(s, self.room)
            elif isinstance(s, Seated):
                spans.append((s.start_s, s.end_s))
        return [Span(a, b) for a, b in _merge(spans)]

    def describe(self, t: float) -> str:
        """What the room holds at t, in plain words ("Someone seated; a ceiling fan running"): the demo shows it."""
        people: list[str] = []
        things: list[str] = []
        for s in self.sources:
            if not s.start_s <= t <= s.end_s:
                continue
            if isinstance(s, Walker):
                x, y = _position(s, t)
                if not (0 <= x <= self.room.size_m[0] and 0 <= y <= self.room.size_m[1]):
                    people.append("someone walking outside the room")
                else:
                    people.append("someone walking" if _walker_moving(s, t) else "someone standing")
            elif isinstance(s, Seated):
                people.append("someone seated")
            else:
                things.append(_THINGS[s.kind])
        words = " and ".join(dict.fromkeys(people)) or "nobody"
        if things:
            words += "; " + ", ".join(dict.fromkeys(things))
        return words[0].upper() + words[1:]


_THINGS = {
    "fan": "a ceiling fan running",
    "pedestal_fan": "a pedestal fan running",
    "music": "music playing",
    "curtain": "a curtain swaying",
    "interferer": "another device's tone",
    "impulses": "clicks and knocks",
}


def _walker_moving(w: Walker, t: float) -> bool:
    """Walking between distinct waypoints, or standing up or sitting down, at t."""
    first, last = w.waypoints[0], w.waypoints[-1]
    if t < first[0] or t > last[0]:
        return True  # standing up before the first waypoint or sitting down after the last
    return any(
        ta <= t <= tb and (xa, ya) != (xb, yb)
        for (ta, xa, ya), (tb, xb, yb) in zip(w.waypoints, w.waypoints[1:], strict=False)
    )


def _walker_labels(w: Walker, room: Room) -> list[MotionLabel]:
    """Moving segments of the path (standing up and sitting down too), clipped to when the walker is inside."""
    inside = _inside_spans(w, room)
    out: list[MotionLabel] = []
    first, last = w.waypoints[0], w.waypoints[-1]
    moves = [(first[0] - w.stand_up_s, first[0])] if w.stand_up_s > 0 else []
    for (t0, x0, y0), (t1, x1, y1) in zip(w.waypoints, w.waypoints[1:], strict=False):
        if (x1, y1) != (x0, y0):
            moves.append((t0, t1))
    if w.sit_down_s > 0:
        moves.append((last[0], last[0] + w.sit_down_s))
    for t0, t1 in moves:
        for a, b in inside:
            start, end = max(t0, a), min(t1, b)
            if start >= end:
                continue
            if out and out[-1].end == start:
                start = out.pop().start  # one label for one continuous walk
            out.append(MotionLabel(start, end, "major"))
    return out


def _inside_spans(w: Walker, room: Room, step_s: float = 0.01) -> list[tuple[float, float]]:
    """When the walker's path is inside the room's floor plan (sampled every step_s), seated ends included."""
    t0, t1 = w.start_s, w.end_s
    times = [t0 + i * step_s for i in range(int((t1 - t0) / step_s) + 1)]
    spans: list[tuple[float, float]] = []
    start: float | None = None
    for t in times:
        x, y = _position(w, t)
        inside = 0 <= x <= room.size_m[0] and 0 <= y <= room.size_m[1]
        if inside and start is None:
            start = t
        elif not inside and start is not None:
            spans.append((start, t))
            start = None
    if start is not None:
        spans.append((start, times[-1]))
    return spans


def _position(w: Walker, t: float) -> tuple[float, float]:
    if t <= w.waypoints[0][0]:
        return w.waypoints[0][1], w.waypoints[0][2]
    for (ta, xa, ya), (tb, xb, yb) in zip(w.waypoints, w.waypoints[1:], strict=False):
        if ta <= t <= tb:
            u = 0.0 if tb == ta else (t - ta) / (tb - ta)
            return xa + u * (xb - xa), ya + u * (yb - ya)
    _, x, y = w.waypoints[-1]
    return x, y


def _merge(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged
