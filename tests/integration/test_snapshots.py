"""Every entity of every platform (registry entry and state) and the diagnostics download, pinned by snapshots.

The fake worker has published one canned snapshot of someone walking in, so
every state is what a running device shows. Regenerate with
`scripts/env python -m pytest tests/integration/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from pytest_homeassistant_custom_component.components.diagnostics import get_diagnostics_for_config_entry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.uspd import PLATFORMS

from . import setup_integration
from .fake_worker import WALKING, FakeEngine

SNAPSHOTTED = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.IMAGE,
    Platform.NUMBER,
    Platform.SENSOR,
    Platform.SWITCH,
]


@pytest.fixture
def entry_data() -> dict[str, Any]:
    """The demo's room."""
    return {"backend": "simulated", "scenario": "demo_loop"}


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Options away from the defaults, so the config entities show them."""
    return {"sensitivity": 60, "clear_delay": 45, "emission": True}


def test_every_platform_is_snapshotted() -> None:
    assert set(PLATFORMS) == set(SNAPSHOTTED)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.freeze_time("2026-01-15 12:00:00+00:00")
@pytest.mark.parametrize("platform", SNAPSHOTTED)
async def test_platform(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    fake_worker: FakeEngine,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    with (
        patch("custom_components.uspd.PLATFORMS", [platform]),
        # The image entity's access token is random; fix it for the snapshot.
        patch("homeassistant.components.image._RND.getrandbits", return_value=0xC0FFEE),
    ):
        await setup_integration(hass, mock_config_entry)
        await fake_worker.publish(WALKING)
        await snapshot_platform(hass, entity_registry, snapshot, mock_config_entry.entry_id)


async def test_diagnostics(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    fake_worker: FakeEngine,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    await setup_integration(hass, mock_config_entry)
    await fake_worker.publish(WALKING)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, mock_config_entry)
    # Versions change with every upgrade: pinned by name only.
    versions = diagnostics["versions"]
    assert isinstance(versions, dict)
    assert set(versions) == {"home_assistant", "python", "numpy", "scipy"}
    assert diagnostics == snapshot(exclude=props("versions"))
