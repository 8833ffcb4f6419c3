"""The lab: training, rare-event mining, evaluation and benchmarks (never shipped).

The lab's own environment (Python 3.13 + TensorFlow, ``USPD_LAB=1
scripts/env``) has no Home Assistant, and importing
``custom_components.uspd`` runs the integration's ``__init__``, which imports
it. The engine and the simulator never need it, so where Home Assistant is
missing the package is registered as a bare namespace and only its
subpackages are imported.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

PACKAGE = "custom_components.uspd"
PACKAGE_DIR = Path(__file__).resolve().parent.parent / "custom_components" / "uspd"

if importlib.util.find_spec("homeassistant") is None and PACKAGE not in sys.modules:
    _pkg = types.ModuleType(PACKAGE)
    _pkg.__path__ = [str(PACKAGE_DIR)]
    sys.modules[PACKAGE] = _pkg
