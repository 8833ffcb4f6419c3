"""The network: a small CNN over frames × GRID_BINS Doppler frames (CONTEXT_FRAMES as shipped) → 3 classes.

~28 k parameters (≈ 60 KB as float16), ~1.5 M multiply-adds per inference:
three 3×3-ish convolutions with max pooling, then two dense layers. Only
operators the integration's numpy executor implements (CONV_2D, MAX_POOL_2D,
RESHAPE, FULLY_CONNECTED, SOFTMAX, DEQUANTIZE).

With more frames (scripts/lab train --frames 40: a second, about two of a
walker's steps) the first convolution strides 2 × 2, halving the first
layer's speed resolution, so 40 frames take fewer multiply-adds than 12
(1.28 M, 24 227 parameters). The numpy executor reuses the shipped model's
rows from the last frame (its first layer does not stride), so on windows
each a frame newer, as the engine asks it, the strided model takes more
time all the same (lab.bench_model; lab/README.md, training).
"""

from __future__ import annotations

import keras

import lab  # noqa: F401
from custom_components.uspd.engine.features import CONTEXT_FRAMES, GRID_BINS

CLASSES = ("background", "minor", "major")


def build(batch_size: int | None = None, frames: int = CONTEXT_FRAMES) -> keras.Model:
    """batch_size=1 for conversion: a fixed shape keeps shape arithmetic (SHAPE, PACK…) out of the .tflite."""
    inp = keras.Input((frames, GRID_BINS, 1), batch_size=batch_size, name="doppler")
    stride = (1, 1) if frames <= CONTEXT_FRAMES else (2, 2)
    x = keras.layers.Conv2D(8, (3, 5), strides=stride, padding="same", activation="relu")(inp)
    x = keras.layers.MaxPooling2D((1, 2))(x)
    x = keras.layers.Conv2D(16, (3, 3), padding="same", activation="relu")(x)
    x = keras.layers.MaxPooling2D((2, 2))(x)
    x = keras.layers.Conv2D(16, (3, 3), padding="same", activation="relu")(x)
    x = keras.layers.MaxPooling2D((2, 2))(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(32, activation="relu")(x)
    x = keras.layers.Dropout(0.2)(x)
    out = keras.layers.Dense(len(CLASSES), activation="softmax", name="classes")(x)
    return keras.Model(inp, out)
