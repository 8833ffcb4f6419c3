"""Physics for the shifted suite, and every new field at its default rendering exactly as before.

Per-mic phase and tilt, the ADC's anti-alias filter, the speaker's ripple,
music on every path with its own delay, travelling-wave curtains, flat fan
blades, the draft's band.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from custom_components.uspd.base.acoustics import absorption_db_per_m
from custom_components.uspd.engine.demodulate import Demodulator
from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.engine.rates import plan_baseband
from custom_components.uspd.sim.motion import CurtainMover, FanMover
from custom_components.uspd.sim.render import Renderer
from custom_components.uspd.sim.response import antialias_db, ripple_taps
from custom_components.uspd.sim.scene import (
    CURTAIN_WAVE_POINTS,
    Curtain,
    Device,
    Fan,
    Impulses,
    Interferer,
    Music,
    PedestalFan,
    Room,
    Scene,
    Seated,
    Walker,
)

RATE = 4000.0
C_MPS = 343.5  # at 21 °C, near enough to place the targets


def _quiet(**fields: Any) -> Device:
    """A device with no noise and no phase noise: what a render holds is the physics alone."""
    return Device(mic_noise_dbfs=-300.0, bits=60, phase_noise_rad=0.0, **fields)


def _line(y: NDArray[np.complex128], freq_hz: float, rate: float = RATE) -> NDArray[np.float64]:
    """Each mic's power within ±60 Hz of freq_hz (Hann window)."""
    s = np.abs(np.fft.fft(y * np.hanning(y.shape[-1]), axis=-1)) ** 2
    f = np.fft.fftfreq(y.shape[-1], 1 / rate)
    return np.asarray(s[:, np.abs(f - freq_hz) < 60].sum(axis=1))


def _targets(doppler_hz: float, carrier_hz: float) -> tuple[Walker, Walker]:
    """Rigid targets on the device's axis, one approaching and one receding, at ±doppler_hz from 0.25 s to 1.25 s."""
    v = doppler_hz * C_MPS / (2 * carrier_hz)
    return (
        Walker(((0.0, 2.5, 1.0 + 1.5 * v), (1.5, 2.5, 1.0)), stride_m=0.0),
        Walker(((0.0, 2.5, 1.0), (1.5, 2.5, 1.0 + 1.5 * v)), stride_m=0.0),
    )


DEEP = Room(size_m=(5.0, 16.0, 2.6))  # deep enough for fast targets to stay inside


def test_new_fields_at_their_defaults_render_exactly_as_before() -> None:
    sources = (
        Walker(((0.5, 1.0, 3.0), (2.0, 2.5, 1.2))),
        Seated(0.0, 2.0),
        Fan(0.0, 2.0),
        PedestalFan(0.0, 2.0),
        Music(0.0, 2.0),
        Curtain(0.0, 2.0),
        Interferer(40300.0),
        Impulses(0.0, 2.0, rate_hz=5.0),
    )
    defaults = (
        Walker(((0.5, 1.0, 3.0), (2.0, 2.5, 1.2))),
        Seated(0.0, 2.0),
        Fan(0.0, 2.0, flash_lobe_deg=0.0, jitter_band_hz=(0.3, 15.0)),
        PedestalFan(0.0, 2.0, jitter_band_hz=(0.3, 15.0)),
        Music(0.0, 2.0, multipath=False),
        Curtain(0.0, 2.0, wave_m=0.0),
        Interferer(40300.0),
        Impulses(0.0, 2.0, rate_hz=5.0),
    )
    device = Device(
        mic_phase_rad=(),
        mic_tilt_db_per_khz=(),
        antialias_hz=None,
        speaker_ripple_db=0.0,
        speaker_ripple_period_hz=1500.0,
    )
    plain = Scene("plain", 2.0, sources=sources, seed=5)
    explicit = Scene("explicit", 2.0, sources=defaults, device=device, seed=5)
    em = Emission()
    a, b = Renderer(plain), Renderer(explicit)
    assert np.array_equal(a.render_baseband(0, 4000, RATE, em), b.render_baseband(0, 4000, RATE, em))
    assert np.array_equal(a.render_passband(96000, 9600, em), b.render_passband(96000, 9600, em))


def test_each_mic_tilts_across_the_band_as_asked_in_both_renders() -> None:
    """Echoes ±1 kHz off the carrier: each mic gains tilt·(±1) dB over an untilted device (±0.3 dB)."""
    tilt = (1.5, -1.5, 0.0, 0.7)
    fs, fc = 96000, 40000.0
    scene = Scene("tilt", 1.5, sources=_targets(1000.0, fc), room=DEEP, device=_quiet(), seed=2)
    tilted = dataclasses.replace(scene, device=_quiet(mic_tilt_db_per_khz=tilt))
    em = Emission(carrier_hz=fc)
    flat, bent = (Renderer(s).render_baseband(1000, 4000, RATE, em) for s in (scene, tilted))
    plan = plan_baseband(fs, fc)
    demodulated = [
        Demodulator(plan, 4).process(Renderer(s).render_passband(int(0.25 * fs), int(1.0 * fs), em))
        for s in (scene, tilted)
    ]
    rate = plan.baseband_rate_hz
    for sign in (1, -1):
        want = sign * np.asarray(tilt)
        got = 10 * np.log10(_line(bent, sign * 1000.0) / _line(flat, sign * 1000.0))
        assert got == pytest.approx(want, abs=0.3)
        got = 10 * np.log10(_line(demodulated[1], sign * 1000.0, rate) / _line(demodulated[0], sign * 1000.0, rate))
        assert got == pytest.approx(want, abs=0.3)


def test_the_anti_alias_filter_cuts_the_upper_sideband_near_nyquist_not_the_lower() -> None:
    """48 kHz, carrier 21.4 kHz, flat to 21.6 kHz then −25 dB/kHz: echoes at +1.2 kHz lose 25 dB, at −1.2 kHz none."""
    fc = 21400.0
    device = _quiet(audio_rate_hz=48000)
    scene = Scene("aa", 1.5, sources=_targets(1200.0, fc), room=DEEP, device=device, seed=2)
    cut = dataclasses.replace(scene, device=dataclasses.replace(device, antialias_hz=21600.0))
    em = Emission(carrier_hz=fc)
    open_, shut = (Renderer(s).render_baseband(1000, 4000, RATE, em) for s in (scene, cut))
    upper = 10 * np.log10(_line(shut, 1200.0) / _line(open_, 1200.0))
    lower = 10 * np.log10(_line(shut, -1200.0) / _line(open_, -1200.0))
    assert np.all(upper < -20.0)
    assert upper == pytest.approx(float(antialias_db(cut.device, np.array([fc + 1200.0]))[0]), abs=1.0)
    assert np.all(np.abs(lower) < 1.0)
    nyquist = np.array([24000.0, 25000.0])
    assert antialias_db(cut.device, nyquist) == pytest.approx([-60.0, -85.0])


def test_every_new_response_renders_the_same_in_blocks_as_in_one_go() -> None:
    device = _quiet(
        mic_phase_rad=(0.3, -2.0, 1.0, 0.0),
        mic_tilt_db_per_khz=(1.5, -1.0, 0.5, 0.0),
        antialias_hz=40300.0,
        speaker_ripple_db=4.0,
        speaker_ripple_period_hz=900.0,
    )
    sources = (
        Walker(((0.0, 1.0, 3.0), (2.0, 3.0, 1.0))),
        Fan(0.0, 2.0, flash_lobe_deg=4.0),
        Music(0.0, 2.0, pm_dbc=-12.0, multipath=True),
        Interferer(40500.0),
        Impulses(0.0, 2.0, rate_hz=4.0),
    )
    scene = Scene("blocks", 2.0, sources=sources, device=device, seed=8)
    em = Emission()
    whole = Renderer(scene).render_baseband(0, 8000, RATE, em)
    r = Renderer(scene)
    blocks = np.concatenate([r.render_baseband(s, 400, RATE, em) for s in range(0, 8000, 400)], axis=1)
    assert np.abs(blocks - whole).max() < 1e-9
    # Passband: its coarse grid gets the same filters; its noise is one stream, whatever the blocks.
    whole_pb = Renderer(scene).render_passband(0, 28800, em)
    r = Renderer(scene)
    blocks_pb = np.concatenate([r.render_passband(s, 4800, em) for s in range(0, 28800, 4800)])
    assert np.abs(blocks_pb - whole_pb).max() < 1e-9


def test_a_mic_s_phase_turns_everything_it_hears() -> None:
    phases = (0.0, 1.0, -2.5, 3.0)
    sources = (Walker(((0.0, 1.0, 3.0), (1.0, 2.0, 1.5))), Interferer(40300.0), Impulses(0.0, 1.0, rate_hz=8.0))
    scene = Scene("phase", 1.0, sources=sources, device=_quiet(), seed=3)
    turned = dataclasses.replace(scene, device=_quiet(mic_phase_rad=phases))
    em = Emission()
    y0, y1 = (Renderer(s).render_baseband(0, 4000, RATE, em) for s in (scene, turned))
    assert np.abs(y1 - y0 * np.exp(1j * np.asarray(phases))[:, None]).max() < 1e-12 * np.abs(y0).max() + 1e-15
    # Passband: another device's tone, exactly periodic in the block, comes out turned by the mic's phase.
    tone = Scene("tone", 1.0, sources=(Interferer(40000.0, -40.0),), device=_quiet(), seed=3)
    x0, x1 = (
        Renderer(s).render_passband(0, 9600, Emission(on=False))
        for s in (tone, dataclasses.replace(tone, device=turned.device))
    )
    k = 4000  # 40 kHz in a 0.1 s block at 96 kHz
    turn = np.fft.rfft(x1, axis=0)[k] / np.fft.rfft(x0, axis=0)[k]
    assert np.angle(turn * np.exp(-1j * np.asarray(phases))) == pytest.approx(np.zeros(4), abs=1e-3)


def _sideband_over_tone(scene: Scene, bass_hz: float) -> NDArray[np.complex128]:
    """Each mic's upper sideband at the bass note over its tone, 0.7–2.7 s into a 3 s note."""
    y = Renderer(scene).render_baseband(int(0.7 * RATE), int(2 * RATE), RATE, Emission())
    s = np.fft.fft(y * np.hanning(y.shape[1]), axis=1)
    return np.asarray(s[:, round(bass_hz * 2)] / s[:, 0])


def test_music_multipath_gives_each_mic_every_path_s_own_delay() -> None:
    """The sideband-to-tone ratio at each mic follows Σ_p a_p·e^{−jωL_p/c} / Σ_p a_p over every fixed path.

    With one delay for all echoes the inter-mic pattern misses by ~0.7 dB and ~8° (at 60 Hz here).
    """
    bass_hz = 60.0
    music = Music(0.0, 10.0, pm_dbc=-20.0, imd_dbc=-200.0, bass_hz=(bass_hz, bass_hz), tempo_bpm=20.0)
    scene = Scene("music", 10.0, sources=(dataclasses.replace(music, multipath=True),), device=_quiet(), seed=3)
    r = Renderer(scene)
    room = scene.room
    alpha = absorption_db_per_m(40000.0, room.temperature_c, room.humidity_pct) / 20 * np.log(10)
    a = (
        r.static_gain
        * np.exp(-alpha * r.static_len)
        / r.static_len
        * np.exp(-2j * np.pi * 40000.0 * r.static_len / r.c)
    )
    exact = (a * np.exp(-2j * np.pi * bass_hz * r.static_len / r.c)).sum(axis=1) / a.sum(axis=1)

    def miss(ratio: NDArray[np.complex128]) -> tuple[float, float]:
        """The spread across mics of the ratio's error against every path's own delay: dB and degrees."""
        err = ratio / exact
        return float(np.ptp(20 * np.log10(np.abs(err)))), float(np.ptp(np.degrees(np.angle(err / err[0]))))

    multipath = miss(_sideband_over_tone(scene, bass_hz))
    single = miss(_sideband_over_tone(dataclasses.replace(scene, sources=(music,)), bass_hz))
    assert multipath[0] < 0.1
    assert multipath[1] < 1.0
    assert single[0] > 0.3 or single[1] > 3.0


def test_the_speaker_s_ripple_shapes_music_s_sidebands_not_the_tone() -> None:
    """3 dB of ripple every 400 Hz: the sideband 100 Hz above the carrier gains 3 dB, the one below loses 3 dB."""
    music = Music(0.0, 10.0, pm_dbc=-20.0, imd_dbc=-200.0, bass_hz=(100.0, 100.0), tempo_bpm=20.0)
    flat = Scene("flat", 10.0, sources=(music,), device=_quiet(), seed=3)
    ripple = _quiet(speaker_ripple_db=3.0, speaker_ripple_period_hz=400.0)
    y0, y1 = (
        Renderer(s).render_baseband(int(0.7 * RATE), int(2 * RATE), RATE, Emission())
        for s in (flat, dataclasses.replace(flat, device=ripple))
    )
    s0, s1 = (np.abs(np.fft.fft(y * np.hanning(y.shape[1]), axis=1)) for y in (y0, y1))
    assert 20 * np.log10(s1[:, 200] / s0[:, 200]) == pytest.approx(np.full(4, 3.0), abs=0.1)
    assert 20 * np.log10(s1[:, -200] / s0[:, -200]) == pytest.approx(np.full(4, -3.0), abs=0.1)
    assert 20 * np.log10(s1[:, 0] / s0[:, 0]) == pytest.approx(np.zeros(4), abs=0.01)
    # The taps themselves: the asked gain across the band, 0 dB at the carrier.
    taps = ripple_taps(ripple, RATE)[0]
    f = np.array([-1000.0, -300.0, 0.0, 100.0, 700.0, 1500.0])
    k = np.arange(len(taps)) - len(taps) // 2
    gain_db = 20 * np.log10(np.abs(np.exp(-2j * np.pi * np.outer(f, k) / RATE) @ taps))
    assert gain_db == pytest.approx(3.0 * np.sin(2 * np.pi * f / 400.0), abs=0.05)


def test_a_travelling_wave_curtain_sways_in_step_along_its_width_at_its_peak_speed() -> None:
    c = Curtain(0.0, 120.0, width_m=1.6, sway_m=0.3 / (2 * np.pi * 0.5), sway_hz=0.5, wave_m=1.2)
    t = np.arange(0.0, 120.0, 1e-3, dtype=np.float64)
    (scatter,) = CurtainMover(c, np.random.default_rng(4)).scatter(t)
    assert scatter.pos.shape == (CURTAIN_WAVE_POINTS, len(t), 3)
    along = (scatter.pos - np.asarray(c.center_m)) @ np.asarray(c.normal)  # (points, knots)
    phase = np.angle(along @ np.exp(-2j * np.pi * c.sway_hz * t))
    x = np.linspace(-0.5, 0.5, CURTAIN_WAVE_POINTS) * c.width_m
    step = np.angle(np.exp(1j * (np.diff(phase) + 2 * np.pi * np.diff(x) / c.wave_m)))
    assert step == pytest.approx(np.zeros(CURTAIN_WAVE_POINTS - 1), abs=0.02)
    speeds = np.linalg.norm(np.diff(scatter.pos, axis=1), axis=2) / 1e-3
    assert speeds.max() == pytest.approx(0.3, rel=0.1)
    assert speeds.max() <= 0.3 * 1.02


def test_a_flat_blade_flashes_in_a_narrow_lobe() -> None:
    """Within 6 dB of its peak for 2·1.23σ of every 180° (σ the lobe), against about a third of the time today."""
    t = np.linspace(0.0, 60 / 180.0, 36001)  # one turn at 180 rpm
    amp = {}
    for lobe in (0.0, 4.0):
        fan = Fan(0.0, 10.0, rpm=180.0, blades=1, blade_ts_db=-20.0, flash_lobe_deg=lobe)
        (scatter,) = FanMover(fan, (2.5, 0.15), np.random.default_rng(1)).scatter(t)
        amp[lobe] = scatter.amp[0]
    duty = {lobe: float(np.mean(a >= a.max() * 10 ** (-6 / 20))) for lobe, a in amp.items()}
    floor = 10 ** (-25 / 20)
    half_width = 4.0 * np.sqrt(2 * np.log((1 - floor) / (10 ** (-6 / 20) - floor)))
    assert duty[4.0] == pytest.approx(2 * half_width / 180.0, rel=0.05)
    assert duty[4.0] < duty[0.0] / 5
    assert 20 * np.log10(amp[4.0].max()) == pytest.approx(-20.0 + 6.0, abs=0.01)
    assert 20 * np.log10(amp[4.0].min() / amp[4.0].max()) == pytest.approx(-25.0, abs=0.1)


def test_the_draft_jitters_the_sound_speed_in_its_own_band() -> None:
    """The fixed echoes wobble with the draft: at 5–20 Hz, most of it above 3 Hz; at 0.3–2 Hz, below."""
    share = {}
    for band in ((0.3, 2.0), (5.0, 20.0)):
        fan = Fan(0.0, 20.0, blade_ts_db=-300.0, airflow_jitter_mps=0.3, jitter_band_hz=band)
        y = Renderer(Scene("draft", 20.0, sources=(fan,), device=_quiet(), seed=6)).phasors(
            0, 16 * 1000, 1000.0, Emission()
        )
        wobble = np.abs(np.fft.rfft(np.angle(y[0] / y[0].mean()) * np.hanning(y.shape[1]))) ** 2
        f = np.fft.rfftfreq(y.shape[1], 1e-3)
        share[band] = wobble[f > 3].sum() / wobble[f > 0.2].sum()
    assert share[5.0, 20.0] > 0.9
    assert share[0.3, 2.0] < 0.1


@pytest.mark.parametrize(
    "make",
    [
        lambda: Device(audio_rate_hz=48000, antialias_hz=24000.0),
        lambda: Device(speaker_ripple_db=2.0, speaker_ripple_period_hz=0.0),
        lambda: Curtain(0.0, 1.0, wave_m=-1.0),
        lambda: Fan(0.0, 1.0, flash_lobe_deg=-2.0),
        lambda: PedestalFan(0.0, 1.0, jitter_band_hz=(5.0, 1.0)),
    ],
)
def test_impossible_physics_is_refused_in_one_line(make: object) -> None:
    with pytest.raises(ValueError, match="must"):
        make()  # type: ignore[operator]
