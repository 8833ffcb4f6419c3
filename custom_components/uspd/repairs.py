"""Repair issues: what a person can fix about a device (its sound card, its tone, the model), raised and cleared."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import probatio as vol
from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN
from .engine.audibility import senses_audibly
from .engine.calibration import SHORT_REACH_M, Calibration
from .engine.sources import SourceConfig, SourceError
from .engine.sources.soundcard import audio_effects
from .recordings import delete_recordings


def source_issue_id(entry_id: str) -> str:
    """The issue of a source that cannot start or stopped working."""
    return f"source_failed_{entry_id}"


def near_ultrasonic_issue_id(entry_id: str) -> str:
    """The issue of a device that senses with a tone some people hear."""
    return f"near_ultrasonic_{entry_id}"


def short_reach_issue_id(entry_id: str) -> str:
    """The issue of a device whose tone cannot make a person's echo clear across a room."""
    return f"short_reach_{entry_id}"


def model_issue_id(entry_id: str) -> str:
    """The issue of a motion model that did not load."""
    return f"model_{entry_id}"


def audio_effects_issue_id(entry_id: str) -> str:
    """The issue of a capture path that filters the tone out."""
    return f"audio_effects_{entry_id}"


ISSUE_IDS: tuple[Callable[[str], str], ...] = (
    source_issue_id,
    near_ultrasonic_issue_id,
    short_reach_issue_id,
    audio_effects_issue_id,
    model_issue_id,
)


@callback
def async_set_issue(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    issue_id: str,
    translation_key: str | None,
    severity: ir.IssueSeverity = ir.IssueSeverity.WARNING,
    **placeholders: str,
) -> None:
    """Raise the repair issue with this key, or clear it when the key is None."""
    if translation_key is None:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=severity,
        translation_key=translation_key,
        translation_placeholders={"name": entry.title, **placeholders},
    )


@callback
def async_source_failed(hass: HomeAssistant, entry: ConfigEntry[Any], error: SourceError) -> None:
    """An issue for a failure a person can act on; the others only make the entities unavailable."""
    if error.repairable:
        issue_id = source_issue_id(entry.entry_id)
        async_set_issue(hass, entry, issue_id, error.reason, ir.IssueSeverity.ERROR, error=str(error))


@callback
def async_source_working(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """The source delivers audio: its issue, if any, is solved."""
    ir.async_delete_issue(hass, DOMAIN, source_issue_id(entry.entry_id))


@callback
def async_check_hardware(
    hass: HomeAssistant, entry: ConfigEntry[Any], config: SourceConfig, calibration: Calibration | None
) -> None:
    """Say so when a device senses with an audible tone, reaches only nearby, or its capture path filters the tone."""
    carrier_hz = calibration.carrier_hz if calibration is not None else config.carrier_hz
    audibly = senses_audibly(config, calibration)
    async_set_issue(
        hass,
        entry,
        near_ultrasonic_issue_id(entry.entry_id),
        "near_ultrasonic" if audibly else None,
        carrier=f"{carrier_hz:.0f}",
    )
    reach_m = calibration.reach_m if calibration is not None else math.nan  # NaN: not known, no issue
    short = "short_reach_audible" if audibly else "short_reach"
    async_set_issue(
        hass,
        entry,
        short_reach_issue_id(entry.entry_id),
        short if reach_m < SHORT_REACH_M else None,
        reach=f"{reach_m:.1f}",
        carrier=f"{carrier_hz:.0f}",
    )
    effect = audio_effects(config.device) if config.backend == "soundcard" else None
    async_set_issue(
        hass,
        entry,
        audio_effects_issue_id(entry.entry_id),
        "audio_effects" if effect else None,
        device=config.device,
        effect=effect or "",
    )


@callback
def async_model_loaded(hass: HomeAssistant, entry: ConfigEntry[Any], error: Exception | None) -> None:
    """An issue while the motion model cannot load (the baseline detector senses meanwhile), cleared once it does."""
    issue_id = model_issue_id(entry.entry_id)
    if error is None:
        async_set_issue(hass, entry, issue_id, None)
    else:
        async_set_issue(hass, entry, issue_id, "model_failed", error=str(error))


@callback
def async_remove_issues(hass: HomeAssistant, entry_id: str) -> None:
    """A removed device leaves no repair issues behind."""
    for make_id in ISSUE_IDS:
        ir.async_delete_issue(hass, DOMAIN, make_id(entry_id))


def recordings_issue_id(entry_id: str) -> str:
    """The offer to delete a removed device's recordings."""
    return f"recordings_{entry_id}"


@callback
def async_offer_to_delete_recordings(
    hass: HomeAssistant, entry: ConfigEntry[Any], recordings: list[Path], folder: Path
) -> None:
    """A removed device's uspd.record files stay on disk (and in backups) unless the person says otherwise."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        recordings_issue_id(entry.entry_id),
        is_fixable=True,
        is_persistent=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key="recordings_left",
        translation_placeholders={"name": entry.title, "count": str(len(recordings)), "folder": str(folder)},
        data={"files": "\n".join(str(p) for p in recordings)},  # issue data holds scalars only
    )


class DeleteRecordingsFlow(RepairsFlow):
    """Confirm, then delete the removed device's recordings (the files listed when it was removed, nothing else)."""

    def __init__(self, files: list[Path]) -> None:
        self.files = files

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Ask before deleting anything."""
        return await self.async_step_confirm()

    async def async_step_confirm(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Delete on confirmation."""
        if user_input is None:
            return self.async_show_form(step_id="confirm", data_schema=vol.Schema({}))
        await self.hass.async_add_executor_job(delete_recordings, self.files)
        return self.async_create_entry(data={})


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The flow behind a fixable uspd issue: only the offer to delete a removed device's recordings is one."""
    files = data.get("files") if data is not None else None
    return DeleteRecordingsFlow([Path(f) for f in files.splitlines()] if isinstance(files, str) else [])
