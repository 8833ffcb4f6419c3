"""The labelled-recording format, written by the simulator and read back; detection against its labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from custom_components.uspd.base.labelled import LabelError, read_labels
from custom_components.uspd.base.wav import WavReader
from custom_components.uspd.engine.cli import main
from custom_components.uspd.sim import library
from custom_components.uspd.sim.recording import write_labelled_recording


def test_walk_in_and_leave_is_occupied_from_the_doorway_to_the_doorway() -> None:
    scene = library.walk_in_and_leave()
    (span,) = scene.occupied()
    # The wall is at y = 4 m: crossed at 2.89 s on the way in and 14.11 s on the way out.
    assert span.start == pytest.approx(2.89, abs=0.02)
    assert span.end == pytest.approx(14.11, abs=0.02)
    # Walking is labelled only inside: from the doorway in, and out to the doorway.
    walk_in, walk_out = scene.labels()
    assert walk_in.start == pytest.approx(2.89, abs=0.02)
    assert walk_in.end == 5.0
    assert walk_out.start == 12.0
    assert walk_out.end == pytest.approx(14.11, abs=0.02)
    behind = library.walker_behind_wall()
    assert behind.occupied() == []
    assert behind.labels() == []


def test_round_trip_and_detection_against_the_labels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scene = library.walk_in_and_leave(duration_s=8.0)
    wav = write_labelled_recording(scene, tmp_path / "walk.wav")
    with wav.open("rb") as f:
        assert WavReader(f).format.channels == len(scene.device.mics_m)
    rec = read_labels(wav)
    assert rec.fs == 96000
    assert rec.scene == "walk_in_and_leave"
    assert rec.seed == scene.seed
    assert rec.mics == scene.device.mics_m
    assert rec.labels[0].motion == "major"
    assert rec.labels[0].start == pytest.approx(2.89, abs=0.02)
    assert json.loads((tmp_path / "walk.json").read_text())["occupied"][0]["start"] == pytest.approx(2.89, abs=0.02)

    assert main(["detect", str(wav)]) == 0
    frames = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    first_major = next(f["t"] for f in frames if f["motion"] == "major")
    inside = rec.occupied[0]
    assert inside.start <= first_major <= inside.start + 0.3
    assert any(lab.start <= first_major <= lab.end for lab in rec.labels if lab.motion == "major")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not a uspd labels file"),
        ('{"fs": 96000}', "carrier_hz"),
        ('{"fs": 1, "carrier_hz": 2, "labels": [{"start": 0, "end": 1, "motion": "dance"}]}', "dance"),
    ],
)
def test_bad_labels_are_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "x.json").write_text(content)
    with pytest.raises(LabelError, match=message):
        read_labels(tmp_path / "x.wav")
    with pytest.raises(LabelError, match="No such file"):
        read_labels(tmp_path / "missing.wav")
