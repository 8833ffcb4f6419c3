"""Every entity of every platform, registry entry and state, pinned by snapshots.

The engine thread is not started, so states are deterministic (unknown, or the
options). Regenerate with `scripts/env python -m pytest tests/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from unittest.mock import patch

import pytest
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.uspd.const import DOMAIN


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(
    "platform", [Platform.BINARY_SENSOR, Platform.IMAGE, Platform.NUMBER, Platform.SENSOR, Platform.SWITCH]
)
async def test_platform(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, snapshot: SnapshotAssertion, platform: Platform
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Simulated room (demo loop)",
        unique_id="simulated_demo_loop",
        data={"backend": "simulated", "scenario": "demo_loop"},
        options={"sensitivity": 60, "clear_delay": 45, "emission": True},
        entry_id="01JUSPDTESTENTRY0000000000",
    )
    entry.add_to_hass(hass)
    with (
        patch("custom_components.uspd.PLATFORMS", [platform]),
        patch("custom_components.uspd.coordinator.EngineWorker.start"),
        # The image entity's access token is random; fix it for the snapshot.
        patch("homeassistant.components.image._RND.getrandbits", return_value=0xC0FFEE),
    ):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)
