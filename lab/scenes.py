"""Domain-randomised scenes for training, mining and evaluation.

Every draw comes from the seed: the same seed gives the same room, device,
carrier, people and distractors. Kinds:

- walk:      one walker (in, through, approach or leave), ranges 0.3–6 m
- seated:    someone already sitting (≤ 1.5 m) with minor motion only
- enter_sit: walks in, sits and types or reads, possibly leaves
- negative:  nobody in the room: empty, ceiling or pedestal fan, music,
             walker behind the wall, impulsive sounds, or a combination
- walk_fan, walk_music, seated_music: the combinations the benchmark asks for
  (walk_fan: a ceiling or a pedestal fan)

Every device has its own speaker and per-mic responses (gain, resonance,
roll-off); seated people sometimes make key clicks, walkers sometimes walk
through other impulsive sounds.
- negative_home: nobody in the room, with curtains or plants in a draft and
  an ultrasonic tone from another device (often inside the Doppler band),
  sometimes with a fan or music too. Drawn only when asked for by name, so
  the seeded mix of the other kinds (and every cached frame) stays as it was.
- enter_distracted: an enter_sit walk-in while one distractor already
  sounds (since before the walker comes in): another device's tone inside
  the walking band, a ceiling or pedestal fan, music, or a curtain. What
  the detector's rules against distractors may cost the people they must
  not lock out. Drawn only by name, as negative_home.
- enter_read: walks in, sits for minutes reading or watching (a hand moves
  every 2.5–12 s: 0.08–0.4 bursts per second, below most of enter_sit's),
  then leaves a minute before the end. Does the room stay occupied while they
  sit, and go vacant after? Drawn only by name.
- seated_far, enter_sit_far: seated and enter_sit with the seat 1.5–2.25 m from
  the device (FAR_SEAT_M), for training. Drawn only by name.
- shifted_*: the shifted suite's scenes (lab/shifted.py), physics beyond
  these draws' ranges; drawn only by name.
- wide_*: training's scenes with the shifted suite's physics at ranges
  inside the suite's (lab/widened.py); drawn only by name.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from custom_components.uspd.base.acoustics import speed_of_sound_mps
from custom_components.uspd.engine.rates import MAX_EMISSION_FRACTION
from custom_components.uspd.sim.scene import (
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

StandardKind = Literal[
    "walk",
    "seated",
    "enter_sit",
    "negative",
    "walk_fan",
    "walk_music",
    "seated_music",
    "negative_home",
    "enter_distracted",
    "enter_read",
    "seated_far",
    "enter_sit_far",
]
# The shifted suite's (lab/shifted.py), drawn only by name.
ShiftedKind = Literal[
    "shifted_walk",
    "shifted_walk_fan",
    "shifted_walk_music",
    "shifted_seated",
    "shifted_enter_sit",
    "shifted_enter_distracted",
    "shifted_ceiling_fan",
    "shifted_pedestal_fan",
    "shifted_music",
    "shifted_curtain",
    "shifted_tone",
    "shifted_impulses",
]
# Training's widened draws (lab/widened.py), drawn only by name.
WideKind = Literal["wide_walk", "wide_walk_fan", "wide_walk_music", "wide_seated", "wide_enter_sit", "wide_negative"]
Kind = StandardKind | ShiftedKind | WideKind
KINDS: tuple[Kind, ...] = ("walk", "seated", "enter_sit", "negative", "walk_fan", "walk_music", "seated_music")
NAMED_ONLY: tuple[Kind, ...] = ("negative_home", "enter_distracted", "enter_read", "seated_far", "enter_sit_far")
# Where seated people sit, metres from the device: the drawn kinds and the standard suite, and training's far seats
# (seated_far, enter_sit_far), where a hand's echo is up to 7 dB weaker (r^-4). The shifted suite seats people to
# 2.5 m (lab/shifted.py), still beyond them.
NEAR_SEAT_M = (0.0, 1.5)
FAR_SEAT_M = (1.5, 2.25)


@dataclass(frozen=True)
class Draw:
    """A seeded scene and the tone the device plays in it."""

    scene: Scene
    carrier_hz: float
    level: float
    kind: Kind


def _u(rng: np.random.Generator, a: float, b: float) -> float:
    return float(rng.uniform(a, b))


def random_room(rng: np.random.Generator) -> Room:
    """A room of random size and acoustics."""
    return Room(
        size_m=(_u(rng, 3.0, 7.0), _u(rng, 3.0, 6.0), _u(rng, 2.4, 3.0)),
        wall_reflection=_u(rng, 0.4, 0.8),
        rt60_s=_u(rng, 0.09, 0.13),
        temperature_c=_u(rng, 15.0, 30.0),
        humidity_pct=_u(rng, 20.0, 80.0),
        wall_loss_db=_u(rng, 35.0, 55.0),
    )


def random_device(rng: np.random.Generator, room: Room, rate_hz: int | None = None) -> Device:
    """A device with random mics, transducers and audio rate, against the near wall of the room."""
    n = int(rng.choice([1, 2, 2, 3, 4, 4, 6, 7, 8]))
    x = _u(rng, 1.0, room.size_m[0] - 1.0)
    z = _u(rng, 0.6, 1.3)
    speaker = (x, 0.15, z)
    radius = _u(rng, 0.02, 0.05)
    angles = rng.uniform(0, 2 * math.pi) + 2 * math.pi * np.arange(n) / n
    mics = tuple((x + radius * math.cos(a), 0.15 + radius * math.sin(a) * 0.5, z + 0.05) for a in angles)
    if rate_hz is None:
        rate_hz = int(rng.choice([96000, 96000, 96000, 48000, 192000]))
    return Device(
        speaker_m=speaker,
        mics_m=mics,
        audio_rate_hz=rate_hz,
        speaker_rolloff_hz=_u(rng, 28000.0, 46000.0),
        speaker_rolloff_db_per_khz=_u(rng, 0.8, 3.0),
        speaker_resonance_hz=_u(rng, 22000.0, 40000.0),
        speaker_resonance_db=_u(rng, 0.0, 6.0),
        mic_gain_db=tuple(float(g) for g in rng.normal(0.0, 1.0, n)),
        acoustic_gain=10 ** _u(rng, math.log10(0.008), math.log10(0.05)),
        mic_noise_dbfs=_u(rng, -96.0, -80.0),
        bits=int(rng.choice([16, 24])),
        phase_noise_rad=10 ** _u(rng, -4.3, -3.3),
        mic_resonance_hz=tuple(float(f) for f in rng.uniform(22000.0, 46000.0, n)),
        mic_resonance_db=tuple(float(g) for g in rng.uniform(0.0, 6.0, n)),
        mic_rolloff_hz=tuple(float(f) for f in rng.uniform(30000.0, 60000.0, n)),
        mic_rolloff_db_per_khz=_u(rng, 0.3, 1.5),
    )


def random_carrier(rng: np.random.Generator, rate_hz: int) -> float:
    """A carrier the device could play at this rate: near-ultrasonic at 48 kHz and below."""
    if rate_hz <= 48000:
        return float(round(_u(rng, 18000.0, min(21600.0, MAX_EMISSION_FRACTION * rate_hz))))
    return float(round(_u(rng, 25000.0, 43000.0)))


def _inside(
    rng: np.random.Generator,
    room: Room,
    near: tuple[float, float] | None = None,
    within: float = 6.0,
    beyond: float = 0.0,
) -> tuple[float, float]:
    for _ in range(100):
        p = (_u(rng, 0.3, room.size_m[0] - 0.3), _u(rng, 0.5, room.size_m[1] - 0.3))
        if near is None or beyond <= math.dist(p, near) <= within:
            return p
    return (room.size_m[0] / 2, room.size_m[1] / 2)


def _door(rng: np.random.Generator, room: Room) -> tuple[tuple[float, float], tuple[float, float]]:
    """A doorway on the far or a side wall: (just inside, one metre outside)."""
    side = int(rng.integers(0, 3))
    w, d = room.size_m[0], room.size_m[1]
    if side == 0:
        x = _u(rng, 0.4, w - 0.4)
        return (x, d - 0.1), (x, d + 1.0)
    y = _u(rng, 0.8, d - 0.4)
    return ((0.1, y), (-1.0, y)) if side == 1 else ((w - 0.1, y), (w + 1.0, y))


def _path(
    points: list[tuple[float, float]], t0: float, speed: float, pauses: list[float]
) -> tuple[tuple[float, float, float], ...]:
    """Waypoints (t, x, y) through points at speed, pausing pauses[i] at point i+1."""
    out = [(t0, *points[0])]
    t = t0
    for i, p in enumerate(points[1:]):
        t += math.dist(out[-1][1:], p) / speed
        out.append((t, *p))
        if i < len(pauses) and pauses[i] > 0:
            t += pauses[i]
            out.append((t, *p))
    return tuple(out)


def random_walker(
    rng: np.random.Generator,
    room: Room,
    device: Device,
    t0: float,
    duration: float,
    style: str | None = None,
    seat_m: tuple[float, float] = NEAR_SEAT_M,
) -> Walker:
    """A walk of the given style (drawn if None); "sit" walks in to a seat seat_m (from, to) from the device."""
    speed = _u(rng, 0.4, 1.8)
    dev_xy = (device.speaker_m[0], device.speaker_m[1])
    inside, outside = _door(rng, room)
    style = style or str(rng.choice(["in", "through", "approach", "leave", "wander"]))
    if style == "sit":
        pts = [outside, inside, _inside(rng, room, dev_xy, seat_m[1], seat_m[0])]
    elif style == "in":
        pts = [outside, inside, _inside(rng, room, dev_xy, 6.0)]
    elif style == "through":
        inside2, outside2 = _door(rng, room)
        pts = [outside, inside, _inside(rng, room), inside2, outside2]
    elif style == "approach":
        far = _inside(rng, room)
        ang = math.atan2(far[1] - dev_xy[1], far[0] - dev_xy[0])
        r = _u(rng, 0.3, 1.0)
        pts = [far, (dev_xy[0] + r * math.cos(ang), max(0.4, dev_xy[1] + r * math.sin(ang)))]
    elif style == "leave":
        pts = [_inside(rng, room), inside, outside]
    else:
        pts = [_inside(rng, room) for _ in range(3)]
    pauses = [float(rng.choice([0.0, _u(rng, 1.0, 6.0)])) for _ in pts]
    wp = _path(pts, t0, speed, pauses)
    if wp[-1][0] > duration:  # keep the walk inside the scene
        scale = (duration - t0) / (wp[-1][0] - t0)
        wp = tuple((t0 + (t - t0) * scale, x, y) for t, x, y in wp)
    return Walker(wp, height_m=_u(rng, 1.5, 1.95), stride_m=_u(rng, 1.1, 1.6), torso_ts_db=_u(rng, -12.0, -5.0))


def random_seated(
    rng: np.random.Generator,
    room: Room,
    device: Device,
    start: float,
    end: float,
    seat_m: tuple[float, float] = NEAR_SEAT_M,
) -> Seated:
    """Someone sitting seat_m (from, to) from the device, with minor motion of random activity."""
    dev_xy = (device.speaker_m[0], device.speaker_m[1])
    seat = _inside(rng, room, dev_xy, seat_m[1], seat_m[0])
    return Seated(start, end, seat_m=seat, activity=_u(rng, 0.2, 1.5), torso_ts_db=_u(rng, -12.0, -5.0))


def random_fan(rng: np.random.Generator, room: Room, start: float, end: float) -> Fan:
    """A ceiling fan of random size, speed and strength."""
    return Fan(
        start,
        end,
        center_m=(_u(rng, 1.0, room.size_m[0] - 1.0), _u(rng, 1.0, room.size_m[1] - 1.0), room.size_m[2] - 0.3),
        radius_m=_u(rng, 0.4, 0.7),
        rpm=_u(rng, 60.0, 250.0),
        blades=int(rng.integers(3, 6)),
        blade_ts_db=_u(rng, -30.0, -15.0),
        airflow_jitter_mps=_u(rng, 0.01, 0.1),
    )


def random_pedestal_fan(rng: np.random.Generator, room: Room, start: float, end: float) -> PedestalFan:
    """A pedestal fan of random placement, heading and oscillation."""
    return PedestalFan(
        start,
        end,
        center_m=(_u(rng, 0.5, room.size_m[0] - 0.5), _u(rng, 0.8, room.size_m[1] - 0.5), _u(rng, 0.8, 1.3)),
        facing_deg=_u(rng, -180.0, 180.0),
        oscillation_deg=float(rng.choice([0.0, _u(rng, 20.0, 45.0)])),
        oscillation_period_s=_u(rng, 10.0, 25.0),
        radius_m=_u(rng, 0.13, 0.25),
        rpm=_u(rng, 700.0, 1400.0),
        blades=int(rng.integers(3, 6)),
        blade_ts_db=_u(rng, -34.0, -22.0),
        housing_ts_db=_u(rng, -28.0, -18.0),
        airflow_jitter_mps=_u(rng, 0.05, 0.3),
    )


def random_any_fan(rng: np.random.Generator, room: Room, start: float, end: float) -> Fan | PedestalFan:
    """A ceiling or a pedestal fan, even odds."""
    return random_fan(rng, room, start, end) if rng.uniform() < 0.5 else random_pedestal_fan(rng, room, start, end)


def random_impulses(rng: np.random.Generator, start: float, end: float) -> Impulses:
    """Clicks and coughs at a random rate and level."""
    loud = _u(rng, -70.0, -40.0)
    return Impulses(start, end, rate_hz=10 ** _u(rng, -1.3, 0.0), level_dbfs=(loud - 15.0, loud))


def random_music(rng: np.random.Generator, start: float, end: float) -> Music:
    """Music through the sensing speaker: random distortion, bass and tempo."""
    return Music(
        start,
        end,
        pm_dbc=_u(rng, -35.0, -8.0),
        imd_dbc=_u(rng, -70.0, -30.0),
        bass_hz=(_u(rng, 30.0, 60.0), _u(rng, 80.0, 200.0)),
        tempo_bpm=_u(rng, 70.0, 170.0),
    )


def behind_wall_walker(rng: np.random.Generator, room: Room, t0: float, duration: float) -> Walker:
    """Someone walking the corridor beyond the far wall."""
    y = room.size_m[1] + _u(rng, 0.3, 1.5)
    a, b = (-1.0, y), (room.size_m[0] + 1.0, y)
    if rng.uniform() < 0.5:
        a, b = b, a
    return Walker(_path([a, b], t0, _u(rng, 0.6, 1.6), []))


def random_curtain(rng: np.random.Generator, room: Room, start: float, end: float) -> Curtain:
    """A curtain on a side or the far wall, swaying at a random speed and rate."""
    w, d = room.size_m[0], room.size_m[1]
    if rng.uniform() < 0.5:  # a side wall
        x = 0.15 if rng.uniform() < 0.5 else w - 0.15
        centre, normal = (x, _u(rng, 1.0, d - 1.0), _u(rng, 1.0, 1.8)), (1.0 if x < 1 else -1.0, 0.0, 0.0)
    else:  # the far wall
        centre, normal = (_u(rng, 1.0, w - 1.0), d - 0.15, _u(rng, 1.0, 1.8)), (0.0, -1.0, 0.0)
    width = _u(rng, 0.5, 2.0)
    # A curtain moves at ~0.01-0.3 m/s, swaying at 0.1-2 Hz: draw the peak
    # speed (in its strongest gust, sim/motion.CurtainMover) and the rate, and
    # the sway follows; a sway drawn on its own (0.5-8 cm) would reach walking
    # speed (up to 1 m/s) at a fast rate.
    speed = _u(rng, 0.01, 0.3)
    hz = _u(rng, 0.1, 2.0)
    return Curtain(
        start,
        end,
        center_m=centre,
        normal=normal,
        width_m=width,
        sway_m=speed / (2 * math.pi * hz),
        sway_hz=hz,
        ts_db=_u(rng, -30.0, -15.0),
    )


def random_distractor(rng: np.random.Generator, room: Room, carrier_hz: float, start: float, end: float) -> Source:
    """One of: another device's tone inside the walking band, a ceiling or pedestal fan, music, a curtain."""
    which = int(rng.integers(0, 5))
    if which == 0:
        # 0.4-4.5 m/s of radial speed at this carrier, approaching or receding.
        offset = (
            _u(rng, 0.4, 4.5)
            * 2
            * carrier_hz
            / speed_of_sound_mps(room.temperature_c)
            * (1 if rng.uniform() < 0.5 else -1)
        )
        return Interferer(carrier_hz + offset, level_dbfs=_u(rng, -80.0, -45.0), start_s=start)
    if which == 1:
        return random_fan(rng, room, start, end)
    if which == 2:
        return random_pedestal_fan(rng, room, start, end)
    if which == 3:
        return random_music(rng, start, end)
    return random_curtain(rng, room, start, end)


def draw(seed: int, kind: Kind | None = None, duration_s: float = 30.0, rate_hz: int | None = None) -> Draw:
    """The scene for a seed: its room, device, carrier, people and distractors (the kind drawn too unless given)."""
    if kind is not None and kind.startswith(("shifted_", "wide_")):
        # The shifted suite's draws (lab/shifted.py) and training's widened ones (lab/widened.py) build on these.
        from . import shifted, widened

        module_draw = shifted.draw if kind.startswith("shifted_") else widened.draw
        return module_draw(seed, kind, duration_s, rate_hz)  # type: ignore[arg-type]
    rng = np.random.default_rng([seed, 7919])
    if kind is None:
        kind = KINDS[int(rng.choice(len(KINDS), p=[0.25, 0.1, 0.15, 0.3, 0.08, 0.07, 0.05]))]
    room = random_room(rng)
    device = random_device(rng, room, rate_hz)
    d = duration_s
    sources: list[Source] = []
    if kind in ("walk", "walk_fan", "walk_music"):
        sources.append(random_walker(rng, room, device, _u(rng, 2.0, d / 3), d - 1.0))
    if kind in ("seated", "seated_music", "seated_far"):
        seat_m = FAR_SEAT_M if kind == "seated_far" else NEAR_SEAT_M
        sources.append(random_seated(rng, room, device, 0.0, d, seat_m))
        if rng.uniform() < 0.5:  # key clicks, pages, a mug put down
            sources.append(random_impulses(rng, 0.0, d))
    if kind in ("enter_sit", "enter_distracted", "enter_read", "enter_sit_far"):
        walk_s = d / 2 if kind != "enter_read" else 15.0
        seat_m = FAR_SEAT_M if kind == "enter_sit_far" else NEAR_SEAT_M
        walker = dataclasses.replace(
            random_walker(rng, room, device, _u(rng, 1.0, 4.0), walk_s, style="sit", seat_m=seat_m),
            sit_down_s=_u(rng, 0.8, 2.0),
        )
        end_xy = walker.waypoints[-1][1:]
        sit_from = walker.end_s
        if kind == "enter_read":
            leave, sit_to, activity = True, d - 60.0, 10 ** _u(rng, math.log10(0.08), math.log10(0.4))
        else:
            leave = rng.uniform() < 0.4
            sit_to = _u(rng, sit_from + 5.0, d - 4.0) if leave else d
            activity = _u(rng, 0.2, 1.5)
        seat = (float(end_xy[0]), float(end_xy[1]))
        sources.append(walker)
        sources.append(Seated(sit_from, sit_to, seat_m=seat, activity=activity, torso_ts_db=walker.torso_ts_db))
        if leave:
            inside, outside = _door(rng, room)
            stand = _u(rng, 0.8, 1.5)
            path = _path([seat, inside, outside], sit_to + stand, _u(rng, 0.6, 1.5), [])
            sources.append(Walker(path, stand_up_s=stand, torso_ts_db=walker.torso_ts_db))
    if kind == "walk" and rng.uniform() < 0.2:
        sources.append(random_impulses(rng, 0.0, d))
    if kind == "walk_fan":
        sources.append(random_any_fan(rng, room, 0.0, d))
    if kind in ("walk_music", "seated_music"):
        sources.append(random_music(rng, 0.0, d))
    if kind == "negative":
        for maker in rng.permutation(6)[: int(rng.integers(0, 5))]:
            if maker == 4:
                sources.append(random_pedestal_fan(rng, room, _u(rng, 0.0, d / 2), d))
            elif maker == 5:
                sources.append(random_impulses(rng, 0.0, d))
            elif maker == 0:
                sources.append(random_fan(rng, room, 0.0, d))
            elif maker == 1:
                sources.append(random_music(rng, _u(rng, 0.0, d / 2), d))
            elif maker == 2:
                sources.append(behind_wall_walker(rng, room, _u(rng, 0.0, d / 2), d))
            else:
                sources.append(random_fan(rng, room, _u(rng, 0.0, d / 2), d))
    if kind == "enter_distracted":
        carrier = random_carrier(rng, device.audio_rate_hz)
        level = _u(rng, 0.1, 0.5)
        walker = next(s for s in sources if isinstance(s, Walker))
        sources.append(random_distractor(rng, room, carrier, _u(rng, 0.0, walker.start_s - 0.5), d))
        scene = Scene(f"{kind}-{seed}", d, sources=tuple(sources), room=room, device=device, seed=seed)
        return Draw(scene, carrier, level, kind)
    if kind == "negative_home":
        for _ in range(int(rng.integers(1, 3))):
            sources.append(random_curtain(rng, room, 0.0, d))
        carrier = random_carrier(rng, device.audio_rate_hz)
        level = _u(rng, 0.1, 0.5)
        if rng.uniform() < 0.7:
            near = rng.uniform() < 0.6
            freq = carrier + _u(rng, -1500.0, 1500.0) if near else _u(rng, 18000.0, 0.45 * device.audio_rate_hz)
            sources.append(Interferer(freq, level_dbfs=_u(rng, -90.0, -55.0), start_s=_u(rng, 0.0, d / 2)))
        if rng.uniform() < 0.4:
            sources.append(random_any_fan(rng, room, 0.0, d) if rng.uniform() < 0.5 else random_music(rng, 0.0, d))
        if rng.uniform() < 0.4:
            sources.append(random_impulses(rng, 0.0, d))
        scene = Scene(f"{kind}-{seed}", d, sources=tuple(sources), room=room, device=device, seed=seed)
        return Draw(scene, carrier, level, kind)
    scene = Scene(f"{kind}-{seed}", d, sources=tuple(sources), room=room, device=device, seed=seed)
    return Draw(scene, random_carrier(rng, device.audio_rate_hz), _u(rng, 0.1, 0.5), kind)
