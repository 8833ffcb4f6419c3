"""The release: one version (manifest.json's), the zip HACS installs, the GitHub workflows that build and check it."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "custom_components" / "uspd"
WORKFLOWS = ROOT / ".github" / "workflows"
RELEASE = WORKFLOWS / "release.yml"
VERSION: str = json.loads((PACKAGE / "manifest.json").read_text())["version"]
HACS: dict[str, Any] = json.loads((ROOT / "hacs.json").read_text())


def _workflow(path: Path) -> dict[Any, Any]:
    """A workflow file, checked to be a mapping with jobs."""
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict), f"{path.name} is not a YAML mapping"
    assert isinstance(data.get("jobs"), dict), f"{path.name} has no jobs"
    assert data["jobs"], f"{path.name} has no jobs"
    return data


def _triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    """The events a workflow runs on, by name."""
    # YAML 1.1 (PyYAML) reads a bare `on` key as the boolean true.
    on = workflow.get("on", workflow.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    assert isinstance(on, dict), f"no triggers: {on!r}"
    return on


def _steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    """Every step of every job of a workflow."""
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def _runs(workflow: dict[Any, Any]) -> str:
    """Every shell command a workflow runs."""
    return "\n".join(str(step.get("run", "")) for step in _steps(workflow))


def _all_workflows() -> dict[str, dict[Any, Any]]:
    """Every GitHub workflow of the repository, by file name."""
    files = sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])
    assert files, "no GitHub workflows"
    return {f.name: _workflow(f) for f in files}


def test_pyproject_version_is_the_manifests() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["version"] == VERSION


def test_the_satellite_says_the_manifest_version() -> None:
    from custom_components.uspd.satellite import VERSION as SATELLITE_VERSION

    assert SATELLITE_VERSION == VERSION


def test_the_satellite_pins_paho_as_home_assistant_s_mqtt_integration() -> None:
    """The satellite's tests run on the paho Home Assistant's pin installs: the one its wheel must ship."""
    spec = importlib.util.find_spec("homeassistant")
    assert spec is not None
    assert spec.origin is not None
    mqtt = json.loads((Path(spec.origin).parent / "components" / "mqtt" / "manifest.json").read_text())
    pins = [line.strip() for line in (ROOT / "satellite" / "requirements.txt").read_text().splitlines()]
    paho = [pin for pin in pins if pin.startswith("paho-mqtt")]
    assert paho == [r for r in mqtt["requirements"] if r.startswith("paho-mqtt")]


def test_hacs_installs_the_release_zip() -> None:
    assert HACS["zip_release"] is True
    assert HACS["filename"] == "uspd.zip"
    assert HACS["homeassistant"]


def test_release_workflow_builds_the_zip_of_the_manifest_version() -> None:
    assert RELEASE.is_file()
    workflow = _workflow(RELEASE)
    triggers = _triggers(workflow)
    assert "published" in triggers["release"]["types"]
    assert "workflow_dispatch" in triggers
    runs = _runs(workflow)
    # The version comes from manifest.json, and the tag must be that version (with or without a "v").
    assert "custom_components/uspd/manifest.json" in runs
    assert '"${TAG#v}" != "$version"' in runs
    # The zip holds custom_components/uspd's contents at its root, under the name hacs.json gives.
    assert f"cd custom_components/uspd && zip -r ../../{HACS['filename']} ." in runs
    assert f'gh release upload "$TAG" {HACS["filename"]}' in runs
    for job in workflow["jobs"].values():
        assert job.get("permissions", workflow.get("permissions")) == {"contents": "write"}


def _build_step() -> str:
    """The release workflow's one step that builds the zip."""
    builds = [str(s["run"]) for s in _steps(_workflow(RELEASE)) if "zip -r" in str(s.get("run", ""))]
    assert len(builds) == 1, builds
    return builds[0]


@pytest.mark.skipif(shutil.which("zip") is None, reason="needs the zip command (GitHub's runners have it)")
def test_release_zip_has_the_package_at_its_root(tmp_path: Path) -> None:
    """Run the workflow's build step as written on a copy of the package (with bytecode it must leave out)."""
    copy = tmp_path / "custom_components" / "uspd"
    shutil.copytree(PACKAGE, copy)
    for cache in (copy / "__pycache__", copy / "engine" / "__pycache__"):
        cache.mkdir(parents=True, exist_ok=True)
        (cache / "stale.cpython-314.pyc").write_bytes(b"\0")
    subprocess.run(["bash", "-euo", "pipefail", "-c", _build_step()], cwd=tmp_path, check=True, capture_output=True)
    with zipfile.ZipFile(tmp_path / HACS["filename"]) as archive:
        names = {n for n in archive.namelist() if not n.endswith("/")}
        manifest = json.loads(archive.read("manifest.json"))
    shipped = {p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*") if p.is_file()}
    assert names == {n for n in shipped if "__pycache__" not in n}
    assert manifest["version"] == VERSION


def test_ci_workflow_runs_what_ci_runs() -> None:
    workflows = _all_workflows()
    ci = [
        w
        for w in workflows.values()
        if {"push", "pull_request"} <= set(_triggers(w)) and (".ci/run" in _runs(w) or "scripts/test" in _runs(w))
    ]
    assert ci, "no workflow runs .ci/run or scripts/test on push and pull request"
    for workflow in ci:
        # scripts/env takes its host path only with a Python >= 3.14.2 on PATH.
        pythons = [s for s in _steps(workflow) if str(s.get("uses", "")).startswith("actions/setup-python@")]
        assert pythons, "no actions/setup-python step"
        assert all(str(s["with"]["python-version"]) == "3.14" for s in pythons)
        # What the sound-card tests call (scripts/env.d/root-packages.txt has them in the Debian root),
        # and the browser that tests/e2e takes the screenshot with, by the name it calls.
        runs = _runs(workflow)
        words = set(runs.split())
        for package in ("libportaudio2", "pulseaudio", "libasound2-plugins"):
            assert package in words, package
        assert "chromium --version" in runs


def test_hassfest_and_hacs_still_validate() -> None:
    uses = {str(s.get("uses", "")).split("@")[0] for w in _all_workflows().values() for s in _steps(w)}
    assert {"home-assistant/actions/hassfest", "hacs/action"} <= uses


def test_github_actions_name_a_ref_and_github_s_own_a_major_version() -> None:
    """The hassfest and HACS actions are named by a branch only (their documented use); GitHub's carry a version."""
    for name, workflow in _all_workflows().items():
        for step in _steps(workflow):
            if "uses" not in step:
                continue
            action, _, ref = str(step["uses"]).partition("@")
            assert ref, f"{name}: {action} has no version"
            if action.startswith("actions/"):
                assert ref.startswith("v"), f"{name}: {action}@{ref} is not a major version"
                assert ref[1:].isdigit(), f"{name}: {action}@{ref} is not a major version"
