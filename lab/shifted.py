"""The shifted suite: scenes with physics the training draws lack or keep narrow, drawn wider than rooms need.

A figure measured only on the scenes the model was trained on is a
hypothesis. These scenes follow what real rooms and devices have
(docs/simulator.md, "Physics for the shifted suite") with ranges wider than
training uses, and draws training never makes:

- the device: per-mic gain ±3 dB and a random phase, a ±1.5 dB/kHz tilt
  across the Doppler band, the ADC's anti-alias roll-off from 0.45–0.5·fs,
  24-bit, a speaker ripple of ±1–5 dB every 0.8–2.5 kHz shaping what music
  puts on the tone; 44.1 kHz cards besides 48/96/192 kHz; rooms up to 8 × 7 m;
- music whose distortion rides every static path with its own delay (its
  ratio to the tone differs across mics and with the bass note), −40…−5 dBc;
- ceiling fans at 50–350 rpm (tips up to 17 m/s), 3–5 blades flashing in a
  narrow lobe, the draft jittering the speed of sound by 0.05–0.5 % rms at
  0.5–20 Hz on every path;
- pedestal fans at 600–1,400 rpm whose head yaws ±35–45° every 10–20 s,
  housing and blade echoes stronger than training's;
- curtains as travelling waves at 0.1–2 Hz, up to 0.3 m/s, with a total
  target strength of −20…−5 dB (a hand is −40…−30 dB);
- other devices' tones from 1 Hz to 1.5 kHz off ours (a tone a few Hz off
  looks like slow motion), −90…−40 dBFS;
- impulses: keys, crinkling, coughs, speech through a wall, footsteps
  behind it;
- walks that cross the device's line of sight (little radial speed), walkers
  staying 4–5.5 m away, seats up to 2.5 m away.

Its seeds (lab/seeds.py SHIFTED) and every range here were fixed before any
model or threshold was compared on it; nothing is tuned on it. Each empty
room holds one distractor class, so the false alarms of each class are
counted on their own hours.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import get_args

import numpy as np

from custom_components.uspd.base.acoustics import speed_of_sound_mps
from custom_components.uspd.engine.rates import MAX_EMISSION_FRACTION
from custom_components.uspd.sim.scene import (
    CURTAIN_WAVE_POINTS,
    Curtain,
    Device,
    Fan,
    Impulses,
    Interferer,
    Music,
    PedestalFan,
    Room,
    Scene,
    Seated,
    Source,
    Walker,
)

from .scenes import Draw, Kind, ShiftedKind, _door, _inside, _path, _u

SHIFTED_KINDS: tuple[ShiftedKind, ...] = get_args(ShiftedKind)
# The empty-room classes goal 3 counts separately: each scene holds one.
DISTRACTOR_CLASSES = ("ceiling_fan", "pedestal_fan", "music", "curtain", "tone", "impulses")


@dataclass(frozen=True)
class Ranges:
    """The ranges of the physics training's standard draws lack: the shifted suite's (SHIFTED), training's (WIDE).

    What is not here (the speaker's and mics' other responses, carriers, levels, the impulses) both draw alike.
    """

    rates_hz: tuple[int, ...] = (96000, 96000, 48000, 44100, 192000)
    room_w_m: tuple[float, float] = (3.0, 8.0)
    room_d_m: tuple[float, float] = (3.0, 7.0)
    room_h_m: tuple[float, float] = (2.3, 3.2)
    wall_reflection: tuple[float, float] = (0.3, 0.9)
    rt60_s: tuple[float, float] = (0.06, 0.2)
    temperature_c: tuple[float, float] = (12.0, 32.0)
    humidity_pct: tuple[float, float] = (15.0, 90.0)
    wall_loss_db: tuple[float, float] = (25.0, 55.0)
    mic_gain_db: float = 3.0  # ± uniform
    tilt_db_per_khz: float = 1.5  # ± uniform
    antialias_fraction: tuple[float, float] = (0.45, 0.5)  # of the audio rate
    ripple_db: tuple[float, float] = (1.0, 5.0)
    ripple_period_hz: tuple[float, float] = (800.0, 2500.0)
    walker_speed_mps: tuple[float, float] = (0.3, 2.0)
    far_m: tuple[float, float] = (4.0, 5.5)
    seat_within_m: float = 2.5
    torso_ts_db: tuple[float, float] = (-16.0, -4.0)
    fan_rpm: tuple[float, float] = (50.0, 350.0)
    fan_tip_mps: float = 17.0
    fan_blade_ts_db: tuple[float, float] = (-30.0, -10.0)
    draft_of_c: tuple[float, float] = (0.0005, 0.005)  # rms speed-of-sound jitter, a fraction of c
    flash_lobe_deg: tuple[float, float] = (2.0, 8.0)
    jitter_band_hz: tuple[float, float] = (0.5, 20.0)
    yaw_deg: tuple[float, float] = (35.0, 45.0)
    yaw_period_s: tuple[float, float] = (10.0, 20.0)
    pedestal_blade_ts_db: tuple[float, float] = (-34.0, -16.0)
    housing_ts_db: tuple[float, float] = (-26.0, -10.0)
    pedestal_jitter_mps: tuple[float, float] = (0.05, 0.5)
    music_pm_dbc: tuple[float, float] = (-40.0, -5.0)
    music_imd_dbc: tuple[float, float] = (-75.0, -25.0)
    curtain_ts_db: tuple[float, float] = (-20.0, -5.0)  # the whole curtain's
    curtain_wave_m: tuple[float, float] = (0.3, 3.0)
    tone_offset_hz: tuple[float, float] = (1.0, 1500.0)  # log-uniform, either side of the carrier
    tone_dbfs: tuple[float, float] = (-90.0, -40.0)


SHIFTED = Ranges()
RATES_HZ = SHIFTED.rates_hz


def room(rng: np.random.Generator, r: Ranges = SHIFTED) -> Room:
    """Bigger, deader and livelier rooms than training's."""
    return Room(
        size_m=(_u(rng, *r.room_w_m), _u(rng, *r.room_d_m), _u(rng, *r.room_h_m)),
        wall_reflection=_u(rng, *r.wall_reflection),
        rt60_s=_u(rng, *r.rt60_s),
        temperature_c=_u(rng, *r.temperature_c),
        humidity_pct=_u(rng, *r.humidity_pct),
        wall_loss_db=_u(rng, *r.wall_loss_db),
    )


def device(rng: np.random.Generator, rm: Room, rate_hz: int | None = None, r: Ranges = SHIFTED) -> Device:
    """A device with uneven mics, a tilted and band-limited capture path and a rippled speaker."""
    n = int(rng.choice([1, 1, 2, 2, 3, 4, 4, 6, 8]))
    x = _u(rng, 0.8, rm.size_m[0] - 0.8)
    z = _u(rng, 0.4, 1.8)
    radius = _u(rng, 0.01, 0.07)
    angles = rng.uniform(0, 2 * math.pi) + 2 * math.pi * np.arange(n) / n
    mics = tuple((x + radius * math.cos(a), 0.15 + radius * math.sin(a) * 0.5, z + 0.05) for a in angles)
    rate = rate_hz or int(rng.choice(r.rates_hz))
    return Device(
        speaker_m=(x, 0.15, z),
        mics_m=mics,
        audio_rate_hz=rate,
        speaker_rolloff_hz=_u(rng, 22000.0, 48000.0),
        speaker_rolloff_db_per_khz=_u(rng, 0.5, 4.0),
        speaker_resonance_hz=_u(rng, 20000.0, 42000.0),
        speaker_resonance_db=_u(rng, 0.0, 8.0),
        mic_gain_db=tuple(float(g) for g in rng.uniform(-r.mic_gain_db, r.mic_gain_db, n)),
        acoustic_gain=10 ** _u(rng, math.log10(0.004), math.log10(0.06)),
        mic_noise_dbfs=_u(rng, -100.0, -74.0),
        bits=24,
        phase_noise_rad=10 ** _u(rng, -4.5, -3.0),
        mic_resonance_hz=tuple(float(f) for f in rng.uniform(20000.0, 48000.0, n)),
        mic_resonance_db=tuple(float(g) for g in rng.uniform(0.0, 8.0, n)),
        mic_rolloff_hz=tuple(float(f) for f in rng.uniform(25000.0, 60000.0, n)),
        mic_rolloff_db_per_khz=_u(rng, 0.2, 2.0),
        mic_phase_rad=tuple(float(p) for p in rng.uniform(0.0, 2 * math.pi, n)),
        mic_tilt_db_per_khz=tuple(float(s) for s in rng.uniform(-r.tilt_db_per_khz, r.tilt_db_per_khz, n)),
        antialias_hz=_u(rng, *r.antialias_fraction) * rate,
        speaker_ripple_db=_u(rng, *r.ripple_db),
        speaker_ripple_period_hz=_u(rng, *r.ripple_period_hz),
    )


def carrier(rng: np.random.Generator, rate_hz: int) -> float:
    """What the device would try first; calibration then chooses (the benchmark calibrates every device)."""
    if rate_hz <= 48000:
        return float(round(_u(rng, 17500.0, MAX_EMISSION_FRACTION * rate_hz)))
    return float(round(_u(rng, 22000.0, min(45000.0, MAX_EMISSION_FRACTION * rate_hz))))


def walker(
    rng: np.random.Generator,
    rm: Room,
    dev: Device,
    t0: float,
    duration: float,
    style: str | None = None,
    r: Ranges = SHIFTED,
) -> Walker:
    """A walk, including ones across the line of sight and ones that keep 4–5.5 m away; slow to brisk."""
    speed = _u(rng, *r.walker_speed_mps)
    dev_xy = (dev.speaker_m[0], dev.speaker_m[1])
    inside, outside = _door(rng, rm)
    style = style or str(rng.choice(["in", "through", "approach", "leave", "wander", "across", "far"]))
    if style == "sit":
        pts = [outside, inside, _inside(rng, rm, dev_xy, r.seat_within_m)]
    elif style == "in":
        pts = [outside, inside, _inside(rng, rm, dev_xy, 6.0)]
    elif style == "through":
        inside2, outside2 = _door(rng, rm)
        pts = [outside, inside, _inside(rng, rm), inside2, outside2]
    elif style == "approach":
        start = _inside(rng, rm)
        ang = math.atan2(start[1] - dev_xy[1], start[0] - dev_xy[0])
        near = _u(rng, 0.3, 1.0)
        pts = [start, (dev_xy[0] + near * math.cos(ang), max(0.4, dev_xy[1] + near * math.sin(ang)))]
    elif style == "leave":
        pts = [_inside(rng, rm), inside, outside]
    elif style == "across":
        # Across the line of sight at 1–4 m: the radial speed is small except at the ends.
        y = min(dev_xy[1] + _u(rng, 1.0, 4.0), rm.size_m[1] - 0.3)
        a, b = (0.3, y), (rm.size_m[0] - 0.3, y)
        pts = [a, b] if rng.uniform() < 0.5 else [b, a]
    elif style == "far":
        # Along an arc 4–5.5 m away, where the room is that big; else the farthest corner and back.
        far = _u(rng, *r.far_m)
        arc = [
            (dev_xy[0] + far * math.cos(a), dev_xy[1] + far * math.sin(a))
            for a in np.linspace(_u(rng, 0.2, 1.0), _u(rng, 2.1, 2.9), 4)
        ]
        pts = [p for p in arc if 0.3 <= p[0] <= rm.size_m[0] - 0.3 and 0.5 <= p[1] <= rm.size_m[1] - 0.3]
        if len(pts) < 2:
            corner = (rm.size_m[0] - 0.3 if dev_xy[0] < rm.size_m[0] / 2 else 0.3, rm.size_m[1] - 0.3)
            pts = [corner, (corner[0], max(0.5, corner[1] - 1.5)), corner]
    else:
        pts = [_inside(rng, rm) for _ in range(3)]
    pauses = [float(rng.choice([0.0, _u(rng, 1.0, 6.0)])) for _ in pts]
    wp = _path(pts, t0, speed, pauses)
    if wp[-1][0] > duration:
        scale = (duration - t0) / (wp[-1][0] - t0)
        wp = tuple((t0 + (t - t0) * scale, x, y) for t, x, y in wp)
    return Walker(wp, height_m=_u(rng, 1.0, 2.0), stride_m=_u(rng, 0.8, 1.7), torso_ts_db=_u(rng, *r.torso_ts_db))


def ceiling_fan(rng: np.random.Generator, rm: Room, start: float, end: float, r: Ranges = SHIFTED) -> Fan:
    """A ceiling fan whose blades flash in a narrow lobe and whose draft stirs the air on every path."""
    radius = _u(rng, 0.4, 0.75)
    rpm = min(_u(rng, *r.fan_rpm), r.fan_tip_mps * 60 / (2 * math.pi * radius))  # tips up to 17 m/s (shifted)
    c = speed_of_sound_mps(rm.temperature_c)
    return Fan(
        start,
        end,
        center_m=(_u(rng, 0.8, rm.size_m[0] - 0.8), _u(rng, 0.8, rm.size_m[1] - 0.8), rm.size_m[2] - 0.3),
        radius_m=radius,
        rpm=rpm,
        blades=int(rng.integers(3, 6)),
        blade_ts_db=_u(rng, *r.fan_blade_ts_db),
        airflow_jitter_mps=_u(rng, *r.draft_of_c) * c,
        flash_lobe_deg=_u(rng, *r.flash_lobe_deg),
        jitter_band_hz=r.jitter_band_hz,
    )


def pedestal_fan(rng: np.random.Generator, rm: Room, start: float, end: float, r: Ranges = SHIFTED) -> PedestalFan:
    """A pedestal fan whose head yaws ±35–45°, placed anywhere, its housing a strong slow echo."""
    return PedestalFan(
        start,
        end,
        center_m=(_u(rng, 0.4, rm.size_m[0] - 0.4), _u(rng, 0.6, rm.size_m[1] - 0.4), _u(rng, 0.6, 1.4)),
        facing_deg=_u(rng, -180.0, 180.0),
        oscillation_deg=_u(rng, *r.yaw_deg),
        oscillation_period_s=_u(rng, *r.yaw_period_s),
        radius_m=_u(rng, 0.12, 0.3),
        rpm=_u(rng, 600.0, 1400.0),
        blades=int(rng.integers(3, 6)),
        blade_ts_db=_u(rng, *r.pedestal_blade_ts_db),
        housing_ts_db=_u(rng, *r.housing_ts_db),
        airflow_jitter_mps=_u(rng, *r.pedestal_jitter_mps),
        jitter_band_hz=r.jitter_band_hz,
    )


def music(rng: np.random.Generator, start: float, end: float, r: Ranges = SHIFTED) -> Music:
    """Music through the sensing speaker, its distortion on every path, louder and deeper than training's."""
    return Music(
        start,
        end,
        pm_dbc=_u(rng, *r.music_pm_dbc),
        imd_dbc=_u(rng, *r.music_imd_dbc),
        bass_hz=(_u(rng, 25.0, 60.0), _u(rng, 80.0, 250.0)),
        tempo_bpm=_u(rng, 60.0, 180.0),
        multipath=True,
    )


def curtain(rng: np.random.Generator, rm: Room, start: float, end: float, r: Ranges = SHIFTED) -> Curtain:
    """A curtain (or a large plant) in a draft: a travelling wave, far stronger than a hand."""
    w, d = rm.size_m[0], rm.size_m[1]
    if rng.uniform() < 0.5:
        x = 0.15 if rng.uniform() < 0.5 else w - 0.15
        centre, normal = (x, _u(rng, 0.8, d - 0.8), _u(rng, 0.8, 2.0)), (1.0 if x < 1 else -1.0, 0.0, 0.0)
    else:
        centre, normal = (_u(rng, 0.8, w - 0.8), d - 0.15, _u(rng, 0.8, 2.0)), (0.0, -1.0, 0.0)
    speed = _u(rng, 0.02, 0.3)
    hz = _u(rng, 0.1, 2.0)
    total_ts = _u(rng, *r.curtain_ts_db)
    return Curtain(
        start,
        end,
        center_m=centre,
        normal=normal,
        width_m=_u(rng, 0.5, 3.0),
        sway_m=speed / (2 * math.pi * hz),
        sway_hz=hz,
        ts_db=total_ts - 10 * math.log10(CURTAIN_WAVE_POINTS),  # the total spread over its points
        wave_m=_u(rng, *r.curtain_wave_m),
    )


def tone(rng: np.random.Generator, carrier_hz: float, start: float, end: float, r: Ranges = SHIFTED) -> Interferer:
    """Another device's tone 1 Hz–1.5 kHz off ours, either side (log-uniform: as often a few Hz as a kHz)."""
    low, high = (math.log10(f) for f in r.tone_offset_hz)
    offset = 10 ** _u(rng, low, high) * (1 if rng.uniform() < 0.5 else -1)
    return Interferer(carrier_hz + offset, level_dbfs=_u(rng, *r.tone_dbfs), start_s=start, end_s=end)


def impulses(rng: np.random.Generator, rm: Room, start: float, end: float) -> list[Source]:
    """Keys, crinkling and coughs; speech through a wall (many soft ones); footsteps behind it."""
    out: list[Source] = []
    which = int(rng.integers(0, 3))
    if which == 0:
        loud = _u(rng, -70.0, -30.0)
        out.append(Impulses(start, end, rate_hz=10 ** _u(rng, -1.3, 0.5), level_dbfs=(loud - 15.0, loud)))
    elif which == 1:
        soft = _u(rng, -85.0, -60.0)
        out.append(Impulses(start, end, rate_hz=_u(rng, 3.0, 8.0), level_dbfs=(soft - 10.0, soft)))
    else:
        y = rm.size_m[1] + _u(rng, 0.2, 1.0)
        a, b = (-1.0, y), (rm.size_m[0] + 1.0, y)
        t0 = _u(rng, start, max(start, end - 10.0))
        out.append(Walker(_path([a, b] if rng.uniform() < 0.5 else [b, a], t0, _u(rng, 0.5, 1.8), [])))
        out.append(Impulses(start, end, rate_hz=_u(rng, 1.5, 2.5), level_dbfs=(-80.0, _u(rng, -70.0, -50.0))))
    return out


def distractor(
    rng: np.random.Generator,
    rm: Room,
    cls: str,
    carrier_hz: float,
    start: float,
    end: float,
    r: Ranges = SHIFTED,
) -> list[Source]:
    """One source of a distractor class (impulses may be two: steps and their sound)."""
    if cls == "ceiling_fan":
        return [ceiling_fan(rng, rm, start, end, r)]
    if cls == "pedestal_fan":
        return [pedestal_fan(rng, rm, start, end, r)]
    if cls == "music":
        return [music(rng, start, end, r)]
    if cls == "curtain":
        return [curtain(rng, rm, start, end, r) for _ in range(int(rng.integers(1, 3)))]
    if cls == "tone":
        return [tone(rng, carrier_hz, start, end, r)]
    return impulses(rng, rm, start, end)


def draw(seed: int, kind: ShiftedKind, duration_s: float = 30.0, rate_hz: int | None = None) -> Draw:
    """The shifted scene for a seed and kind: its room, device, carrier, people and distractors."""
    return draw_in(SHIFTED, np.random.default_rng([seed, 104729]), seed, kind, duration_s, rate_hz)


def draw_in(r: Ranges, rng: np.random.Generator, seed: int, kind: Kind, duration_s: float, rate_hz: int | None) -> Draw:
    """A scene of kind "PREFIX_NAME" drawn from rng within the ranges r; NAME "negative": a random distractor class."""
    rm = room(rng, r)
    dev = device(rng, rm, rate_hz, r)
    first = carrier(rng, dev.audio_rate_hz)
    level = _u(rng, 0.05, 0.6)
    d = duration_s
    name = kind.split("_", 1)[1]
    sources: list[Source] = []
    if name in ("walk", "walk_fan", "walk_music"):
        sources.append(walker(rng, rm, dev, _u(rng, 2.0, d / 3), d - 1.0, r=r))
        if name == "walk_fan":
            cls = "ceiling_fan" if rng.uniform() < 0.5 else "pedestal_fan"
            sources += distractor(rng, rm, cls, first, 0.0, d, r)
        if name == "walk_music":
            sources.append(music(rng, 0.0, d, r))
    elif name == "seated":
        dev_xy = (dev.speaker_m[0], dev.speaker_m[1])
        seat = _inside(rng, rm, dev_xy, r.seat_within_m)
        sources.append(Seated(0.0, d, seat_m=seat, activity=_u(rng, 0.1, 2.0), torso_ts_db=_u(rng, *r.torso_ts_db)))
        if rng.uniform() < 0.5:
            sources += impulses(rng, rm, 0.0, d)
    elif name in ("enter_sit", "enter_distracted"):
        walk = dataclasses.replace(
            walker(rng, rm, dev, _u(rng, 1.0, 4.0), d / 2, style="sit", r=r), sit_down_s=_u(rng, 0.6, 2.5)
        )
        end_xy = walk.waypoints[-1][1:]
        sit_to = d if rng.uniform() < 0.6 else _u(rng, walk.end_s + 5.0, d - 4.0)
        seat = (float(end_xy[0]), float(end_xy[1]))
        sources += [walk, Seated(walk.end_s, sit_to, seat, activity=_u(rng, 0.1, 2.0), torso_ts_db=walk.torso_ts_db)]
        if sit_to < d:
            inside, outside = _door(rng, rm)
            stand = _u(rng, 0.6, 1.5)
            path = _path([seat, inside, outside], sit_to + stand, _u(rng, 0.5, 1.6), [])
            sources.append(Walker(path, stand_up_s=stand, torso_ts_db=walk.torso_ts_db))
        if name == "enter_distracted":
            cls = str(rng.choice(DISTRACTOR_CLASSES))
            sources += distractor(rng, rm, cls, first, _u(rng, 0.0, max(0.0, walk.start_s - 0.5)), d, r)
    elif name in DISTRACTOR_CLASSES:
        sources += distractor(rng, rm, name, first, _u(rng, 0.0, d / 4), d, r)
    elif name == "negative":
        sources += distractor(rng, rm, str(rng.choice(DISTRACTOR_CLASSES)), first, _u(rng, 0.0, d / 4), d, r)
    else:
        raise ValueError(f"not a kind drawn here: {kind}")
    scene = Scene(f"{kind}-{seed}", d, sources=tuple(sources), room=rm, device=dev, seed=seed)
    return Draw(scene, first, level, kind)
