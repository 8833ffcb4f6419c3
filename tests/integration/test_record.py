"""uspd.record: a labelled recording of the Doppler baseband, never audible-band audio."""

from __future__ import annotations

import asyncio
import errno
import json
import shutil
from pathlib import Path
from unittest.mock import patch

import numpy as np
import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from homeassistant.util.yaml import load_yaml
from numpy.typing import NDArray
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from custom_components.uspd.base.labelled import read_labels
from custom_components.uspd.base.wav import WavFormat, WavReader, WavWriter
from custom_components.uspd.const import DOMAIN
from custom_components.uspd.engine.calibration import Calibration
from custom_components.uspd.engine.sources import SourceError

from . import record
from .fake_worker import SWEPT, VACANT, FakeEngine, canned_clip

STORED = Calibration(41000.0, 0.1, 25.0, False, 4.0)

PACKAGE = Path(__file__).resolve().parents[2] / "custom_components" / "uspd"


def _read(wav: Path) -> tuple[WavFormat, NDArray[np.float64]]:
    """A WAV file's format and all its frames."""
    with wav.open("rb") as f:
        reader = WavReader(f)
        return reader.format, reader.read(reader.format.frames or 0)


async def test_record_saves_the_engine_s_baseband_labelled(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake_worker: FakeEngine, tmp_path: Path
) -> None:
    hass.config.config_dir = str(tmp_path)
    response = await hass.services.async_call(
        DOMAIN,
        "record",
        {"config_entry_id": init_integration.entry_id, "duration": 2, "label": "major"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    wav = Path(str(response["path"]))
    assert wav.parent == tmp_path / "uspd_recordings"
    assert response["labels"] == str(wav.with_suffix(".json"))
    fmt, iq = await hass.async_add_executor_job(_read, wav)
    # Baseband only: 4 kHz complex (I and Q per mic), nothing of the audible band can be in it.
    assert (fmt.rate_hz, fmt.channels, fmt.is_float, fmt.frames) == (4000, 8, True, 8000)
    clip = canned_clip(2.0, SWEPT.carrier_hz)
    assert np.array_equal(iq[:, 0::2] + 1j * iq[:, 1::2], clip.baseband.T.astype(np.complex64))
    rec = await hass.async_add_executor_job(read_labels, wav)
    assert rec.fs == 4000
    assert rec.carrier_hz == SWEPT.carrier_hz  # recorded at the calibrated carrier
    assert [(lab.start, lab.end, lab.motion) for lab in rec.labels] == [(0.0, 2.0, "major")]
    assert rec.scene == init_integration.title
    extra = json.loads(await hass.async_add_executor_job(wav.with_suffix(".json").read_text))
    assert extra["baseband"] == {"layout": "iq", "mics": 4, "rate_hz": 4000.0}


async def test_record_refuses_an_entry_whose_source_has_failed(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake_worker: FakeEngine
) -> None:
    await fake_worker.fail(SourceError("device_lost", "the sound card stopped delivering audio"))
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN, "record", {"config_entry_id": init_integration.entry_id, "duration": 1}, blocking=True
        )
    assert err.value.translation_key == "not_running"


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
    assert isinstance(described, dict)
    assert set(described) == set(hass.services.async_services_for_domain(DOMAIN))
    strings = json.loads((PACKAGE / "strings.json").read_text())["services"]
    for action, spec in described.items():
        assert set(spec["fields"]) == set(strings[action]["fields"]), action


async def test_the_record_action_reports_a_calibration_that_cut_it_short(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake_worker: FakeEngine, tmp_path: Path
) -> None:
    hass.config.config_dir = str(tmp_path)
    fake_worker.hold_captures = True  # the recording has not started when the sweep is asked for
    record = hass.async_create_task(
        hass.services.async_call(
            DOMAIN,
            "record",
            {"config_entry_id": init_integration.entry_id, "duration": 30},
            blocking=True,
            return_response=True,
        )
    )
    # The action reaches the engine after its free-space check (an executor job): wait for it, not for a turn.
    async with asyncio.timeout(10):
        while fake_worker.worker.held == 0:  # noqa: ASYNC110 - a fake worker has no event to await
            await asyncio.sleep(0.01)
    await hass.services.async_call(DOMAIN, "calibrate", {"config_entry_id": init_integration.entry_id}, blocking=True)
    with pytest.raises(HomeAssistantError) as err:
        await record
    assert err.value.translation_key == "recording_aborted"
    assert "calibration" in str(err.value.translation_placeholders)
    assert not (tmp_path / "uspd_recordings").exists()


async def test_a_recording_asked_for_during_a_calibration_waits_for_it(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake_worker: FakeEngine, tmp_path: Path
) -> None:
    """A sweep outlasts the action's slack (~17 s at 96 kHz against 15 s): the action allows for it."""
    hass.config.config_dir = str(tmp_path)
    fake_worker.sweep = None  # the sweep runs until the test ends it
    calibrated = hass.async_create_task(
        hass.services.async_call(DOMAIN, "calibrate", {"config_entry_id": init_integration.entry_id}, blocking=True)
    )
    await asyncio.sleep(0)
    assert fake_worker.worker.calibrating
    # No slack at all: a 1 s recording would time out at once were the sweep not allowed for.
    with patch("custom_components.uspd.coordinator.RECORD_SLACK_S", -1.0):
        record = hass.async_create_task(
            hass.services.async_call(
                DOMAIN,
                "record",
                {"config_entry_id": init_integration.entry_id, "duration": 1.0},
                blocking=True,
                return_response=True,
            )
        )
        for _ in range(5):
            await asyncio.sleep(0)
        assert not record.done()
        fake_worker.finish_calibration(STORED)  # the sweep ends; the recording is made after it
        response = await record
    await calibrated
    assert response is not None
    assert Path(str(response["path"])).exists()
    rec = await hass.async_add_executor_job(read_labels, Path(str(response["path"])))
    assert rec.carrier_hz == STORED.carrier_hz  # at the new carrier


async def test_without_a_calibration_the_slack_is_all_a_recording_gets(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake_worker: FakeEngine
) -> None:
    """A stalled source must not hang the action."""
    fake_worker.hold_captures = True
    with (
        patch("custom_components.uspd.coordinator.RECORD_SLACK_S", -1.0),
        pytest.raises(HomeAssistantError) as err,
    ):
        await hass.services.async_call(
            DOMAIN, "record", {"config_entry_id": init_integration.entry_id, "duration": 1.0}, blocking=True
        )
    assert err.value.translation_key == "not_running"


async def test_a_recording_pending_when_the_entry_unloads_ends_the_action(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake_worker: FakeEngine
) -> None:
    fake_worker.hold_captures = True
    record = hass.async_create_task(
        hass.services.async_call(
            DOMAIN, "record", {"config_entry_id": init_integration.entry_id, "duration": 5}, blocking=True
        )
    )
    await asyncio.sleep(0)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    with pytest.raises(HomeAssistantError) as err:
        await record
    assert err.value.translation_key == "not_running"


async def test_two_recordings_in_one_second_get_two_names(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    fake_worker: FakeEngine,
    tmp_path: Path,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Names carry the second; the second recording of a second is STEM-2, and neither overwrites the other."""
    hass.config.config_dir = str(tmp_path)
    first = await record(hass, init_integration)
    second = await record(hass, init_integration)
    assert first != second
    assert second.name == first.name.replace(".wav", "-2.wav")
    for wav in (first, second):
        assert (await hass.async_add_executor_job(read_labels, wav)).fs == 4000
    # Only the finished files: no staging folder left behind.
    assert sorted(p.name for p in first.parent.iterdir()) == sorted(
        [first.name, first.with_suffix(".json").name, second.name, second.with_suffix(".json").name]
    )


async def test_a_second_recording_while_one_runs_is_refused(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake_worker: FakeEngine, tmp_path: Path
) -> None:
    """One recording per device at a time."""
    hass.config.config_dir = str(tmp_path)
    fake_worker.hold_captures = True
    running = asyncio.ensure_future(record(hass, init_integration))
    for _ in range(500):  # until the first has reached the engine (past a free-space check in the executor)
        if fake_worker.worker.held:
            break
        await asyncio.sleep(0.01)
    assert fake_worker.worker.held == 1
    with pytest.raises(HomeAssistantError) as refused:
        await record(hass, init_integration)
    assert refused.value.translation_key == "recording_busy"
    fake_worker.finish_captures()
    assert (await running).exists()
    fake_worker.hold_captures = False
    assert (await record(hass, init_integration)).exists()  # free again once it ended


async def test_a_disk_without_room_is_said_before_recording(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake_worker: FakeEngine, tmp_path: Path
) -> None:
    """Too little free space is refused at once, not after minutes of recording."""
    hass.config.config_dir = str(tmp_path)
    folder = tmp_path / "uspd_recordings"
    full = shutil.disk_usage(tmp_path)._replace(free=1000)
    with (
        patch("custom_components.uspd.services.shutil.disk_usage", return_value=full),
        pytest.raises(HomeAssistantError) as refused,
    ):
        await record(hass, init_integration)
    assert refused.value.translation_key == "recording_not_saved"
    assert not folder.exists() or not any(folder.iterdir())


async def test_a_disk_that_fills_mid_recording_leaves_nothing_and_says_why(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake_worker: FakeEngine, tmp_path: Path
) -> None:
    """The file is written as the baseband comes; the fourth block's write fails half-way (ENOSPC)."""
    hass.config.config_dir = str(tmp_path)
    original = WavWriter.write
    writes: list[int] = []

    def fills_up(self: WavWriter, audio: NDArray[np.floating]) -> None:
        writes.append(len(audio))
        if len(writes) > 3:
            original(self, audio[: len(audio) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        original(self, audio)

    with patch.object(WavWriter, "write", fills_up), pytest.raises(HomeAssistantError) as failed:
        await hass.services.async_call(
            DOMAIN, "record", {"config_entry_id": init_integration.entry_id, "duration": 5}, blocking=True
        )
    assert failed.value.translation_key == "recording_not_saved"
    assert failed.value.translation_placeholders == {"error": "No space left on device"}
    assert len(writes) == 4  # block by block, and none after the failure
    assert list((tmp_path / "uspd_recordings").iterdir()) == []  # no truncated WAV, no labels, no staging folder
    assert (await record(hass, init_integration)).exists()  # the next one is made


async def test_a_recording_larger_than_the_space_checked_stops_at_once(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake_worker: FakeEngine, tmp_path: Path
) -> None:
    """The engine said 1 mic when the space was checked; 4 come: never more is written than was checked."""
    hass.config.config_dir = str(tmp_path)
    await fake_worker.publish(VACANT, channels=1)
    with pytest.raises(HomeAssistantError) as failed:
        await record(hass, init_integration)
    assert failed.value.translation_key == "recording_not_saved"
    assert failed.value.translation_placeholders == {
        "error": "the recording needs 0.2 MB, more than the 0.1 MB checked free"
    }
    assert not (tmp_path / "uspd_recordings").exists()
