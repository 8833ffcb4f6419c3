"""Another device's tone (a still spectral line) against a walker's echo, on the network's own input."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from numpy.typing import NDArray

from custom_components.uspd.engine.classifier import Classifier
from custom_components.uspd.engine.detector import Motion
from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.engine.evidence import network_evidence
from custom_components.uspd.engine.features import (
    CONTEXT_FRAMES,
    DB_RANGE,
    DB_SCALE,
    GRID_BINS,
    GRID_SPEEDS_MPS,
    scale_db,
)
from custom_components.uspd.engine.lines import LineMemory, beside_db, find_lines, held_still
from custom_components.uspd.engine.pipeline import Engine, EngineConfig
from custom_components.uspd.engine.tuning import TUNING
from custom_components.uspd.engine.walking import STILL_BIN, WALKING_BINS, WALKING_IN_LINE, walking_db
from custom_components.uspd.sim.render import Renderer
from custom_components.uspd.sim.scene import Interferer, Scene, Walker

RNG = np.random.default_rng(3)
OUTLIERS_ANY = dataclasses.replace(TUNING, line_outlier_db=None)
OUTLIERS_4_5 = dataclasses.replace(TUNING, line_outlier_db=4.5)
# Slow lines and tones split over two bins, as tune_detector --tones tried them (the shipped Tuning has them off).
WEAK_30 = dataclasses.replace(TUNING, weak_line_db=30.0, split_line_db=math.inf)  # slow lines alone
SPLIT_30 = dataclasses.replace(TUNING, weak_line_db=math.inf, split_line_db=30.0)  # split lines alone
KNOWN_20 = dataclasses.replace(TUNING, line_known_frames=20)


def stationary_line(windows: NDArray[np.float32], min_frames: int = TUNING.line_min_frames) -> NDArray[np.bool_]:
    """Whether each window holds a still line, with `min_frames` as the line's shortest run."""
    return find_lines(windows, dataclasses.replace(TUNING, line_min_frames=min_frames)).still


def beside_line_db(
    windows: NDArray[np.float32], steady_std_db: float | None = TUNING.steady_std_db
) -> NDArray[np.float64]:
    """The walking band's energy beside each window's still line (dB), with this steadiness limit."""
    return beside_db(find_lines(windows, dataclasses.replace(TUNING, steady_std_db=steady_std_db)))


def _window(bins: list[int], levels_db: list[float]) -> NDArray[np.float32]:
    """The classifier's scaled input: noise (~0 dB) with one strong bin per frame."""
    db = RNG.normal(0.0, 2.0, (CONTEXT_FRAMES, GRID_BINS))
    for row, (b, level) in enumerate(zip(bins, levels_db, strict=True)):
        db[row, b] = level
    return scale_db(db)


def _bin(speed_mps: float) -> int:
    """The classifier grid's bin nearest `speed_mps`."""
    return int(np.argmin(np.abs(GRID_SPEEDS_MPS - speed_mps)))


def test_a_steady_tone_in_the_walking_band_is_a_still_line() -> None:
    tone = _window([_bin(1.2)] * CONTEXT_FRAMES, list(25.0 + RNG.normal(0, 0.3, CONTEXT_FRAMES)))
    assert stationary_line(tone)


def test_a_walker_whose_doppler_moves_a_bin_is_not() -> None:
    # Gait: the torso's radial speed swings ±0.15 m/s within a stride.
    speeds = 1.2 + 0.15 * np.sin(np.linspace(0, np.pi, CONTEXT_FRAMES))
    walker = _window([_bin(v) for v in speeds], [25.0] * CONTEXT_FRAMES)
    assert not stationary_line(walker)


def test_a_still_bin_whose_level_swings_is_not() -> None:
    swinging = 25.0 + 3 * TUNING.line_level_std_db * np.sign(np.sin(np.arange(CONTEXT_FRAMES)))
    assert not stationary_line(_window([_bin(1.2)] * CONTEXT_FRAMES, list(swinging)))


def _spectrum(levels_db: dict[int, list[float]]) -> NDArray[np.float32]:
    """The classifier's scaled input: noise (~0 dB) with these bins at these levels, frame by frame."""
    db = np.random.default_rng(7).normal(0.0, 2.0, (CONTEXT_FRAMES, GRID_BINS))
    for b, levels in levels_db.items():
        db[:, b] = levels
    return scale_db(db)


# A walker's echo swings with the gait and the range, frame by frame: no steady bin.
GAIT_DB = np.resize([0.0, -5.0, 3.0, -2.0, 4.0, -6.0], CONTEXT_FRAMES)


def _few_hertz_off(walker_db: float | None = None) -> NDArray[np.float32]:
    """A strong tone at 0.13 m/s whose skirt spills into the walking band's slowest bins, wavering there."""
    waver = np.resize([0.0, -7.0], CONTEXT_FRAMES)
    levels = {
        _bin(0.134): [49.0] * CONTEXT_FRAMES,
        _bin(0.268): [40.0] * CONTEXT_FRAMES,
        _bin(0.402): list(27.0 + waver),
        _bin(0.536): list(17.0 + 0.5 * waver),
        _bin(0.67): list(9.0 + 0.3 * waver),
    }
    if walker_db is not None:
        levels[_bin(1.5)] = list(walker_db + GAIT_DB)
    return _spectrum(levels)


def test_a_tone_a_few_hertz_off_is_a_line_and_its_skirt_opens_nothing() -> None:
    # Its peak lies between the walking band's two sides, where it holds; in the band its skirt wavers by 7 dB.
    tone = _few_hertz_off()
    assert not find_lines(tone, TUNING).still  # off as shipped: the walking band alone sees no line
    assert not find_lines(tone, SPLIT_30).still  # nor with only split lines looked for
    lines = find_lines(tone, WEAK_30)
    assert lines.still
    assert lines.own[np.isin(WALKING_BINS, [_bin(0.402), _bin(0.536)])].all()  # the skirt is the tone's
    assert beside_db(lines) < TUNING.occupy_gate_db
    # Someone walking in beside it still shows.
    assert beside_db(find_lines(_few_hertz_off(walker_db=30.0), WEAK_30)) > TUNING.occupy_gate_db


def test_a_tone_at_the_carrier_itself_is_no_line() -> None:
    # The still bin holds the static echoes' residue and breathing: what sits there is nobody's walking.
    still = _window([_bin(0.0)] * CONTEXT_FRAMES, [25.0] * CONTEXT_FRAMES)
    assert not stationary_line(still)


def test_a_tone_between_two_bins_is_a_line_and_a_weak_echo_so_split_is_not() -> None:
    # Its power splits between two bins in a fixed share; noise decides which is the stronger, frame by frame.
    a = _bin(1.2)
    for level, line in ((SPLIT_30.split_line_db + 5, True), (SPLIT_30.split_line_db - 10, False)):
        split = _spectrum({a: [level] * CONTEXT_FRAMES, a + 1: list(level + np.resize([0.3, -0.3], CONTEXT_FRAMES))})
        assert len(set(walking_db(split).argmax(axis=-1).tolist())) == 2
        assert bool(find_lines(split, SPLIT_30).still) == line
        # The slow bins' level alone takes no walking-band tone split over two bins.
        assert not find_lines(split, WEAK_30).still


def test_a_line_on_one_bin_that_clipped_frames_unsteady_is_no_split_line() -> None:
    # Without a frame tied on a neighbour it is no split line, though the split rule judges only unclipped frames.
    one = _spectrum({_bin(1.2): [46.5] * 9 + [50.0] * 3})
    assert not find_lines(one, dataclasses.replace(TUNING, split_line_db=math.inf)).still
    assert not find_lines(one, SPLIT_30).still


def test_a_walker_clipping_two_bins_is_no_split_line() -> None:
    # A training-stream walk-in: two bins clipped flat, the one beside dipping just under the top for a frame.
    a = _bin(1.2)
    clipped = _spectrum(
        {
            a - 1: [29.4, 29.2, 29.9, 21.8, 33.5, 35.2, 32.5, 39.3, 39.4, 43.3, 44.2, 42.8],
            a: [46.6, 45.7, 44.3, 49.2] + [50.0] * 8,
            a + 1: [50.0] * CONTEXT_FRAMES,
        }
    )
    assert not find_lines(clipped, SPLIT_30).still
    # The same two bins just under the top, as a tone split between them would hold them, are a line.
    assert find_lines(_spectrum({a: [46.0] * 4 + [48.0] * 8, a + 1: [48.0] * 4 + [47.5] * 8}), SPLIT_30).still


def test_a_strong_tones_wavering_skirt_is_its_own() -> None:
    # A tone 45 dB over the floor: its leakage falls away over many bins, wavering by several dB each.
    waver = np.resize([4.0, -4.0, 1.0, -3.0], CONTEXT_FRAMES)
    skirt = {_bin(1.2) + i: list(45.0 - 6 * i + np.roll(waver, i)) for i in range(1, 8)}
    tone = _spectrum({_bin(1.2): [45.0] * CONTEXT_FRAMES, **skirt})
    assert beside_db(find_lines(tone)) < TUNING.occupy_gate_db
    assert beside_db(find_lines(tone, dataclasses.replace(TUNING, line_skirt_db=None))) > TUNING.occupy_gate_db
    # A walker beyond the skirt rises out of it, and is not the tone's.
    walker = _bin(1.2) + 10
    walked = _spectrum({_bin(1.2): [45.0] * CONTEXT_FRAMES, **skirt, walker: list(35.0 + GAIT_DB)})
    assert not find_lines(walked).own[np.flatnonzero(np.isin(WALKING_BINS, walker))].any()
    assert beside_db(find_lines(walked)) > TUNING.occupy_gate_db


def _clipped_tone(walker_db: float | None = None) -> NDArray[np.float32]:
    """A tone at the top of the scale, its skirt falling away over many bins and wavering by several dB each."""
    waver = np.resize([4.0, -4.0, 1.0, -3.0], CONTEXT_FRAMES)
    skirt = {_bin(1.2) + i: list(48.0 - 6 * i + np.roll(waver, i)) for i in range(1, 8)}
    levels = {_bin(1.2): [DB_RANGE[1] + 10.0] * CONTEXT_FRAMES, **skirt}
    if walker_db is not None:
        levels[_bin(1.2) + 10] = list(walker_db + GAIT_DB)
    return _spectrum(levels)


def test_a_clipped_line_takes_its_skirt_only_once_known() -> None:
    # At the top of the scale a walker within a metre looks as flat as a tone, so its skirt waits until it is known.
    tone = _clipped_tone()
    lines = find_lines(tone)
    assert lines.still
    assert beside_db(lines) > TUNING.occupy_gate_db
    known = find_lines(tone, TUNING, int(lines.line_bin))
    assert beside_db(known) < TUNING.occupy_gate_db
    assert beside_db(find_lines(tone, TUNING, int(lines.line_bin) + 5)) > TUNING.occupy_gate_db  # another bin's
    # Someone walking in beyond the skirt rises out of it.
    assert beside_db(find_lines(_clipped_tone(walker_db=35.0), TUNING, int(lines.line_bin))) > TUNING.occupy_gate_db


# A steady tone's level frame by frame (0.2 dB of wobble), fixed so these tests leave the module's RNG alone.
STEADY_DB = 40.0 + np.resize([0.1, -0.2, 0.2, 0.0, -0.1, 0.15], CONTEXT_FRAMES)


def _dropout(frame: int) -> NDArray[np.float32]:
    """A steady tone whose level drops 8 dB for one frame, `frame` frames before the window's newest (-1: none)."""
    levels = STEADY_DB.copy()
    if frame >= 0:
        levels[CONTEXT_FRAMES - 1 - frame] -= 8.0
    return _spectrum({_bin(1.2): list(levels)})


def _peak(window: NDArray[np.float32]) -> int:
    """The walking band's strongest bin in the newest frame, as a place among the line bins."""
    return int(WALKING_IN_LINE[walking_db(window)[-1].argmax()])


def test_a_known_line_stays_known_while_a_dropout_passes_through_the_window() -> None:
    assert find_lines(_dropout(-1)).still
    assert not find_lines(_dropout(0)).still  # one low frame breaks the window's stillness
    memory = LineMemory(KNOWN_20)
    for _ in range(KNOWN_20.line_known_frames - 1):  # type: ignore[operator]
        assert memory.update(find_lines(_dropout(-1)), _peak(_dropout(-1))).still
    assert memory.known_bin() == -1
    memory.update(find_lines(_dropout(-1)), _peak(_dropout(-1)))
    line = memory.known_bin()
    assert line >= 0
    # While the low frame is in the window, the line's bins stay its own, and nothing beside it shows.
    for age in range(CONTEXT_FRAMES):
        window = _dropout(age)
        kept = memory.update(find_lines(window), _peak(window))
        assert kept.still
        assert int(kept.line_bin) == line
        assert float(beside_db(kept)) < TUNING.occupy_gate_db
    assert memory.known_bin() == line
    # A window still breaking it after that is no line, and it is forgotten.
    assert not memory.update(find_lines(_dropout(0)), _peak(_dropout(0))).still
    assert memory.known_bin() == -1


def test_a_known_line_is_not_kept_where_its_level_rises_after_the_fall() -> None:
    memory = LineMemory(KNOWN_20)
    for _ in range(20):
        memory.update(find_lines(_dropout(-1)), _peak(_dropout(-1)))
    assert memory.update(find_lines(_dropout(0)), _peak(_dropout(0))).still  # the fall: kept
    # Then the bin's newest level rises 6 dB over the line's (someone's echo on it, growing): not the line's.
    levels = STEADY_DB.copy()
    levels[-2] -= 8.0
    levels[-1] += 6.0
    risen = _spectrum({_bin(1.2): list(levels)})
    assert not find_lines(risen).still
    assert not memory.update(find_lines(risen), _peak(risen)).still
    assert memory.known_bin() == -1


def test_a_walker_coming_steadily_is_not_kept_as_a_line_when_their_echo_grows() -> None:
    """Coming straight at the device at a steady speed holds one bin, as a tone does; the echo grows as they come."""
    memory = LineMemory(KNOWN_20)
    level = 30.0
    for _ in range(30):  # 0.25 dB a frame: steady enough for a line, and known after 20 frames
        window = _spectrum({_bin(1.2): list(level + 0.25 * np.arange(CONTEXT_FRAMES))})
        assert memory.update(find_lines(window), _peak(window)).still
        level += 0.25
    assert memory.known_bin() >= 0
    # Nearer, 0.6 dB a frame: the window is no longer still, and the line is not kept (no dropout broke it).
    closer = _spectrum({_bin(1.2): list(level + 0.6 * np.arange(CONTEXT_FRAMES))})
    assert not find_lines(closer).still
    assert not memory.update(find_lines(closer), _peak(closer)).still
    assert memory.known_bin() == -1


def test_a_line_is_not_kept_where_the_strongest_bin_has_left_it_or_before_it_is_known() -> None:
    memory = LineMemory(KNOWN_20)
    for _ in range(20):
        memory.update(find_lines(_dropout(-1)), _peak(_dropout(-1)))
    # Something else is strongest now (a walker at 2 m/s): the window is judged as it is.
    elsewhere = _spectrum({_bin(2.0): list(45.0 + GAIT_DB)})
    assert not memory.update(find_lines(elsewhere), _peak(elsewhere)).still
    assert memory.known_bin() == -1
    young = LineMemory(KNOWN_20)
    for _ in range(10):
        young.update(find_lines(_dropout(-1)), _peak(_dropout(-1)))
    assert not young.update(find_lines(_dropout(0)), _peak(_dropout(0))).still
    # Off (None): never kept.
    off = LineMemory(dataclasses.replace(TUNING, line_known_frames=None))
    for _ in range(30):
        off.update(find_lines(_dropout(-1)), _peak(_dropout(-1)))
    assert off.known_bin() == -1
    assert not off.update(find_lines(_dropout(0)), _peak(_dropout(0))).still


def test_many_windows_at_once_give_the_same_answers() -> None:
    tone = _window([_bin(-2.0)] * CONTEXT_FRAMES, [30.0] * CONTEXT_FRAMES)
    walker = _window([_bin(v) for v in np.linspace(1.0, 1.5, CONTEXT_FRAMES)], [30.0] * CONTEXT_FRAMES)
    assert stationary_line(np.stack([tone, walker, tone])).tolist() == [True, False, True]
    assert np.isclose(float(tone[0, _bin(-2.0)]) * DB_SCALE, 30.0)


def test_a_still_line_is_still_reported_but_only_the_band_beside_it_opens_a_room() -> None:
    sure_walk = np.array([0.001, 0.001, 0.998], dtype=np.float32)
    plain = network_evidence(sure_walk, (0.0, 20.0, 0.0))
    line = network_evidence(sure_walk, (0.0, 20.0, 0.0), occupy_db=0.5)  # the tone is all there is
    assert line.major_logit == plain.major_logit > 0.0
    assert plain.occupy_cap > 0.0 > line.occupy_cap
    # A tone alone leaves noise beside it; a walker beside it is what counts.
    tone = _window([_bin(1.2)] * CONTEXT_FRAMES, [30.0] * CONTEXT_FRAMES)
    assert float(beside_line_db(tone)) < 1.0
    assert np.isnan(beside_line_db(_window([_bin(v) for v in np.linspace(1.0, 1.5, CONTEXT_FRAMES)], [30.0] * 12)))


def test_a_strong_tone_s_sidelobes_are_its_own_not_someone_beside_it() -> None:
    line = _bin(-2.0)
    tone = _window([line] * CONTEXT_FRAMES, list(50.0 + RNG.normal(0, 0.2, CONTEXT_FRAMES)))
    db = tone.astype(np.float64) * DB_SCALE
    # The analysis window's leakage, steady frame to frame, reaching well past the line's neighbours.
    for offset, level in ((4, 25.0), (5, 20.0), (6, 16.0), (7, 12.0), (8, 9.0)):
        for b in (line - offset, line + offset):
            db[:, b] = level + RNG.normal(0, 0.3, CONTEXT_FRAMES)
    tone = scale_db(db)
    assert float(beside_line_db(tone, steady_std_db=None)) > TUNING.occupy_gate_db  # read as someone beside it
    assert float(beside_line_db(tone)) < 1.0
    # Someone walking beside it: their Doppler moves from frame to frame, so it still counts.
    walking = db.copy()
    for row, v in enumerate(np.linspace(0.8, 1.6, CONTEXT_FRAMES)):
        walking[row, _bin(v) - 2 : _bin(v) + 3] = 25.0
    assert float(beside_line_db(scale_db(walking))) > TUNING.occupy_gate_db


def _comb(walker_db: float | None = None, second_db: float = 3.0) -> NDArray[np.float32]:
    """A held note through the speaker: a steady line at 0.6 m/s and its comb, the weaker teeth wavering more.

    The mirror tooth wavers by 1.5 dB, the second by second_db, the third by 4.5 dB: tooth k, k times the first.
    """
    line = _bin(0.6)
    waver = np.resize([1.0, -1.0], CONTEXT_FRAMES)
    levels = {line: list(36.0 + 0.3 * waver), 2 * STILL_BIN - line: list(30.0 + 1.5 * waver)}
    for k, level, spread in ((2, 24.0, second_db), (3, 16.0, 4.5)):
        for side in (1, -1):
            levels[STILL_BIN + side * k * (line - STILL_BIN)] = list(level + spread * waver)
    if walker_db is not None:
        levels[_bin(3.0)] = list(walker_db + GAIT_DB)
    return _spectrum(levels)


def test_a_comb_s_wavering_teeth_are_its_line_s_where_the_tuning_takes_them() -> None:
    comb3 = dataclasses.replace(TUNING, comb_teeth=3)
    assert find_lines(_comb()).still
    # Too unsteady for steady_std_db, the teeth read as someone beside the line, unless the comb is taken.
    assert float(beside_db(find_lines(_comb(), dataclasses.replace(TUNING, comb_teeth=0)))) > TUNING.occupy_gate_db
    assert float(beside_db(find_lines(_comb(), comb3))) < TUNING.occupy_gate_db
    # Only up to the tooth asked: with two, the third's 4.5 dB waver is someone's.
    offset = _bin(0.6) - STILL_BIN
    second, third = [STILL_BIN + 2 * offset, STILL_BIN - 2 * offset], [STILL_BIN + 3 * offset, STILL_BIN - 3 * offset]
    own2 = find_lines(_comb(), dataclasses.replace(TUNING, comb_teeth=2)).own
    assert not own2[np.isin(WALKING_BINS, third)].any()
    assert own2[np.isin(WALKING_BINS, second)].all()
    # Each tooth only as loosely as its order: a second tooth wavering by 5 dB is someone's, however many are asked.
    assert not find_lines(_comb(second_db=5.0), comb3).own[np.isin(WALKING_BINS, second)].any()
    # Someone walking beside the comb, away from its teeth, still shows.
    assert float(beside_db(find_lines(_comb(walker_db=30.0), comb3))) > TUNING.occupy_gate_db


@pytest.mark.parametrize("level_dbfs", [-65.0, -45.0])
def test_a_device_switching_on_its_tone_in_an_empty_room_opens_no_room(level_dbfs: float) -> None:
    # 200 Hz above our 40 kHz carrier: what a walker approaching at 0.86 m/s would make. The stronger tone
    # reaches many bins beside itself, and would open the room before it is known as a line.
    scene = Scene("tone", 10.0, sources=(Interferer(40200.0, level_dbfs=level_dbfs, start_s=3.0),), seed=21)
    renderer = Renderer(scene)
    engine = Engine(EngineConfig(96000, 40000.0, renderer.channels), Classifier.load())
    rate = engine.plan.baseband_rate_hz
    y = renderer.render_baseband(0, int(scene.duration_s * rate), rate, Emission())
    d = [r.decision for r in engine.process_baseband(y)]
    assert any(x.motion == Motion.MAJOR for x in d if x.t_s > 3.0)  # the network takes it for walking
    assert not any(x.occupied for x in d)


def test_a_click_in_one_frame_hides_the_line_only_from_a_strict_count() -> None:
    levels = list(25.0 + RNG.normal(0, 0.3, CONTEXT_FRAMES))
    bins = [_bin(1.2)] * CONTEXT_FRAMES
    bins[5], levels[5] = _bin(3.0), 40.0  # broadband for one frame: the strongest bin is elsewhere
    clicked = _window(bins, levels)
    assert not stationary_line(clicked, min_frames=CONTEXT_FRAMES)
    assert stationary_line(clicked, min_frames=CONTEXT_FRAMES - 1)
    # The frames that agree are judged on their own level: a click does not make the tone look unsteady.
    bins[6], levels[6] = _bin(-2.0), 38.0
    assert not stationary_line(_window(bins, levels), min_frames=CONTEXT_FRAMES - 1)


def test_a_click_that_lifts_the_tone_s_own_bin_for_a_frame_leaves_it_a_line() -> None:
    """A −61 dBFS tone in the benchmark's home set, 42 dB over the floor; a click lifted its bin 6.5 dB for a frame."""
    line = _bin(-1.5)
    levels = list(42.5 + RNG.normal(0, 0.3, CONTEXT_FRAMES))
    levels[5] += 6.5
    db = _window([line] * CONTEXT_FRAMES, levels).astype(np.float64) * DB_SCALE
    for offset, level in ((4, 22.0), (5, 18.0), (6, 14.0)):  # its leakage, steady but for the click
        for b in (line - offset, line + offset):
            db[:, b] = level + RNG.normal(0, 0.3, CONTEXT_FRAMES)
            db[5, b] += 6.5
    clicked = scale_db(db)
    assert not find_lines(clicked, OUTLIERS_ANY).still  # every frame on the bin counted: too unsteady
    lines = find_lines(clicked, OUTLIERS_4_5)
    assert lines.still
    assert float(beside_db(lines)) < 1.0  # the leakage is still the tone's own, not someone beside it
    # A level that wanders all through the window is no line, whatever frames are set aside.
    wandering = list(42.5 + 3 * TUNING.line_level_std_db * np.sign(np.sin(np.arange(CONTEXT_FRAMES))))
    assert not find_lines(_window([line] * CONTEXT_FRAMES, wandering), OUTLIERS_4_5).still


def test_someone_walking_in_while_the_tone_sounds_still_opens_the_room() -> None:
    # The tone switches on 2 s before the walk-in and is stronger than the walker's echo.
    walker = Walker(((5.0, 0.3, 3.4), (9.0, 3.6, 1.6)))
    scene = Scene("tone_walk", 12.0, sources=(walker, Interferer(40260.0, level_dbfs=-65.0, start_s=3.0)), seed=101)
    renderer = Renderer(scene)
    engine = Engine(EngineConfig(96000, 40000.0, renderer.channels), Classifier.load())
    rate = engine.plan.baseband_rate_hz
    y = renderer.render_baseband(0, int(scene.duration_s * rate), rate, Emission())
    d = [r.decision for r in engine.process_baseband(y)]
    assert not any(x.occupied for x in d if x.t_s < 5.0)  # the tone alone opened nothing
    assert any(x.occupied for x in d if x.t_s < 7.0)  # the walker, beside it, did


def _held_still(window: NDArray[np.float32], frames: int = 6) -> bool:
    """lines.held_still over one window's last `frames` frames."""
    walking = walking_db(window)
    return bool(held_still(walking, walking.argmax(axis=-1), frames))


def test_a_tone_that_just_came_on_holds_still_before_it_can_be_known_as_a_line() -> None:
    """lines.held_still: what keeps a young tone from a fast opening (Tuning.occupy_fast_frames)."""
    quiet, on = CONTEXT_FRAMES - 6, 6
    young = _window([_bin(0.2)] * quiet + [_bin(1.2)] * on, [0.0] * quiet + list(40.0 + RNG.normal(0, 0.2, on)))
    assert not stationary_line(young)  # six frames are too few for the line rule
    assert _held_still(young)
    # Between two neighbouring bins, as a tone between grid bins flickers: still too.
    flicker = [_bin(1.2) + (k % 2) for k in range(CONTEXT_FRAMES)]
    assert _held_still(_window(flicker, [40.0] * CONTEXT_FRAMES))


def test_a_walker_holds_neither_their_bin_nor_its_level() -> None:
    # The torso's radial speed swings about a fifth of the pace at two steps a second.
    speeds = 1.2 + 0.25 * np.sin(2 * np.pi * 2.0 * 0.025 * np.arange(CONTEXT_FRAMES))
    assert not _held_still(_window([_bin(v) for v in speeds], [30.0] * CONTEXT_FRAMES))
    # On one bin, but their echo's level swings with the stride.
    swing = list(30.0 + 5.0 * np.sin(2 * np.pi * 2.0 * 0.025 * np.arange(CONTEXT_FRAMES)))
    assert not _held_still(_window([_bin(1.2)] * CONTEXT_FRAMES, swing))
    # The walking band's two sides are no neighbours, though their grid bins may be next in the band's list.
    sides = [_bin(0.5 if k % 2 else -0.5) for k in range(CONTEXT_FRAMES)]
    assert not _held_still(_window(sides, [30.0] * CONTEXT_FRAMES))
    # Over fewer frames a slow change is still: the count is the caller's (Tuning.occupy_fast_frames).
    drift = [_bin(1.2)] * (CONTEXT_FRAMES - 3) + [_bin(1.2) + 3] * 3
    assert _held_still(_window(drift, [30.0] * CONTEXT_FRAMES), frames=3)
    assert not _held_still(_window(drift, [30.0] * CONTEXT_FRAMES), frames=6)


def test_a_line_at_the_top_of_the_scale_takes_no_skirt() -> None:
    # A walker passing within a metre clips a run of bins flat, and their echo falls away from it as a skirt does:
    # at the top of the scale a tone and a walker look alike, so the fall beside it stays someone's.
    plateau = {_bin(1.2) + i: [50.0] * CONTEXT_FRAMES for i in range(3)}
    falling = {_bin(1.2) + 2 + i: list(50.0 - 6 * i + GAIT_DB) for i in range(1, 7)}
    clipped = _spectrum({**plateau, **falling})
    assert find_lines(clipped).still
    assert beside_db(find_lines(clipped)) > TUNING.occupy_gate_db
    # Slow bins clipped flat are no line at all.
    slow = _spectrum({b: [50.0] * CONTEXT_FRAMES for b in (_bin(-0.268), _bin(-0.134), _bin(0.134), _bin(0.268))})
    assert not find_lines(slow, WEAK_30).still
