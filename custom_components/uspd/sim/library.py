"""Named, seeded scenes: the demo's loop, test scenes, and the lab's building blocks."""

from __future__ import annotations

from collections.abc import Callable

from .scene import Curtain, Device, Fan, Impulses, PedestalFan, Scene, Seated, Walker

DOOR = (0.4, 3.9)  # just inside the door, far corner from the device
OUTSIDE = (0.4, 4.8)  # beyond the wall at y = 4.0


def demo_loop(seed: int = 7) -> Scene:
    """Someone walks in, sits down, moves a little, gets up and leaves; later a fan runs with nobody there."""
    walk_in = Walker(((4.0, *OUTSIDE), (5.5, *DOOR), (9.0, 2.5, 1.6)), sit_down_s=1.0)
    walk_out = Walker(((40.0, 2.5, 1.6), (43.5, *DOOR), (45.0, *OUTSIDE)), stand_up_s=1.0)
    return Scene(
        "demo_loop",
        duration_s=120.0,
        sources=(walk_in, Seated(10.0, 39.0, seat_m=(2.5, 1.6), activity=0.6), walk_out, Fan(85.0, 115.0)),
        seed=seed,
    )


def empty_room(seed: int = 1, duration_s: float = 30.0) -> Scene:
    """Nobody and nothing moving: the room's static echoes and noise only."""
    return Scene("empty_room", duration_s, seed=seed)


def walk_in_and_leave(seed: int = 3, duration_s: float = 20.0) -> Scene:
    """Enters at 2 s, stands at 2 m from 5 s, leaves from 12 s to 15 s."""
    return Scene(
        "walk_in_and_leave",
        duration_s,
        sources=(
            Walker(((2.0, *OUTSIDE), (3.0, *DOOR), (5.0, 2.5, 2.0), (12.0, 2.5, 2.0), (14.0, *DOOR), (15.0, *OUTSIDE))),
        ),
        seed=seed,
    )


def fan_only(seed: int = 2, duration_s: float = 30.0) -> Scene:
    """A ceiling fan running the whole time in an empty room."""
    return Scene("fan_only", duration_s, sources=(Fan(0.0, duration_s),), seed=seed)


def walker_behind_wall(seed: int = 4, duration_s: float = 20.0) -> Scene:
    """Someone walks the corridor beyond the wall at y = 4 m; the room stays empty."""
    return Scene("walker_behind_wall", duration_s, sources=(Walker(((1.0, 0.2, 4.6), (12.0, 4.8, 4.6))),), seed=seed)


# Two mics: long scenes render twice as fast, and the engine must work with two.
TWO_MICS = Device(mics_m=((2.46, 0.15, 0.95), (2.54, 0.15, 0.95)), mic_gain_db=(0.0, -1.0))


def reading_for_ten_minutes(seed: int = 11, minutes: float = 10.0) -> Scene:
    """Walks in at 2 s, sits 1.2 m from the device, only types and turns pages, leaves; then the room stays empty."""
    sit_from = 6.0
    sit_to = sit_from + 60 * minutes
    walk_in = Walker(((2.0, *OUTSIDE), (3.0, *DOOR), (sit_from - 1.0, 2.5, 1.35)), sit_down_s=1.0)
    walk_out = Walker(((sit_to + 1.0, 2.5, 1.35), (sit_to + 3.0, *DOOR), (sit_to + 4.0, *OUTSIDE)), stand_up_s=1.0)
    return Scene(
        "reading_for_ten_minutes",
        duration_s=sit_to + 40.0,
        sources=(walk_in, Seated(sit_from, sit_to, seat_m=(2.5, 1.35), activity=0.15), walk_out),
        device=TWO_MICS,
        seed=seed,
    )


def minor_motion_nobody_entered(seed: int = 12, duration_s: float = 120.0) -> Scene:
    """A curtain in a draft and a plant by the desk swaying, nobody in the room: never occupied."""
    return Scene(
        "minor_motion_nobody_entered",
        duration_s,
        sources=(
            Curtain(0.0, duration_s),
            Curtain(
                0.0,
                duration_s,
                center_m=(3.6, 1.4, 1.0),
                normal=(-1.0, 0.0, 0.0),
                width_m=0.4,
                sway_m=0.02,
                sway_hz=1.2,
                ts_db=-26.0,
            ),
        ),
        device=TWO_MICS,
        seed=seed,
    )


def pedestal_fan_and_clicks(seed: int = 13, duration_s: float = 40.0) -> Scene:
    """Nobody there: a pedestal fan sweeping across the device, and keys, paper and a cough now and then."""
    return Scene(
        "pedestal_fan_and_clicks",
        duration_s,
        sources=(
            PedestalFan(0.0, duration_s, center_m=(1.2, 2.6, 1.1), facing_deg=-60.0, oscillation_period_s=14.0),
            Impulses(0.0, duration_s, rate_hz=0.5, level_dbfs=(-65.0, -45.0)),
        ),
        seed=seed,
    )


SCENARIOS: dict[str, Callable[[], Scene]] = {
    "demo_loop": demo_loop,
    "empty_room": empty_room,
    "walk_in_and_leave": walk_in_and_leave,
    "fan_only": fan_only,
    "walker_behind_wall": walker_behind_wall,
    "reading_for_ten_minutes": reading_for_ten_minutes,
    "minor_motion_nobody_entered": minor_motion_nobody_entered,
    "pedestal_fan_and_clicks": pedestal_fan_and_clicks,
}
