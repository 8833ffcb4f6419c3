"""lab.why_unsettled: why a room with someone seated from the start opened, or what it lacked."""

from __future__ import annotations

import dataclasses

import numpy as np

from custom_components.uspd.engine.detector import SettleCounts
from custom_components.uspd.engine.tuning import TUNING
from lab.why_unsettled import missing, verdict

ENOUGH = SettleCounts(TUNING.settle_minor_seconds, TUNING.settle_breath_s, 0, 1000)
T = np.arange(4) * 1.0
BREATHING = np.full(4, TUNING.settle_still_db + 10.0)


def test_missing_names_each_count_the_rule_lacks_and_how_far() -> None:
    assert missing(ENOUGH) == {}
    short = SettleCounts(TUNING.settle_minor_seconds - 1, 0.5, 300, 1000)
    assert list(missing(short)) == ["minor seconds", "breathing seconds", "machine-like frames"]
    assert f"{TUNING.settle_minor_seconds - 1} of {TUNING.settle_minor_seconds}" in missing(short)["minor seconds"]
    assert "30%" in missing(short)["machine-like frames"]


def test_an_opening_is_the_settle_rules_only_on_a_minor_frame_whose_counts_hold() -> None:
    occupied = np.array([False, False, True, True])
    settled = verdict(T, BREATHING, np.array([1, 1, 1, 1]), occupied, [ENOUGH] * 4)
    assert settled.reason == "opened by the settle rule"
    assert "at 2.0 s" in settled.line
    walked = verdict(T, BREATHING, np.array([0, 2, 2, 2]), occupied, [ENOUGH] * 4)
    assert walked.reason == "opened by a walking call"
    short = dataclasses.replace(ENOUGH, breath_s=0.0)
    unsettled = verdict(T, BREATHING, np.array([1, 1, 1, 1]), occupied, [ENOUGH, ENOUGH, short, ENOUGH])
    assert unsettled.reason == "opened by a walking call"


def test_a_shut_room_says_breathing_never_scored_before_anything_else() -> None:
    quiet = np.full(4, TUNING.settle_still_db - 1.0)
    out = verdict(T, quiet, np.ones(4, dtype=np.int8), np.zeros(4, dtype=bool), [ENOUGH] * 4)
    assert out.reason.startswith("breathing never over settle_still_db")
    assert f"{TUNING.settle_still_db - 1.0:.1f} dB" in out.line
    # Under the hold's threshold but over the settle rule's: breathing the rule counts.
    assert TUNING.settle_still_db < TUNING.still_on_db
    between = np.full(4, (TUNING.settle_still_db + TUNING.still_on_db) / 2)
    out = verdict(T, between, np.ones(4, dtype=np.int8), np.zeros(4, dtype=bool), [ENOUGH] * 4)
    assert not out.reason.startswith("breathing never")


def test_a_shut_room_with_breathing_names_what_it_lacked_where_the_rule_came_closest() -> None:
    counts = [
        SettleCounts(1, 0.0, 900, 1000),  # lacks all three
        SettleCounts(TUNING.settle_minor_seconds - 1, 3.0, 0, 1000),  # lacks only minor seconds: the closest
        SettleCounts(TUNING.settle_minor_seconds, 3.0, 0, 1000),  # all met, but not a MINOR frame
        SettleCounts(1, 3.0, 0, 1000),
    ]
    out = verdict(T, BREATHING, np.array([1, 1, 0, 1]), np.zeros(4, dtype=bool), counts)
    assert out.reason == "short of minor seconds"
    assert "closest at 1.0 s" in out.line
    none = verdict(T, BREATHING, np.zeros(4, dtype=np.int8), np.zeros(4, dtype=bool), counts)
    assert none.reason == "no minor motion"
