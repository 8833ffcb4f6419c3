"""The lab commands' --model: a .tflite the engine would run, or argparse's one-line refusal."""

from __future__ import annotations

import argparse
from pathlib import Path

import lab  # noqa: F401
from custom_components.uspd.engine.classifier import Classifier, ModelError


def tflite(text: str) -> Path:
    """The path, once the engine's own reader takes the file (what it feeds, what it runs): argparse's type."""
    path = Path(text)
    try:
        Classifier(path.read_bytes(), prefer="numpy")
    except OSError as err:
        raise argparse.ArgumentTypeError(f"cannot read the model {path}: {err.strerror or err}") from err
    except ModelError as err:
        raise argparse.ArgumentTypeError(f"{path}: {err}") from err
    return path
