"""Multi-mic removal of music distortion: ≥ 20 dB off the sidebands, ≤ 3 dB off a walker (4 mics)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from custom_components.uspd.engine.canceller import SpeakerDistortionCanceller
from custom_components.uspd.engine.clutter import ClutterFilter
from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.sim import library
from custom_components.uspd.sim.render import Renderer
from custom_components.uspd.sim.scene import Music, Scene

RATE = 4000.0


def _change_db(scene: Scene, t0: float, t1: float) -> float:
    """Energy after the canceller over energy before it (both after clutter removal), noise-free."""
    renderer = Renderer(scene)
    y = renderer.phasors(np.arange(int(t1 * RATE)) / RATE, Emission())
    clutter = ClutterFilter(RATE, renderer.channels)
    moving = clutter.process(y)
    out = SpeakerDistortionCanceller(renderer.channels).process(moving, clutter.static)
    span = slice(int(t0 * RATE), int(t1 * RATE))
    return float(10 * np.log10(np.mean(np.abs(out[:, span]) ** 2) / np.mean(np.abs(moving[:, span]) ** 2)))


@pytest.mark.parametrize("seed", [3, 11])
def test_music_sidebands_cut_by_20_db_walker_kept_within_3_db(seed: int) -> None:
    walker = library.walk_in_and_leave(seed=seed)
    music = Scene("music", 6.0, sources=(Music(0.0, 6.0, pm_dbc=-15.0),), device=walker.device, seed=seed)
    assert _change_db(music, 1.0, 6.0) <= -20.0
    assert _change_db(walker, 2.5, 5.0) >= -3.0


def test_one_mic_passes_through() -> None:
    x = np.exp(1j * np.arange(100.0))[None, :]
    assert np.array_equal(SpeakerDistortionCanceller(1).process(x, np.ones_like(x)), x)


def test_music_sidebands_sit_in_the_walking_band_without_the_canceller() -> None:
    """Why the stage exists: music alone lights up 40–150 Hz around the carrier on every mic."""
    scene = Scene("music", 4.0, sources=(Music(0.0, 4.0, pm_dbc=-15.0),), seed=2)
    scene = replace(scene, device=replace(scene.device))
    y = Renderer(scene).phasors(np.arange(int(4.0 * RATE)) / RATE, Emission())
    moving = ClutterFilter(RATE, y.shape[0]).process(y)[:, int(RATE) :]
    spec = np.abs(np.fft.fftshift(np.fft.fft(moving, axis=1), axes=1)) ** 2
    freqs = np.fft.fftshift(np.fft.fftfreq(moving.shape[1], 1 / RATE))
    band = (np.abs(freqs) >= 40) & (np.abs(freqs) <= 150)
    far = (np.abs(freqs) >= 400) & (np.abs(freqs) <= 1500)
    for mic in spec:
        assert mic[band].mean() > 1e3 * mic[far].mean()
