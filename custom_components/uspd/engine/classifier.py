"""The motion classifier: the shipped .tflite on LiteRT when it imports, else on the numpy executor.

Both run the same file and agree to ~1e-6 (tests/engine/test_classifier.py, on
LiteRT's own outputs recorded by the lab). LiteRT is only an optional fast
path: it has no musl wheels, so Home Assistant OS always uses numpy.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from .features import CONTEXT_FRAMES, GRID_BINS, MAX_NETWORK_FRAMES
from .tflite_numpy import ModelError, NumpyModel

_LOGGER = logging.getLogger(__name__)
MODEL_PATH = Path(__file__).resolve().parent.parent / "model" / "uspd.tflite"
# Written with the model by `scripts/lab train`: its sha256 and three windows with LiteRT's outputs for them.
SELF_CHECK_PATH = MODEL_PATH.with_name("self_check.npz")
# The executors agree to ~1e-6 (the model card); a damaged weight moves outputs far more.
SELF_CHECK_TOLERANCE = 1e-3
Backend = Literal["litert", "numpy"]

__all__ = ["MODEL_PATH", "SELF_CHECK_PATH", "Classifier", "ModelError"]


def _read_self_check(path: Path) -> tuple[NDArray[np.float32], NDArray[np.float32], str]:
    """(windows, their outputs, the model's sha256) as `scripts/lab train` wrote them."""
    try:
        with np.load(path, allow_pickle=False) as data:
            windows = np.asarray(data["x"], dtype=np.float32)
            expected = np.asarray(data["y"], dtype=np.float32)
            sha256 = str(data["sha256"])
    except (OSError, ValueError, KeyError) as err:
        raise ModelError(f"cannot read the model's self-check {path.name}: {err}") from err
    if windows.ndim != 4 or windows.shape[2:] != (GRID_BINS, 1) or expected.shape != (len(windows), 3):
        raise ModelError(f"the model's self-check {path.name} does not fit this engine")
    return windows, expected, sha256


def _litert(content: bytes) -> Any | None:
    try:
        from ai_edge_litert.interpreter import Interpreter  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    try:
        interp = Interpreter(model_content=content, num_threads=1)
        interp.allocate_tensors()
    except Exception as err:  # noqa: BLE001 - LiteRT raises anything on a file it dislikes; numpy runs it then
        _LOGGER.warning("LiteRT cannot run the model (%s): using the numpy executor", err)
        return None
    return interp


class Classifier:
    """probs(window) → (background, minor, major) for one (frames, GRID_BINS) window, frames the model's own."""

    def __init__(self, content: bytes, prefer: Backend = "litert") -> None:
        # The numpy reader validates the file whichever backend runs it: a
        # model LiteRT accepts but numpy cannot run would fail on musl only.
        self._numpy = NumpyModel(content)
        shape = self._numpy.input_shape
        fits = len(shape) == 4 and shape[0] == 1 and shape[2:] == (GRID_BINS, 1)
        if not fits or not CONTEXT_FRAMES <= shape[1] <= MAX_NETWORK_FRAMES or self._numpy.output_shape != (1, 3):
            raise ModelError(
                f"model takes {shape} → {self._numpy.output_shape}; this engine feeds "
                f"(1, {CONTEXT_FRAMES}…{MAX_NETWORK_FRAMES}, {GRID_BINS}, 1) → (1, 3)"
            )
        self.frames = int(shape[1])
        self.input_shape = (1, self.frames, GRID_BINS, 1)
        self._interp = _litert(content) if prefer == "litert" else None
        self.backend: Backend = "litert" if self._interp is not None else "numpy"
        if self._interp is not None:
            self._in = self._interp.get_input_details()[0]["index"]
            self._out = self._interp.get_output_details()[0]["index"]

    @classmethod
    def load(cls, path: Path = MODEL_PATH, prefer: Backend = "litert", self_check: Path | None = None) -> Classifier:
        """Read and check the model (blocking: call it off the event loop); ModelError if it cannot be trusted.

        With a self-check (the shipped model always has SELF_CHECK_PATH; the
        lab's other models have none), the file must be the very one trained,
        and the network must give the recorded outputs on the recorded
        windows: a damaged file never half-works.
        """
        if self_check is None and path == MODEL_PATH:
            self_check = SELF_CHECK_PATH
        try:
            content = path.read_bytes()
        except OSError as err:
            raise ModelError(f"cannot read the model {path}: {err.strerror or err}") from err
        check = _read_self_check(self_check) if self_check is not None else None
        if check is not None and hashlib.sha256(content).hexdigest() != check[2]:
            raise ModelError(f"the model file {path.name} is damaged (its checksum is not the shipped model's)")
        classifier = cls(content, prefer)
        if check is not None:
            classifier.verify(check[0], check[1])
        return classifier

    def verify(self, windows: NDArray[np.float32], expected: NDArray[np.float32]) -> None:
        """ModelError unless each window gives the expected probabilities (both executors, where LiteRT runs)."""
        if windows.shape[1:] != self.input_shape[1:]:
            raise ModelError(f"the model's test windows have {windows.shape[1]} frames; it takes {self.frames}")
        for window, want in zip(windows, expected, strict=True):
            outputs = [("numpy", self._numpy.run(window.reshape(self.input_shape))[0])]
            if self.backend != "numpy":
                outputs.append((self.backend, self.probs(window)))
            for name, got in outputs:
                if not np.all(np.isfinite(got)) or float(np.max(np.abs(got - want))) > SELF_CHECK_TOLERANCE:
                    raise ModelError(f"the model gives wrong outputs on its own test windows ({name})")

    def probs(self, window: NDArray[np.float32]) -> NDArray[np.float32]:
        """(background, minor, major) probabilities for one window."""
        x = window.reshape(self.input_shape)
        if self._interp is None:
            y: NDArray[np.float32] = self._numpy.run(x)[0]
            return y
        self._interp.set_tensor(self._in, np.ascontiguousarray(x, dtype=np.float32))
        self._interp.invoke()
        out: NDArray[np.float32] = np.asarray(self._interp.get_tensor(self._out)[0], dtype=np.float32)
        return out
