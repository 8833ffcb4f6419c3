"""The motion classifier: the shipped .tflite on LiteRT when it imports, else on the numpy executor.

Both run the same file and agree to ~1e-6 (tests/engine/test_classifier.py, on
LiteRT's own outputs recorded by the lab). LiteRT is only an optional fast
path: it has no musl wheels, so Home Assistant OS always uses numpy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from .features import CONTEXT_FRAMES, GRID_BINS
from .tflite_numpy import ModelError, NumpyModel

MODEL_PATH = Path(__file__).resolve().parent.parent / "model" / "uspd.tflite"
INPUT_SHAPE = (1, CONTEXT_FRAMES, GRID_BINS, 1)
Backend = Literal["litert", "numpy"]

__all__ = ["MODEL_PATH", "Classifier", "ModelError"]


def _litert(content: bytes) -> Any | None:
    try:
        from ai_edge_litert.interpreter import Interpreter  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    interp = Interpreter(model_content=content, num_threads=1)
    interp.allocate_tensors()
    return interp


class Classifier:
    """probs(window) → (background, minor, major) for one (CONTEXT_FRAMES, GRID_BINS) window."""

    def __init__(self, content: bytes, prefer: Backend = "litert") -> None:
        # The numpy reader validates the file whichever backend runs it: a
        # model LiteRT accepts but numpy cannot run would fail on musl only.
        self._numpy = NumpyModel(content)
        if self._numpy.input_shape != INPUT_SHAPE or self._numpy.output_shape != (1, 3):
            raise ModelError(
                f"model takes {self._numpy.input_shape} → {self._numpy.output_shape}; "
                f"this engine feeds {INPUT_SHAPE} → (1, 3)"
            )
        self._interp = _litert(content) if prefer == "litert" else None
        self.backend: Backend = "litert" if self._interp is not None else "numpy"
        if self._interp is not None:
            self._in = self._interp.get_input_details()[0]["index"]
            self._out = self._interp.get_output_details()[0]["index"]

    @classmethod
    def load(cls, path: Path = MODEL_PATH, prefer: Backend = "litert") -> Classifier:
        """Blocking file read: call it off the event loop."""
        try:
            content = path.read_bytes()
        except OSError as err:
            raise ModelError(f"cannot read the model {path}: {err.strerror or err}") from err
        return cls(content, prefer)

    def probs(self, window: NDArray[np.float32]) -> NDArray[np.float32]:
        x = window.reshape(INPUT_SHAPE)
        if self._interp is None:
            y: NDArray[np.float32] = self._numpy.run(x)[0]
            return y
        self._interp.set_tensor(self._in, np.ascontiguousarray(x, dtype=np.float32))
        self._interp.invoke()
        out: NDArray[np.float32] = np.asarray(self._interp.get_tensor(self._out)[0], dtype=np.float32)
        return out
