"""A damaged model never half-works: it is refused at load, or the engine drops it for the baseline and says why."""

from __future__ import annotations

import shutil
import struct
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from custom_components.uspd.engine.classifier import MODEL_PATH, SELF_CHECK_PATH, Classifier, ModelError
from custom_components.uspd.engine.detector import Motion
from custom_components.uspd.engine.features import CONTEXT_FRAMES, GRID_BINS
from custom_components.uspd.engine.pipeline import Engine, EngineConfig

SHIPPED = MODEL_PATH.read_bytes()
MUTATIONS = 1000
# The model's own tensors are ~0.1 MB; loading and one inference of a mutation may use a few MB at most.
MAX_LOAD_BYTES = 64 << 20


def _mutate(rng: np.random.Generator) -> bytes:
    """The shipped model with bytes flipped, an int32 field rewritten, or its tail cut off."""
    data = bytearray(SHIPPED)
    kind = rng.integers(0, 3)
    if kind == 0:
        for _ in range(int(rng.integers(1, 9))):
            data[int(rng.integers(0, len(data)))] ^= 1 << int(rng.integers(0, 8))
    elif kind == 1:
        at = int(rng.integers(0, len(data) // 4)) * 4
        value = int(rng.choice([0, 1, -1, 2**31 - 1, -(2**31), 65536, 1 << 20, int(rng.integers(-(2**31), 2**31))]))
        data[at : at + 4] = struct.pack("<i", value)
    else:
        del data[int(rng.integers(0, len(data))) :]
    return bytes(data)


def test_mutated_models_are_refused_or_run_finite_in_bounded_memory() -> None:
    """1,000 mutations of the shipped file: ModelError, or a model whose output is three finite numbers."""
    rng = np.random.default_rng(20261203)
    window = rng.uniform(0.0, 1.0, (CONTEXT_FRAMES, GRID_BINS)).astype(np.float32)
    refused = ran = nonfinite = 0
    for _ in range(MUTATIONS):
        content = _mutate(rng)
        tracemalloc.start()
        try:
            classifier = Classifier(content, prefer="numpy")
            probs = classifier.probs(window)
        except ModelError:
            refused += 1
        else:
            ran += 1
            assert probs.shape == (3,)
            # The engine drops a network that answers NaN (below); loading already refuses most such files.
            nonfinite += not np.all(np.isfinite(probs))
        finally:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        assert peak < MAX_LOAD_BYTES
    assert refused > 0
    assert ran > 0  # some mutations touch nothing the executor reads: those run as the shipped model does
    assert refused + ran == MUTATIONS
    assert nonfinite <= MUTATIONS // 100


@pytest.mark.parametrize("how", ["byte", "truncated"])
def test_a_damaged_shipped_model_is_refused_at_load_by_its_checksum(tmp_path: Path, how: str) -> None:
    """Whatever the damage, the shipped model's self-check refuses a file that is not byte for byte the one trained."""
    data = bytearray(SHIPPED)
    if how == "byte":
        data[len(data) // 2] ^= 0x01
    else:
        del data[-100:]
    path = tmp_path / "uspd.tflite"
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="damaged"):
        Classifier.load(path, self_check=SELF_CHECK_PATH)


def test_the_shipped_model_passes_its_self_check(tmp_path: Path) -> None:
    """The shipped file, copied elsewhere and checked against the shipped self-check, loads."""
    path = tmp_path / "uspd.tflite"
    shutil.copy(MODEL_PATH, path)
    assert Classifier.load(path, self_check=SELF_CHECK_PATH).backend in ("numpy", "litert")


def test_wrong_outputs_on_the_test_windows_are_refused() -> None:
    """A model that loads but answers the recorded windows differently fails verify()."""
    with np.load(SELF_CHECK_PATH) as check:
        windows, expected = np.asarray(check["x"]), np.asarray(check["y"])
    classifier = Classifier(SHIPPED, prefer="numpy")
    classifier.verify(windows, expected)  # the shipped model gives what was recorded
    with pytest.raises(ModelError, match="wrong outputs"):
        classifier.verify(windows, expected[::-1].copy())


def test_an_unreadable_self_check_is_a_model_error(tmp_path: Path) -> None:
    """A missing or corrupt self-check file is a ModelError (the baseline runs), not a crash."""
    broken = tmp_path / "self_check.npz"
    broken.write_bytes(b"not a zip")
    for check in (broken, tmp_path / "missing.npz"):
        with pytest.raises(ModelError, match="self-check"):
            Classifier.load(MODEL_PATH, self_check=check)


class _Failing:
    """A classifier that raises, or answers NaN, from its `fail_at`-th inference on."""

    backend = "numpy"

    def __init__(self, fail_at: int, nan: bool) -> None:
        self.inner = Classifier(SHIPPED, prefer="numpy")
        self.frames = self.inner.frames
        self.calls = 0
        self.fail_at, self.nan = fail_at, nan

    def probs(self, window: NDArray[np.float32]) -> NDArray[np.float32]:
        self.calls += 1
        if self.calls >= self.fail_at:
            if self.nan:
                return np.full(3, np.nan, dtype=np.float32)
            raise IndexError("index 7 is out of bounds")
        return self.inner.probs(window)


def _walker(seconds: float, fs: int = 96000) -> NDArray[np.float64]:
    """A tone with a strong echo walking away at 1.2 m/s from 1 s on: major motion for the baseline."""
    t = np.arange(int(seconds * fs)) / fs
    fd = np.where(t > 1.0, 2 * 1.2 * 40000.0 / 343.2, 0.0)
    phase = 2 * np.pi * np.cumsum(40000.0 - fd) / fs
    audio = 0.3 * np.sin(2 * np.pi * 40000.0 * t) + 0.01 * np.sin(phase)
    return np.repeat(audio[:, None], 2, axis=1)


@pytest.mark.parametrize("nan", [False, True])
def test_a_model_failing_mid_stream_is_dropped_for_the_baseline_and_reported(nan: bool) -> None:
    """The engine keeps deciding after the network raises or answers NaN, on the baseline, and says why."""
    failing = _Failing(fail_at=5, nan=nan)
    engine = Engine(EngineConfig(96000, 40000.0, 2), failing)  # type: ignore[arg-type]
    decisions = []
    audio = _walker(4.0)
    for i in range(0, len(audio), 4800):
        decisions += [r.decision for r in engine.process(audio[i : i + 4800])]
    assert failing.calls == 5  # asked once more after the failure: never again
    assert engine.classifier is None
    assert engine.model_error is not None
    assert ("non-finite" in engine.model_error) == nan
    assert decisions[-1].t_s > 3.9  # every frame still decided
    assert any(d.motion is Motion.MAJOR for d in decisions)  # the baseline sees the walker
