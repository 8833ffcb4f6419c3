"""The lab commands refuse, in argparse's one line, a model the engine would not run and options out of range."""

from __future__ import annotations

from pathlib import Path

import pytest

from custom_components.uspd.engine.classifier import MODEL_PATH
from lab import bench_model, train, why_opened
from lab import eval as lab_eval
from lab.model_arg import tflite

from .refusal import refusal

FORTY_FRAMES = Path(__file__).resolve().parent.parent / "data" / "model_40_frames.tflite"


def test_a_model_the_engine_runs_is_taken_whatever_its_window() -> None:
    assert tflite(str(MODEL_PATH)) == MODEL_PATH
    assert tflite(str(FORTY_FRAMES)) == FORTY_FRAMES


def test_a_missing_model_is_refused_before_anything_is_rendered(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere.tflite"
    err = refusal(
        why_opened.main,
        ["why_opened", "--suite", "shifted", "--set", "shifted_negative_music", "--model", str(missing)],
        monkeypatch,
        capsys,
    )
    assert f"cannot read the model {missing}: No such file or directory" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("main", [lab_eval.main, bench_model.main, why_opened.main])
def test_a_file_that_is_no_model_is_refused_with_the_engine_s_reason(
    main: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bogus = tmp_path / "bogus.tflite"
    bogus.write_bytes(b"not a flatbuffer at all" * 8)
    argv = ["lab", "--model", str(bogus)] + (["--set", "negative"] if main is why_opened.main else [])
    err = refusal(main, argv, monkeypatch, capsys)  # type: ignore[arg-type]
    assert f"argument --model: {bogus}: " in err
    assert "Traceback" not in err


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
    err = refusal(why_opened.main, ["why_opened", *argv], monkeypatch, capsys)
    assert "--held-out needs --suite shifted and --negative-hours 36 or more" in err


@pytest.mark.parametrize(("option", "value"), [("--frames", "11"), ("--frames", "81")])
def test_training_refuses_a_window_the_engine_would_refuse(
    option: str, value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "--frames: the engine takes 12 to 80" in refusal(train.main, ["train", option, value], monkeypatch, capsys)


@pytest.mark.parametrize("value", ["-0.1", "1", "1.5"])
def test_training_refuses_an_average_that_is_no_momentum(
    value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    err = refusal(train.main, ["train", "--ema", value], monkeypatch, capsys)
    assert "--ema: a momentum from 0 (off) up to, not including, 1" in err
