"""Config flow: every backend, duplicates, errors and recovery."""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path
from typing import Any
from unittest.mock import MagicMock, patch

import pytest
from homeassistant import config_entries
from homeassistant.config_entries import ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.uspd.const import DOMAIN
from custom_components.uspd.engine.sources import SourceError
from custom_components.uspd.engine.sources.soundcard import DeviceInfo, default_mics
from custom_components.uspd.sim.library import empty_room

from ..helpers import write_scene_wav

SOUNDCARD = "custom_components.uspd.config_flow"


@pytest.fixture(autouse=True)
def no_setup() -> Generator[None]:
    """The flow is tested alone; setting the entry up is test_init's job."""
    with patch("custom_components.uspd.async_setup_entry", return_value=True):
        yield


async def _start(hass: HomeAssistant, backend: str) -> ConfigFlowResult:
    """A user's flow, past its first step with `backend` chosen."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": config_entries.SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return await hass.config_entries.flow.async_configure(result["flow_id"], {"backend": backend})


async def test_simulated_room(hass: HomeAssistant) -> None:
    result = await _start(hass, "simulated")
    assert result["step_id"] == "simulated"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"scenario": "demo_loop"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Simulated room (demo loop)"
    assert result["data"] == {"backend": "simulated", "scenario": "demo_loop"}
    assert result["result"].unique_id == "simulated_demo_loop"


async def test_simulated_room_named_like_a_room(hass: HomeAssistant) -> None:
    """A name makes short entity ids (binary_sensor.living_room_occupancy); blank falls back to the scenario."""
    result = await _start(hass, "simulated")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"scenario": "fan_only", "name": "  Living room "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Living room"
    assert result["data"] == {"backend": "simulated", "scenario": "fan_only"}
    result = await _start(hass, "simulated")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"scenario": "demo_loop", "name": " "})
    assert result["title"] == "Simulated room (demo loop)"


DEMO_LOOP = {"backend": "simulated", "scenario": "demo_loop"}


@pytest.mark.parametrize("entry_data", [DEMO_LOOP])
async def test_duplicate_aborts(hass: HomeAssistant, mock_config_entry: MockConfigEntry) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await _start(hass, "simulated")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"scenario": "demo_loop"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_recording_error_then_recovery(hass: HomeAssistant, tmp_path: Path) -> None:
    hass.config.allowlist_external_dirs = {str(tmp_path.resolve())}  # the flow reads allowed folders only
    result = await _start(hass, "recording")
    assert result["step_id"] == "recording"
    missing = tmp_path / "missing.wav"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"path": str(missing)})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "file_not_found"}

    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(b"this is not audio at all")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"path": str(garbage)})
    assert result["errors"] == {"base": "invalid_recording"}

    silent = write_scene_wav(tmp_path / "silent.wav", empty_room(duration_s=1.0), None)
    silent.write_bytes(silent.read_bytes()[:44] + bytes(len(silent.read_bytes()) - 44))
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"path": str(silent)})
    assert result["errors"] == {"base": "no_carrier"}

    good = write_scene_wav(tmp_path / "room.wav", empty_room(duration_s=1.0))
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"path": str(good)})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {"backend": "recording", "path": str(good)}
    assert result["title"] == "Recording room.wav"


async def test_soundcard(hass: HomeAssistant) -> None:
    usb = DeviceInfo("USB Audio", (192000, 96000, 48000), 4)
    with (
        patch(f"{SOUNDCARD}.list_devices", return_value=["USB Audio", "Built-in"]),
        patch(f"{SOUNDCARD}.probe_device") as probe,
        patch(f"{SOUNDCARD}.open_source") as open_source,
    ):
        result = await _start(hass, "soundcard")
        assert result["step_id"] == "soundcard"
        probe.side_effect = SourceError("unsupported_rate", "Built-in takes none of 192000, 96000 Hz")
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {"device": "Built-in"})
        assert result["errors"] == {"base": "unsupported_rate"}
        probe.side_effect = None
        probe.return_value = usb
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {"device": "USB Audio"})
        assert result["step_id"] == "soundcard_settings"
        assert result["description_placeholders"] == {"device": "USB Audio", "rates": "192000, 96000, 48000"}
        open_source.side_effect = SourceError("device_busy", "USB Audio is busy")
        user = {"audio_rate_hz": "96000", "carrier_hz": 40000, "mics": 4}
        result = await hass.config_entries.flow.async_configure(result["flow_id"], user)
        assert result["errors"] == {"base": "device_busy"}
        open_source.side_effect = None
        open_source.return_value = MagicMock()
        result = await hass.config_entries.flow.async_configure(result["flow_id"], user)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        "backend": "soundcard",
        "device": "USB Audio",
        "audio_rate_hz": 96000,
        "carrier_hz": 40000,
        "mics": 4,
    }
    assert result["result"].unique_id == "soundcard_USB Audio"
    open_source.return_value.close.assert_called_once()


def test_device_defaults_follow_the_hardware() -> None:
    assert DeviceInfo("a", (96000, 48000), 2).carrier_hz == 40000
    assert DeviceInfo("b", (48000, 44100), 2).carrier_hz == 20000
    assert default_mics(4) == 4
    assert default_mics(32) == 1  # PulseAudio's virtual devices upmix one stream


@pytest.mark.parametrize(
    ("devices", "reason"),
    [
        (SourceError("portaudio_missing", "no PortAudio"), "portaudio_missing"),
        ([], "no_devices"),
    ],
)
async def test_soundcard_unavailable(hass: HomeAssistant, devices: object, reason: str) -> None:
    kwargs: dict[str, Any] = {"side_effect": devices} if isinstance(devices, Exception) else {"return_value": devices}
    with patch(f"{SOUNDCARD}.list_devices", **kwargs):
        result = await _start(hass, "soundcard")
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason


@pytest.mark.parametrize("entry_data", [DEMO_LOOP])
async def test_reconfigure_changes_the_source(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, tmp_path: Path
) -> None:
    entry = mock_config_entry
    entry.add_to_hass(hass)
    other = await _start(hass, "simulated")
    other = await hass.config_entries.flow.async_configure(other["flow_id"], {"scenario": "fan_only"})
    assert other["type"] is FlowResultType.CREATE_ENTRY
    hass.config.allowlist_external_dirs = {str(tmp_path.resolve())}

    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "user"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"backend": "recording"})
    missing = str(tmp_path / "missing.wav")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"path": missing})
    assert result["errors"] == {"base": "file_not_found"}
    good = write_scene_wav(tmp_path / "room.wav", empty_room(duration_s=1.0))
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"path": str(good)})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {"backend": "recording", "path": str(good)}
    assert entry.unique_id == f"recording_{good}"
    assert entry.title == "Recording room.wav"

    # Another entry's source is refused.
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"backend": "simulated"})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"scenario": "fan_only"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.parametrize("entry_data", [DEMO_LOOP])
async def test_reconfiguring_a_named_simulated_room_offers_its_name(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    entry = mock_config_entry
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, title="Living room")
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"backend": "simulated"})
    assert result["step_id"] == "simulated"
    schema = result["data_schema"]
    assert schema is not None
    suggested = {str(key): (key.description or {}).get("suggested_value") for key in schema.schema}
    assert suggested["name"] == "Living room"
    assert suggested["scenario"] == "demo_loop"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"scenario": "empty_room", "name": "Living room"}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.title == "Living room"
    assert entry.data == {"backend": "simulated", "scenario": "empty_room"}


async def _recording_step(hass: HomeAssistant) -> ConfigFlowResult:
    """A user's flow at the recording step."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": config_entries.SOURCE_USER})
    return await hass.config_entries.flow.async_configure(result["flow_id"], {"backend": "recording"})


@pytest.mark.timeout(60)
async def test_config_flow_reads_only_regular_files_in_allowed_folders(hass: HomeAssistant, tmp_path: Path) -> None:
    allowed = tmp_path / "media"
    allowed.mkdir()
    hass.config.allowlist_external_dirs = {str(allowed.resolve())}
    outside = write_scene_wav(tmp_path / "outside.wav", empty_room(duration_s=1.0))
    fifo = allowed / "fifo.wav"
    os.mkfifo(fifo)
    (allowed / "folder.wav").mkdir()
    link = allowed / "link.wav"
    link.symlink_to(outside)

    result = await _recording_step(hass)
    flow = result["flow_id"]
    for path, error in (
        (outside, "path_not_allowed"),
        (link, "path_not_allowed"),  # a link out of an allowed folder leads outside it
        ("/etc/passwd", "path_not_allowed"),
        (allowed / "missing.wav", "file_not_found"),
        (allowed / "folder.wav", "not_a_file"),
        (fifo, "not_a_file"),
        (allowed, "not_a_file"),
    ):
        result = await hass.config_entries.flow.async_configure(flow, {"path": str(path)})
        assert result["type"] is FlowResultType.FORM, path
        assert result["errors"] == {"base": error}, path
        placeholders = result["description_placeholders"]
        assert placeholders is not None, path
        assert placeholders["error"], path

    good = write_scene_wav(allowed / "room.wav", empty_room(duration_s=1.0))
    result = await hass.config_entries.flow.async_configure(flow, {"path": str(good)})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {"backend": "recording", "path": str(good)}
