"""The lab commands' --model: a .tflite the engine would run, or argparse's one-line refusal."""

from __future__ import annotations

import argparse
from pathlib import Path

import lab  # noqa: F401
from custom_components.uspd.engine.classifier import Classifier, ModelError


def tflite(text: str) -> Path:
    """The path, once the engine's own loader takes the file (what it feeds, what it runs): argparse's type."""
    path = Path(text)
    try:
        Classifier.load(path, prefer="numpy")
    except ModelError as err:
        message = str(err)  # names the path where the file could not be read; the engine's reason alone otherwise
        raise argparse.ArgumentTypeError(message if str(path) in message else f"{path}: {message}") from err
    return path
