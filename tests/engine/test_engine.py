"""The engine's stages alone, and the whole chain on simulated scenes with ground truth."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from numpy.typing import NDArray

from custom_components.uspd.base.labelled import Span
from custom_components.uspd.base.wav import WavError, WavReader
from custom_components.uspd.engine.carrier import NoCarrierError, detect_carrier
from custom_components.uspd.engine.clutter import ClutterFilter
from custom_components.uspd.engine.demodulate import Demodulator
from custom_components.uspd.engine.detector import Decision, Motion
from custom_components.uspd.engine.pipeline import Engine, EngineConfig
from custom_components.uspd.engine.rates import RateError, plan_baseband
from custom_components.uspd.engine.tuning import TUNING
from custom_components.uspd.sim import library
from custom_components.uspd.sim.render import Renderer
from custom_components.uspd.sim.scene import Scene, Seated

from ..helpers import render_audio


def _tone(fs: int, freq: float, seconds: float, mics: int = 2, amp: float = 0.5) -> NDArray[np.float64]:
    """Audio of a tone at `freq` on each mic, each a radian of phase apart."""
    t = np.arange(int(fs * seconds)) / fs
    return np.stack([amp * np.cos(2 * np.pi * freq * t + k) for k in range(mics)], axis=1)


@pytest.mark.parametrize(
    ("fs", "fc"),
    [(44100, 18000), (44100, 19000), (48000, 20000), (96000, 40000), (96000, 43200), (192000, 86000)],
)
def test_demodulator_is_exact_for_any_block_partition(fs: int, fc: float) -> None:
    x = _tone(fs, fc + 150.0, 0.5)
    whole = Demodulator(plan_baseband(fs, fc), 2).process(x)
    rng = np.random.default_rng(0)
    demod = Demodulator(plan_baseband(fs, fc), 2)
    parts, i = [], 0
    while i < len(x):
        n = int(rng.integers(1, 3000))
        parts.append(demod.process(x[i : i + n]))
        i += n
    # Equal to float precision (BLAS may sum in a block-dependent order).
    assert np.abs(np.concatenate(parts, axis=1) - whole).max() < 1e-12
    # The 150 Hz offset tone is a unit-scaled phasor at +150 Hz.
    y = whole[0, whole.shape[1] // 2 :]
    rate = plan_baseband(fs, fc).baseband_rate_hz
    freq = np.fft.fftfreq(len(y), 1 / rate)[np.argmax(np.abs(np.fft.fft(y)))]
    assert abs(freq - 150.0) < rate / len(y)
    assert np.allclose(np.abs(y), 0.5, rtol=1e-3)


@pytest.mark.parametrize(("fs", "fc"), [(44100, 18000), (48000, 20000), (96000, 40000)])
def test_audible_band_does_not_survive_demodulation(fs: int, fc: float) -> None:
    """Speech-band probes at full scale end at or below the 16-bit noise floor."""
    plan = plan_baseband(fs, fc)
    for f in (100, 300, 1000, 3000, 8000):
        y = Demodulator(plan, 1).process(_tone(fs, f, 0.3, mics=1, amp=1.0))
        level_db = 20 * np.log10(np.sqrt(np.mean(np.abs(y[:, 200:]) ** 2)) + 1e-30)
        assert level_db < -100, (f, level_db)


def test_rates_are_checked() -> None:
    with pytest.raises(RateError, match="too low"):
        plan_baseband(16000, 7000)
    with pytest.raises(RateError, match="outside"):
        plan_baseband(48000, 30000)


def test_clutter_removes_static_and_keeps_slow_motion() -> None:
    rate = 4000.0
    t = np.arange(8000) / rate
    static = 3.0 * np.exp(0.3j)
    moving = 0.01 * np.exp(2j * np.pi * 5.0 * t)
    y = ClutterFilter(rate, 1).process((static + moving)[None, :])
    tail = y[0, 4000:]
    assert np.abs(tail).max() == pytest.approx(0.01, rel=0.05)  # 5 Hz Doppler kept
    assert np.abs(np.mean(tail)) < 1e-3  # the static phasor is gone


def _decisions(scene: Scene) -> list[Decision]:
    """The engine's decisions on the scene, fed 400 baseband samples at a time."""
    renderer = Renderer(scene)
    engine = Engine(EngineConfig(scene.device.audio_rate_hz, 40000, renderer.channels))
    rate = engine.plan.baseband_rate_hz
    from custom_components.uspd.engine.emission import Emission

    out: list[Decision] = []
    for i in range(int(scene.duration_s * rate / 400)):
        out += [r.decision for r in engine.process_baseband(renderer.render_baseband(i * 400, 400, rate, Emission()))]
    return out


def test_walker_is_detected_and_the_room_clears() -> None:
    scene = library.walk_in_and_leave()
    d = _decisions(scene)
    first = next(x for x in d if x.motion == Motion.MAJOR)
    assert 2.0 <= first.t_s <= 3.0  # the walk begins at 2 s
    on = next(x for x in d if x.occupied)
    # Through the doorway at 2.9 s; the room opens once MAJOR has held occupy_frames frames.
    assert on.t_s <= 2.9 + (TUNING.occupy_frames + 2) * 0.025
    assert on.t_s - first.t_s <= (TUNING.occupy_frames + 1) * 0.025
    assert all(x.occupied for x in d if 4.0 <= x.t_s <= 15.0)


def test_empty_room_fans_clicks_and_walker_behind_wall_stay_vacant() -> None:
    for scene in (
        library.empty_room(),
        library.fan_only(),
        library.walker_behind_wall(),
        library.pedestal_fan_and_clicks(),
    ):
        d = _decisions(scene)
        assert not any(x.occupied for x in d), scene.name
        assert not any(x.motion == Motion.MAJOR for x in d), scene.name


def test_passband_chain_detects_the_walker() -> None:
    """The full chain (passband audio → demodulator) agrees with the baseband shortcut."""
    scene = library.walk_in_and_leave(duration_s=6.0)
    audio = render_audio(scene)
    engine = Engine(EngineConfig(96000, 40000, audio.shape[1]))
    d = [r.decision for r in engine.process(audio)]
    assert any(x.motion == Motion.MAJOR and 2.0 <= x.t_s <= 3.5 for x in d)
    assert not any(x.occupied for x in d if x.t_s < 2.0)


def _wav(fmt_tag: int, bits: int, data: bytes, ch: int = 1, rate: int = 96000) -> bytes:
    """A minimal WAV file: the fmt chunk for this tag, then `data`."""
    fmt = struct.pack("<HHIIHH", fmt_tag, ch, rate, rate * ch * bits // 8, ch * bits // 8, bits)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + len(data))
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + struct.pack("<I", len(data))
        + data
    )


@pytest.mark.parametrize(
    ("tag", "bits", "payload", "expected"),
    [
        (1, 16, np.array([16384, -32768], "<i2").tobytes(), [0.5, -1.0]),
        (1, 24, bytes([0, 0, 0x40, 0, 0, 0x80]), [0.5, -1.0]),
        (1, 32, np.array([1 << 30, -(1 << 31)], "<i4").tobytes(), [0.5, -1.0]),
        (3, 32, np.array([0.5, -1.0], "<f4").tobytes(), [0.5, -1.0]),
    ],
)
def test_wav_reader_formats(tag: int, bits: int, payload: bytes, expected: list[float]) -> None:
    r = WavReader(io.BytesIO(_wav(tag, bits, payload)))
    assert r.format.frames == 2
    assert r.read(10)[:, 0].tolist() == expected
    assert len(r.read(10)) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"OggS" + bytes(40), "not a WAV"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "truncated"),
        (_wav(1, 8, b"\x00\x00"), "unsupported"),
    ],
)
def test_wav_reader_rejects_bad_input(data: bytes, message: str) -> None:
    with pytest.raises(WavError, match=message):
        WavReader(io.BytesIO(data))


def test_carrier_detection() -> None:
    fs = 48000
    rng = np.random.default_rng(1)
    x = _tone(fs, 19500.0, 1.0, mics=1, amp=0.1) + rng.normal(scale=0.01, size=(fs, 1))
    x += _tone(fs, 1000.0, 1.0, mics=1, amp=0.5)  # loud audible content is not the carrier
    assert detect_carrier(x, fs) == pytest.approx(19500, abs=2)
    with pytest.raises(NoCarrierError):
        detect_carrier(rng.normal(scale=0.01, size=(fs, 1)), fs)


def test_reset_returns_the_engine_to_a_fresh_start() -> None:
    """After reset() the same audio gives exactly what a new engine gives (no state leaks through)."""
    scene = library.walk_in_and_leave(duration_s=4.0)
    audio = render_audio(scene)
    fresh = [r.decision for r in Engine(EngineConfig(96000, 40000, audio.shape[1])).process(audio)]
    engine = Engine(EngineConfig(96000, 40000, audio.shape[1]))
    engine.process(audio[: len(audio) // 3])
    engine.reset()
    again = [r.decision for r in engine.process(audio)]
    assert again == fresh


def test_seated_person_shows_minor_motion() -> None:
    """Typing, reaching and page turns at a desk: minor motion in many frames, from a person who never walks."""
    scene = Scene("desk", 20.0, sources=(Seated(0.0, 20.0, seat_m=(2.5, 1.2), activity=1.0),), seed=6)
    d = _decisions(scene)
    minor = sum(x.motion == Motion.MINOR for x in d)
    major = sum(x.motion == Motion.MAJOR for x in d)
    assert minor + major > 0.25 * len(d)
    # Fast reaches (up to 0.6 m/s) cross the baseline's 0.4 m/s line; typing and page turns do not.
    assert minor > major
    assert [lab.motion for lab in scene.labels()] == ["minor"]
    assert scene.occupied() == [Span(0.0, 20.0)]


def test_the_engine_runs_as_a_module(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import runpy

    monkeypatch.setattr("sys.argv", ["uspd", "detect", "/nonexistent.wav"])
    with pytest.raises(SystemExit) as done:
        runpy.run_module("custom_components.uspd.engine", run_name="__main__")
    assert done.value.code == 2
    assert "uspd: error:" in capsys.readouterr().err
