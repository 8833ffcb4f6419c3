"""lab.why_opened: sources in one line, and only negative sets (or the tuning streams' empty rooms)."""

from __future__ import annotations

import pytest

from custom_components.uspd.sim.scene import Interferer
from lab import why_opened

from .refusal import refusal


def test_a_source_reads_in_one_line_with_its_numbers_rounded() -> None:
    line = why_opened.source_line(Interferer(40107.33333, level_dbfs=-41.66666, start_s=3.3333))
    assert line == "Interferer(freq_hz=40107.333, level_dbfs=-41.667, start_s=3.333, end_s=1000000000.0)"


def test_a_set_with_people_in_it_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "shifted_negative_tone" in refusal(
        why_opened.main, ["why_opened", "--suite", "shifted", "--set", "shifted_walk"], monkeypatch, capsys
    )


def test_the_tuning_streams_are_named_as_tune_detector_names_them(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "stream, home, widened" in refusal(
        why_opened.main, ["why_opened", "--suite", "tuning", "--set", "shifted_negative_tone"], monkeypatch, capsys
    )
