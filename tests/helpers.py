"""Small scenes and recordings for tests (rendered by the real simulator)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.uspd.const import DOMAIN
from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.sim.recording import write_labelled_recording
from custom_components.uspd.sim.render import Renderer
from custom_components.uspd.sim.scene import Scene


def render_audio(scene: Scene, emission: Emission | None = None) -> np.ndarray:
    renderer = Renderer(scene)
    count = int(scene.duration_s * scene.device.audio_rate_hz)
    return renderer.render_passband(0, count, emission or Emission())


def write_scene_wav(path: Path, scene: Scene, emission: Emission | None = None) -> Path:
    """The scene as a labelled recording (its labels JSON lands beside the WAV)."""
    return write_labelled_recording(scene, path, emission)


# The entry most integration tests run: the simulated walk-in, as its entity ids show.
WALK_PREFIX = "simulated_room_walk_in_and_leave"


async def setup_walk_entry(
    hass: HomeAssistant, data: dict[str, Any] | None = None, options: dict[str, Any] | None = None
) -> MockConfigEntry:
    """Set up a uspd entry (the simulated walk-in unless `data` says otherwise) and wait for it."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Simulated room (walk in and leave)",
        unique_id="simulated_walk_in_and_leave",
        data=data or {"backend": "simulated", "scenario": "walk_in_and_leave"},
        options=options or {},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry
