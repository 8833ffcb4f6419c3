"""Training scenes with the physics of real rooms the standard draws lack, at ranges inside the shifted suite's.

The standard draws (lab/scenes.py) keep every mic in phase, music's
distortion on the direct path only, curtains as rigid panels, ceiling-fan
drafts at most 0.03 % of the speed of sound and walkers inside 1.5–6 m at
0.4–1.8 m/s. A network trained on them alone turns Motion on ~170 times an
hour under a ceiling fan whose draft reaches 0.3 % of c (lab/README.md, "The
shifted suite"). These scenes draw the same physics as the shifted suite
(lab/shifted.py) from ranges of their own (WIDE below), and never 44.1 kHz
cards: in each of those ranges the suite draws values these never do, so
that it keeps measuring beyond what training saw. The device's other
responses, the carriers, levels and impulses are drawn as the suite draws
them. The ranges follow the physics real rooms have (the
simulator's "Physics for the shifted suite"); none was tuned against the
suite's figures.

`scripts/lab train --wide-scenes 300 --wide-mining-hours 2` trains with
them. That network did no better on the shifted suite, and worse beside
music and tones (lab/results/retrains_v6.json), so the shipped recipe leaves
them out; they stay for the next recipe to try.

Kinds (drawn only by name, on seeds.TRAIN and seeds.MINING):
wide_walk, wide_walk_fan, wide_walk_music, wide_seated, wide_enter_sit and
wide_negative (an empty room with one distractor class: ceiling fan,
pedestal fan, music, curtain, another device's tone or impulses).
"""

from __future__ import annotations

from typing import get_args

import numpy as np

from .scenes import Draw, WideKind
from .shifted import SHIFTED, Ranges, draw_in

WIDE_KINDS: tuple[WideKind, ...] = get_args(WideKind)
# Wider than the standard draws; in every range the shifted suite draws values these never do (at one end
# or both: tests/lab/test_widened.py), so that it keeps measuring beyond training.
WIDE = Ranges(
    rates_hz=(96000, 96000, 48000, 192000),  # no 44.1 kHz: the shifted suite keeps those
    room_w_m=(3.0, 7.5),
    room_d_m=(3.0, 6.5),
    room_h_m=(2.35, 3.1),
    wall_reflection=(0.35, 0.85),
    rt60_s=(0.07, 0.17),
    temperature_c=(14.0, 31.0),
    humidity_pct=(18.0, 85.0),
    wall_loss_db=(30.0, 55.0),
    mic_gain_db=2.0,
    tilt_db_per_khz=1.0,
    antialias_fraction=(0.46, 0.5),
    ripple_db=(0.5, 3.5),
    ripple_period_hz=(900.0, 2200.0),
    walker_speed_mps=(0.35, 1.9),
    far_m=(4.0, 5.0),
    seat_within_m=2.0,
    torso_ts_db=(-15.0, -5.0),
    fan_rpm=(50.0, 300.0),
    fan_tip_mps=15.0,
    fan_blade_ts_db=(-30.0, -12.0),
    draft_of_c=(0.0003, 0.0035),
    flash_lobe_deg=(3.0, 12.0),
    jitter_band_hz=(0.5, 15.0),
    yaw_deg=(25.0, 42.0),
    yaw_period_s=(11.0, 20.0),
    pedestal_blade_ts_db=(-34.0, -18.0),
    housing_ts_db=(-28.0, -12.0),
    pedestal_jitter_mps=(0.05, 0.4),
    music_pm_dbc=(-38.0, -7.0),
    music_imd_dbc=(-72.0, -28.0),
    curtain_ts_db=(-24.0, -7.0),
    curtain_wave_m=(0.4, 2.5),
    tone_offset_hz=(2.0, 1200.0),
    tone_dbfs=(-85.0, -45.0),
)
assert WIDE != SHIFTED


def draw(seed: int, kind: WideKind, duration_s: float = 30.0, rate_hz: int | None = None) -> Draw:
    """The widened training scene for a seed and kind."""
    return draw_in(WIDE, np.random.default_rng([seed, 15485863]), seed, kind, duration_s, rate_hz)
