"""lab.eval.recent_walking_db: the walking band's recent median and last mean, exactly as the engine keeps them."""

from __future__ import annotations

import numpy as np
import pytest

from custom_components.uspd.engine.evidence import RecentWalking
from lab.dataset import SceneFrames
from lab.eval import recent_walking_db


@pytest.mark.parametrize(("frames", "gap", "start"), [(400, 12, 20), (50, 12, 0), (10, 3, 5)])
def test_the_lab_s_levels_are_the_engine_s_frame_by_frame(frames: int, gap: int, start: int) -> None:
    """From the frame the window first fills (start + frames + gap - 1) on, and none before, the same values."""
    n = 1000
    bands = np.random.default_rng(0).normal(0.0, 5.0, (n, 3)).astype(np.float32)
    scene = SceneFrames("s", "walk", np.arange(n, dtype=np.float32), np.zeros((n, 4), np.float16),
                        np.zeros(n, np.int8), np.zeros(n, bool), bands, 96000, 40000.0, 1,
                        np.zeros(n, np.float32))  # fmt: skip
    median, mean = recent_walking_db(scene, frames, gap, start)
    engine = RecentWalking(frames, gap)
    assert np.isnan(median[: start + frames + gap - 1]).all()
    for k in range(start, n):  # the engine hears nothing before the network's start
        engine.push(float(bands[k, 1]))
        levels = engine.levels()
        if k < start + frames + gap - 1:
            assert levels is None
        else:
            assert levels is not None
            assert levels[0] == pytest.approx(median[k], abs=1e-9)
            assert levels[1] == pytest.approx(mean[k], abs=1e-9)
