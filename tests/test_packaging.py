"""What hassfest and HACS would check, mirrored here (neither runs on this machine)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "custom_components" / "uspd"
MANIFEST = json.loads((PACKAGE / "manifest.json").read_text())
HACS_KEYS = {
    "name",
    "content_in_root",
    "country",
    "filename",
    "hacs",
    "hide_default_branch",
    "homeassistant",
    "persistent_directory",
    "render_readme",
    "zip_release",
}


def test_manifest_keys_and_order() -> None:
    keys = list(MANIFEST)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    assert MANIFEST["domain"] == PACKAGE.name == "uspd"
    assert MANIFEST["config_flow"] is True
    assert MANIFEST["integration_type"] == "device"
    assert MANIFEST["iot_class"] == "local_push"
    assert MANIFEST["documentation"].startswith("https://")
    assert re.fullmatch(r"\d+\.\d+\.\d+", MANIFEST["version"])
    for req in MANIFEST["requirements"]:
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[\w.]+", req), f"{req} is not pinned"
        assert not req.lower().startswith("voluptuous")


def test_runtime_requirements_are_what_the_tests_install() -> None:
    pins = {
        line.strip()
        for line in (ROOT / "requirements_test.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert set(MANIFEST["requirements"]) <= pins


def _keys(tree: dict[str, Any], prefix: str = "") -> set[str]:
    """Every key path in a nested mapping, dotted."""
    out: set[str] = set()
    for k, v in tree.items():
        out |= _keys(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}"}
    return out


def test_translations_match_strings() -> None:
    strings = json.loads((PACKAGE / "strings.json").read_text())
    en = json.loads((PACKAGE / "translations" / "en.json").read_text())
    assert _keys(en) == _keys(strings)


def test_every_error_reason_is_translated() -> None:
    strings = json.loads((PACKAGE / "strings.json").read_text())
    translated = set(strings["config"]["error"]) | set(strings["config"]["abort"])
    code = "\n".join(p.read_text() for p in PACKAGE.rglob("*.py"))
    reasons = set(re.findall(r'SourceError\(\s*"(\w+)"', code))
    # Raised only by the running worker (entities turn unavailable), never shown by the config flow.
    assert reasons - {"engine_failed", "device_lost", "no_audio"} <= translated


def test_hacs_json_and_brand() -> None:
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert "name" in hacs
    assert set(hacs) <= HACS_KEYS
    assert (PACKAGE / "brand" / "icon.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "MIT License" in (ROOT / "LICENSE").read_text()


PLATFORMS = {
    "musllinux x86_64": ["musllinux_1_2_x86_64"],
    "musllinux aarch64": ["musllinux_1_2_aarch64"],
    "manylinux x86_64": [
        "manylinux_2_17_x86_64",
        "manylinux2014_x86_64",
        "manylinux_2_27_x86_64",
        "manylinux_2_28_x86_64",
    ],
    "manylinux aarch64": [
        "manylinux_2_17_aarch64",
        "manylinux2014_aarch64",
        "manylinux_2_27_aarch64",
        "manylinux_2_28_aarch64",
    ],
}
OFFLINE = re.compile(r"NewConnectionError|Temporary failure in name resolution|Network is unreachable|ConnectTimeout")


@pytest.mark.network
@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_requirements_install_on_home_assistant_os(platform: str, tmp_path: Path) -> None:
    """Every requirement (and what it pulls in) resolves to binary wheels for CPython 3.14 there."""
    tags = [arg for tag in PLATFORMS[platform] for arg in ("--platform", tag)]
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--dry-run",
        "--ignore-installed",
        "--quiet",
        "--only-binary=:all:",
        "--python-version",
        "3.14",
        "--implementation",
        "cp",
        *tags,
        "--target",
        str(tmp_path),
        *MANIFEST["requirements"],
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode and OFFLINE.search(proc.stderr):
        pytest.skip("PyPI cannot be reached")
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_quality_scale_names_every_rule_honestly() -> None:
    """Every rule core knows (elgato lists them all), each done, todo or exempt; reasons where not done."""
    import homeassistant
    from homeassistant.util.yaml import load_yaml

    core = Path(homeassistant.__file__).parent / "components" / "elgato" / "quality_scale.yaml"
    quality, known = load_yaml(PACKAGE / "quality_scale.yaml"), load_yaml(core)
    assert isinstance(quality, dict)
    assert isinstance(known, dict)
    ours = quality["rules"]
    assert set(ours) == set(known["rules"])
    for rule, value in ours.items():
        status = value if isinstance(value, str) else value["status"]
        assert status in {"done", "todo", "exempt"}, rule
        if status != "done":
            assert isinstance(value, dict), rule
            assert value.get("comment"), rule
