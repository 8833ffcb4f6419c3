"""Imports run one way: base → engine → sim → (HA shell, satellite, lab). Read from the source, not by importing it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "custom_components.uspd"
# Rank of each layer: a module may import its own layer and those ranked below.
RANKS = {"base": 0, "engine": 1, "sim": 2, "shell": 3, "satellite": 3, "lab": 3}
# Beside the ranks: the lab's load benchmark runs satellites (the satellite never imports the lab).
ALLOWED = {("lab", "satellite")}
# Outside packages only some layers may use.
HOME_ASSISTANT = "homeassistant"
TENSORFLOW = "tensorflow"
# The MQTT client: the satellite talks to a broker; nothing below it does.
PAHO = "paho"


def layer_of(module: str) -> str | None:
    """The layer a dotted module name belongs to, None for anything outside uspd."""
    if module == "lab" or module.startswith("lab."):
        return "lab"
    if module == PACKAGE:
        return "shell"
    if not module.startswith(PACKAGE + "."):
        return None
    first = module.removeprefix(PACKAGE + ".").split(".")[0]
    return first if first in ("base", "engine", "sim", "satellite") else "shell"


def module_name(path: Path) -> str:
    """The dotted module name of a source file under ROOT."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(text: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute module) for every import in a module's text, relative ones resolved."""
    tree = ast.parse(text)
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            # `from . import x` may name a submodule: count both the package and the name.
            found.append((node.lineno, target))
            found.extend((node.lineno, f"{target}.{alias.name}") for alias in node.names)
    return found


def violations(relative: str, text: str) -> list[str]:
    """Each import in the file at `relative` (to the repository) that reaches above its layer, or outside it."""
    path = ROOT / relative
    module = module_name(path)
    own = layer_of(module)
    assert own is not None, relative
    problems = []
    for line, target in imported_modules(text, module, path.name == "__init__.py"):
        where = f"{relative}:{line} imports {target}"
        top = target.split(".")[0]
        if top == HOME_ASSISTANT and own != "shell":
            problems.append(f"{where}: only the HA shell imports Home Assistant")
        if top == TENSORFLOW and own != "lab":
            problems.append(f"{where}: only the lab imports TensorFlow")
        if top == PAHO and own in ("base", "engine", "sim"):
            problems.append(f"{where}: only the satellite (and what runs it) talks MQTT")
        other = layer_of(target)
        if other is None or other == own:
            continue
        if RANKS[other] >= RANKS[own] and (own, other) not in ALLOWED:
            problems.append(f"{where}: the {own} layer may not import the {other} layer")
    return problems


def sources() -> list[Path]:
    """Every Python file of the integration and the lab."""
    return sorted([*(ROOT / "custom_components" / "uspd").rglob("*.py"), *(ROOT / "lab").rglob("*.py")])


def test_every_layer_imports_only_those_below() -> None:
    files = sources()
    assert len(files) > 50  # the walk found the code
    assert {layer_of(module_name(p)) for p in files} == set(RANKS)
    problems = [
        problem
        for path in files
        for problem in violations(str(path.relative_to(ROOT)), path.read_text(encoding="utf-8"))
    ]
    assert problems == []


@pytest.mark.parametrize(
    ("where", "line", "why"),
    [
        ("custom_components/uspd/engine/x.py", "from ..sim.render import Renderer", "may not import the sim layer"),
        ("custom_components/uspd/engine/sources/x.py", "from ...sim import library", "may not import the sim layer"),
        ("custom_components/uspd/base/x.py", "from ..engine import rates", "may not import the engine layer"),
        ("custom_components/uspd/sim/x.py", "from .. import coordinator", "may not import the shell layer"),
        ("custom_components/uspd/sim/x.py", "import homeassistant.core", "only the HA shell imports Home Assistant"),
        ("custom_components/uspd/x.py", "import lab.eval", "may not import the lab layer"),
        ("lab/x.py", "from custom_components.uspd import coordinator", "may not import the shell layer"),
        ("custom_components/uspd/engine/x.py", "import tensorflow", "only the lab imports TensorFlow"),
        ("custom_components/uspd/satellite/x.py", "from homeassistant import core", "only the HA shell imports"),
        ("custom_components/uspd/satellite/x.py", "from .. import coordinator", "may not import the shell layer"),
        ("custom_components/uspd/x.py", "from .satellite import cli", "may not import the satellite layer"),
        ("custom_components/uspd/satellite/x.py", "import lab.soak", "may not import the lab layer"),
        ("custom_components/uspd/engine/x.py", "import paho.mqtt.client", "only the satellite"),
    ],
)
def test_the_check_catches_an_import_against_the_layers(where: str, line: str, why: str) -> None:
    """The check itself fails on each kind of violation."""
    problems = violations(where, line + "\n")
    assert any(why in p for p in problems), problems


def test_the_lab_imports_the_engine_without_home_assistant() -> None:
    """The lab's environment has no Home Assistant: lab/__init__.py's shim is the one place that handles it."""
    code = (
        "import sys; sys.modules['homeassistant'] = None\n"
        "import lab\n"
        "from custom_components.uspd.engine.pipeline import Engine\n"
        "from custom_components.uspd.sim.source import open_source\n"
        "import lab.realdata\n"
        "assert not any(m == 'homeassistant' or m.startswith('homeassistant.') for m in sys.modules"
        " if sys.modules[m] is not None)\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], check=False, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
