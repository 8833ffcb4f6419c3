"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Generator
from unittest.mock import patch

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/uspd in every test."""


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Enable entities that are disabled by default (diagnostics)."""
    with patch("homeassistant.helpers.entity.Entity.entity_registry_enabled_default", return_value=True):
        yield


@pytest.fixture
def fast_playback() -> Generator[None]:
    """Play simulated rooms ~50× faster than the clock and publish every frame change promptly."""
    with (
        patch("custom_components.uspd.coordinator.PLAYBACK_SPEED", 50.0),
        patch("custom_components.uspd.coordinator.PUBLISH_INTERVAL_S", 0.5),
    ):
        yield
