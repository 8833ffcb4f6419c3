"""Bad input: non-finite samples, WAV headers that ask for absurd resources, recording paths that are no file."""

from __future__ import annotations

import io
import json
import logging
import math
import os
import struct
from math import gcd
from pathlib import Path
from typing import NoReturn

import numpy as np
import pytest
from numpy.typing import NDArray

from custom_components.uspd.base.wav import WavError, WavReader, write_wav
from custom_components.uspd.engine.cli import main
from custom_components.uspd.engine.clutter import ClutterFilter
from custom_components.uspd.engine.demodulate import Demodulator
from custom_components.uspd.engine.detector import Motion
from custom_components.uspd.engine.doppler import NoiseFloor
from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.engine.pipeline import Engine, EngineConfig, FrameResult, finite_samples
from custom_components.uspd.engine.rates import plan_baseband
from custom_components.uspd.engine.sources import AudioSource, SourceConfig, SourceError, open_source
from custom_components.uspd.sim import library
from custom_components.uspd.sim.library import empty_room
from custom_components.uspd.sim.render import Renderer

from ..helpers import peak_bytes, render_audio, wav_bytes, write_scene_wav

FS = 96000


@pytest.fixture(scope="module")
def walk_audio() -> NDArray[np.float64]:
    """Six seconds of the walk-in scene's microphone audio."""
    return render_audio(library.walk_in_and_leave(duration_s=6.0))


def _poisoned(audio: NDArray[np.float64]) -> tuple[NDArray[np.float64], int]:
    """A 5 ms NaN burst on every mic at 0.5 s, then a +Inf and a -Inf sample: (audio, samples spoiled)."""
    x = audio.copy()
    start = FS // 2
    x[start : start + 480] = np.nan
    x[int(0.8 * FS), 1] = np.inf
    x[int(0.9 * FS), 0] = -np.inf
    return x, 480 * x.shape[1] + 2


def _assert_walker_seen(t: list[float], motion: list[Motion], occupied: list[bool]) -> None:
    """The walk-in is seen (major motion at 2-3.5 s) and the room kept from 4 s on."""
    assert any(m == Motion.MAJOR and 2.0 <= s <= 3.5 for s, m in zip(t, motion, strict=True))
    assert all(o for s, o in zip(t, occupied, strict=True) if s >= 4.0)


def _assert_finite_after(results: list[FrameResult], t_s: float) -> None:
    """Every number in the results after `t_s` is finite: a bad burst spoils nothing later."""
    late = [r for r in results if r.frame.t_s > t_s]
    assert late
    for r in late:
        assert math.isfinite(r.noise_floor_db), r.frame.t_s
        assert math.isfinite(r.carrier_snr_db), r.frame.t_s
        assert np.isfinite(r.frame.normalized_db).all(), r.frame.t_s
        assert math.isfinite(r.decision.score), r.frame.t_s


def _nonfinite_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The warnings logged about non-finite samples."""
    return [r for r in caplog.records if r.levelno == logging.WARNING and "non-finite" in r.getMessage()]


# ---- One NaN must not blind the engine ---------------------------------------------------------


def test_nan_and_inf_audio_are_replaced_counted_and_logged_once(
    walk_audio: NDArray[np.float64], caplog: pytest.LogCaptureFixture
) -> None:
    x, spoiled = _poisoned(walk_audio)
    engine = Engine(EngineConfig(FS, 40000, x.shape[1]))
    results: list[FrameResult] = []
    with caplog.at_level(logging.WARNING):
        for i in range(0, len(x), 4800):
            results += engine.process(x[i : i + 4800])
    assert engine.nonfinite_samples == spoiled
    assert len(_nonfinite_warnings(caplog)) == 1
    _assert_finite_after(results, 1.0)
    d = [r.decision for r in results]
    _assert_walker_seen([r.t_s for r in d], [r.motion for r in d], [r.occupied for r in d])
    # A new stream warns afresh.
    caplog.clear()
    engine.reset()
    with caplog.at_level(logging.WARNING):
        engine.process(x[:FS])
    assert len(_nonfinite_warnings(caplog)) == 1


def test_nan_and_inf_baseband_are_replaced_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    scene = library.walk_in_and_leave(duration_s=6.0)
    renderer = Renderer(scene)
    engine = Engine(EngineConfig(scene.device.audio_rate_hz, 40000, renderer.channels))
    rate = engine.plan.baseband_rate_hz
    results: list[FrameResult] = []
    with caplog.at_level(logging.WARNING):
        for i in range(int(scene.duration_s * rate / 400)):
            block = renderer.render_baseband(i * 400, 400, rate, Emission())
            if i == 5:
                block[:, 100:140] = np.nan
                block[0, 200] = complex(np.inf, 0.0)
                block[1, 201] = complex(0.0, -np.inf)
            results += engine.process_baseband(block)
    assert engine.nonfinite_samples == 40 * renderer.channels + 2
    assert len(_nonfinite_warnings(caplog)) == 1
    _assert_finite_after(results, 1.0)
    d = [r.decision for r in results]
    _assert_walker_seen([r.t_s for r in d], [r.motion for r in d], [r.occupied for r in d])


def test_absurd_finite_samples_are_treated_as_corrupt() -> None:
    """A float64 WAV can hold 1e300: squared, that is +Inf downstream."""
    audio = render_audio(library.empty_room(duration_s=2.0))
    audio[FS // 2, :] = 1e300
    engine = Engine(EngineConfig(FS, 40000, audio.shape[1]))
    results = engine.process(audio)
    assert engine.nonfinite_samples == audio.shape[1]
    _assert_finite_after(results, 0.0)


def test_clutter_filter_recovers_from_a_non_finite_state() -> None:
    rate = 4000.0
    static = np.full((1, 4000), 3.0 * np.exp(0.3j))
    clutter = ClutterFilter(rate, 1)
    clutter.process(static)
    spoiled = static[:, :200].copy()
    spoiled[0, 100] = np.nan
    clutter.process(spoiled)
    assert np.isfinite(clutter.static_level).all()
    later = clutter.process(static)
    assert np.isfinite(later).all()
    assert np.isfinite(clutter.static).all()
    assert np.abs(later[:, 100:]).max() < 1e-9  # the static phasor is removed again


def test_noise_floor_recovers_from_a_non_finite_state() -> None:
    """A NaN among the seed frames (a gated bin ignores one later) made the floor NaN for good."""
    floor = NoiseFloor(0.025)
    floor.update(np.ones(8))
    floor.update(np.full(8, np.nan))
    for _ in range(10):
        out = floor.update(np.ones(8))
    assert np.isfinite(out).all()
    assert np.allclose(out, 1.0)


def test_cli_reads_a_float_wav_with_nans(
    tmp_path: Path,
    walk_audio: NDArray[np.float64],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    x, _ = _poisoned(walk_audio)
    path = tmp_path / "nan.wav"
    write_wav(str(path), x, FS, float32=True)
    with caplog.at_level(logging.WARNING):
        code = main(["detect", str(path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    frames = [json.loads(line, parse_constant=_no_constants) for line in out.splitlines()]
    assert all(0.0 <= f["score"] <= 1.0 for f in frames)
    _assert_walker_seen(
        [f["t"] for f in frames], [Motion(f["motion"]) for f in frames], [f["occupied"] for f in frames]
    )
    assert len(_nonfinite_warnings(caplog)) == 1


def _no_constants(name: str) -> NoReturn:
    """The hook json.loads calls on NaN and Infinity: the CLI must write neither."""
    raise AssertionError(f"{name} in the CLI's JSON")


# ---- Headers that ask for absurd resources -----------------------------------------------------


@pytest.mark.parametrize("rate", [44_099, 16_000, 1])
def test_microphone_audio_under_44100_is_refused_as_an_unusable_recording(
    tmp_path: Path, rate: int, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "slow.wav"
    path.write_bytes(wav_bytes(rate=rate, frames=rate))
    assert main(["detect", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("uspd: error:")
    assert f"{rate} Hz is too low" in err
    assert len(err.strip().splitlines()) == 1
    with pytest.raises(SourceError, match="too low") as refused:
        open_source(SourceConfig(backend="recording", path=str(path)))
    assert refused.value.reason == "invalid_recording"  # not "no_carrier": no tone could help


def test_an_8_mic_uspd_record_file_is_read_but_9_microphones_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """uspd.record keeps I and Q of up to 8 mics (16 channels); microphone audio is 1-8 channels."""
    assert WavReader(io.BytesIO(wav_bytes(channels=16))).format.channels == 16
    path = tmp_path / "nine.wav"
    path.write_bytes(wav_bytes(rate=96000, channels=9, frames=96000))
    assert main(["detect", str(path)]) == 2
    err = capsys.readouterr().err
    assert "9 channels" in err
    assert len(err.strip().splitlines()) == 1
    with pytest.raises(SourceError, match="9 channels") as refused:
        open_source(SourceConfig(backend="recording", path=str(path)))
    assert refused.value.reason == "invalid_recording"


def test_cli_refuses_a_rate_of_20_mhz_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "fast.wav"
    path.write_bytes(wav_bytes(rate=20_000_003, channels=2, frames=200_000))
    assert main(["detect", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("uspd: error:")
    assert "20000003 Hz" in err
    assert "384000" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("chunk", [b"LIST", b"fmt "])
def test_a_chunk_claiming_4_gb_is_a_clean_error(
    tmp_path: Path, chunk: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "huge.wav"
    wav = wav_bytes()
    path.write_bytes(wav[:12] + chunk + struct.pack("<I", 0xFFFFFFF0) + bytes(1000) + wav[12:])
    with path.open("rb") as f:
        peak, error = peak_bytes(lambda: WavReader(f))
    assert isinstance(error, WavError)
    assert peak < 8 << 20
    code: list[int] = []
    peak, error = peak_bytes(lambda: code.append(main(["detect", str(path)])))
    assert error is None
    assert code == [2]
    _, err = capsys.readouterr()
    assert err.startswith("uspd: error:")
    assert len(err.strip().splitlines()) == 1
    assert peak < 8 << 20


def test_the_mixing_oscillator_does_not_grow_with_the_rate() -> None:
    """The oscillator holds a fixed phase step, not rate/gcd(carrier, rate) phasors (320 MB at 20,000,003 Hz)."""
    plan = plan_baseband(20_000_003, 40000)
    peak, error = peak_bytes(lambda: Demodulator(plan, 1))
    assert error is None
    assert peak < 32 << 20


@pytest.mark.parametrize(
    ("fs", "fc"),
    [(44100, 18000), (44100, 19473), (48000, 20000), (96000, 40000), (96000, 40001), (192000, 86000), (384000, 90001)],
)
def test_the_oscillator_keeps_its_phase_over_a_long_stream(fs: int, fc: float) -> None:
    """Half a second or more in, the baseband is what a fresh demodulator makes of the same audio from there.

    The stream is cut where the carrier's phase is whole again (and the
    decimation lines up): an oscillator whose phase drifted with the sample
    count (ω·n in floating point loses a few ulp per radian, ~1e-11 by 1e5 rad)
    would differ; the integer phase step does not.
    """
    plan = plan_baseband(fs, fc)
    decimation = math.prod(plan.stage_factors)
    cut = math.lcm(decimation, fs // gcd(round(plan.carrier_hz), fs))
    while cut < fs // 2:
        cut *= 2
    x = np.random.default_rng(5).normal(scale=0.1, size=(cut + int(0.3 * fs), 2))
    whole, fresh = Demodulator(plan, 2), Demodulator(plan, 2)
    y = np.concatenate([whole.process(x[i : i + 7001]) for i in range(0, len(x), 7001)], axis=1)[:, cut // decimation :]
    later = x[cut:]
    z = np.concatenate([fresh.process(later[i : i + 5003]) for i in range(0, len(later), 5003)], axis=1)
    settled = slice(fresh.settle_samples, min(y.shape[1], z.shape[1]))
    assert np.abs(z[:, settled]).max() > 0.05
    assert np.abs(y[:, settled] - z[:, settled]).max() < 1e-14


# ---- Recording paths ---------------------------------------------------------------------------


def test_the_recording_backend_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.wav"
    os.mkfifo(fifo)
    for path in (tmp_path, fifo):
        with pytest.raises(SourceError) as err:
            open_source(SourceConfig(backend="recording", path=str(path)))
        assert err.value.reason == "not_a_file"
    with pytest.raises(SourceError) as err:
        open_source(SourceConfig(backend="recording", path=str(tmp_path / "missing.wav")))
    assert err.value.reason == "file_not_found"


def _read_to_the_end(source: AudioSource, limit: int = 1000) -> None:
    """Read until the source ends (at most `limit` blocks)."""
    for _ in range(limit):
        if source.read() is None:
            return


def test_a_looping_recording_emptied_while_playing_is_a_fault(tmp_path: Path) -> None:
    """A looped recording whose reopen holds no audio raises no_audio: the worker reports it and retries."""
    path = write_scene_wav(tmp_path / "room.wav", empty_room(duration_s=1.0))
    source = open_source(SourceConfig(backend="recording", path=str(path), loop=True))
    try:
        assert source.read() is not None
        empty = tmp_path / "empty.wav"
        empty.write_bytes(wav_bytes(rate=int(source.audio_rate_hz), channels=source.channels, frames=0))
        empty.replace(path)  # the pass under way plays on from the open file
        with pytest.raises(SourceError) as err:
            _read_to_the_end(source)
        assert err.value.reason == "no_audio"
    finally:
        source.close()


def test_a_file_shorter_than_the_filters_start_up_is_no_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every baseband sample of a 127-frame file falls in the start-up transient: no output, no crash."""
    path = tmp_path / "short.wav"
    write_wav(str(path), 0.3 * np.cos(2 * np.pi * 19000 * np.arange(127) / 44100)[:, None], 44100)
    assert main(["detect", str(path), "--carrier", "19000"]) == 0
    assert capsys.readouterr().out == ""
    engine = Engine(EngineConfig(44100, 19000, 1))
    assert engine.process(np.zeros((127, 1))) == []
    assert engine.process(np.zeros((0, 1))) == []


def test_the_door_passes_loud_sound_within_bounds_and_catches_one_sample_past_them() -> None:
    loud = np.full((4800, 4), 0.9e6)  # energy far over the bound's square, every sample within it
    clean, bad = finite_samples(loud)
    assert clean is loud
    assert bad == 0
    quiet = np.zeros((4800, 4))
    quiet[1234, 2] = 1.000001e6
    clean, bad = finite_samples(quiet)
    assert bad == 1
    assert not clean.any()
    baseband = np.zeros((4, 200), dtype=np.complex128)
    baseband[1, 7] = complex(0.0, np.nan)
    clean, bad = finite_samples(baseband[:, 3:])  # a view, as after the demodulator's transient is dropped
    assert bad == 1
    assert np.isfinite(clean).all()
    assert clean.shape == (4, 197)
