"""The live Doppler image: the engine's picture, served through Home Assistant's image proxy."""

from __future__ import annotations

from http import HTTPStatus

import numpy as np
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.uspd.engine.spectrogram import render_png

from . import PREFIX, state_of
from .fake_worker import WALKING, FakeEngine


async def test_the_image_is_the_engine_s_picture_and_changes_with_each_snapshot(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    fake_worker: FakeEngine,
    hass_client: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    image = f"image.{PREFIX}_doppler"
    http = await hass_client()
    resp = await http.get(f"/api/image_proxy/{image}")
    assert resp.status == HTTPStatus.INTERNAL_SERVER_ERROR  # no picture before any audio

    fake_worker.doppler_png = render_png(np.tile(np.linspace(0.0, 60.0, 80), (40, 1)))
    await fake_worker.publish(WALKING)
    first = state_of(hass, image)
    resp = await http.get(f"/api/image_proxy/{image}")
    assert resp.status == HTTPStatus.OK
    assert resp.content_type == "image/png"
    assert await resp.read() == fake_worker.doppler_png
    # The frontend refetches when the state (the picture's time) moves: it moves with every snapshot.
    freezer.tick(1.0)
    await fake_worker.publish(WALKING, t_s=5.0)
    assert state_of(hass, image) != first
