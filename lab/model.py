"""The network: a small CNN over CONTEXT_FRAMES × GRID_BINS Doppler frames → background / minor / major.

~28 k parameters (≈ 60 KB as float16), ~1.5 M multiply-adds per inference:
three 3×3-ish convolutions with max pooling, then two dense layers. Only
operators the integration's numpy executor implements (CONV_2D, MAX_POOL_2D,
RESHAPE, FULLY_CONNECTED, SOFTMAX, DEQUANTIZE).

With more frames (scripts/lab train --frames 40: a second, two or three
steps of a walker) the first convolution strides 2 × 2, so 40 frames cost
about what 12 do (~1.3 M multiply-adds, ~24 k parameters).
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
