"""Training's widened draws: the shifted suite's physics at ranges it still reaches beyond, on training's seeds."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from custom_components.uspd.sim.scene import Fan, Music, PedestalFan
from lab import seeds, train
from lab.scenes import draw
from lab.shifted import SHIFTED, SHIFTED_KINDS, Ranges
from lab.widened import WIDE, WIDE_KINDS


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(Ranges)])
def test_the_shifted_suite_draws_beyond_training_in_every_range(field: str) -> None:
    wide, shifted = getattr(WIDE, field), getattr(SHIFTED, field)
    if field == "rates_hz":
        assert set(shifted) - set(wide)  # 44.1 kHz cards
    elif isinstance(shifted, tuple):
        assert shifted[0] < wide[0] or shifted[1] > wide[1], (field, wide, shifted)
    else:
        assert shifted > wide, (field, wide, shifted)


def test_widened_scenes_carry_the_new_physics_and_are_seeded() -> None:
    base = seeds.TRAIN.start + 80_000
    fans = [s for i in range(60) for s in draw(base + i, "wide_walk_fan").scene.sources if isinstance(s, Fan)]
    assert fans
    assert max(f.airflow_jitter_mps for f in fans) > 0.5  # over 0.15 % of c: the standard draws' stay ≤ 0.1 m/s
    assert all(f.flash_lobe_deg > 0 for f in fans)
    music = [s for i in range(10) for s in draw(base + i, "wide_walk_music").scene.sources if isinstance(s, Music)]
    assert music
    assert all(m.multipath for m in music)
    dev = draw(base, "wide_walk").scene.device
    assert dev.audio_rate_hz != 44100
    assert dev.antialias_hz is not None
    assert dev.antialias_hz > 0
    assert dev.speaker_ripple_db > 0
    assert repr(draw(base + 3, "wide_negative")) == repr(draw(base + 3, "wide_negative"))
    # Its own stream of draws: the same seed and kind draw another room and device than the shifted suite's.
    assert draw(base + 3, "wide_walk").scene.device != draw(base + 3, "shifted_walk").scene.device
    assert draw(base + 3, "wide_walk").scene.room != draw(base + 3, "shifted_walk").scene.room


def test_training_and_its_mining_draw_widened_scenes_on_their_own_seeds() -> None:
    jobs = train.training_jobs(320, 120, 80, 300)
    wide = [job for job in jobs if job[1] in WIDE_KINDS]
    assert len(wide) == 300
    assert {job[1] for job in wide} == set(WIDE_KINDS)
    assert {job[0] for job in jobs} <= set(seeds.TRAIN)
    assert len({job[0] for job in jobs}) == len(jobs)
    assert sum(job[1] == "wide_negative" for job in wide) == 120
    mined = [job for r in range(4) for job in train.wide_mining_jobs(r * 120, 2.0)]
    standard = {job[0] for r in range(4) for job in train.mining_jobs(r * 300, 5.0)}
    assert {job[0] for job in mined} <= set(seeds.MINING)
    assert not {job[0] for job in mined} & standard
    assert len({job[0] for job in mined}) == len(mined)
    empty = [job for job in mined if job[1] == "wide_negative"]
    assert len(empty) == pytest.approx(0.7 * len(mined), abs=2)
    for seed, kind, seconds, _ in mined[:10]:
        scene = draw(seed, kind, seconds).scene
        assert (kind == "wide_negative") == (scene.occupied() == [])
    assert any(isinstance(s, PedestalFan) for job in empty[:40] for s in draw(job[0], job[1], 60.0).scene.sources)


def test_the_shifted_suite_draws_what_it_drew_before_training_shared_its_code() -> None:
    """The suite's seeds and ranges were fixed before any model was compared on them: its draws never change."""
    text = "\n".join(repr(draw(seed, kind)) for kind in SHIFTED_KINDS for seed in (3_000_000, 3_000_001))
    # Written as when they were fixed: two fields came later with defaults no draw sets (the mics' roll-off,
    # and music heard at the level its excursion makes rather than -20 dBFS: the simulator's, not the draws').
    text = text.replace("audible_dbfs=None", "audible_dbfs=-20.0").replace(", mic_highpass_hz=40.0", "")
    assert hashlib.sha256(text.encode()).hexdigest() == (
        "2699c02dcbb1ee4dbaacb4bb22219b42a53af277eeb9f26be2672b416bb56c7d"
    )
