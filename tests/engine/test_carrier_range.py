"""One carrier rule: what a recording may hold, what the hardware may emit.

A recording may hold any carrier from 17 kHz up to Nyquist less the Doppler
band and the demodulator's transition (a phone's 20 kHz tone at 44.1 kHz);
the carrier finder, plan_baseband and the recording backend apply the same
rule (rates.carrier_range_hz). What calibration emits stays at or below
0.45·fs (rates.emission_limit_hz).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from custom_components.uspd.base.acoustics import speed_of_sound_mps
from custom_components.uspd.base.wav import write_wav
from custom_components.uspd.engine import rates
from custom_components.uspd.engine.calibration import calibrate, candidate_carriers
from custom_components.uspd.engine.carrier import NoCarrierError, detect_carrier
from custom_components.uspd.engine.cli import main as cli_main
from custom_components.uspd.engine.demodulate import PASSBAND_FRACTION, Demodulator
from custom_components.uspd.engine.detector import Motion
from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.engine.pipeline import Engine, EngineConfig
from custom_components.uspd.engine.sources import Block, SourceConfig, SourceError, open_source

RATES = (44100, 48000, 96000, 192000)
C = speed_of_sound_mps()


def _tone(fs: int, f: float, seconds: float, seed: int = 0) -> NDArray[np.float64]:
    """Mono audio: a tone at `f` in a little noise."""
    t = np.arange(int(seconds * fs)) / fs
    noise = np.random.default_rng(seed).normal(scale=1e-4, size=t.size)
    return (0.2 * np.cos(2 * np.pi * f * t) + noise)[:, None]


def _phone_recording(fs: int = 44100, fc: float = 20000.0, seconds: float = 3.0) -> NDArray[np.float64]:
    """A phone's tone, mono, with a hand swinging 0.3 m to and fro from 0.8 s (±1.3 m/s: sidebands to ±150 Hz)."""
    t = np.arange(int(seconds * fs)) / fs
    moving = t >= 0.8
    r = 0.6 + np.where(moving, 0.3 * np.sin(2 * np.pi * 0.7 * (t - 0.8)), 0.0)
    direct = 0.3 * np.cos(2 * np.pi * fc * t)
    echo = 0.004 * np.cos(2 * np.pi * fc * (t - 2 * r / C))
    noise = np.random.default_rng(1).normal(scale=3e-5, size=t.size)
    return (direct + echo + noise)[:, None]


def test_a_phones_20_khz_tone_at_44_1_khz_is_read_by_the_recording_backend(tmp_path: Path) -> None:
    path = tmp_path / "phone.wav"
    write_wav(str(path), _phone_recording(), 44100)
    source = open_source(SourceConfig(backend="recording", path=str(path), loop=False))
    try:
        assert source.carrier_hz == pytest.approx(20000, abs=3)
        engine = Engine(EngineConfig(source.audio_rate_hz, source.carrier_hz, source.channels))
        decisions = []
        while (block := source.read()) is not None:
            assert block.audio is not None
            decisions += [r.decision for r in engine.process(block.audio)]
    finally:
        source.close()
    moving = [d.motion for d in decisions if d.t_s >= 1.0]
    still = [d.motion for d in decisions if d.t_s < 0.7]
    assert moving.count(Motion.NONE) < len(moving) / 2
    assert set(still) == {Motion.NONE}


def test_the_cli_reads_it_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "phone.wav"
    write_wav(str(path), _phone_recording(), 44100)
    assert cli_main(["detect", str(path)]) == 0
    frames = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert any(f["motion"] != "none" for f in frames if f["t"] >= 1.0)


def _inside_and_outside(fs: int) -> tuple[list[float], list[float]]:
    """Carriers just inside the range a recording may hold at `fs`, and just outside it."""
    low, high = rates.carrier_range_hz(fs)
    return [math.ceil(low) + 3, math.floor(high) - 3], [math.floor(low) - 3, math.ceil(high) + 3]


@pytest.mark.parametrize("fs", RATES)
def test_the_finder_and_plan_baseband_accept_the_same_range(fs: int) -> None:
    inside, outside = _inside_and_outside(fs)
    for f in inside:
        assert rates.plan_baseband(fs, f).carrier_hz == f
        assert detect_carrier(_tone(fs, f, 1.0), fs) == pytest.approx(f, abs=1)
    for f in outside:
        with pytest.raises(rates.RateError, match="outside"):
            rates.plan_baseband(fs, f)
        with pytest.raises(NoCarrierError, match="outside"):
            detect_carrier(_tone(fs, f, 1.0), fs)


def test_the_range_reaches_a_phones_20_khz_at_44_1_khz_and_past_the_emission_limit() -> None:
    for fs in RATES:
        low, high = rates.carrier_range_hz(fs)
        assert low == 17000
        # Nyquist less the Doppler band the engine reads and the demodulator's transition.
        assert high + rates.doppler_band_hz(fs, high) + rates.transition_hz(fs) == pytest.approx(fs / 2)
        assert rates.emission_limit_hz(fs) < high < fs / 2
    rates.check_carrier(44100, 20000)  # a phone's tone, with ±8.6 m/s of Doppler (±1 kHz) under Nyquist
    assert 20000 + rates.doppler_band_hz(44100, 20000) < 22050
    assert rates.doppler_band_hz(44100, 20000) == pytest.approx(2 * rates.MAX_SPEED_MPS * 20000 / C)
    assert rates.describe_range(44100) == "17000–20236 Hz"


def test_a_tone_too_close_to_nyquist_is_named(tmp_path: Path) -> None:
    """The recording backend says where the tone is and what the rule allows, not that there is none."""
    path = tmp_path / "high.wav"
    write_wav(str(path), _tone(44100, 21500.0, 2.5), 44100)
    with pytest.raises(SourceError, match=r"at 215\d\d Hz is too close to Nyquist.*17000–20236 Hz") as err:
        open_source(SourceConfig(backend="recording", path=str(path), loop=False))
    assert err.value.reason == "no_carrier"


@pytest.mark.parametrize("fs", RATES)
def test_at_the_top_of_the_range_the_demodulator_keeps_the_band_clean(fs: int) -> None:
    """The rule holds against the demodulator's actual filters, at the highest carrier a recording may hold.

    A sideband at the edge of the Doppler band comes through where it is, and the mirror images
    of the tone and the sideband (folded at Nyquist) stay out of the band the engine reads.
    """
    fc = float(math.floor(rates.carrier_range_hz(fs)[1]))
    plan = rates.plan_baseband(fs, fc)
    edge = rates.doppler_band_hz(fs, fc)
    side = 0.95 * min(edge, PASSBAND_FRACTION * plan.baseband_rate_hz)  # where the filter is flat
    t = np.arange(int(0.6 * fs)) / fs
    x = np.cos(2 * np.pi * fc * t) + 1e-2 * np.cos(2 * np.pi * (fc + side) * t)
    demod = Demodulator(plan, 1)
    y = demod.process(x[:, None])[0, demod.settle_samples :]
    tb = np.arange(len(y)) / plan.baseband_rate_hz
    basis = np.stack([np.ones_like(tb), np.exp(2j * np.pi * side * tb)], axis=1)  # the tone, the sideband
    fit = np.linalg.lstsq(basis, y, rcond=None)[0]
    assert 20 * np.log10(abs(fit[1])) == pytest.approx(-40.0, abs=0.5)  # where it is, about as strong
    rest = y - basis @ fit
    window = np.kaiser(len(rest), 20.0)
    spec = np.abs(np.fft.fft(rest * window)) / window.sum()
    freqs = np.fft.fftfreq(len(rest), 1 / plan.baseband_rate_hz)
    assert 20 * np.log10(spec[np.abs(freqs) <= edge].max()) < -95.0  # no image in the band the engine reads


class _Loopback:
    """A closed-loop source that records what it is asked to emit and plays it back with noise."""

    hardware_paced = False
    block_seconds = 0.05
    closed_loop = True
    xruns = 0

    def __init__(self, fs: int) -> None:
        self.audio_rate_hz = fs
        self.channels = 1
        self.carrier_hz = 20000.0
        self.emitted: list[Emission] = []
        self._emission = Emission(on=False)
        self._n = 0
        self._rng = np.random.default_rng(3)

    def set_emission(self, emission: Emission) -> None:
        """Play this tone from the next block on, and remember it was asked for."""
        self._emission = emission
        self.emitted.append(emission)

    def read(self) -> Block:
        """The next block: the tone asked for, in noise."""
        size = int(self.block_seconds * self.audio_rate_hz)
        t = (self._n + np.arange(size)) / self.audio_rate_hz
        self._n += size
        e = self._emission
        tone = 0.3 * e.level * np.cos(2 * np.pi * e.carrier_hz * t) if e.on else 0.0
        return Block(audio=(tone + self._rng.normal(scale=1e-4, size=size))[:, None])

    def ground_truth(self) -> str | None:
        """Nothing: a loopback does not know the room."""
        return None

    def calibration_twin(self) -> _Loopback:
        """Itself: the sweep plays on the same loop."""
        return self

    def close(self) -> None:
        """Nothing to release."""


@pytest.mark.parametrize("fs", [44100, 48000])
def test_calibration_never_emits_above_0_45_fs(fs: int) -> None:
    """A recording may hold a 20 kHz tone at 44.1 kHz; our hardware is never asked to emit one there."""
    assert rates.MAX_EMISSION_FRACTION == 0.45
    assert rates.emission_limit_hz(fs) == 0.45 * fs
    assert max(candidate_carriers(fs)) <= 0.45 * fs
    source = _Loopback(fs)
    cal = calibrate(source)
    played = [e.carrier_hz for e in source.emitted if e.on and e.level > 0]
    assert played
    assert max(played) <= 0.45 * fs
    assert cal.carrier_hz <= 0.45 * fs
    rates.check_emission(fs, math.floor(0.45 * fs))
    with pytest.raises(rates.RateError, match="what uspd emits"):
        rates.check_emission(fs, math.floor(0.45 * fs) + 1)
    if fs == 44100:
        assert rates.emission_limit_hz(fs) < 20000
        rates.check_carrier(fs, 20000)  # …and still a carrier a recording may hold
