"""The shipped model: its numpy executor against LiteRT, its size and operators, bad files, and what it decides."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from custom_components.uspd.engine.classifier import MODEL_PATH, Classifier, ModelError
from custom_components.uspd.engine.detector import Decision, Motion
from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.engine.features import (
    CONTEXT_FRAMES,
    GRID_BINS,
    GRID_SPEEDS_MPS,
    FeatureStack,
    resample_matrix,
)
from custom_components.uspd.engine.pipeline import Engine, EngineConfig
from custom_components.uspd.engine.tflite_numpy import NumpyModel
from custom_components.uspd.sim import library
from custom_components.uspd.sim.render import Renderer
from custom_components.uspd.sim.scene import Scene

VECTORS = Path(__file__).parents[1] / "data" / "model_vectors.npz"


def test_numpy_executor_agrees_with_litert() -> None:
    """Outputs LiteRT produced in the lab (lab/train.py) on held-out windows of every class."""
    z = np.load(VECTORS)
    model = NumpyModel(MODEL_PATH.read_bytes())
    got = np.concatenate([model.run(x[None]) for x in z["x"]])
    assert got.shape == z["y"].shape
    assert np.abs(got - z["y"]).max() < 1e-4
    assert set(z["truth"].tolist()) == {0, 1, 2}


def test_model_is_small_and_runs_without_litert() -> None:
    assert MODEL_PATH.stat().st_size <= 200 * 1024
    c = Classifier.load(prefer="numpy")
    assert c.backend == "numpy"
    p = c.probs(np.zeros((12, GRID_BINS), dtype=np.float32))
    assert p.shape == (3,)
    assert abs(float(p.sum()) - 1.0) < 1e-5


@pytest.mark.parametrize(
    "content",
    [b"", b"not a model at all", MODEL_PATH.read_bytes()[:200], MODEL_PATH.read_bytes()[::-1]],
    ids=["empty", "text", "truncated", "scrambled"],
)
def test_corrupt_models_are_refused_clearly(content: bytes) -> None:
    with pytest.raises(ModelError):
        Classifier(content)


def test_missing_model_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="cannot read the model"):
        Classifier.load(tmp_path / "nothing.tflite")


def test_frames_land_on_the_same_speed_grid_at_every_carrier() -> None:
    """A peak at +1 m/s lands in the +1 m/s grid bin whatever the native bin width."""
    for speeds in (np.linspace(-8.6, 8.6, 128, endpoint=False), np.linspace(-17.2, 17.2, 256, endpoint=False)):
        db = np.zeros(len(speeds))
        db[np.argmin(np.abs(speeds - 1.0))] = 40.0
        grid = db @ resample_matrix(speeds)
        assert abs(GRID_SPEEDS_MPS[np.argmax(grid)] - 1.0) <= 0.14
    stack = FeatureStack(np.linspace(-8.6, 8.6, 128, endpoint=False))
    out = stack.push(np.full(128, 100.0))
    assert out[-1].max() == pytest.approx(2.5)  # clipped at 50 dB, scaled by 1/20
    assert not out[:-1].any()


def test_the_feature_stack_holds_a_longer_models_window_and_never_fewer_than_the_rules() -> None:
    """FeatureStack holds a lab model's window (Classifier.frames); never less than the rules' CONTEXT_FRAMES."""
    speeds = np.linspace(-8.6, 8.6, 128, endpoint=False)
    long, short = FeatureStack(speeds, 40), FeatureStack(speeds, 4)
    for k in range(45):
        out = long.push(np.full(128, float(k)))
        assert short.push(np.full(128, float(k))).shape == (CONTEXT_FRAMES, GRID_BINS)
    assert out.shape == (40, GRID_BINS)
    assert out[:, 0] * 20 == pytest.approx(np.arange(5, 45))  # oldest first, the newest last


def _decisions(scene_fn: Callable[[], Scene], classifier: Classifier) -> list[Decision]:
    """The engine's decisions on the scene `scene_fn` makes, with `classifier`."""
    scene = scene_fn()
    renderer = Renderer(scene)
    engine = Engine(EngineConfig(96000, 40000, renderer.channels), classifier)
    rate = engine.plan.baseband_rate_hz
    total = int(scene.duration_s * rate)
    out: list[Decision] = []
    for start in range(0, total, 4000):
        bb = renderer.render_baseband(start, min(4000, total - start), rate, Emission())
        out += [r.decision for r in engine.process_baseband(bb)]
    return out


def test_the_network_sees_the_walker_and_not_the_fan() -> None:
    c = Classifier.load(prefer="numpy")
    walk = _decisions(library.walk_in_and_leave, c)
    first = next(d for d in walk if d.motion == Motion.MAJOR)
    assert 2.0 <= first.t_s <= 3.0
    assert all(d.occupied for d in walk if 4.0 <= d.t_s <= 15.0)
    for scene in (library.fan_only, library.walker_behind_wall, library.empty_room, library.pedestal_fan_and_clicks):
        d = _decisions(scene, c)
        assert not any(x.occupied for x in d), scene.__name__


def test_an_os_agc_left_on_does_not_open_the_room() -> None:
    """AGC pumps the tone with every beat (tests/sim/test_sim_hardware_and_clutter.py); nobody is there all the same."""
    import dataclasses

    from custom_components.uspd.sim.scene import Music, OsAgc, Scene

    def pumping() -> Scene:
        scene = Scene("agc", 40.0, sources=(Music(0.0, 40.0, audible_dbfs=-12.0),), seed=3)
        return dataclasses.replace(scene, device=dataclasses.replace(scene.device, agc=OsAgc()))

    d = _decisions(pumping, Classifier.load(prefer="numpy"))
    assert not any(x.occupied for x in d)
    assert not any(x.motion == Motion.MAJOR for x in d)


LONG_MODEL = Path(__file__).parents[1] / "data" / "model_40_frames.tflite"  # scripts/lab train --frames 40


class _Windowed:
    """A network with a longer window: records the windows it gets, answers as the shipped model on their last 12."""

    backend = "numpy"

    def __init__(self, frames: int) -> None:
        self.inner = Classifier.load(prefer="numpy")
        self.frames = frames
        self.shapes: set[tuple[int, ...]] = set()

    def probs(self, window: np.ndarray) -> np.ndarray:
        self.shapes.add(window.shape)
        return self.inner.probs(window[-CONTEXT_FRAMES:])


def test_a_longer_network_gets_its_whole_window_and_the_rules_keep_their_12_frames() -> None:
    """The pipeline hands the network all its frames and the window rules the last CONTEXT_FRAMES, as before."""
    windowed = _Windowed(40)
    longer = _decisions(library.walk_in_and_leave, windowed)  # type: ignore[arg-type]
    assert windowed.shapes == {(40, GRID_BINS)}
    # The same network answers on the same 12 frames, the rules see what they saw: every decision the same.
    assert longer == _decisions(library.walk_in_and_leave, Classifier.load(prefer="numpy"))


def test_a_model_with_a_longer_window_loads_runs_and_checks_its_own_length() -> None:
    """A lab model of 40 frames runs in the engine; test windows of another length are refused, not reshaped."""
    c = Classifier(LONG_MODEL.read_bytes(), prefer="numpy")
    assert c.frames == 40
    p = c.probs(np.random.default_rng(0).uniform(0.0, 1.0, (40, GRID_BINS)).astype(np.float32))
    assert p.shape == (3,)
    assert float(p.sum()) == pytest.approx(1.0, abs=1e-3)
    with pytest.raises(ModelError, match="40"):
        c.verify(np.zeros((1, CONTEXT_FRAMES, GRID_BINS, 1), dtype=np.float32), np.zeros((1, 3), dtype=np.float32))
    walk = _decisions(library.walk_in_and_leave, c)
    assert any(d.occupied for d in walk if 4.0 <= d.t_s <= 15.0)
