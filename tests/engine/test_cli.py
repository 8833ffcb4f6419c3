"""`uspd detect`: one JSON line per frame on stdout, and for bad input one line and a non-zero exit."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from custom_components.uspd.base.wav import write_wav
from custom_components.uspd.engine.cli import main
from custom_components.uspd.sim import library

from ..helpers import render_audio, write_scene_wav


@pytest.fixture(scope="module")
def walk_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight seconds of the walk-in scene as a labelled recording."""
    return write_scene_wav(tmp_path_factory.mktemp("cli") / "walk.wav", library.walk_in_and_leave(duration_s=8.0))


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, Any]], str]:
    """`uspd` with `args`: its exit code, the JSON lines it printed, and its stderr."""
    code = main(args)
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def test_detect_prints_one_frame_per_hop(walk_wav: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, frames, _ = _run(["detect", str(walk_wav)], capsys)
    assert code == 0
    assert set(frames[0]) == {"t", "motion", "occupied", "score"}
    t = np.array([f["t"] for f in frames])
    assert np.all(np.diff(t) > 0)
    assert np.diff(t).max() <= 0.05
    assert t[-1] == pytest.approx(8.0, abs=0.1)
    assert not any(f["occupied"] for f in frames if f["t"] < 2.0)
    walking = [f for f in frames if 2.0 <= f["t"] <= 5.0]
    assert any(f["motion"] == "major" for f in walking)
    assert all(f["occupied"] for f in frames if f["t"] >= 4.0)
    assert all(0.0 <= f["score"] <= 1.0 for f in frames)


def test_detect_with_given_carrier_and_from_stdin(walk_wav: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "custom_components.uspd.engine", "detect", "-", "--carrier", "40000"],
        stdin=walk_wav.open("rb"),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    frames = [json.loads(line) for line in proc.stdout.splitlines()]
    assert any(f["motion"] == "major" for f in frames)
    assert proc.stderr == ""


@pytest.mark.parametrize("mics", [1, 8])
def test_detect_one_to_eight_mics(tmp_path: Path, mics: int, capsys: pytest.CaptureFixture[str]) -> None:
    scene = library.walk_in_and_leave(duration_s=5.0)
    positions = tuple((2.44 + 0.02 * k, 0.15, 0.95) for k in range(mics))
    scene = replace(scene, device=replace(scene.device, mics_m=positions, mic_gain_db=(0.0,) * mics))
    path = write_scene_wav(tmp_path / "m.wav", scene)
    code, frames, _ = _run(["detect", str(path)], capsys)
    assert code == 0
    assert any(f["motion"] == "major" for f in frames if f["t"] >= 2.0)


def _bad_inputs(tmp: Path) -> dict[str, tuple[Path, str]]:
    """Files the CLI must refuse, each with the words its error must hold."""
    empty = tmp / "empty.wav"
    empty.write_bytes(b"")
    text = tmp / "notes.wav"
    text.write_text("not audio\n")
    low = tmp / "low.wav"
    write_wav(str(low), 0.1 * np.sin(2 * np.pi * 1000 * np.arange(16000) / 16000)[:, None], 16000)
    silent = tmp / "silent.wav"
    write_wav(str(silent), np.zeros((96000 * 2, 2)), 96000)
    good = tmp / "good.wav"
    write_wav(str(good), render_audio(library.empty_room(duration_s=3.0)), 96000)
    cut = tmp / "cut.wav"
    cut.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    return {
        "empty": (empty, "empty file"),
        "not a wav": (text, "not a WAV"),
        "mono 16 kHz": (low, "16000 Hz is too low"),
        "no tone": (silent, "no steady tone"),
        "truncated": (cut, "truncated"),
        "missing": (tmp / "missing.wav", "No such file"),
    }


def test_bad_input_is_one_line_and_non_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name, (path, message) in _bad_inputs(tmp_path).items():
        code = main(["detect", str(path)])
        _, err = capsys.readouterr()
        assert code == 2, name
        assert err.startswith("uspd: error:"), (name, err)
        assert message in err, (name, err)
        assert len(err.strip().splitlines()) == 1, (name, err)
