"""scripts/lab realdata: the engine over a folder of recordings, per file and in total."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from custom_components.uspd.base.acoustics import speed_of_sound_mps
from custom_components.uspd.base.labelled import LabelledRecording, MotionLabel, write_labels
from custom_components.uspd.base.wav import write_wav
from lab.realdata import DEFAULT_DIR, ENGINES, FileResult, main, report, run_folder

FS = 44100
FC = 20000.0  # a phone's tone: above what our hardware emits at 44.1 kHz, inside what a recording may hold
MOVES_FROM_S = 1.5


def _recording(seconds: float, moving: bool) -> NDArray[np.float64]:
    """A mono tablet-like recording: the tone, room echoes, noise and, if moving, a hand swinging to and fro."""
    rng = np.random.default_rng(7)
    t = np.arange(int(seconds * FS)) / FS
    c = speed_of_sound_mps()
    x = 0.3 * np.cos(2 * np.pi * FC * t) + rng.normal(scale=3e-5, size=t.size)
    for distance, a in ((0.8, 0.01), (1.7, 0.004)):  # walls and furniture
        x += a * np.cos(2 * np.pi * FC * (t - 2 * distance / c))
    if moving:
        after = np.maximum(t - MOVES_FROM_S, 0.0)
        hand = 0.4 + 0.25 * np.sin(2 * np.pi * 0.8 * after)  # up to 1.3 m/s
        x += np.where(t >= MOVES_FROM_S, 0.006, 0.0) * np.cos(2 * np.pi * FC * (t - 2 * hand / c))
    return x[:, None]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of two short recordings: a labelled hand movement and an unlabelled still room."""
    d = tmp_path_factory.mktemp("realdata")
    write_wav(str(d / "hand.wav"), _recording(4.0, moving=True), FS)
    write_labels(d / "hand.wav", LabelledRecording(FS, FC, labels=(MotionLabel(MOVES_FROM_S, 4.0, "minor"),)))
    write_wav(str(d / "still.wav"), _recording(3.0, moving=False), FS)
    return d


def test_each_file_is_reported_and_the_total_counts_motion(folder: Path) -> None:
    results = run_folder(folder)
    assert [r.name for r in results] == ["hand.wav", "still.wav"]
    hand, still = results
    for r, seconds in ((hand, 4.0), (still, 3.0)):
        assert r.error is None
        assert r.duration_s == pytest.approx(seconds, abs=0.01)
        assert r.carrier_hz == pytest.approx(FC, abs=3)
        assert r.carrier_snr_db > 40
        assert set(r.runs) == set(ENGINES)
    assert hand.labelled_motion is True
    assert still.labelled_motion is None  # no labels file beside it
    for engine in ENGINES:
        run = hand.runs[engine]
        assert run.reported
        assert run.first_motion_s is not None
        assert MOVES_FROM_S < run.first_motion_s < MOVES_FROM_S + 1.0, engine
        assert 0.2 < run.motion_fraction < 1.0
        assert not still.runs[engine].reported
        assert still.runs[engine].first_motion_s is None
        assert still.runs[engine].motion_fraction == 0.0

    lines = report(results)
    assert lines[0].split()[:5] == ["file", "dur", "s", "carrier", "SNR"]
    row = next(line for line in lines if line.startswith("hand.wav"))
    assert row.split()[1:5] == ["4.00", "20000", f"{hand.carrier_snr_db:.0f}", "motion"]
    assert row.count(" yes") == 2
    row = next(line for line in lines if line.startswith("still.wav"))
    assert row.split()[1:5] == ["3.00", "20000", f"{still.carrier_snr_db:.0f}", "-"]
    assert row.count(" no") == 2
    totals = [line for line in lines if "report motion" in line]
    assert len(totals) == len(ENGINES)
    for engine, line in zip(ENGINES, totals, strict=True):
        assert line.startswith(f"{engine} (")
        assert ": 1 of 2 report motion; 1 of 1 labelled files agree with their labels" in line


def test_the_command_writes_its_report_under_a_header(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "realdata.txt"
    assert main([str(folder), "--engine", "baseline", "--out", str(out)]) == 0
    text = out.read_text()
    assert text.startswith(f"# scripts/lab realdata {folder} --engine baseline --out {out}\n")
    assert "baseline (band energy, as `uspd detect` runs it): 1 of 2 report motion" in text
    assert "network" not in text.split("\n\n", 1)[1]


def test_a_file_without_a_usable_tone_is_a_row_not_a_crash(tmp_path: Path) -> None:
    write_wav(str(tmp_path / "silent.wav"), np.zeros((FS, 1)), FS)
    (r,) = run_folder(tmp_path, ("baseline",))
    assert r.carrier_hz is None
    assert r.error is not None
    assert "no steady tone" in r.error
    assert not r.reported("baseline")
    assert report([r], ("baseline",))[-1].endswith(": 0 of 1 report motion")


def test_a_missing_folder_is_skipped_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("lab.realdata.DEFAULT_DIR", tmp_path / "absent")
    assert main([]) == 0
    assert main([str(tmp_path / "absent")]) == 2


# ---- the real recordings (../shared/realdata beside the repository; never copied into it) --------------


@pytest.fixture(scope="module")
def real() -> list[FileResult]:
    """The engine's results on the real recordings, where this machine has them."""
    if not DEFAULT_DIR.is_dir():
        pytest.skip(f"no {DEFAULT_DIR}: the real recordings are not on this machine")
    return run_folder(DEFAULT_DIR)


# The recordings each engine does not report today (lab/results/realdata.txt), and why. Any change
# either way fails here: a new miss is a regression, a file that now reports motion leaves this list.
KNOWN_MISSES = {
    # None: first asked 0.5 s after a cold start (pipeline.NETWORK_START_S), its 300 ms window is full in
    # time for every clip's gesture, digit3_p4-132's (below) included.
    "network": set(),
    # A slow hand (< 0.4 m/s) already moving in the first 150 ms seeds the noise floor
    # (doppler.NoiseFloor, SEED_FRAMES), so the minor band reads ~11 dB low for the whole 2.6 s.
    "baseline": {"digit3_p4-sss-0-1-lab-none-132.wav"},
}


@pytest.mark.parametrize("engine", ENGINES)
def test_the_real_recordings_report_motion_but_for_the_known_misses(real: list[FileResult], engine: str) -> None:
    assert len(real) == 40
    assert all(r.error is None and r.carrier_hz == pytest.approx(19000, abs=5) for r in real)
    missed = {r.name for r in real if not r.reported(engine)}
    assert missed == KNOWN_MISSES[engine]
