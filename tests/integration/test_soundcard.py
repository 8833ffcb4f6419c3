"""The integration on the sound-card backend, on the test PulseAudio server: loss, repairs, recovery.

Detection itself is tested on the simulated room: this loopback is not
phase-coherent (tests/engine/test_soundcard.py says why).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from unittest.mock import patch

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.uspd.const import DOMAIN
from custom_components.uspd.engine.calibration import Calibration

from ..pulse import PulseServer
from . import state_of

pytestmark = [pytest.mark.soundcard, pytest.mark.usefixtures("pulse_server", "real_worker")]


@pytest.mark.parametrize(
    "entry_data",
    [
        {
            "backend": "soundcard",
            "device": "pulse",
            "audio_rate_hz": 96000,
            "carrier_hz": 40000,
            "mics": 1,
            # Already calibrated: a sweep through the null sink takes 17 s of real time and means nothing.
            "calibration": Calibration(40000.0, 0.5, 30.0, False, 4.0).as_dict(),
        }
    ],
)
async def test_entities_go_unavailable_with_a_repair_and_come_back(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, pulse_server: PulseServer
) -> None:
    """Through the real worker on a real sound server that goes away and comes back."""
    entry = mock_config_entry
    entry.add_to_hass(hass)
    occupancy = "binary_sensor.pulse_occupancy"
    issue_id = f"source_failed_{entry.entry_id}"
    registry = ir.async_get(hass)
    with patch("custom_components.uspd.engine.worker.BACKOFF_S", (0.5,)):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED

        async def until(check: Callable[[], bool], seconds: float) -> None:
            for _ in range(int(seconds / 0.1)):
                if check():
                    return
                await asyncio.sleep(0.1)
            raise AssertionError(f"timed out: {hass.states.get(occupancy)}")

        def available() -> bool:
            return state_of(hass, occupancy) in ("on", "off")

        await until(available, 10)
        await hass.async_add_executor_job(pulse_server.stop)
        await until(lambda: state_of(hass, occupancy) == STATE_UNAVAILABLE, 10)
        issue = registry.async_get_issue(DOMAIN, issue_id)
        assert issue is not None
        assert issue.translation_key == "device_lost"

        await hass.async_add_executor_job(pulse_server.start)
        await until(available, 20)
        assert registry.async_get_issue(DOMAIN, issue_id) is None
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
