"""The live Doppler image: served through Home Assistant's image proxy, showing motion and only motion."""

from __future__ import annotations

import asyncio
import io

import numpy as np
import pytest
from homeassistant.core import HomeAssistant
from PIL import Image
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.uspd.const import DOMAIN
from custom_components.uspd.engine.spectrogram import SHOWN_SPEED_MPS, DopplerHistory, render_png


async def _image_during(hass: HomeAssistant, client: ClientSessionGenerator, scenario: str, t_s: float) -> np.ndarray:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=scenario,
        unique_id=f"simulated_{scenario}",
        data={"backend": "simulated", "scenario": scenario},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    for _ in range(600):
        if entry.runtime_data.data is not None and entry.runtime_data.data.t_s >= t_s:
            break
        await asyncio.sleep(0.02)
    http = await client()
    resp = await http.get(f"/api/image_proxy/image.{scenario}_doppler")
    assert resp.status == 200
    assert resp.content_type == "image/png"
    body = await resp.read()
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    with Image.open(io.BytesIO(body)) as img:
        return np.asarray(img.convert("L"), dtype=np.float64)


@pytest.mark.usefixtures("fast_playback")
async def test_the_image_shows_a_walker_and_not_an_empty_room(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    walking = await _image_during(hass, hass_client, "walk_in_and_leave", 4.5)
    empty = await _image_during(hass, hass_client, "empty_room", 4.5)
    centre = walking.shape[0] // 2
    away = np.r_[: centre - 6, centre + 6 : walking.shape[0]]  # rows off 0 m/s
    # Doppler from the walk lights up rows away from 0 m/s; the empty room stays dark and flat.
    assert np.percentile(walking[away], 99) > np.percentile(empty[away], 99) + 60
    assert empty.std() < 25


def test_history_keeps_only_the_human_speed_band_and_a_bounded_past() -> None:
    speeds = np.linspace(-8.0, 8.0, 129)
    history = DopplerHistory(speeds, hop_s=0.025)
    for _ in range(2000):
        history.append(np.zeros(129))
    image = history.image()
    assert image.shape == (int(np.sum(np.abs(speeds) <= SHOWN_SPEED_MPS)), 800)  # 20 s of 25 ms frames
    png = render_png(image, x_scale=2, y_scale=3)
    with Image.open(io.BytesIO(png)) as img:
        assert img.size == (1600, 3 * image.shape[0])
