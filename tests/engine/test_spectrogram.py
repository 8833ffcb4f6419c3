"""The Doppler image: the human speed band over the last 20 s, and what a walker and an empty room look like."""

from __future__ import annotations

import io
import threading

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from custom_components.uspd.engine.detector import DetectorConfig
from custom_components.uspd.engine.sources import SourceConfig, SourceError
from custom_components.uspd.engine.spectrogram import SHOWN_SPEED_MPS, DopplerHistory, render_png
from custom_components.uspd.engine.worker import EngineWorker, Snapshot
from custom_components.uspd.sim.source import open_source


def _image_at(scenario: str, t_s: float) -> NDArray[np.float64]:
    """The worker's picture once it has sensed `t_s` of the simulated room (played as fast as it renders)."""
    reached = threading.Event()
    errors: list[SourceError] = []

    def on_snapshot(snapshot: Snapshot) -> None:
        if snapshot.t_s >= t_s:
            reached.set()

    worker = EngineWorker(
        SourceConfig(scenario=scenario), DetectorConfig(), on_snapshot, errors.append, speed=1e6, publish_s=0.1,
        opener=open_source,
    )  # fmt: skip
    worker.start()
    try:
        assert reached.wait(60), "the engine did not advance"
        png = worker.doppler_png()
    finally:
        worker.stop()
    assert not errors
    assert png is not None
    with Image.open(io.BytesIO(png)) as img:
        return np.asarray(img.convert("L"), dtype=np.float64)


def test_the_image_shows_a_walker_and_not_an_empty_room() -> None:
    walking = _image_at("walk_in_and_leave", 4.5)
    empty = _image_at("empty_room", 4.5)
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
