"""Geometry on ~1 ms knots, phases at every sample: as exact as evaluating every sample, block by block alike."""

from __future__ import annotations

import dataclasses
from unittest.mock import patch

import numpy as np
import pytest
from numpy.typing import NDArray

from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.sim import library
from custom_components.uspd.sim.grid import Knots
from custom_components.uspd.sim.motion import Jitter
from custom_components.uspd.sim.render import Renderer
from custom_components.uspd.sim.scene import Fan, PedestalFan, Scene, Walker

WALK = ((0.0, 0.5, 3.5), (3.0, 2.4, 1.0), (6.0, 4.5, 3.0))
K = 2 * np.pi * 40000 / 343.2  # rad per metre of path at 40 kHz


@pytest.mark.parametrize("rate", [4000.0, 4009.09, 16000.0, 22050.0])
def test_the_phase_of_a_fast_blade_is_kept_within_two_milliradians(rate: float) -> None:
    """A blade point 19 cm out at 1400 rpm: the fastest thing the simulator moves."""

    def path(t: NDArray[np.float64]) -> NDArray[np.float64]:
        return 3.0 + 0.19 * np.sin(2 * np.pi * 1400 / 60 * t) + 0.8 * t

    start, count = 12345, 3000
    knots = Knots.covering(start, count, rate)
    got = np.concatenate([knots.phase(K * path(knots.times)[Knots.span(a, b)], a) for a, b in knots.chunks(700)])
    exact = K * path(knots.sample_times)
    err = np.angle(np.exp(1j * (got.astype(np.float64) - exact)))
    assert got.shape == (count,)
    assert np.abs(err).max() < 2e-3
    assert np.abs(got).max() < 40.0  # wrapped per segment, as float32 needs


def test_cubic_and_linear_reproduce_what_they_should() -> None:
    knots = Knots.covering(1000, 997, 4000.0)
    whole = Knots.span(0, knots.segments)
    cubic = 2.0 + knots.times - 3 * knots.times**3  # a cubic comes through exactly
    line = 1.0 - 5 * knots.times
    t = knots.sample_times
    assert np.allclose(knots.cubic(cubic[whole], 0), 2.0 + t - 3 * t**3, atol=1e-12)
    assert np.allclose(knots.linear(line[whole], 0), 1.0 - 5 * t, atol=1e-12)


def test_a_scene_renders_the_same_in_odd_blocks_as_in_one_go() -> None:
    """Knots sit at absolute sample indices: a block is the same samples of the whole."""
    pedestal = PedestalFan(0.0, 4.0, airflow_jitter_mps=0.2)
    walker = Walker(((0.0, 0.5, 3.5), (4.0, 4.0, 1.0)))
    scene = Scene("mix", 4.0, sources=(pedestal, walker), seed=5)
    em = Emission(carrier_hz=38000.0)
    whole = Renderer(scene).phasors(0, 16000, 4000.0, em, 1600.0)
    r = Renderer(scene)
    blocks = np.concatenate([r.phasors(s, min(777, 16000 - s), 4000.0, em, 1600.0) for s in range(0, 16000, 777)], 1)
    moving = whole - whole.mean(axis=1, keepdims=True)
    assert np.abs(moving).max() > 1e-3 * np.abs(whole).max()  # there is motion to get wrong
    assert np.abs(blocks - whole).max() < 1e-6 * np.abs(moving).max()


def test_knots_match_every_path_evaluated_at_every_sample() -> None:
    """The render from ~1 ms knots against the same render with a knot at every sample."""
    pedestal = PedestalFan(0.0, 6.0, airflow_jitter_mps=0.0)
    scene = dataclasses.replace(library.walk_in_and_leave(duration_s=6.0), sources=(Walker(WALK), pedestal))
    rate, start, count = 4000.0, 8000, 4000
    em = Emission(carrier_hz=40000.0)
    got = Renderer(scene).phasors(start, count, rate, em)
    with patch("custom_components.uspd.sim.grid.KNOT_HZ", rate):
        exact = Renderer(scene).phasors(start, count, rate, em)
    moving = exact - Renderer(dataclasses.replace(scene, sources=())).phasors(start, count, rate, em)
    assert np.abs(moving).max() > 0
    # Amplitudes are straight lines between knots: a blade's flash (|cos θ|⁶ at 5 × 23 Hz) bends within 0.6 %.
    assert np.abs(got - exact).max() < 1e-2 * np.abs(moving).max()
    assert np.abs(got - exact).max() > 0  # the knots are coarser than the samples


def test_a_jitter_on_a_grid_and_its_delayed_change_are_the_same_process() -> None:
    jitter = Jitter(np.random.default_rng(3), 2e-4, 1.0, 2000.0, 1.0)
    t = (5000 + np.arange(3000)) / 4000.0
    assert np.allclose(jitter.on_grid(5000, 3000, 4000.0), jitter(t), rtol=0, atol=1e-9)
    change = jitter.delayed_change(0.01)
    assert np.allclose(change(t), jitter(t - 0.01) - jitter(t), rtol=0, atol=1e-9)


def test_moving_load_counts_every_scatterer_image_and_mic_and_when_each_is_heard() -> None:
    """The speed benchmark's floor counts: 4 mics × (6 body parts, the torso's 6 wall images, 12 blade points)."""
    t = np.arange(0.0, 6.0, 1e-3, dtype=np.float64)
    walker = Renderer(Scene("w", 6.0, sources=(Walker(WALK),), seed=1))
    assert walker.moving_load(t, 40000.0, 1600.0) == (4 * 12, 1.0)  # a walker never leaves the band
    assert walker.moving_load(t + 10.0, 40000.0, 1600.0) == (0, 0.0)  # gone once the walk ends
    fan = Fan(0.0, 6.0)
    paths, live = Renderer(Scene("w", 6.0, sources=(Walker(WALK), fan), seed=1)).moving_load(t, 40000.0, 1600.0)
    assert paths == 4 * (6 + 6 + 12)
    # The blade tips (~11 m/s) outrun 1600 Hz of Doppler for part of each turn: faded out there, as in the render.
    assert 0.5 < live < 1.0
    assert Renderer(Scene("w", 6.0, sources=(Walker(WALK), fan), seed=1)).moving_load(t, 40000.0, 1e5)[1] == 1.0
