"""Removing a device: its recordings are offered for deletion, and diagnostics never name the person's files."""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import get_diagnostics_for_config_entry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.uspd.const import DOMAIN
from custom_components.uspd.sim.library import walk_in_and_leave

from ..helpers import write_scene_wav
from . import record, setup_integration
from .fake_worker import FakeEngine


async def test_removing_a_device_offers_to_delete_its_recordings_and_deletes_only_them(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    fake_worker: FakeEngine,
    tmp_path: Path,
    hass_client: ClientSessionGenerator,
) -> None:
    """The issue lists the device's files; confirming its fix deletes them and leaves anyone else's."""
    hass.config.config_dir = str(tmp_path)
    assert await async_setup_component(hass, "repairs", {})
    wav = await record(hass, init_integration)
    mine = [wav, wav.with_suffix(".json")]
    other = wav.parent / "kitchen_20260101T000000.wav"
    other.write_bytes(b"someone else's")
    assert all(p.exists() for p in mine)

    assert await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    issue_id = f"recordings_{init_integration.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["count"] == "2"
    assert all(p.exists() for p in mine)  # nothing deleted without asking

    client = await hass_client()
    resp = await client.post("/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id})
    assert resp.status == HTTPStatus.OK
    flow = await resp.json()
    assert flow["step_id"] == "confirm"
    resp = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert resp.status == HTTPStatus.OK
    assert (await resp.json())["type"] == "create_entry"
    await hass.async_block_till_done()
    assert not any(p.exists() for p in mine)
    assert other.exists()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_removing_a_device_that_recorded_nothing_raises_no_issue(
    hass: HomeAssistant, init_integration: MockConfigEntry, tmp_path: Path
) -> None:
    """No recordings, no offer."""
    hass.config.config_dir = str(tmp_path)
    assert await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"recordings_{init_integration.entry_id}") is None


async def test_diagnostics_redact_the_recording_s_path(
    hass: HomeAssistant, fake_worker: FakeEngine, tmp_path: Path, hass_client: ClientSessionGenerator
) -> None:
    """A recording entry's path (a person's folders) is not in the download."""
    path = write_scene_wav(tmp_path / "private_bedroom.wav", walk_in_and_leave(duration_s=1.0))
    entry = MockConfigEntry(
        domain=DOMAIN, title="Bedroom", unique_id="bedroom", data={"backend": "recording", "path": str(path)}
    )
    await setup_integration(hass, entry)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert str(path) not in str(diagnostics)
    entry_part, source = diagnostics["entry"], diagnostics["source"]
    assert isinstance(entry_part, dict)
    assert isinstance(entry_part["data"], dict)
    assert isinstance(source, dict)
    assert entry_part["data"]["path"] == "**REDACTED**"
    assert source["path"] == "**REDACTED**"
