"""Multi-mic removal of music distortion: ≥ 20 dB off the sidebands, ≤ 3 dB off a walker."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from custom_components.uspd.engine.canceller import COPIES_FRACTION, SpeakerDistortionCanceller, _mostly_copies
from custom_components.uspd.engine.clutter import ClutterFilter
from custom_components.uspd.engine.doppler import DopplerFramer
from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.sim import library
from custom_components.uspd.sim.render import Renderer
from custom_components.uspd.sim.scene import Music, Scene

RATE = 4000.0


def _doppler_energy(scene: Scene, t0: float, t1: float, cancel: bool) -> float:
    """Energy of the Doppler frames (|f| ≥ one bin) between t0 and t1 (same render, canceller on or off)."""
    renderer = Renderer(scene)
    y = renderer.render_baseband(0, int(t1 * RATE), RATE, Emission())
    clutter = ClutterFilter(RATE, renderer.channels)
    moving = clutter.process(y)
    framer = DopplerFramer(128, 100, RATE, renderer.channels)
    framer.canceller.enabled = cancel and renderer.channels > 1
    frames = [f for f in framer.process(moving, clutter.static) if f.t_s >= t0]
    band = np.abs(frames[0].freqs_hz) >= RATE / 128
    return float(sum(f.power[band].sum() for f in frames))


def _change_db(scene: Scene, t0: float, t1: float) -> float:
    """How much the canceller changes the Doppler energy between t0 and t1 (dB)."""
    return float(10 * np.log10(_doppler_energy(scene, t0, t1, True) / _doppler_energy(scene, t0, t1, False)))


def _with_mics(scene: Scene, mics: int) -> Scene:
    """The scene on its device's first `mics` microphones."""
    return replace(scene, device=replace(scene.device, mics_m=scene.device.mics_m[:mics]))


@pytest.mark.parametrize("mics", [2, 3, 4])
@pytest.mark.parametrize("seed", [3, 11])
def test_music_sidebands_cut_by_20_db_walker_kept_within_3_db(mics: int, seed: int) -> None:
    walker = _with_mics(library.walk_in_and_leave(seed=seed), mics)
    music = Scene("music", 6.0, sources=(Music(0.0, 6.0, pm_dbc=-15.0),), device=walker.device, seed=seed)
    assert _change_db(music, 1.0, 6.0) <= -20.0
    assert _change_db(walker, 3.0, 5.0) >= -3.0


def test_one_mic_passes_through() -> None:
    spectra = np.exp(1j * np.arange(12.0)).reshape(1, 3, 4)
    out = SpeakerDistortionCanceller(1).process(spectra, np.ones((1, 3), dtype=np.complex128))
    assert np.array_equal(out, spectra)


def test_copies_are_told_by_the_count_as_the_median_tells_them() -> None:
    rng = np.random.default_rng(4)
    for n in (1, 2, 5, 255, 256):
        for _ in range(300):
            across = rng.uniform(0, 1, n)
            below = rng.integers(0, n + 1)  # around half under the fraction, on either side, and all or none
            across[rng.permutation(n)[:below]] = rng.uniform(0, 2 * COPIES_FRACTION, below)
            if rng.random() < 0.1:
                across[rng.integers(0, n)] = np.nan
            assert _mostly_copies(across) == bool(np.median(across) < COPIES_FRACTION)


def test_a_frame_with_nothing_to_take_comes_back_as_it_was() -> None:
    rng = np.random.default_rng(5)
    spectra = rng.standard_normal((4, 2, 128)) + 1j * rng.standard_normal((4, 2, 128))
    static = rng.standard_normal((4, 2)) + 1j * rng.standard_normal((4, 2))
    assert SpeakerDistortionCanceller(4).process(spectra, static) is spectra
    borne = spectra.copy()
    borne[:, :, 40] = static * 50  # one bin that arrives as the static paths do
    out = SpeakerDistortionCanceller(4).process(borne, static)
    assert np.abs(out[:, :, 40]).max() < 1e-9 * np.abs(borne[:, :, 40]).max()
    assert np.array_equal(np.delete(out, 40, axis=2), np.delete(borne, 40, axis=2))


def test_copied_channels_are_treated_as_one_mic() -> None:
    """A virtual device that upmixes one mic to four must not have its echoes cancelled."""
    scene = library.walk_in_and_leave(seed=3)
    renderer = Renderer(scene)
    y = renderer.render_baseband(0, int(5.0 * RATE), RATE, Emission())
    copies = np.repeat(y[:1], 4, axis=0)
    clutter = ClutterFilter(RATE, 4)
    moving = clutter.process(copies)
    framer = DopplerFramer(128, 100, RATE, 4)
    kept = [f.power.sum() for f in framer.process(moving, clutter.static) if f.t_s >= 3.0]
    framer_off = DopplerFramer(128, 100, RATE, 4)
    framer_off.canceller.enabled = False
    clutter = ClutterFilter(RATE, 4)
    moving = clutter.process(copies)
    plain = [f.power.sum() for f in framer_off.process(moving, clutter.static) if f.t_s >= 3.0]
    assert np.allclose(kept, plain)


def test_music_sidebands_sit_in_the_walking_band_without_the_canceller() -> None:
    """Why the stage exists: music alone lights up 40–150 Hz around the carrier on every mic."""
    scene = Scene("music", 4.0, sources=(Music(0.0, 4.0, pm_dbc=-15.0),), seed=2)
    y = Renderer(scene).phasors(0, int(4.0 * RATE), RATE, Emission())
    moving = ClutterFilter(RATE, y.shape[0]).process(y)[:, int(RATE) :]
    spec = np.abs(np.fft.fftshift(np.fft.fft(moving, axis=1), axes=1)) ** 2
    freqs = np.fft.fftshift(np.fft.fftfreq(moving.shape[1], 1 / RATE))
    band = (np.abs(freqs) >= 40) & (np.abs(freqs) <= 150)
    far = (np.abs(freqs) >= 400) & (np.abs(freqs) <= 1500)
    for mic in spec:
        assert mic[band].mean() > 1e3 * mic[far].mean()
