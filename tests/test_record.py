"""uspd.record: a labelled recording of the Doppler baseband, never audible-band audio."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from homeassistant.util.yaml import load_yaml
from pytest_homeassistant_custom_component.common import MockUser

from custom_components.uspd.base.labelled import read_labels
from custom_components.uspd.base.wav import WavFormat, WavReader
from custom_components.uspd.const import DOMAIN

from .helpers import setup_walk_entry

PACKAGE = Path(__file__).resolve().parents[1] / "custom_components" / "uspd"


def _read(wav: Path) -> tuple[WavFormat, np.ndarray]:
    with wav.open("rb") as f:
        reader = WavReader(f)
        return reader.format, reader.read(reader.format.frames or 0)


@pytest.mark.usefixtures("fast_playback")
async def test_record_saves_labelled_baseband_only(hass: HomeAssistant, tmp_path: Path) -> None:
    hass.config.config_dir = str(tmp_path)
    entry = await setup_walk_entry(hass)

    response = await hass.services.async_call(
        DOMAIN,
        "record",
        {"config_entry_id": entry.entry_id, "duration": 2, "label": "major"},
        blocking=True,
        return_response=True,
    )
    wav = Path(str(response["path"]))
    assert wav.parent == tmp_path / "uspd_recordings"
    fmt, iq = await hass.async_add_executor_job(_read, wav)
    # Baseband only: 4 kHz complex (I and Q per mic), nothing of the audible band can be in it.
    assert (fmt.rate_hz, fmt.channels, fmt.is_float, fmt.frames) == (4000, 8, True, 8000)
    baseband = iq[:, 0::2] + 1j * iq[:, 1::2]
    assert np.abs(baseband).mean() > 1e-4  # the static paths are in it
    rec = await hass.async_add_executor_job(read_labels, wav)
    assert rec.fs == 4000
    assert rec.carrier_hz == entry.runtime_data.calibration.carrier_hz
    assert [(lab.start, lab.end, lab.motion) for lab in rec.labels] == [(0.0, 2.0, "major")]
    extra = json.loads(await hass.async_add_executor_job(wav.with_suffix(".json").read_text))
    assert extra["baseband"] == {"layout": "iq", "mics": 4, "rate_hz": 4000.0}
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_record_refuses_an_unknown_device(hass: HomeAssistant) -> None:
    from homeassistant.setup import async_setup_component

    assert await async_setup_component(hass, DOMAIN, {})
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "record", {"config_entry_id": "nope"}, blocking=True)
    assert err.value.translation_key == "entry_not_loaded"


@pytest.mark.parametrize("action", ["record", "calibrate"])
async def test_actions_are_for_administrators_only(
    hass: HomeAssistant, hass_read_only_user: MockUser, action: str
) -> None:
    """Recording writes files into the config dir; calibrating plays probes through the speaker."""
    from homeassistant.setup import async_setup_component

    assert await async_setup_component(hass, DOMAIN, {})
    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            action,
            {"config_entry_id": "nope"},
            blocking=True,
            context=Context(user_id=hass_read_only_user.id),
        )


async def test_services_yaml_matches_the_actions_and_their_translations(hass: HomeAssistant) -> None:
    from homeassistant.setup import async_setup_component

    assert await async_setup_component(hass, DOMAIN, {})
    described = load_yaml(PACKAGE / "services.yaml")
    assert set(described) == set(hass.services.async_services_for_domain(DOMAIN))
    strings = json.loads((PACKAGE / "strings.json").read_text())["services"]
    for action, spec in described.items():
        assert set(spec["fields"]) == set(strings[action]["fields"]), action


def test_a_recording_pending_when_the_engine_stops_is_aborted_not_left_hanging() -> None:
    from custom_components.uspd.engine.detector import DetectorConfig
    from custom_components.uspd.engine.recorder import RecordingAborted
    from custom_components.uspd.engine.sources import SourceConfig
    from custom_components.uspd.engine.worker import EngineWorker
    from custom_components.uspd.sim.source import open_source

    worker = EngineWorker(
        SourceConfig(scenario="empty_room"), DetectorConfig(), lambda _: None, lambda _: None, opener=open_source
    )
    worker.start()
    future = worker.capture_baseband(3600.0)  # far longer than the worker will run
    worker.stop()
    with pytest.raises(RecordingAborted):
        future.result(timeout=1)
