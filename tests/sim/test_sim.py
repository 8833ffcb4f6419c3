"""The simulator's physics against closed-form expectations."""

from __future__ import annotations

import numpy as np
import pytest

from custom_components.uspd.base.acoustics import absorption_db_per_m, speed_of_sound_mps
from custom_components.uspd.engine.demodulate import Demodulator
from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.engine.rates import plan_baseband
from custom_components.uspd.sim import library
from custom_components.uspd.sim.render import Renderer
from custom_components.uspd.sim.scene import Device, Scene, Walker


@pytest.mark.parametrize(("freq", "expected"), [(20000, 0.52), (32000, 1.02), (40000, 1.32), (45000, 1.49)])
def test_iso_9613_absorption(freq: float, expected: float) -> None:
    assert absorption_db_per_m(freq, 20.0, 50.0) == pytest.approx(expected, abs=0.01)


def test_speed_of_sound() -> None:
    assert speed_of_sound_mps(20.0) == pytest.approx(343.2, abs=0.05)


def _radial_scene(v: float) -> Scene:
    """Someone walking straight away from the device along y, at v m/s, from 1 m to 3 m."""
    d = Device()
    x0, y0 = d.speaker_m[0], d.speaker_m[1] + 1.0
    duration = 2.0 / v
    return Scene("radial", duration, sources=(Walker(((0.0, x0, y0), (duration, x0, y0 + 2.0)), stride_m=0.0),), seed=5)


def test_doppler_of_a_radial_mover_is_two_v_fc_over_c() -> None:
    v, fc = 1.2, 40000.0
    scene = _radial_scene(v)
    r = Renderer(scene)
    rate = 4000.0
    n = int(1.0 * rate)
    y = r.render_baseband(int(0.2 * rate), n, rate, Emission(carrier_hz=fc))
    y = y - y.mean(axis=1, keepdims=True)
    spec = np.abs(np.fft.fftshift(np.fft.fft(y[0] * np.hanning(n)))) ** 2
    freqs = np.fft.fftshift(np.fft.fftfreq(n, 1 / rate))
    expected = -2 * v * fc / speed_of_sound_mps(scene.room.temperature_c)  # receding: negative
    assert freqs[np.argmax(spec)] == pytest.approx(expected, abs=12.0)


def test_emission_off_gives_no_echo() -> None:
    r = Renderer(library.walk_in_and_leave())
    y = r.phasors(12000, 4000, 4000.0, Emission(on=False))
    assert y.shape == (r.channels, 4000)
    assert not np.any(y)


def test_passband_and_baseband_renders_agree() -> None:
    scene = library.walk_in_and_leave(duration_s=4.0)
    fs, fc = scene.device.audio_rate_hz, 40000.0
    plan = plan_baseband(fs, fc)
    rate = plan.baseband_rate_hz
    start = int(2.5 * fs)
    count = int(0.5 * fs)
    audio = Renderer(scene).render_passband(start - int(0.05 * fs), count + int(0.05 * fs), Emission(carrier_hz=fc))
    demod = Demodulator(plan, audio.shape[1]).process(audio)
    baseband = Renderer(scene).phasors(
        start // plan.decimation, count // plan.decimation, rate, Emission(carrier_hz=fc)
    )
    # Compare after the demodulator's group delay, away from the start-up edge.
    lag = round(Demodulator(plan, 1).delay_s * rate)
    skip = int(0.05 * rate)
    got = demod[:, skip + lag : skip + lag + baseband.shape[1] - lag]
    want = baseband[:, : got.shape[1]]
    err = np.abs(got - want).max() / np.abs(want).max()
    assert err < 0.02


def test_the_music_heard_is_what_the_engine_takes_from_the_passband() -> None:
    """render_reference at baseband is engine/demodulate.AudibleBand of the passband, the same samples."""
    from custom_components.uspd.engine.demodulate import AudibleBand
    from custom_components.uspd.sim.scene import Music

    scene = Scene("music", 3.0, sources=(Music(0.0, 3.0, pm_dbc=-15.0),), seed=4)
    fs, fc = scene.device.audio_rate_hz, 40000.0
    plan = plan_baseband(fs, fc)
    rate = plan.baseband_rate_hz
    em = Emission(carrier_hz=fc)
    band = AudibleBand(plan).process(Renderer(scene).render_passband(0, int(2.5 * fs), em))
    want = Renderer(scene).render_reference(0, int(2.5 * rate), rate, em)
    lag = round(AudibleBand(plan).delay_s * rate)
    skip = int(0.2 * rate)
    got = band[skip + lag :]
    want = want[skip : skip + len(got)]
    # Sample for sample but at the notes' changes, where the band's filter smooths what the render has as a step.
    assert np.sqrt(np.mean((got - want) ** 2)) < 0.05 * np.sqrt(np.mean(want**2))
    # Its level follows the excursion: -15 dBc at 40 kHz is a 100 Hz note at -29 dBFS, the bass line's notes
    # (40-150 Hz) at (f/100)² of it through the 40 Hz roll-off.
    assert 20 * np.log10(np.abs(want).max()) == pytest.approx(-29.0, abs=8.0)
    quiet = Scene("quiet", 1.0, seed=4)
    assert not Renderer(quiet).render_reference(0, 400, rate, em).any()


def test_a_curtain_sways_slowly_and_symmetrically() -> None:
    """Curtains stay in the minor-motion band (curtains move at 0.01–0.3 m/s; gusts push it a little), both sides."""
    from custom_components.uspd.sim.scene import Curtain

    scene = Scene("curtain", 20.0, sources=(Curtain(0.0, 20.0, sway_m=0.05, sway_hz=0.8),), seed=3)
    rate = 4000.0
    y = Renderer(scene).phasors(0, int(20 * rate), rate, Emission())
    y = y[0] - y[0].mean()
    spec = np.abs(np.fft.fftshift(np.fft.fft(y * np.hanning(len(y))))) ** 2
    freqs = np.fft.fftshift(np.fft.fftfreq(len(y), 1 / rate))
    speeds = np.abs(freqs) * speed_of_sound_mps(21.0) / (2 * 40000.0)
    assert spec[speeds < 0.4].sum() > 0.95 * spec.sum()
    pos, neg = spec[freqs > 1].sum(), spec[freqs < -1].sum()
    assert 0.3 < pos / neg < 3.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_curtain_s_gusts_never_push_it_past_its_peak_speed(seed: int) -> None:
    """Curtain.sway_m at sway_hz is its swing in the strongest gust: no point moves faster (a curtain: <= 0.3 m/s)."""
    from custom_components.uspd.sim.motion import CurtainMover
    from custom_components.uspd.sim.scene import Curtain

    c = Curtain(0.0, 120.0, sway_m=0.3 / (2 * np.pi * 0.5), sway_hz=0.5)
    t = np.arange(0.0, 120.0, 1e-3, dtype=np.float64)
    speeds = np.stack(
        [
            np.linalg.norm(np.diff(sc.pos, axis=0), axis=1) / 1e-3
            for sc in CurtainMover(c, np.random.default_rng(seed)).scatter(t)
        ]
    )
    assert speeds.max() <= 0.3 * 1.02
    assert speeds.max() > 0.3 * 0.8  # gusts do come
    # ... and calm spells: each point's peak over a swing falls well below the gusts'.
    swing = speeds[0, : len(t) // 120 * 120 - 120].reshape(120, -1).max(axis=1)
    assert swing.min() < 0.5 * swing.max()


def test_an_interfering_tone_lands_at_its_offset_in_both_renders() -> None:
    from custom_components.uspd.sim.scene import Interferer

    scene = Scene("tone", 1.0, sources=(Interferer(40300.0, level_dbfs=-40.0),), seed=4)
    em = Emission(on=False)  # not ours: it is there with our tone off
    bb = Renderer(scene).render_baseband(0, 4000, 4000.0, em)
    freqs = np.fft.fftfreq(4000, 1 / 4000.0)
    assert freqs[np.argmax(np.abs(np.fft.fft(bb[0])))] == pytest.approx(300.0, abs=1.0)
    assert np.abs(bb[0]).mean() == pytest.approx(0.01, rel=0.05)
    audio = Renderer(scene).render_passband(0, 96000, em)
    f = np.fft.rfftfreq(96000, 1 / 96000)
    assert f[np.argmax(np.abs(np.fft.rfft(audio[:, 0])))] == pytest.approx(40300.0, abs=1.0)


def test_echo_level_follows_the_sonar_equation() -> None:
    """A target walking straight away: echo power falls 40·log R plus twice the air's absorption."""
    from custom_components.uspd.sim.scene import Room

    # Walls that reflect nothing, so only the target's own path is left.
    room = Room(size_m=(30.0, 30.0, 10.0), wall_reflection=0.0)
    d = Device(speaker_m=(15.0, 0.15, 1.0), mics_m=((15.0, 0.15, 1.02),), mic_gain_db=(0.0,))
    walker = Walker(((0.0, 15.0, 1.15), (6.0, 15.0, 7.15)), stride_m=0.0, height_m=1.6)
    scene = Scene("range", 6.0, sources=(walker,), room=room, device=d, seed=8)
    rate, fc = 4000.0, 40000.0
    r = Renderer(scene)

    def echo_db(range_m: float) -> float:
        t0 = range_m - 1.0 - 0.25  # 1 m/s from 1 m: at range_m at t = range_m - 1
        y = r.phasors(round(t0 * rate), 2000, rate, Emission(carrier_hz=fc))[0]
        y = y - y.mean()
        return float(10 * np.log10(np.sum(np.abs(np.fft.fft(y * np.hanning(len(y)))) ** 2)))

    near, far = 1.5, 4.0
    alpha = absorption_db_per_m(fc, room.temperature_c, room.humidity_pct)
    expected = 40 * np.log10(far / near) + 2 * alpha * (far - near)
    assert echo_db(near) - echo_db(far) == pytest.approx(expected, abs=1.0)
