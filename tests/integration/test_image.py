"""The live Doppler image: the engine's picture, served through Home Assistant's image proxy."""

from __future__ import annotations

from http import HTTPStatus

import numpy as np
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.uspd.engine.detector import Motion
from custom_components.uspd.engine.spectrogram import render_png
from custom_components.uspd.image import IDLE_REFRESH_S

from . import PREFIX, state_of
from .fake_worker import VACANT, WALKING, FakeEngine


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
    # The frontend refetches when the state (the picture's time) moves: with every snapshot while anything moves.
    freezer.tick(1.0)
    await fake_worker.publish(WALKING, t_s=5.0)
    assert state_of(hass, image) != first


async def test_the_image_s_state_stays_put_while_nothing_moves(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake_worker: FakeEngine, freezer: FrozenDateTimeFactory
) -> None:
    """An empty room's picture moves its state every IDLE_REFRESH_S, not every snapshot (the recorder keeps each)."""
    image = f"image.{PREFIX}_doppler"
    await fake_worker.publish(VACANT)
    still = state_of(hass, image)
    for i in range(20):  # 40 s of snapshots every 2 s with nothing moving
        freezer.tick(2.0)
        await fake_worker.publish(VACANT, t_s=3.5 + 2 * i)
    assert state_of(hass, image) == still
    freezer.tick(2.0)
    await fake_worker.publish(VACANT, t_s=60.0, motion_type=Motion.MINOR)  # a hand or a fan: the picture shows it
    moved = state_of(hass, image)
    assert moved != still
    freezer.tick(2.0)
    await fake_worker.publish(VACANT, t_s=62.0)  # once more as it stops
    stopped = state_of(hass, image)
    assert stopped != moved
    freezer.tick(2.0)
    await fake_worker.publish(VACANT, t_s=64.0)
    assert state_of(hass, image) == stopped
    freezer.tick(IDLE_REFRESH_S)
    await fake_worker.publish(VACANT, t_s=64.0 + IDLE_REFRESH_S)
    assert state_of(hass, image) != stopped
