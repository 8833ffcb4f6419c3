"""Machines and music put as much Doppler energy approaching as receding; a walker does not."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from custom_components.uspd.engine.evidence import network_evidence
from custom_components.uspd.engine.features import CONTEXT_FRAMES, DB_SCALE, GRID_BINS, GRID_SPEEDS_MPS, scale_db
from custom_components.uspd.engine.lines import find_lines
from custom_components.uspd.engine.symmetry import side_balance_db, symmetric
from custom_components.uspd.engine.tuning import TUNING

RNG = np.random.default_rng(5)


def _window(lines_db: dict[float, float]) -> NDArray[np.float32]:
    """Noise (~0 dB) plus energy at the given radial speeds (m/s → dB over the floor) in every frame."""
    db = 10 * np.log10(RNG.exponential(1.0, (CONTEXT_FRAMES, GRID_BINS)))
    for speed, level in lines_db.items():
        db[:, int(np.argmin(np.abs(GRID_SPEEDS_MPS - speed)))] = level
    return scale_db(db)


def test_a_fans_blades_coming_and_going_are_symmetric() -> None:
    blades = _window({v: 20.0 for v in (-3.0, -2.0, -1.0, 1.0, 2.0, 3.0)})
    assert symmetric(blades)


def test_a_walker_approaching_is_not_even_with_limbs_swinging_back() -> None:
    # Torso at +1.2 m/s, a leg swinging forward at +2.5, an arm swinging back at −0.6 (8 dB weaker).
    walker = _window({1.2: 30.0, 2.5: 20.0, -0.6: 22.0})
    assert side_balance_db(walker) > TUNING.symmetry_db
    assert not symmetric(walker)
    receding = _window({-1.2: 30.0, -2.5: 20.0, 0.6: 22.0})
    assert side_balance_db(receding) < -TUNING.symmetry_db


def test_energy_below_the_walking_band_does_not_count() -> None:
    # A hand at 0.2 m/s on one side only: the walking band itself holds noise, evenly.
    assert symmetric(_window({0.2: 30.0}))


def test_many_windows_at_once_give_the_same_answers() -> None:
    fan, walker = _window({-2.0: 25.0, 2.0: 25.0}), _window({1.5: 25.0})
    assert symmetric(np.stack([fan, walker, fan])).tolist() == [True, False, True]


def test_a_symmetric_window_is_still_reported_but_opens_no_room() -> None:
    sure_walk = np.array([0.001, 0.001, 0.998], dtype=np.float32)
    plain = network_evidence(sure_walk, (0.0, 20.0, 0.0))
    fan = network_evidence(sure_walk, (0.0, 20.0, 0.0), opens_no_room=True)
    assert fan.major_logit == plain.major_logit > 0.0
    assert plain.occupy_cap > 0.0 > fan.occupy_cap


def test_music_beside_another_device_s_tone_is_judged_without_the_tone() -> None:
    # Music's sidebands at ±1 m/s, evenly; a tone at −2 m/s, 30 dB over them, on one side only.
    music_and_tone = _window({-1.0: 15.0, 1.0: 15.0, -2.0: 45.0})
    assert not symmetric(music_and_tone)  # the tone alone makes the band look one-sided
    assert symmetric(music_and_tone, without=find_lines(music_and_tone).own)
    # A walker beside the tone is still one-sided without it: torso and leg move with the gait.
    db = _window({-2.0: 45.0}).astype(np.float64) * DB_SCALE
    for row, v in enumerate(np.linspace(1.0, 1.4, CONTEXT_FRAMES)):
        for speed, level in ((v, 30.0), (2 * v, 20.0 + 3 * RNG.standard_normal())):
            db[row, int(np.argmin(np.abs(GRID_SPEEDS_MPS - speed)))] = level
    walker_and_tone = scale_db(db)
    assert not symmetric(walker_and_tone, without=find_lines(walker_and_tone).own)
    # Without a still line, nothing is left out.
    assert not find_lines(_window({})).own.any()
