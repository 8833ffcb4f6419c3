"""Fixtures of the Home Assistant tests (pytest-homeassistant-custom-component's plugin provides `hass`).

Shell tests run on `init_integration`: the entry set up on a fake worker that
publishes canned snapshots when told, so they need no thread and no clock.
The few tests that run the real engine thread say so with `real_worker`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from functools import partial
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.uspd.const import DOMAIN

from . import ENTRY_ID, setup_integration
from .fake_worker import FakeEngine, FakeWorker


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/uspd in every test."""


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Enable entities that are disabled by default (diagnostics)."""
    with patch("homeassistant.helpers.entity.Entity.entity_registry_enabled_default", return_value=True):
        yield


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Home Assistant's snapshot format: registry ids and timestamps scrubbed."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def entry_data() -> dict[str, Any]:
    """The entry's data; parametrize `entry_data` for another source."""
    return {"backend": "simulated", "scenario": "walk_in_and_leave"}


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """The entry's options; parametrize `entry_options` for others."""
    return {}


def _title_and_unique_id(data: dict[str, Any]) -> tuple[str, str]:
    """What the config flow names an entry with this data, and how it tells it from others."""
    match data.get("backend"):
        case "simulated":
            scenario = data["scenario"]
            return f"Simulated room ({scenario.replace('_', ' ')})", f"simulated_{scenario}"
        case "recording":
            return f"Recording {Path(data['path']).name}", f"recording_{data['path']}"
        case "soundcard":
            return data["device"], f"soundcard_{data['device']}"
        case other:
            return str(other), str(other)


@pytest.fixture
def mock_config_entry(entry_data: dict[str, Any], entry_options: dict[str, Any]) -> MockConfigEntry:
    """A uspd entry, titled and identified as the config flow would for `entry_data` (not yet added)."""
    title, unique_id = _title_and_unique_id(entry_data)
    return MockConfigEntry(
        domain=DOMAIN, title=title, unique_id=unique_id, data=entry_data, options=entry_options, entry_id=ENTRY_ID
    )


@pytest.fixture
def fake_worker(hass: HomeAssistant) -> Generator[FakeEngine]:
    """Every engine the integration starts is a FakeWorker; returns what controls them."""
    engine = FakeEngine(hass)
    with patch("custom_components.uspd.coordinator.EngineWorker", partial(FakeWorker, engine)):
        yield engine


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, fake_worker: FakeEngine
) -> AsyncGenerator[MockConfigEntry]:
    """The entry set up on a fake worker (its first calibration answered); unloaded afterwards."""
    await setup_integration(hass, mock_config_entry)
    yield mock_config_entry
    if mock_config_entry.state is ConfigEntryState.LOADED:
        assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
        await hass.async_block_till_done()


@pytest.fixture
def real_worker() -> Generator[None]:
    """The real engine thread (no fake_worker), playing simulated rooms ~50× faster and publishing promptly."""
    with (
        patch("custom_components.uspd.coordinator.PLAYBACK_SPEED", 50.0),
        patch("custom_components.uspd.coordinator.PUBLISH_INTERVAL_S", 0.5),
    ):
        yield
