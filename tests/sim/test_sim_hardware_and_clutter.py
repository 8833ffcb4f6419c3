"""Pedestal fans, impulsive sounds and per-mic responses: what each must look like, in both renders."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from numpy.typing import NDArray

from custom_components.uspd.engine.calibration import measure
from custom_components.uspd.engine.clutter import ClutterFilter
from custom_components.uspd.engine.demodulate import Demodulator
from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.engine.rates import plan_baseband
from custom_components.uspd.engine.sources import SourceConfig
from custom_components.uspd.sim.render import Renderer, mic_response
from custom_components.uspd.sim.scene import Device, Impulses, PedestalFan, Scene
from custom_components.uspd.sim.source import SimulatedRoom

FS, FC = 96000, 40000.0
PLAN = plan_baseband(FS, FC)
RATE = PLAN.baseband_rate_hz


def _demodulated(scene: Scene, seconds: float, emission: Emission) -> NDArray[np.complex128]:
    """The passband render through the engine's demodulator, its start-up dropped."""
    audio = Renderer(scene).render_passband(0, int(seconds * FS), emission)
    bb = Demodulator(PLAN, audio.shape[1]).process(audio)
    return bb[:, int(0.05 * RATE) :]


def _band_power(x: NDArray[np.complex128]) -> float:
    """Mean power of the moving part (the static phasor per mic removed)."""
    moving = x - x.mean(axis=1, keepdims=True)
    return float(np.mean(np.abs(moving) ** 2))


# A 1100 rpm fan 2 m in front of the device, its axis sweeping ±35° about the device, every 8 s.
PEDESTAL = PedestalFan(0.0, 30.0, center_m=(2.5, 2.2, 1.0), facing_deg=-90.0, oscillation_period_s=8.0)


def test_a_pedestal_fans_fast_blades_are_dropped_not_aliased_in_baseband() -> None:
    """Side-on, tips at 23 m/s (5 kHz of Doppler) pass a 4 kHz baseband: both renders keep the same in-band power."""
    side_on = dataclasses.replace(
        PEDESTAL, facing_deg=0.0, oscillation_deg=0.0, airflow_jitter_mps=0.0, blade_ts_db=-15.0
    )
    scene = Scene("pedestal", 2.0, sources=(side_on,), seed=11)
    em = Emission(carrier_hz=FC)
    passband = _demodulated(scene, 1.5, em)
    start, count = int(0.05 * RATE), int(1.45 * RATE)
    baseband = Renderer(scene).phasors(start, count, RATE, em, max_doppler_hz=0.4 * RATE)
    aliased = Renderer(scene).phasors(start, count, RATE, em)  # what the render would give without the filter's model
    ratio_db = 10 * np.log10(_band_power(baseband) / _band_power(passband))
    assert abs(ratio_db) < 2.0
    assert 10 * np.log10(_band_power(aliased) / _band_power(passband)) > ratio_db + 1.0


def test_a_pedestal_fan_is_symmetric_and_waxes_as_its_head_sweeps_past_the_device() -> None:
    scene = Scene("pedestal", 32.0, sources=(dataclasses.replace(PEDESTAL, airflow_jitter_mps=0.0),), seed=12)
    rate = 4000.0
    y = Renderer(scene).phasors(0, int(32 * rate), rate, Emission(carrier_hz=FC), 0.4 * rate)
    moving = ClutterFilter(rate, y.shape[0]).process(y)[0, int(rate) :]
    s = np.abs(np.fft.fft(moving * np.hanning(len(moving)))) ** 2
    f = np.fft.fftfreq(len(moving), 1 / rate)
    assert abs(10 * np.log10(s[f > 20].sum() / s[f < -20].sum())) < 1.5
    # Its glint peaks each time the head looks at the device: twice per 8 s sweep.
    power = np.abs(moving[: len(moving) // 100 * 100].reshape(-1, 100)) ** 2
    envelope = power.mean(axis=1)
    e = np.abs(np.fft.rfft((envelope - envelope.mean()) * np.hanning(len(envelope)))) ** 2
    fe = np.fft.rfftfreq(len(envelope), 100 / rate)
    band = (fe > 0.05) & (fe < 1.0)
    assert fe[band][np.argmax(e[band])] == pytest.approx(2 / 8.0, abs=0.04)


def _path_wobble_rad(
    facing_deg: float = PEDESTAL.facing_deg, airflow_jitter_mps: float = PEDESTAL.airflow_jitter_mps
) -> float:
    """How far the room's paths' phase wanders off a straight line over 2 s with a still pedestal fan in the room."""
    fan = dataclasses.replace(
        PEDESTAL, oscillation_deg=0.0, facing_deg=facing_deg, airflow_jitter_mps=airflow_jitter_mps
    )
    y = Renderer(Scene("jet", 2.0, sources=(fan,), seed=13)).phasors(0, 8000, 4000.0, Emission(carrier_hz=FC), 1600.0)
    phase = np.unwrap(np.angle(y[0]))
    n = np.arange(len(phase))
    return float(np.std(phase - np.polyval(np.polyfit(n, phase, 1), n)))


def test_a_pedestal_fans_jet_jitters_the_paths_most_when_it_blows_at_the_device() -> None:
    at = _path_wobble_rad()
    away = _path_wobble_rad(facing_deg=90.0)
    blades_only = _path_wobble_rad(airflow_jitter_mps=0.0)
    assert at > 5 * away
    assert away > 2 * blades_only  # off its axis the jet still stirs the air a little


IMPULSES = Impulses(0.0, 4.0, rate_hz=3.0, level_dbfs=(-50.0, -45.0))


def test_impulses_render_the_same_in_blocks_as_in_one_go() -> None:
    scene = Scene("keys", 4.0, sources=(IMPULSES,), seed=21)
    em = Emission(on=False)
    whole = Renderer(scene).render_baseband(0, 16000, 4000.0, em)
    r = Renderer(scene)
    blocks = np.concatenate([r.render_baseband(s, 1000, 4000.0, em) for s in range(0, 16000, 1000)], axis=1)
    # Mic noise comes from one running generator per renderer, so compare against the noise-free part.
    assert r.impulses is not None
    bursts = r.impulses.render(0, 16000, 4000.0, complex_out=True)
    assert np.abs(bursts).max() > 1e-4
    assert np.allclose(whole - blocks, 0, atol=1e-3)
    pieces = np.concatenate([r.impulses.render(s, 700, 4000.0, True) for s in range(0, 16100, 700)])[:16000]
    assert np.array_equal(pieces, bursts)


def test_impulses_are_broadband_flashes_with_the_same_energy_in_both_renders() -> None:
    scene = Scene("keys", 4.0, sources=(IMPULSES,), seed=22)
    em = Emission(on=False)  # nothing of ours: only the bursts and the mic noise
    passband = _demodulated(scene, 4.0, em)
    baseband = Renderer(scene).render_baseband(int(0.05 * RATE), passband.shape[1], RATE, em)
    # Energy over the whole stretch (bursts well above the mic noise) agrees.
    assert 10 * np.log10(np.mean(np.abs(baseband) ** 2) / np.mean(np.abs(passband) ** 2)) == pytest.approx(0, abs=1.0)
    # Both Doppler sides, low and high speeds alike: no direction, no speed.
    s = np.abs(np.fft.fft(baseband[0])) ** 2
    f = np.fft.fftfreq(len(s), 1 / RATE)
    slow, fast = s[(np.abs(f) > 20) & (np.abs(f) < 300)].mean(), s[(np.abs(f) > 1000) & (np.abs(f) < 1500)].mean()
    assert abs(10 * np.log10(slow / fast)) < 1.5
    assert abs(10 * np.log10(s[f > 20].sum() / s[f < -20].sum())) < 1.0


def test_each_mics_own_response_reaches_what_calibration_measures() -> None:
    """Mic 1 resonates +6 dB at 40 kHz, mic 2 rolls off 2 dB/kHz above 30 kHz: the sweep sees both."""
    device = dataclasses.replace(
        Device(),
        mic_gain_db=(0.0, 0.0, 0.0, 0.0),
        mic_resonance_hz=(0.0, 40000.0),
        mic_resonance_db=(0.0, 6.0),
        mic_rolloff_hz=(1e9, 1e9, 30000.0, 1e9),
        mic_rolloff_db_per_khz=2.0,
    )
    h = mic_response(device, 40000.0)
    assert 20 * np.log10(abs(h[1])) == pytest.approx(6.0, abs=0.01)
    assert 20 * np.log10(abs(h[2])) == pytest.approx(-20.0, abs=0.01)
    # Off its peak, a resonance turns the phase too.
    assert abs(np.angle(mic_response(device, 38000.0)[1])) > 0.1
    flat = dataclasses.replace(device, mic_resonance_hz=(), mic_resonance_db=(), mic_rolloff_hz=())

    def measured(d: Device, carrier_hz: float) -> NDArray[np.float64]:
        room = SimulatedRoom(SourceConfig(baseband=True, loop=True), scene=Scene("mics", 60.0, device=d, seed=23))
        return np.asarray(measure(room, carrier_hz).response_db)

    # Against the same device with flat mics: where each mic sits (the speaker's
    # beam, the room) moves its reading by up to 12.6 dB on its own (mics 2 and 3 at 25 kHz).
    at40 = measured(device, 40000.0) - measured(flat, 40000.0)
    at25 = measured(device, 25000.0) - measured(flat, 25000.0)
    assert at40 == pytest.approx([0.0, 6.0, -20.0, 0.0], abs=0.2)
    assert at25 == pytest.approx([0.0, 0.0, 0.0, 0.0], abs=0.5)  # below mic 2's corner, far off mic 1's peak


def _static_level_db(x: NDArray[np.complex128], rate: float, window_s: float = 0.02) -> NDArray[np.float64]:
    """The tone's level at mic 0 over short windows: what AGC pumping moves."""
    n = int(window_s * rate)
    frames = x[0, : len(x[0]) // n * n].reshape(-1, n)
    return np.asarray(20 * np.log10(np.abs(frames.mean(axis=1))))


def test_an_os_agc_left_on_pumps_the_tone_with_the_music_in_both_renders() -> None:
    from custom_components.uspd.sim.scene import Music, OsAgc

    # Notes near 100 Hz: their pressure (∝ f² for the same excursion) about equal, each beat ducks the gain alike.
    music = Music(0.0, 6.0, pm_dbc=-60.0, imd_dbc=-90.0, bass_hz=(99.0, 101.0), audible_dbfs=-12.0, tempo_bpm=120.0)
    plain = Scene("music", 6.0, sources=(music,), seed=31)
    agc = dataclasses.replace(plain, device=dataclasses.replace(plain.device, agc=OsAgc()))
    em = Emission(carrier_hz=FC)
    n = int(5.5 * RATE)
    steady = _static_level_db(Renderer(plain).render_baseband(int(0.5 * RATE), n, RATE, em), RATE)
    pumped = _static_level_db(Renderer(agc).render_baseband(int(0.5 * RATE), n, RATE, em), RATE)
    assert np.ptp(steady) < 0.5  # music alone barely touches the tone's level (PM and IMD set tiny here)
    assert np.ptp(pumped) > max(1.0, 10 * np.ptp(steady))  # the gain ducks on every beat and creeps back
    # Each beat (0.5 s at 120 bpm) ducks it once.
    e = np.abs(np.fft.rfft((pumped - pumped.mean()) * np.hanning(len(pumped)))) ** 2
    f = np.fft.rfftfreq(len(pumped), 0.02)
    assert f[np.argmax(e[1:]) + 1] == pytest.approx(2.0, abs=0.1)
    # The passband render through the demodulator pumps the same way.
    demod = _demodulated(agc, 6.0, em)[:, int(0.45 * RATE) :][:, :n]
    through = _static_level_db(demod, RATE)
    k = min(len(through), len(pumped)) - 2
    lag = round(Demodulator(PLAN, 1).delay_s / 0.02)
    assert np.abs(through[lag : lag + k] - pumped[:k]).mean() < 1.0
