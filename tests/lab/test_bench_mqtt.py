"""The MQTT load benchmark (lab/bench_mqtt.py) without Home Assistant: its home model, its matching, a short run."""

from __future__ import annotations

import random
from itertools import pairwise

import pytest

from custom_components.uspd.engine.detector import Motion
from lab import bench_mqtt, mqtt_broker
from lab.bench_mqtt import Ledger, Summary
from lab.home_traffic import HomeModel, room_timeline, with_refreshes

# Everyone in, moving every second or so: a short run still sees dozens of changes.
BUSY = HomeModel(
    vacant_mean_s=0.01, visit_mean_s=1e6, quiet_mean_s=0.5, burst_s=(0.3, 0.8), walk_s=(0.3, 0.8), empty_blips_per_h=0
)


def test_a_room_s_timeline_keeps_what_a_satellite_would_show() -> None:
    model = HomeModel()
    duration_s = 10 * 3600.0
    timeline = room_timeline(model, random.Random("room"), duration_s)
    assert timeline == room_timeline(model, random.Random("room"), duration_s)  # seeded
    assert timeline[0].t_s == 0.0
    assert all(d.t_s <= duration_s for d in timeline)
    for before, after in pairwise(timeline):
        assert after.t_s - before.t_s >= model.min_gap_s - 1e-9
        assert not after.same_as(before)
        if before.occupied and not after.occupied:
            # A room clears only after the clear delay without motion.
            assert before.motion_type == Motion.NONE
            assert after.t_s - before.t_s >= model.clear_delay_s - 1e-9
    # The Motion entity never reports motion in a vacant room (the raw Motion type may).
    assert all(d.occupied or d.motion == Motion.NONE for d in timeline)
    assert any(not d.occupied and d.motion_type == Motion.MINOR for d in timeline)
    visits = sum(not a.occupied and b.occupied for a, b in pairwise(timeline))
    assert 10 <= visits <= 40  # about two an hour over ten hours
    occupied_s = sum(b.t_s - a.t_s for a, b in pairwise(timeline) if a.occupied)
    assert 0.15 < occupied_s / duration_s < 0.55


def test_a_satellite_says_its_state_again_every_minute_when_nothing_changes() -> None:
    timeline = room_timeline(HomeModel(), random.Random(3), 1800.0)
    sent = with_refreshes(timeline, 1800.0, 60.0)
    assert [d for d in sent if not d.refresh] == timeline
    assert all(b.t_s - a.t_s <= 60.0 + 1e-9 for a, b in pairwise(sent))
    assert 1800.0 - sent[-1].t_s < 60.0
    refresh = next(d for d in sent if d.refresh)
    assert refresh.same_as(max((d for d in timeline if d.t_s < refresh.t_s), key=lambda d: d.t_s))


def test_the_ledger_matches_changes_in_order_and_names_any_it_did_not_expect() -> None:
    ledger = Ledger()
    ledger.expect("binary_sensor.a_occupancy", "on", 1.0, 100.0)  # before arming: the warm-up's
    ledger.observe("binary_sensor.a_occupancy", "on", 1.2)
    assert ledger.expected == 0
    assert ledger.shows({"binary_sensor.a_occupancy": "on"}) == 1
    ledger.arm()
    ledger.expect("binary_sensor.a_occupancy", "off", 2.0, 101.0)
    ledger.expect("binary_sensor.a_occupancy", "on", 3.0, 102.0)
    ledger.observe("binary_sensor.a_occupancy", "off", 2.25, 101.1)
    assert ledger.pending() == 1
    ledger.observe("binary_sensor.a_occupancy", "off", 3.5)  # not what came next
    ledger.observe("binary_sensor.a_occupancy", "unavailable", 3.6)
    ledger.observe("binary_sensor.a_occupancy", "on", 3.75)
    assert ledger.latencies_s == [0.25, 0.75]
    assert ledger.inside_s == pytest.approx([0.1])
    assert ledger.unexpected == ["binary_sensor.a_occupancy → off"]
    assert ledger.unavailable == 1
    assert ledger.pending() == 0


def test_the_summary_s_percentiles() -> None:
    summary = Summary.of([0.1 * i for i in range(1, 101)])
    assert summary.count == 100
    assert summary.median_s == pytest.approx(5.05)
    assert summary.p95_s == pytest.approx(9.505)
    assert summary.p99_s == pytest.approx(9.901)
    assert summary.max_s == pytest.approx(10.0)
    assert summary.over_goal == 90  # 1.1 s … 10 s
    assert Summary.of([]).count == 0


def test_bad_options_are_refused_by_the_command_line() -> None:
    for argv in (["--satellites", "0"], ["--minutes", "-1"], ["--minutes", "x"], ["--real-seconds", "-5"]):
        with pytest.raises(SystemExit) as exited:
            bench_mqtt.parse_args(argv)
        assert exited.value.code == 2


def test_five_satellites_into_the_real_broker_every_change_arrives_in_order(socket_enabled: None) -> None:
    if not mqtt_broker.available():
        pytest.skip("mosquitto is not installed (scripts/env installs Debian's mosquitto package)")
    args = bench_mqtt.parse_args(["--satellites", "5", "--minutes", "0.1", "--receiver", "mqtt", "--real-seconds", "0"])
    report = bench_mqtt.run(args, BUSY)
    text = bench_mqtt.format_report(report, args, BUSY)
    ledger = report.ledger
    assert ledger.expected >= 20, text
    assert len(ledger.latencies_s) == ledger.expected, text  # every published change was seen, in order
    assert report.pending == 0
    assert ledger.unexpected == []
    assert ledger.unavailable == 0
    assert min(ledger.latencies_s) >= 0.0
    latency = report.latency
    assert latency.p95_s >= latency.median_s
    assert latency.max_s < 5.0  # a loopback broker, a light load
    assert report.messages > 0
    assert set(report.cpu_percent) == {"broker", "load generator (this process)"}
    assert report.ok
    assert text.startswith("$ scripts/env python -m lab.bench_mqtt --satellites 5 --minutes 0.1 --seed 0")
    assert "invariants: held" in text
