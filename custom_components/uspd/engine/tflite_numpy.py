"""A numpy executor for uspd's .tflite model, for where LiteRT cannot be installed.

LiteRT (ai-edge-litert) ships glibc wheels only; Home Assistant OS and its
container are musl. The flatbuffer is read with the pure-Python ``tflite``
package and the few operators the lab's model uses are implemented here,
with TFLite's semantics (NHWC tensors, OHWI filters, SAME padding split
low-side-first, fused activations, float16/int8 dequantisation). Anything
else is refused when the model is loaded, never half-run.
"""

from __future__ import annotations

import math
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
# Each writes to out where given (None: a fresh array).
_ACTIVATIONS: dict[int, Callable[[Array, Array | None], Array]] = {
    0: lambda x, out: x,
    1: lambda x, out: np.maximum(x, 0, out=out),
    2: lambda x, out: np.clip(x, -1, 1, out=out),
    3: lambda x, out: np.clip(x, 0, 6, out=out),
}


# Far above the model's largest tensor (12·128·8 floats); a damaged shape must not size an allocation.
MAX_TENSOR_ELEMENTS = 1 << 20


class ModelError(ValueError):
    """The .tflite file cannot be read or uses something this executor does not implement."""


def _activation(code: int, in_place: bool = False) -> Callable[[Array], Array]:
    """The fused activation; in_place writes over its argument (a product's fresh output, which nothing else holds)."""
    if code not in _ACTIVATIONS:
        raise ModelError(f"fused activation {code} is not supported")
    f = _ACTIVATIONS[code]
    return (lambda x: f(x, x)) if in_place else (lambda x: f(x, None))


def _pads(size: int, kernel: int, stride: int, padding: int) -> tuple[int, int, int]:
    """(output size, pad before, pad after) as TFLite computes them."""
    if padding == _VALID:
        return (size - kernel) // stride + 1, 0, 0
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return out, total // 2, total - total // 2


class _Im2col:
    """The rows a convolution multiplies: the input padded into a buffer kept per input shape, cut into windows.

    The same values in the same order as padding afresh (np.pad) and cutting,
    without allocating the padded copy, the windows' view or the rows on every
    frame: per input shape the padded buffer, its windows laid out as the rows
    want them, and the rows are made once and refilled.
    """

    def __init__(self, kh: int, kw: int, sh: int, sw: int, padding: int) -> None:
        self.kernel, self.stride, self.padding = (kh, kw), (sh, sw), padding
        self._buffers: dict[tuple[int, ...], tuple[Array, tuple[slice, slice], Array, Array]] = {}
        self._outside: dict[tuple[tuple[int, ...], int, int], Array] = {}

    def _buffer(self, shape: tuple[int, ...]) -> tuple[Array, tuple[slice, slice], Array, Array]:
        _, h, w, c = shape
        (kh, kw), (sh, sw) = self.kernel, self.stride
        oh, top, bottom = _pads(h, kh, sh, self.padding)
        ow, left, right = _pads(w, kw, sw, self.padding)
        padded = np.zeros((h + top + bottom, w + left + right, c), dtype=np.float32)
        # numpy's stubs take one axis; the function itself takes several.
        v = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw), axis=(0, 1))  # type: ignore[call-overload]
        windows = v[: oh * sh : sh, : ow * sw : sw].transpose(0, 1, 3, 4, 2)  # (OH, OW, kh, kw, C), a view
        rows = np.empty((oh * ow, kh * kw * c), dtype=np.float32)
        return padded, (slice(top, top + h), slice(left, left + w)), windows, rows

    def __call__(self, x: Array) -> Array:
        """(OH·OW, kh·kw·C) rows of x (1, H, W, C); refilled by the next call with this shape."""
        found = self._buffers.get(x.shape)
        if found is None:
            found = self._buffers[x.shape] = self._buffer(x.shape)
        padded, inside, windows, rows = found
        padded[inside] = x[0]  # the border stays zero: SAME padding
        np.copyto(rows.reshape(windows.shape), windows)
        return rows

    def outside(self, x: Array, lo: int, hi: int) -> Array:
        """The rows of the output rows before lo and from hi on only, in the same layout (refilled per call).

        Two slices copied into a buffer kept per (shape, lo, hi): indexing the windows by a list of
        rows costs several times more.
        """
        found = self._buffers.get(x.shape)
        if found is None:
            found = self._buffers[x.shape] = self._buffer(x.shape)
        padded, inside, windows, rows = found
        padded[inside] = x[0]
        key = (x.shape, lo, hi)
        part = self._outside.get(key)
        if part is None:
            part = self._outside[key] = np.empty((len(windows) - (hi - lo), *windows.shape[1:]), dtype=np.float32)
        np.copyto(part[:lo], windows[:lo])
        np.copyto(part[lo:], windows[hi:])
        return part.reshape(-1, rows.shape[1])


class _Matrix:
    """An OHWI filter as the (kh·kw·I, O) matrix the product takes, laid out once for stored weights."""

    def __init__(self) -> None:
        self._source: Array | None = None
        self._matrix: Array | None = None

    def __call__(self, w: Array) -> Array:
        if w is not self._source or self._matrix is None:
            self._source, self._matrix = w, np.ascontiguousarray(w.reshape(w.shape[0], -1).T)
        return self._matrix


def _windows(x: Array, kh: int, kw: int, sh: int, sw: int, padding: int, fill: float) -> Array:
    """(1, H, W, C) → (OH, OW, C, kh, kw) views of the padded input."""
    _, h, w, _ = x.shape
    oh, top, bottom = _pads(h, kh, sh, padding)
    ow, left, right = _pads(w, kw, sw, padding)
    padded = np.pad(x[0], ((top, bottom), (left, right), (0, 0)), constant_values=fill)
    # numpy's stubs take one axis; the function itself takes several.
    v: Array = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw), axis=(0, 1))  # type: ignore[call-overload]
    return v[: oh * sh : sh, : ow * sw : sw]


# One operator compiled: reads its inputs from the tensor list and writes its output there.
Run = Callable[[list[Array | None]], None]


class _Op:
    """One operator of the graph: its tensor indices and its builtin options table."""

    def __init__(self, ins: list[int], out: int, op: Any) -> None:
        self.ins, self.out, self._op = ins, out, op

    def options(self, cls: Any) -> Any:
        """The operator's options read as `cls` (a tflite options class)."""
        table = self._op.BuiltinOptions()
        o = cls()
        o.Init(table.Bytes, table.Pos)
        return o


def _dense(op: _Op, shapes: list[tuple[int, ...]]) -> Run:
    act = _activation(op.options(tflite.FullyConnectedOptions).FusedActivationFunction(), in_place=True)
    ins, out = op.ins, op.out
    if len(ins) < 2 or ins[1] < 0:
        raise ModelError("a dense layer needs weights")
    x, w = shapes[ins[0]], shapes[ins[1]]
    if len(w) != 2 or math.prod(x) % w[1] != 0 or shapes[out] != (math.prod(x) // w[1], w[0]):
        raise ModelError(f"a dense layer {w} cannot take {x} to {shapes[out]}")
    if len(ins) > 2 and ins[2] >= 0 and shapes[ins[2]] != (w[0],):
        raise ModelError(f"a dense layer's bias must be ({w[0]},), not {shapes[ins[2]]}")

    def run(t: list[Array | None]) -> None:
        x, w = t[ins[0]], t[ins[1]]
        assert x is not None
        assert w is not None
        b = t[ins[2]] if len(ins) > 2 and ins[2] >= 0 else None
        y = x.reshape(-1, w.shape[1]) @ w.T
        if b is not None:
            y += b
        t[out] = act(y).astype(np.float32, copy=False)

    return run


def _softmax(op: _Op, shapes: list[tuple[int, ...]]) -> Run:
    beta = op.options(tflite.SoftmaxOptions).Beta()
    src, out = op.ins[0], op.out
    if shapes[src] != shapes[out]:
        raise ModelError(f"a softmax of {shapes[src]} cannot give {shapes[out]}")

    def run(t: list[Array | None]) -> None:
        x = t[src]
        assert x is not None
        # The reductions as ufunc calls: the methods' Python wrappers cost more than three values' arithmetic.
        e = np.exp(beta * (x - np.maximum.reduce(x, axis=-1, keepdims=True)))
        t[out] = (e / np.add.reduce(e, axis=-1, keepdims=True)).astype(np.float32, copy=False)

    return run


def _one_subgraph(model: Any) -> Any:
    if model.SubgraphsLength() != 1:
        raise ModelError(f"expected one subgraph, found {model.SubgraphsLength()}")
    return model.Subgraphs(0)


class NumpyModel:
    """Load once, then run(x) → output, like an interpreter with one input and one output.

    One caller at a time (one per engine, as an interpreter): it keeps the
    last run's input and outputs to reuse, and its buffers.
    """

    def __init__(self, content: bytes) -> None:
        try:
            self._load(content)
            # Every operator's shapes were checked; one inference proves the graph runs and ends where it says.
            y = self.run(np.zeros(self.input_shape, dtype=np.float32))
        except ModelError:
            raise
        except Exception as err:  # a corrupt flatbuffer raises anything from struct.error to IndexError
            raise ModelError(f"not a readable .tflite model: {err}") from err
        if y.shape != self.output_shape:
            raise ModelError(f"the model computes {y.shape} where it declares {self.output_shape}")
        if not np.all(np.isfinite(y)):
            raise ModelError("the model's output is not finite")

    def _load(self, content: bytes) -> None:
        # The engine's window moves by one frame (the first axis of rows) per inference: where this
        # input's rows are the last one's moved up by one, a convolution recomputes only the rows
        # that changed. Per run: tensor → (shift, lo, hi): its rows lo…hi-1 are the last run's
        # rows lo+shift…hi+shift-1. Reused rows are the very values computed before.
        self._shifted: dict[int, tuple[int, int, int]] = {}
        self._last_input: Array | None = None
        model = tflite.Model.GetRootAs(content, 0)
        self._graph = _one_subgraph(model)
        self._count = self._graph.TensorsLength()
        self._shapes = [self._declared_shape(i) for i in range(self._count)]
        self._tensors = [self._constant(model, i) for i in range(self._count)]
        inputs, outputs = self._graph.InputsAsNumpy(), self._graph.OutputsAsNumpy()
        if len(inputs) != 1 or len(outputs) != 1:
            raise ModelError("expected one input and one output tensor")
        self._input, self._output = self._index(inputs[0]), self._index(outputs[0])
        self.input_shape = self._shapes[self._input]
        self.output_shape = self._shapes[self._output]
        compiled = [self._compile(model, self._graph.Operators(i)) for i in range(self._graph.OperatorsLength())]
        self._ops = [op for op in compiled if op is not None]

    def _index(self, index: Any, optional: bool = False) -> int:
        """A tensor index from the file, checked: -1 only where an input is optional."""
        i = int(index)
        if not (0 <= i < self._count or (optional and i == -1)):
            raise ModelError(f"tensor index {i} out of range (the model has {self._count})")
        return i

    def _declared_shape(self, index: int) -> tuple[int, ...]:
        t = self._graph.Tensors(index)
        shape = tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else ()
        if any(d < 1 for d in shape) or math.prod(shape) > MAX_TENSOR_ELEMENTS:
            raise ModelError(f"tensor {index} has an impossible shape {shape}")
        return shape

    def _expect(self, what: str, got: tuple[int, ...], index: int) -> None:
        if got != self._shapes[index]:
            raise ModelError(f"{what} gives {got} where tensor {index} declares {self._shapes[index]}")

    def _constant(self, model: Any, index: int) -> Array | None:
        t = self._graph.Tensors(index)
        if t.Type() not in _DTYPES:
            raise ModelError(f"tensor {t.Name().decode()} has unsupported type {t.Type()}")
        buf = model.Buffers(t.Buffer())
        if buf is None or buf.DataLength() == 0:
            return None
        value = np.frombuffer(buf.DataAsNumpy().tobytes(), dtype=_DTYPES[t.Type()]).reshape(self._shapes[index])
        if np.issubdtype(value.dtype, np.floating) and not np.all(np.isfinite(value)):
            raise ModelError(f"tensor {index} holds non-finite weights")
        return value

    def _quant(self, index: int) -> tuple[float, int]:
        q = self._graph.Tensors(index).Quantization()
        if q is None or q.ScaleLength() == 0:
            return 1.0, 0
        if q.ScaleLength() != 1:
            raise ModelError("per-channel quantisation is not supported")
        return float(q.Scale(0)), int(q.ZeroPoint(0))

    def _compile(self, model: Any, op: Any) -> Run | None:
        """The operator as a function of the tensor list, or None when it was folded into a constant."""
        code = model.OperatorCodes(op.OpcodeIndex())
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        B = tflite.BuiltinOperator
        builders: dict[int, Callable[[_Op], Run | None]] = {
            B.DEQUANTIZE: self._dequantize,
            B.CONV_2D: self._conv,
            B.MAX_POOL_2D: self._max_pool,
            B.RESHAPE: self._reshape,
            B.FULLY_CONNECTED: lambda op: _dense(op, self._shapes),
            B.SOFTMAX: lambda op: _softmax(op, self._shapes),
        }
        if builtin not in builders:
            names = {v: k for k, v in vars(B).items() if not k.startswith("_")}
            raise ModelError(f"operator {names.get(builtin, builtin)} is not supported by the numpy executor")
        ins = [self._index(i, optional=n > 0) for n, i in enumerate(op.InputsAsNumpy())]
        outs = op.OutputsAsNumpy()
        if len(ins) == 0 or len(outs) != 1:
            raise ModelError("an operator must have inputs and one output")
        return builders[builtin](_Op(ins, self._index(outs[0]), op))

    def _dequantize(self, op: _Op) -> Run | None:
        scale, zero = self._quant(op.ins[0])
        if not math.isfinite(scale):
            raise ModelError(f"tensor {op.ins[0]} has a non-finite quantisation scale")
        src, out = op.ins[0], op.out

        def run(t: list[Array | None]) -> None:
            x = t[src]
            assert x is not None
            t[out] = ((x.astype(np.float32) - zero) * scale).astype(np.float32)

        self._expect("dequantising", self._shapes[src], out)
        if self._tensors[src] is not None:
            # Stored weights: dequantised once here, not on every frame.
            run(self._tensors)
            if not np.all(np.isfinite(self._tensors[out])):  # type: ignore[arg-type]
                raise ModelError(f"tensor {src} dequantises to non-finite weights")
            return None
        return run

    def _conv(self, op: _Op) -> Run:
        o = op.options(tflite.Conv2DOptions)
        if o.DilationHFactor() != 1 or o.DilationWFactor() != 1:
            raise ModelError("dilated convolutions are not supported")
        act = _activation(o.FusedActivationFunction(), in_place=True)
        if len(op.ins) < 2 or op.ins[1] < 0:
            raise ModelError("a convolution needs a filter")
        x, kernel = self._shapes[op.ins[0]], self._shapes[op.ins[1]]
        if len(x) != 4 or len(kernel) != 4 or x[0] != 1 or kernel[3] != x[3]:
            raise ModelError(f"a convolution of {x} by an OHWI filter {kernel} is not supported")
        sh, sw = o.StrideH(), o.StrideW()
        if sh < 1 or sw < 1 or o.Padding() not in (_SAME, _VALID):
            raise ModelError("a convolution's strides and padding are not valid")
        oh, ow = _pads(x[1], kernel[1], sh, o.Padding())[0], _pads(x[2], kernel[2], sw, o.Padding())[0]
        if oh < 1 or ow < 1 or oh * ow * kernel[1] * kernel[2] * x[3] > MAX_TENSOR_ELEMENTS:
            raise ModelError(f"a convolution of {x} by {kernel} is out of bounds")
        self._expect("a convolution", (1, oh, ow, kernel[0]), op.out)
        if len(op.ins) > 2 and op.ins[2] >= 0 and self._shapes[op.ins[2]] != (kernel[0],):
            raise ModelError(f"a convolution's bias must be ({kernel[0]},), not {self._shapes[op.ins[2]]}")
        im2col = _Im2col(kernel[1], kernel[2], sh, sw, o.Padding())
        weights = _Matrix()
        out_shape = (1, oh, ow, kernel[0])
        ins, out = op.ins, op.out
        kh, top = kernel[1], _pads(x[1], kernel[1], sh, o.Padding())[1]
        shifted = self._shifted
        last: list[Array | None] = [None, None, None]  # this operator's output, filter and bias in the last run

        def reused(x: Array, w: Array, b: Array | None) -> Array | None:
            """The output, computing only the rows the shift changed; None where nothing can be reused."""
            found = shifted.get(ins[0])
            previous = last[0]
            if found is None or previous is None or sh != 1 or w is not last[1] or b is not last[2]:
                return None
            s, lo, hi = found
            # Output row r reads input rows r - top … r - top + kh - 1: all of them must be ones that shifted.
            lo_out, hi_out = max(lo + top, 0), min(hi - kh + 1 + top, oh - s)
            if hi_out <= lo_out:
                return None
            y = np.empty(out_shape, dtype=np.float32)
            y[0, lo_out:hi_out] = previous[0, lo_out + s : hi_out + s]
            if hi_out - lo_out < oh:  # the rows before lo_out and from hi_out on are computed
                part = im2col.outside(x, lo_out, hi_out) @ weights(w)
                if b is not None:
                    part += b
                fresh = act(part).reshape(-1, ow, kernel[0])
                y[0, :lo_out] = fresh[:lo_out]
                y[0, hi_out:] = fresh[lo_out:]
            shifted[out] = (s, lo_out, hi_out)
            return y

        def run(t: list[Array | None]) -> None:
            x, w = t[ins[0]], t[ins[1]]
            assert x is not None
            assert w is not None
            b = t[ins[2]] if len(ins) > 2 and ins[2] >= 0 else None
            x = np.asarray(x, dtype=np.float32)
            y = reused(x, w, b)
            if y is None:
                y = im2col(x) @ weights(w)
                if b is not None:
                    y += b
                y = act(y).reshape(out_shape).astype(np.float32, copy=False)
            t[out] = last[0] = y
            last[1], last[2] = w, b

        return run

    def _max_pool(self, op: _Op) -> Run:
        o = op.options(tflite.Pool2DOptions)
        act = _activation(o.FusedActivationFunction())
        kh, kw, sh, sw, pad = o.FilterHeight(), o.FilterWidth(), o.StrideH(), o.StrideW(), o.Padding()
        src, out = op.ins[0], op.out
        x = self._shapes[src]
        if len(x) != 4 or x[0] != 1 or min(kh, kw, sh, sw) < 1 or pad not in (_SAME, _VALID):
            raise ModelError(f"a max-pool {kh}×{kw}/{sh}×{sw} of {x} is not supported")
        oh, ow = _pads(x[1], kh, sh, pad)[0], _pads(x[2], kw, sw, pad)[0]
        if oh < 1 or ow < 1 or oh * ow * kh * kw * x[3] > MAX_TENSOR_ELEMENTS:
            raise ModelError(f"a max-pool of {x} is out of bounds")
        self._expect("a max-pool", (1, oh, ow, x[3]), out)
        shifted = self._shifted

        def run(t: list[Array | None]) -> None:
            x = t[src]
            assert x is not None
            if kh == 1 and sh == 1 and src in shifted:  # each output row is its own input row's
                shifted[out] = shifted[src]
            _, h, w, _ = x.shape
            if (kh, kw) == (sh, sw) and (pad == _VALID or (h % kh == 0 and w % kw == 0)):
                # Tiles that do not overlap: the maximum of kh·kw strided slices, no windows (the same maxima).
                oh, ow = h // kh, w // kw
                y = x[0, 0 : oh * kh : kh, 0 : ow * kw : kw]
                for i in range(kh):
                    for j in range(kw):
                        if i or j:
                            y = np.maximum(y, x[0, i : oh * kh : kh, j : ow * kw : kw])
                t[out] = act(y)[None]
                return
            t[out] = act(_windows(x, kh, kw, sh, sw, pad, -np.inf).max(axis=(3, 4)))[None]

        return run

    def _reshape(self, op: _Op) -> Run:
        shape = list(self._shapes[op.out])
        src, out = op.ins[0], op.out
        if math.prod(self._shapes[src]) != math.prod(shape):
            raise ModelError(f"reshaping {self._shapes[src]} to {tuple(shape)}")

        def run(t: list[Array | None]) -> None:
            x = t[src]
            assert x is not None
            t[out] = x.reshape(shape)

        return run

    def run(self, x: Array) -> NDArray[np.float32]:
        """The model's output for one input of input_shape (float32)."""
        if tuple(x.shape) != self.input_shape:
            raise ValueError(f"model input must be {self.input_shape}, got {tuple(x.shape)}")
        tensors: list[Array | None] = list(self._tensors)
        x = tensors[self._input] = np.asarray(x, dtype=np.float32)
        last, self._last_input = self._last_input, None  # a run that raises leaves nothing to reuse
        self._shifted.clear()
        if last is not None and x.ndim > 1 and x.shape[1] > 1 and (x[0, :-1] == last[0, 1:]).all():
            self._shifted[self._input] = (1, 0, x.shape[1] - 1)
        for op in self._ops:
            op(tensors)
        y = tensors[self._output]
        assert y is not None
        self._last_input = x.copy()
        return np.asarray(y, dtype=np.float32)
