"""The README's two commands exist, CI runs the one it gives for tests, and the demo refuses bad set-ups in one line.

The demo's full run (start, two loops, Ctrl-C) is tests/e2e/test_demo.py.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
from pathlib import Path

import pytest
from pytest_socket import enable_socket, socket_allow_hosts

REPO = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    """The scripts/ commands in the README's fenced blocks."""
    blocks = re.findall(r"```(?:bash|sh|console)?\n(.*?)```", (REPO / "README.md").read_text(), flags=re.DOTALL)
    return [ln.strip() for b in blocks for ln in b.splitlines() if ln.strip().startswith("scripts/")]


def test_the_readme_gives_the_two_commands_and_they_exist() -> None:
    commands = _readme_commands()
    assert [c.split()[0] for c in commands] == ["scripts/demo", "scripts/test"], commands
    for command in commands:
        script = REPO / shlex.split(command)[0]
        assert script.is_file(), command
        assert os.access(script, os.X_OK), command


def test_ci_runs_the_readme_s_test_command() -> None:
    test_command = next(c for c in _readme_commands() if c.startswith("scripts/test"))
    runs = [ln.strip() for ln in (REPO / ".ci" / "run").read_text().splitlines() if ln.strip().startswith("exec ")]
    assert runs == [f"exec {test_command}"]


def _demo(*args: str) -> subprocess.CompletedProcess[str]:
    """scripts/demo with `args`, its output captured."""
    return subprocess.run(["scripts/demo", *args], cwd=REPO, capture_output=True, text=True, timeout=60, check=False)


def _free_port() -> int:
    """A TCP port nobody listens on now."""
    enable_socket()
    socket_allow_hosts(["127.0.0.1", "localhost", "::1", "0.0.0.0"])
    with socket.socket() as probe:
        probe.bind(("", 0))
        return int(probe.getsockname()[1])


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The one line scripts/demo printed on failing (checked to be one line, and no traceback)."""
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("scripts/demo: ")
    return lines[0]


def test_demo_refuses_a_port_in_use(tmp_path: Path) -> None:
    enable_socket()
    socket_allow_hosts(["127.0.0.1", "localhost", "::1", "0.0.0.0"])
    with socket.socket() as busy:
        busy.bind(("", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = _one_line_error(_demo("--port", str(port), "--config-dir", str(tmp_path / "demo")))
    assert f"port {port} is in use" in line
    assert not (tmp_path / "demo").exists(), "nothing is prepared for a demo that cannot start"


def test_demo_says_when_its_config_dir_cannot_be_written(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    line = _one_line_error(_demo("--port", str(_free_port()), "--config-dir", str(tmp_path / "file" / "demo")))
    assert "cannot write the config directory" in line


def test_demo_says_when_its_config_dir_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("mine")
    line = _one_line_error(_demo("--port", str(_free_port()), "--config-dir", str(tmp_path / "file")))
    assert "cannot write the config directory" in line
    assert (tmp_path / "file").read_text() == "mine"


def test_demo_never_wipes_a_directory_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    line = _one_line_error(_demo("--port", str(_free_port()), "--config-dir", str(tmp_path)))
    assert "was not made by the demo" in line
    assert (tmp_path / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("seconds", ["-1", "nan"])
def test_demo_rejects_an_absurd_duration(seconds: str) -> None:
    result = _demo("--for", seconds)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_the_versions_the_readme_and_hacs_name_are_the_ones_the_checks_run() -> None:
    """The suite runs on the Home Assistant the tests pin; the end-to-end check also on requirements_ha_latest.txt."""
    from homeassistant.const import __version__ as pinned

    latest = re.search(r"^homeassistant==(\S+)$", (REPO / "requirements_ha_latest.txt").read_text(), re.MULTILINE)
    assert latest is not None
    assert json.loads((REPO / "hacs.json").read_text())["homeassistant"] == pinned
    readme = " ".join((REPO / "README.md").read_text().split())
    assert f"Tested with Home Assistant {pinned} (the full test suite) and {latest.group(1)}" in readme
