#!/usr/bin/env python3
"""Build the satellite's wheel from this clone with the standard library only: ``build_wheel.py --out DIR``.

The wheel's import package ``uspd`` holds copies of custom_components/uspd's
layers that never import Home Assistant (base, engine, sim, satellite) and
its model: importing anything under ``custom_components.uspd`` would run the
integration's ``__init__.py``, which does. Its requirements are the
integration's (manifest.json) plus satellite/requirements.txt. The same
clone gives the same bytes: fixed times and modes, sorted entries.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import json
import os
import re
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Both relative to the clone's root.
SOURCE = Path("custom_components", "uspd")
EXTRA_REQUIREMENTS = Path("satellite", "requirements.txt")
DISTRIBUTION = "uspd-satellite"
PACKAGE = "uspd"
# The Home Assistant-free layers (tests/test_layers.py keeps them so); each is copied as its .py files.
LAYERS = ("base", "engine", "sim", "satellite")
# Copied whole: the classifier finds it beside the engine (engine/classifier.py's MODEL_PATH).
DATA = ("model",)
# Raspberry Pi OS on Debian 13 has 3.13; base, engine and sim keep to its syntax.
REQUIRES_PYTHON = ">=3.13"
PIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9.+!_-]+")
# The zip format's earliest date; SOURCE_DATE_EPOCH (reproducible builds' convention) overrides it.
EPOCH = (1980, 1, 1, 0, 0, 0)
CONSOLE_SCRIPT = "uspd = uspd.satellite.cli:main"
INIT = '"""uspd without Home Assistant: the engine, the simulated room and the MQTT satellite (`uspd satellite`)."""\n'
MAIN = '''"""``python -m uspd`` is the ``uspd`` command: ``uspd detect`` and ``uspd satellite``."""

import sys

from .satellite.cli import main

sys.exit(main())
'''


class BuildError(Exception):
    """The clone cannot make a wheel, said in one line."""


def version(root: Path = ROOT) -> str:
    """The release version: manifest.json's, as for the integration."""
    return str(_manifest(root)["version"])


def requirements(root: Path = ROOT) -> list[str]:
    """Every pin the satellite needs: manifest.json's requirements, then satellite/requirements.txt's."""
    pins = [str(r) for r in _manifest(root)["requirements"]]
    extra = root / EXTRA_REQUIREMENTS
    try:
        lines = extra.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise BuildError(f"{extra}: {err.strerror}") from err
    pins += [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    for pin in pins:
        if not PIN.fullmatch(pin):
            raise BuildError(f"requirement {pin!r} is not pinned as NAME==VERSION")
    return pins


def package_files(root: Path = ROOT) -> dict[str, bytes]:
    """The import package's files by their path in the wheel: the layers' sources, the model, two small modules."""
    source = root / SOURCE
    files = {f"{PACKAGE}/__init__.py": INIT.encode(), f"{PACKAGE}/__main__.py": MAIN.encode()}
    for folder, pattern in [*((layer, "*.py") for layer in LAYERS), *((data, "*") for data in DATA)]:
        found = [p for p in sorted((source / folder).rglob(pattern)) if p.is_file() and _shipped(p.relative_to(source))]
        if not found:
            raise BuildError(f"{source / folder}: nothing to package")
        for path in found:
            files[f"{PACKAGE}/{path.relative_to(source).as_posix()}"] = path.read_bytes()
    return files


def metadata(root: Path = ROOT) -> str:
    """The METADATA file (core metadata 2.1, which every pip reads)."""
    manifest = _manifest(root)
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {DISTRIBUTION}",
        f"Version: {manifest['version']}",
        "Summary: uspd satellite: ultrasonic presence detection for one room, published to Home Assistant by MQTT",
        f"Home-page: {manifest['documentation']}",
        "License: MIT",
        f"Requires-Python: {REQUIRES_PYTHON}",
        *(f"Requires-Dist: {pin}" for pin in requirements(root)),
    ]
    return "\n".join(lines) + "\n"


def wheel_name(root: Path = ROOT) -> str:
    """The wheel's file name (a pure-Python wheel for any Python 3)."""
    return f"{DISTRIBUTION.replace('-', '_')}-{version(root)}-py3-none-any.whl"


def build(out: Path, root: Path = ROOT) -> Path:
    """Write the wheel into `out` (made if missing) and return its path; the same clone gives the same bytes."""
    dist_info = f"{DISTRIBUTION.replace('-', '_')}-{version(root)}.dist-info"
    entries = dict(sorted(package_files(root).items()))
    entries[f"{dist_info}/METADATA"] = metadata(root).encode()
    entries[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: uspd satellite/build_wheel.py\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    entries[f"{dist_info}/entry_points.txt"] = f"[console_scripts]\n{CONSOLE_SCRIPT}\n".encode()
    record = f"{dist_info}/RECORD"
    entries[record] = _record(entries, record)
    path = out / wheel_name(root)
    try:
        out.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as wheel:
            for name, data in entries.items():
                info = zipfile.ZipInfo(name, _date_time())
                info.create_system = 3  # Unix, so that the mode below is read
                info.external_attr = 0o100644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                wheel.writestr(info, data, compresslevel=9)
        partial.replace(path)
    except OSError as err:
        raise BuildError(f"cannot write the wheel in {out}: {err.strerror or err}") from err
    return path


def _shipped(path: Path) -> bool:
    """Not bytecode, not a hidden file (an editor's, the Finder's)."""
    return not any(part == "__pycache__" or part.startswith(".") for part in path.parts)


def _record(entries: dict[str, bytes], record: str) -> bytes:
    """RECORD: each file's urlsafe-base64 sha256 and size; RECORD itself is listed without them."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    for name, data in entries.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        writer.writerow([name, f"sha256={digest}", len(data)])
    writer.writerow([record, "", ""])
    return text.getvalue().encode()


def _date_time() -> tuple[int, int, int, int, int, int]:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not epoch.isdigit():
        return EPOCH
    return max(EPOCH, time.gmtime(int(epoch))[:6])


def _manifest(root: Path) -> dict[str, Any]:
    path = root / SOURCE / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise BuildError(f"{path}: {err.strerror}") from err
    except ValueError as err:
        raise BuildError(f"{path}: not JSON ({err})") from err
    if not isinstance(manifest, dict) or "version" not in manifest or "requirements" not in manifest:
        raise BuildError(f"{path}: no version or requirements")
    return manifest


def main(argv: list[str] | None = None) -> int:
    """Build the wheel and print its path; a one-line error and exit status 1 if it cannot."""
    parser = argparse.ArgumentParser(prog="build_wheel.py", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="the folder to write the wheel into")
    args = parser.parse_args(argv)
    try:
        print(build(args.out))
    except BuildError as err:
        print(f"build_wheel.py: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
