"""The soak benchmark (lab/soak.py), run for a minute and a half of simulated audio: its report's invariants."""

from __future__ import annotations

import re
from pathlib import Path
from unittest.mock import patch

from lab import soak


def test_a_short_soak_injects_every_kind_of_fault_recovers_from_all_and_leaves_no_future_pending() -> None:
    # Seed 4 draws every kind of fault within these 90 s of audio per entry (the schedule is seeded alone).
    argv = ["--entries", "2", "--hours", "0.025", "--fault-every", "5", "--seed", "4", "--sample-s", "0.5"]
    args = soak.parse_args(argv)
    # The backoff's seconds of wall time are tested elsewhere (tests/engine); here they would only be waited out.
    with patch("custom_components.uspd.engine.worker.BACKOFF_S", (0.05,)):
        report = soak.run(args)
    text = soak.format_report(report, args)
    injected = {f.kind for e in report.entries for f in e.faults if f.injected}
    assert injected == set(soak.KINDS)
    assert report.injected >= 10
    assert report.unrecovered == 0, text
    assert report.pending == 0, text
    assert sum(e.handed_out for e in report.entries) > 0
    assert report.unexpected == 0, text
    assert report.threads_left == 0
    assert all(e.audio_s >= 0.025 * 3600 for e in report.entries)
    assert report.ok
    # The figures are there: memory after warm-up, CPU per entry, the command that made them.
    assert report.rss_after_warmup
    assert re.search(r"memory \(RSS\) after warm-up .*: [\d.]+ -> [\d.]+ MB", text)
    assert re.search(r"^\s+1\s+0\.0\d\s+[\d.]+ \(\s*[\d.]+\)", text, re.MULTILINE)
    assert text.startswith("$ scripts/env python -m lab.soak --entries 2")
    assert "invariants: held" in text


def test_the_command_writes_its_report_and_exits_0_when_the_invariants_hold(tmp_path: Path) -> None:
    out = tmp_path / "soak.txt"
    argv = ["--entries", "1", "--hours", "0.005", "--fault-every", "3", "--out", str(out), "--warmup", "0.0"]
    assert soak.main([*argv, "--trace-python", "--sample-s", "0.2"]) == 0
    text = out.read_text()
    assert "invariants: held" in text
    # Python's own allocations beside RSS, in MB: small next to the process (numpy, the model).
    found = re.search(r"Python objects \(tracemalloc\) after warm-up: ([\d.]+) -> ([\d.]+) MB", text)
    assert found, text
    assert 0 < float(found[1]) < 200
