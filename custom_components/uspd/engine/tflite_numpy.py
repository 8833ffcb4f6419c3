"""A numpy executor for uspd's .tflite model, for where LiteRT cannot be installed.

LiteRT (ai-edge-litert) ships glibc wheels only; Home Assistant OS and its
container are musl. The flatbuffer is read with the pure-Python ``tflite``
package and the few operators the lab's model uses are implemented here,
with TFLite's semantics (NHWC tensors, OHWI filters, SAME padding split
low-side-first, fused activations, float16/int8 dequantisation). Anything
else is refused when the model is loaded, never half-run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import tflite  # type: ignore[import-untyped]
from numpy.typing import NDArray

Array = NDArray[Any]

# TensorType codes (schema.fbs).
_DTYPES: dict[int, type[np.generic]] = {
    0: np.float32,
    1: np.float16,
    2: np.int32,
    3: np.uint8,
    4: np.int64,
    9: np.int8,
}
_SAME, _VALID = 0, 1
_ACTIVATIONS: dict[int, Callable[[Array], Array]] = {
    0: lambda x: x,
    1: lambda x: np.maximum(x, 0),
    2: lambda x: np.clip(x, -1, 1),
    3: lambda x: np.clip(x, 0, 6),
}


class ModelError(ValueError):
    """The .tflite file cannot be read or uses something this executor does not implement."""


def _activation(code: int) -> Callable[[Array], Array]:
    if code not in _ACTIVATIONS:
        raise ModelError(f"fused activation {code} is not supported")
    return _ACTIVATIONS[code]


def _pads(size: int, kernel: int, stride: int, padding: int) -> tuple[int, int, int]:
    """(output size, pad before, pad after) as TFLite computes them."""
    if padding == _VALID:
        return (size - kernel) // stride + 1, 0, 0
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return out, total // 2, total - total // 2


def _windows(x: Array, kh: int, kw: int, sh: int, sw: int, padding: int, fill: float) -> Array:
    """(1, H, W, C) → (OH, OW, C, kh, kw) views of the padded input."""
    _, h, w, _ = x.shape
    oh, top, bottom = _pads(h, kh, sh, padding)
    ow, left, right = _pads(w, kw, sw, padding)
    padded = np.pad(x[0], ((top, bottom), (left, right), (0, 0)), constant_values=fill)
    # numpy's stubs take one axis; the function itself takes several.
    v: Array = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw), axis=(0, 1))  # type: ignore[call-overload]
    return v[: oh * sh : sh, : ow * sw : sw]


class NumpyModel:
    """Load once, then run(x) → output, like an interpreter with one input and one output."""

    def __init__(self, content: bytes) -> None:
        try:
            model = tflite.Model.GetRootAs(content, 0)
            if model.SubgraphsLength() != 1:
                raise ModelError(f"expected one subgraph, found {model.SubgraphsLength()}")
            self._graph = model.Subgraphs(0)
            self._tensors = [self._constant(model, i) for i in range(self._graph.TensorsLength())]
            self._ops = [self._compile(model, self._graph.Operators(i)) for i in range(self._graph.OperatorsLength())]
        except ModelError:
            raise
        except Exception as err:  # a corrupt flatbuffer raises anything from struct.error to IndexError
            raise ModelError(f"not a readable .tflite model: {err}") from err
        inputs, outputs = self._graph.InputsAsNumpy(), self._graph.OutputsAsNumpy()
        if len(inputs) != 1 or len(outputs) != 1:
            raise ModelError("expected one input and one output tensor")
        self._input, self._output = int(inputs[0]), int(outputs[0])
        t = self._graph.Tensors(self._input)
        self.input_shape = tuple(int(d) for d in t.ShapeAsNumpy())
        self.output_shape = tuple(int(d) for d in self._graph.Tensors(self._output).ShapeAsNumpy())

    def _constant(self, model: Any, index: int) -> Array | None:
        t = self._graph.Tensors(index)
        if t.Type() not in _DTYPES:
            raise ModelError(f"tensor {t.Name().decode()} has unsupported type {t.Type()}")
        buf = model.Buffers(t.Buffer())
        if buf is None or buf.DataLength() == 0:
            return None
        shape = [int(d) for d in t.ShapeAsNumpy()] if t.ShapeLength() else []
        return np.frombuffer(buf.DataAsNumpy().tobytes(), dtype=_DTYPES[t.Type()]).reshape(shape)

    def _quant(self, index: int) -> tuple[float, int]:
        q = self._graph.Tensors(index).Quantization()
        if q is None or q.ScaleLength() == 0:
            return 1.0, 0
        if q.ScaleLength() != 1:
            raise ModelError("per-channel quantisation is not supported")
        return float(q.Scale(0)), int(q.ZeroPoint(0))

    def _compile(self, model: Any, op: Any) -> Callable[[list[Array | None]], None]:
        code = model.OperatorCodes(op.OpcodeIndex())
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        ins = [int(i) for i in op.InputsAsNumpy()]
        out = int(op.OutputsAsNumpy()[0])
        table = op.BuiltinOptions()
        B = tflite.BuiltinOperator

        def options(cls: Any) -> Any:
            o = cls()
            o.Init(table.Bytes, table.Pos)
            return o

        if builtin == B.DEQUANTIZE:
            scale, zero = self._quant(ins[0])

            def run(t: list[Array | None]) -> None:
                x = t[ins[0]]
                assert x is not None
                t[out] = ((x.astype(np.float32) - zero) * scale).astype(np.float32)

            return run
        if builtin == B.CONV_2D:
            o = options(tflite.Conv2DOptions)
            if o.DilationHFactor() != 1 or o.DilationWFactor() != 1:
                raise ModelError("dilated convolutions are not supported")
            act = _activation(o.FusedActivationFunction())
            sh, sw, pad = o.StrideH(), o.StrideW(), o.Padding()

            def run(t: list[Array | None]) -> None:
                x, w = t[ins[0]], t[ins[1]]
                assert x is not None
                assert w is not None
                b = t[ins[2]] if len(ins) > 2 and ins[2] >= 0 else None
                oc, kh, kw, ic = w.shape
                v = _windows(x, kh, kw, sh, sw, pad, 0.0)  # (OH, OW, C, kh, kw)
                oh, ow = v.shape[:2]
                cols = v.transpose(0, 1, 3, 4, 2).reshape(oh * ow, kh * kw * ic)
                y = cols @ w.reshape(oc, -1).T
                if b is not None:
                    y = y + b
                t[out] = act(y).reshape(1, oh, ow, oc).astype(np.float32)

            return run
        if builtin == B.MAX_POOL_2D:
            o = options(tflite.Pool2DOptions)
            act = _activation(o.FusedActivationFunction())
            kh, kw, sh, sw, pad = o.FilterHeight(), o.FilterWidth(), o.StrideH(), o.StrideW(), o.Padding()

            def run(t: list[Array | None]) -> None:
                x = t[ins[0]]
                assert x is not None
                t[out] = act(_windows(x, kh, kw, sh, sw, pad, -np.inf).max(axis=(3, 4)))[None]

            return run
        if builtin == B.RESHAPE:
            shape = [int(d) for d in self._graph.Tensors(out).ShapeAsNumpy()]

            def run(t: list[Array | None]) -> None:
                x = t[ins[0]]
                assert x is not None
                t[out] = x.reshape(shape)

            return run
        if builtin == B.FULLY_CONNECTED:
            o = options(tflite.FullyConnectedOptions)
            act = _activation(o.FusedActivationFunction())

            def run(t: list[Array | None]) -> None:
                x, w = t[ins[0]], t[ins[1]]
                assert x is not None
                assert w is not None
                b = t[ins[2]] if len(ins) > 2 and ins[2] >= 0 else None
                y = x.reshape(-1, w.shape[1]) @ w.T
                if b is not None:
                    y = y + b
                t[out] = act(y).astype(np.float32)

            return run
        if builtin == B.SOFTMAX:
            beta = options(tflite.SoftmaxOptions).Beta()

            def run(t: list[Array | None]) -> None:
                x = t[ins[0]]
                assert x is not None
                e = np.exp(beta * (x - x.max(axis=-1, keepdims=True)))
                t[out] = (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)

            return run
        names = {v: k for k, v in vars(B).items() if not k.startswith("_")}
        raise ModelError(f"operator {names.get(builtin, builtin)} is not supported by the numpy executor")

    def run(self, x: Array) -> NDArray[np.float32]:
        if tuple(x.shape) != self.input_shape:
            raise ValueError(f"model input must be {self.input_shape}, got {tuple(x.shape)}")
        tensors: list[Array | None] = list(self._tensors)
        tensors[self._input] = np.asarray(x, dtype=np.float32)
        for op in self._ops:
            op(tensors)
        y = tensors[self._output]
        assert y is not None
        return np.asarray(y, dtype=np.float32)
