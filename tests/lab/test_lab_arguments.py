"""The lab commands refuse, in argparse's one line, a model the engine would not run and options out of range.

Each refusal must come before any work: what would render scenes or train is replaced by a tripwire.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from custom_components.uspd.engine.classifier import MODEL_PATH
from lab import bench, bench_model, powersave, train, why_opened, why_unsettled
from lab import eval as lab_eval
from lab.model_arg import tflite

from .refusal import refusal

FORTY_FRAMES = Path(__file__).resolve().parent.parent / "data" / "model_40_frames.tflite"


def _tripwire(monkeypatch: pytest.MonkeyPatch, module: ModuleType, name: str) -> None:
    """module.name fails the test at once if the command gets as far as calling it."""

    def tripped(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError(f"{module.__name__}.{name} was called: the command went on instead of refusing")

    monkeypatch.setattr(module, name, tripped)


def test_a_model_the_engine_runs_is_taken_whatever_its_window() -> None:
    assert tflite(str(MODEL_PATH)) == MODEL_PATH
    assert tflite(str(FORTY_FRAMES)) == FORTY_FRAMES


def test_a_missing_model_is_refused_before_anything_is_rendered(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _tripwire(monkeypatch, why_opened, "explain")
    missing = tmp_path / "nowhere.tflite"
    err = refusal(
        why_opened.main,
        ["why_opened", "--suite", "shifted", "--set", "shifted_negative_music", "--model", str(missing)],
        monkeypatch,
        capsys,
    )
    assert f"cannot read the model {missing}: No such file or directory" in err


def test_eval_refuses_an_out_path_it_would_ignore(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The whole suite with the shipped model writes lab/results/ itself, so --out is refused before rendering."""
    _tripwire(monkeypatch, lab_eval, "build")
    err = refusal(lab_eval.main, ["eval", "--suite", "shifted", "--out", str(tmp_path / "r.json")], monkeypatch, capsys)
    assert "--out needs --sets, --model or --music-reference" in err


def test_eval_refuses_a_set_its_suite_does_not_hold(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A misspelt set is named with the suite's own, before rendering, instead of leaving the report short."""
    _tripwire(monkeypatch, lab_eval, "build")
    args = ["eval", "--suite", "shifted", "--sets", "shifted_negative_music", "shifted_negative_impulse"]
    err = refusal(lab_eval.main, args, monkeypatch, capsys)
    assert "no set shifted_negative_impulse in the shifted suite" in err
    assert "shifted_negative_impulses" in err
    assert "shifted_negative_music," in err


def test_why_unsettled_refuses_a_set_its_suite_does_not_hold(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The benchmark's seated set is not the shifted suite's: named with the suite's own, before any scene is read."""
    _tripwire(monkeypatch, why_unsettled, "explain")
    err = refusal(why_unsettled.main, ["why_unsettled", "--suite", "shifted", "--set", "seated"], monkeypatch, capsys)
    assert "'seated' is not a seated set of the shifted suite: shifted_seated" in err


@pytest.mark.parametrize(
    ("main", "work", "extra"),
    [
        (lab_eval.main, (lab_eval, "build"), []),
        (bench_model.main, (bench_model, "NumpyModel"), []),
        (why_opened.main, (why_opened, "explain"), ["--set", "negative"]),
        (powersave.main, (powersave, "get_context"), []),
    ],
)
def test_a_file_that_is_no_model_is_refused_with_the_engine_s_reason(
    main: Callable[[], None],
    work: tuple[ModuleType, str],
    extra: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    _tripwire(monkeypatch, *work)
    bogus = tmp_path / "bogus.tflite"
    bogus.write_bytes(b"not a flatbuffer at all" * 8)
    err = refusal(main, ["lab", "--model", str(bogus), *extra], monkeypatch, capsys)
    assert f"argument --model: {bogus}: " in err


@pytest.mark.parametrize(
    "argv",
    [
        ["--suite", "standard", "--set", "negative", "--held-out"],
        ["--suite", "shifted", "--set", "shifted_negative_music", "--held-out", "--negative-hours", "18"],
    ],
)
def test_held_out_hours_need_the_shifted_suite_that_holds_them(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _tripwire(monkeypatch, why_opened, "explain")
    err = refusal(why_opened.main, ["why_opened", *argv], monkeypatch, capsys)
    assert "--held-out needs --suite shifted and --negative-hours 36 or more" in err


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--frames", "11", "--frames: the engine takes 12 to 80"),
        ("--frames", "81", "--frames: the engine takes 12 to 80"),
        ("--ema", "-0.1", "--ema: a momentum from 0 (off) up to, not including, 1"),
        ("--ema", "1", "--ema: a momentum from 0 (off) up to, not including, 1"),
        ("--ema", "1.5", "--ema: a momentum from 0 (off) up to, not including, 1"),
    ],
)
def test_training_refuses_a_window_the_engine_would_refuse_and_an_average_that_is_no_momentum(
    option: str, value: str, message: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _tripwire(monkeypatch, train, "build")
    assert message in refusal(train.main, ["train", option, value], monkeypatch, capsys)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("weak_line=30", "'weak_line' is not a field of engine/tuning.py's Tuning"),
        ("line_min_frames=9.5", "line_min_frames takes a number, not '9.5'"),
        ("weak_line_db=loud", "weak_line_db takes a number, not 'loud'"),
        ("weak_line_db=nan", "weak_line_db takes a number, not NaN"),
        ("music_reference=1", "music_reference is true or false, not '1'"),
        ("weak_line_db=None", "weak_line_db takes no None"),
    ],
)
def test_the_bench_refuses_a_tuning_change_it_cannot_make_before_rendering(
    value: str, message: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _tripwire(monkeypatch, bench, "Renderer")
    assert message in refusal(bench.main, ["bench", "--against", value], monkeypatch, capsys)


def test_the_bench_reads_a_tuning_change_as_the_shipped_field_s_type() -> None:
    assert bench.tuning_change("weak_line_db=30") == ("weak_line_db", 30.0)
    assert bench.tuning_change("weak_line_db=inf") == ("weak_line_db", math.inf)
    assert bench.tuning_change("line_min_frames=12") == ("line_min_frames", 12)
    assert isinstance(bench.tuning_change("line_min_frames=12")[1], int)
    assert bench.tuning_change("steady_std_db=None") == ("steady_std_db", None)
    assert bench.tuning_change("music_reference=True") == ("music_reference", True)


def test_a_reports_model_is_named_relative_to_the_repository_where_it_lies_there(tmp_path: Path) -> None:
    """The results files read the same on every clone; a model elsewhere keeps its whole path."""
    assert lab_eval.model_name(MODEL_PATH) == "custom_components/uspd/model/uspd.tflite"
    assert lab_eval.model_name(tmp_path / "other.tflite") == str((tmp_path / "other.tflite").resolve())
