"""The simulator's signatures match physics.

Fans are symmetric and blade-periodic, walkers one-sided with a gait, music sidebands in the direct
path's inter-mic proportions, and a walker behind a wall invisible.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from custom_components.uspd.engine.clutter import ClutterFilter
from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.engine.pipeline import Engine, EngineConfig
from custom_components.uspd.sim import library
from custom_components.uspd.sim.render import Renderer
from custom_components.uspd.sim.scene import Fan, Music, Scene, Walker

RATE = 4000.0


def _moving(scene: Scene, seconds: float) -> tuple[NDArray[np.complex128], NDArray[np.complex128]]:
    """Noise-free clutter-free baseband and its static phasors, the first second dropped."""
    y = Renderer(scene).phasors(0, int(seconds * RATE), RATE, Emission())
    clutter = ClutterFilter(RATE, y.shape[0])
    moving = clutter.process(y)
    return moving[:, int(RATE) :], clutter.static[:, int(RATE) :]


def _sides_db(x: NDArray[np.complex128]) -> float:
    """Approaching (positive Doppler) over receding energy, beyond ±20 Hz."""
    s = np.abs(np.fft.fft(x * np.hanning(len(x)))) ** 2
    f = np.fft.fftfreq(len(x), 1 / RATE)
    return float(10 * np.log10(s[f > 20].sum() / s[f < -20].sum()))


def _strongest_rate(power: NDArray[np.float64], rate: float, low: float, high: float) -> float:
    """The strongest periodicity of a power envelope between low and high Hz."""
    s = np.abs(np.fft.rfft((power - power.mean()) * np.hanning(len(power)))) ** 2
    f = np.fft.rfftfreq(len(power), 1 / rate)
    band = (f > low) & (f < high)
    return float(f[band][np.argmax(s[band])])


def test_fan_is_symmetric_and_pulses_at_blade_pass() -> None:
    fan = Fan(0.0, 10.0, rpm=180.0, blades=4, airflow_jitter_mps=0.0)
    moving, _ = _moving(Scene("fan", 10.0, sources=(fan,), seed=2), 10.0)
    assert abs(_sides_db(moving[0])) < 1.0
    blade_pass = fan.blades * fan.rpm / 60  # 12 Hz
    assert _strongest_rate(np.abs(moving[0]) ** 2, RATE, 2.0, 60.0) == pytest.approx(blade_pass, abs=0.5)


def test_walker_is_one_sided_with_a_gait() -> None:
    start, end, seconds = (0.5, 3.9), (2.3, 0.6), 7.0  # towards the device
    walker = Walker(((0.0, *start), (seconds, *end)))
    moving, _ = _moving(Scene("walk", 8.0, sources=(walker,), seed=3), seconds)
    assert _sides_db(moving[0]) > 10.0
    speed = float(np.hypot(end[0] - start[0], end[1] - start[1]) / seconds)
    torso_hz = 2 * speed * 40000 / 343.2
    seg, hop = 128, 32
    frames = np.lib.stride_tricks.sliding_window_view(moving[0], seg)[::hop]
    spectra = np.abs(np.fft.fft(frames * np.hanning(seg), axis=1)) ** 2
    freqs = np.fft.fftfreq(seg, 1 / RATE)
    limbs = spectra[:, (freqs > 1.4 * torso_hz) & (freqs < 1500)].sum(axis=1)
    steps_hz = 2 * speed / walker.stride_m  # two steps per gait cycle
    assert _strongest_rate(limbs, RATE / hop, 0.3, 5.0) == pytest.approx(steps_hz, abs=0.2)


def test_music_sidebands_keep_the_direct_paths_inter_mic_ratio() -> None:
    moving, static = _moving(Scene("music", 5.0, sources=(Music(0.0, 5.0, pm_dbc=-15.0),), seed=4), 5.0)
    unit = static / np.linalg.norm(static, axis=0)
    across = moving - unit * (unit.conj() * moving).sum(axis=0)
    assert 10 * np.log10((np.abs(across) ** 2).sum() / (np.abs(moving) ** 2).sum()) < -20.0


def test_a_walker_behind_the_wall_leaves_nothing_over_the_noise() -> None:
    scene = library.walker_behind_wall()
    renderer = Renderer(scene)
    engine = Engine(EngineConfig(96000, 40000.0, renderer.channels))
    y = renderer.render_baseband(0, int(scene.duration_s * RATE), RATE, Emission())
    decisions = [r.decision for r in engine.process_baseband(y)]
    # Noise alone reads ~0 dB; a walker in the room reads 15–40 dB.
    assert max(d.major_db for d in decisions) < 3.0
