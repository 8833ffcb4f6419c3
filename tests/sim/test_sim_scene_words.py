"""What a simulated room holds, in words: the demo's ground truth beside the sensor's verdict."""

from __future__ import annotations

import pytest

from custom_components.uspd.engine.sources import SourceConfig
from custom_components.uspd.sim.library import demo_loop, walk_in_and_leave, walker_behind_wall
from custom_components.uspd.sim.source import SimulatedRoom


@pytest.mark.parametrize(
    ("t", "words"),
    [
        (2.0, "Nobody"),
        (6.0, "Someone walking"),
        (9.5, "Someone walking"),  # sitting down
        (20.0, "Someone seated"),
        (42.0, "Someone walking"),
        (60.0, "Nobody"),
        (100.0, "Nobody; a ceiling fan running"),
    ],
)
def test_demo_loop_in_words(t: float, words: str) -> None:
    assert demo_loop().describe(t) == words


def test_standing_and_beyond_the_wall() -> None:
    assert walk_in_and_leave().describe(8.0) == "Someone standing"
    assert walker_behind_wall().describe(5.0) == "Someone walking outside the room"


def test_the_simulated_source_tells_where_its_script_is() -> None:
    room = SimulatedRoom(SourceConfig(scenario="demo_loop", baseband=True))
    assert room.ground_truth() == "Nobody"
    while room.position_s < 6.0:
        assert room.read() is not None
    assert room.ground_truth() == "Someone walking"
