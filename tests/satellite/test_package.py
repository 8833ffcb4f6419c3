"""The satellite as a Raspberry Pi gets it: the wheel satellite/build_wheel.py makes, satellite/install, the unit.

Everything installed here runs with a fake ``homeassistant`` first on the
path that refuses to import, from a folder that holds no custom_components:
what passes ran on the installed copy alone, without Home Assistant.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
import tomllib
import wave
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from custom_components.uspd.satellite.config import KEYS, build_config, read_config_file
from lab.mqtt_broker import MosquittoBroker

from .conftest import MqttProbe

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "custom_components" / "uspd"
SATELLITE = ROOT / "satellite"
MANIFEST = json.loads((SOURCE / "manifest.json").read_text())
VERSION: str = MANIFEST["version"]
WHEEL_NAME = f"uspd_satellite-{VERSION}-py3-none-any.whl"
DIST_INFO = f"uspd_satellite-{VERSION}.dist-info"
LAYERS = ("base", "engine", "sim", "satellite")
DEFAULT_PREFIX = "/opt/uspd-satellite"
DEFAULT_CONFIG = "/etc/uspd/satellite.toml"
NO_HOME_ASSISTANT = 'raise ImportError("Home Assistant must not be imported")\n'
RUN_S = 120


def _build(out: Path, python: str = sys.executable) -> Path:
    """The documented command; the wheel it wrote."""
    done = subprocess.run(
        [python, str(SATELLITE / "build_wheel.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=RUN_S,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out / WHEEL_NAME)
    return out / WHEEL_NAME


def _no_home_assistant(folder: Path) -> Path:
    """A folder whose `homeassistant` package refuses to import: put first on PYTHONPATH."""
    (folder / "homeassistant").mkdir(parents=True, exist_ok=True)
    (folder / "homeassistant" / "__init__.py").write_text(NO_HOME_ASSISTANT)
    return folder


def _run(args: list[str], *, cwd: Path, path: list[Path], timeout_s: float = RUN_S) -> subprocess.CompletedProcess[str]:
    """A command with `path` (the fake Home Assistant first) as PYTHONPATH."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, path))}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=timeout_s)


def _install(*args: str) -> subprocess.CompletedProcess[str]:
    """satellite/install as a test may run it: no user, no systemd, no PyPI."""
    cmd = ["bash", str(SATELLITE / "install"), "--no-user", "--no-systemd", "--no-deps", *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=RUN_S)


def _site_packages(prefix: Path) -> Path:
    """The virtual environment's site-packages."""
    found = sorted(prefix.glob("lib/python3*/site-packages"))
    assert len(found) == 1, found
    return found[0]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built by the documented command."""
    return _build(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="module")
def entries(wheel: Path) -> dict[str, bytes]:
    """Every file in the wheel, by name."""
    with zipfile.ZipFile(wheel) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """(a folder holding no custom_components to run in, the PYTHONPATH): the wheel pip-installed into a folder."""
    folder = tmp_path_factory.mktemp("installed")
    target = folder / "site"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--target", str(target), wheel],
        capture_output=True,
        text=True,
        check=False,
        timeout=RUN_S,
    )
    assert done.returncode == 0, done.stderr
    return folder, [_no_home_assistant(folder / "fake"), target]


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[Path]]:
    """(prefix, config dir, PYTHONPATH): satellite/install's virtual environment, which sees the tests' packages.

    --no-deps leaves numpy and the rest out; a .pth file lends them from the tests' environment.
    """
    folder = tmp_path_factory.mktemp("venv")
    prefix, config_dir = folder / "opt", folder / "etc"
    room = ("--name", "Salle à manger", "--broker", "mqtts://broker.lan:8883", "--username", "salle")
    done = _install("--prefix", str(prefix), "--config-dir", str(config_dir), *room)
    assert done.returncode == 0, done.stderr
    lend = _site_packages(prefix) / "tests-environment.pth"
    lend.write_text("\n".join(p for p in sys.path if p.endswith("site-packages")) + "\n")
    return prefix, config_dir, [_no_home_assistant(folder / "fake")]


def _expected_files() -> dict[str, bytes]:
    """What the wheel's `uspd` package must hold, from the clone: the four layers' sources and the model."""
    files: dict[str, bytes] = {}
    for layer in LAYERS:
        for path in (SOURCE / layer).rglob("*.py"):
            if "__pycache__" not in path.parts:
                files[f"uspd/{path.relative_to(SOURCE).as_posix()}"] = path.read_bytes()
    for path in (SOURCE / "model").iterdir():
        if path.is_file():
            files[f"uspd/model/{path.name}"] = path.read_bytes()
    return files


# The wheel.


def test_wheel_holds_the_home_assistant_free_layers_and_the_model(entries: dict[str, bytes]) -> None:
    package = {name: data for name, data in entries.items() if name.startswith("uspd/")}
    expected = _expected_files()
    assert set(package) == {*expected, "uspd/__init__.py", "uspd/__main__.py"}
    assert all(package[name] == data for name, data in expected.items())
    assert "uspd/model/uspd.tflite" in package
    assert "uspd/coordinator.py" not in package  # the Home Assistant shell stays out
    assert set(entries) - set(package) == {
        f"{DIST_INFO}/{n}" for n in ("METADATA", "WHEEL", "entry_points.txt", "RECORD")
    }
    assert b"homeassistant" not in package["uspd/__init__.py"] + package["uspd/__main__.py"]


def test_wheel_record_hashes_and_sizes_every_file(entries: dict[str, bytes]) -> None:
    rows = list(csv.reader(io.StringIO(entries[f"{DIST_INFO}/RECORD"].decode())))
    assert [r[0] for r in rows] == list(entries)  # every file once, in the archive's order
    for name, digest, size in rows:
        if name == f"{DIST_INFO}/RECORD":
            assert (digest, size) == ("", "")
            continue
        data = entries[name]
        want = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert digest == f"sha256={want}", name
        assert int(size) == len(data), name


def test_wheel_metadata_pins_what_the_integration_pins_and_paho(entries: dict[str, bytes]) -> None:
    metadata = entries[f"{DIST_INFO}/METADATA"].decode().splitlines()
    field = {line.partition(": ")[0]: line.partition(": ")[2] for line in metadata}
    assert field["Name"] == "uspd-satellite"
    assert field["Version"] == VERSION
    assert field["Requires-Python"] == ">=3.13"
    requires = [line.removeprefix("Requires-Dist: ") for line in metadata if line.startswith("Requires-Dist: ")]
    assert requires == [*MANIFEST["requirements"], "paho-mqtt==2.1.0"]
    assert "Tag: py3-none-any" in entries[f"{DIST_INFO}/WHEEL"].decode().splitlines()
    assert "Root-Is-Purelib: true" in entries[f"{DIST_INFO}/WHEEL"].decode().splitlines()
    assert entries[f"{DIST_INFO}/entry_points.txt"].decode().split() == [
        "[console_scripts]",
        "uspd",
        "=",
        "uspd.satellite.cli:main",
    ]


def test_the_build_is_reproducible(wheel: Path, tmp_path: Path) -> None:
    """Fixed times and modes, sorted names: the same clone gives the same bytes, on Python 3.13 too."""
    with zipfile.ZipFile(wheel) as archive:
        infos = archive.infolist()
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}
    names = [i.filename for i in infos]
    assert names[:-4] == sorted(names[:-4])
    pythons = [sys.executable, *filter(None, [shutil.which("python3.13")])]
    for n, python in enumerate(pythons):
        assert _build(tmp_path / str(n), python).read_bytes() == wheel.read_bytes(), python


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ("unpinned", "requirement 'paho-mqtt>=2' is not pinned as NAME==VERSION"),
        ("no engine", "nothing to package"),
    ],
)
def test_build_says_what_is_wrong_in_one_line(breakage: str, message: str, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    shutil.copytree(SATELLITE, clone / "satellite")
    shutil.copytree(SOURCE, clone / "custom_components" / "uspd", ignore=shutil.ignore_patterns("__pycache__"))
    if breakage == "unpinned":
        (clone / "satellite" / "requirements.txt").write_text("paho-mqtt>=2\n")
    else:
        shutil.rmtree(clone / "custom_components" / "uspd" / "engine")
    done = subprocess.run(
        [sys.executable, str(clone / "satellite" / "build_wheel.py"), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
        timeout=RUN_S,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("build_wheel.py: error: ")
    assert message in done.stderr
    assert not list((tmp_path / "out").glob("*.whl"))


@pytest.mark.skipif(shutil.which("python3.13") is None, reason="needs python3.13 (scripts/env's root has it)")
def test_the_wheel_s_sources_compile_on_python_3_13(installed: tuple[Path, list[Path]]) -> None:
    """Raspberry Pi OS has 3.13: no 3.14-only syntax anywhere in the wheel."""
    _, path = installed
    python313 = shutil.which("python3.13")
    assert python313 is not None
    done = subprocess.run(
        [python313, "-m", "compileall", "-q", str(path[-1] / "uspd")], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


# Raspberry Pi OS (64-bit) on Debian 13: glibc 2.41, so any of these; pip must find every requirement as one.
RASPBERRY_PI_OS = [f"manylinux{v}_aarch64" for v in ("_2_17", "2014", "_2_27", "_2_28")]
OFFLINE = re.compile(r"NewConnectionError|Temporary failure in name resolution|Network is unreachable|ConnectTimeout")


@pytest.mark.network
def test_the_wheel_installs_from_binary_wheels_on_a_raspberry_pi(wheel: Path, tmp_path: Path) -> None:
    """satellite/install's pip run, as a Raspberry Pi's Python 3.13 would resolve it: nothing to compile."""
    tags = [arg for tag in RASPBERRY_PI_OS for arg in ("--platform", tag)]
    cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet", "--only-binary=:all:"]
    cmd += ["--python-version", "3.13", "--implementation", "cp", *tags, "--target", str(tmp_path), str(wheel)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode and OFFLINE.search(done.stderr):
        pytest.skip("PyPI cannot be reached")
    assert done.returncode == 0, done.stderr[-2000:]


# The installed package, without Home Assistant.


def test_the_fake_home_assistant_refuses_and_custom_components_is_out_of_reach(
    installed: tuple[Path, list[Path]],
) -> None:
    """The guard of every test below: were either importable, they would prove nothing."""
    folder, path = installed
    done = _run([sys.executable, "-c", "import homeassistant"], cwd=folder, path=path)
    assert "ImportError: Home Assistant must not be imported" in done.stderr
    done = _run([sys.executable, "-c", "import custom_components"], cwd=folder, path=path)
    assert "No module named 'custom_components'" in done.stderr


def test_installed_uspd_satellite_help_runs_without_home_assistant(installed: tuple[Path, list[Path]]) -> None:
    folder, path = installed
    done = _run([sys.executable, "-m", "uspd", "satellite", "--help"], cwd=folder, path=path)
    assert done.returncode == 0, done.stderr
    assert "--broker" in done.stdout
    assert "--password-file" in done.stdout


def test_installed_uspd_detect_runs_without_home_assistant(installed: tuple[Path, list[Path]]) -> None:
    folder, path = installed
    rate_hz = 96_000
    t = np.arange(2 * rate_hz) / rate_hz
    tone = np.round(0.3 * 32767 * np.sin(2 * np.pi * 40_000 * t)).astype("<i2")
    with wave.open(str(folder / "tone.wav"), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(rate_hz)
        wav.writeframes(np.column_stack([tone, tone]).tobytes())
    done = _run([sys.executable, "-m", "uspd", "detect", "tone.wav"], cwd=folder, path=path)
    assert done.returncode == 0, done.stderr
    frames = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(frames) > 10
    assert all(set(f) == {"t", "motion", "occupied", "score"} for f in frames)
    assert "Traceback" not in done.stderr


def test_installed_package_finds_and_trusts_its_model(installed: tuple[Path, list[Path]]) -> None:
    folder, path = installed
    code = (
        "from uspd.engine.classifier import Classifier, MODEL_PATH, SELF_CHECK_PATH; "
        "Classifier.load(MODEL_PATH, self_check=SELF_CHECK_PATH); print(MODEL_PATH)"
    )
    done = _run([sys.executable, "-c", code], cwd=folder, path=path)
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()) == path[-1] / "uspd" / "model" / "uspd.tflite"


# satellite/install, satellite/uninstall and the unit.


def test_install_makes_a_venv_with_the_uspd_command_and_a_private_config(venv: tuple[Path, Path, list[Path]]) -> None:
    prefix, config_dir, path = venv
    config = config_dir / "satellite.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o640
    assert stat.S_IMODE(config_dir.stat().st_mode) == 0o750
    settings = tomllib.loads(config.read_text())
    assert settings["name"] == "Salle à manger"
    assert (settings["broker"], settings["username"]) == ("mqtts://broker.lan:8883", "salle")
    assert settings["password_file"] == str(config_dir / "mqtt-password")
    done = _run([str(prefix / "bin" / "uspd"), "satellite", "--help"], cwd=prefix, path=path)
    assert done.returncode == 0, done.stderr
    assert "--broker" in done.stdout


def test_install_again_keeps_the_settings_and_replaces_the_code(
    venv: tuple[Path, Path, list[Path]], tmp_path: Path
) -> None:
    prefix, _, _ = venv
    config = tmp_path / "etc" / "satellite.toml"
    assert _install("--prefix", str(prefix), "--config-dir", str(config.parent)).returncode == 0
    edited = config.read_text().replace('name = "Living room"', 'name = "Kitchen"')
    config.write_text(edited)
    main = _site_packages(prefix) / "uspd" / "__main__.py"
    shipped = main.read_bytes()
    main.write_text("raise SystemExit('stale')\n")
    done = _install("--prefix", str(prefix), "--config-dir", str(config.parent), "--name", "Hall")
    assert done.returncode == 0, done.stderr
    assert config.read_text() == edited
    assert "kept as it is" in done.stdout
    assert main.read_bytes() == shipped


def test_install_refuses_a_name_no_topic_can_hold_in_one_line(
    venv: tuple[Path, Path, list[Path]], tmp_path: Path
) -> None:
    prefix, _, _ = venv
    done = _install("--prefix", str(prefix), "--config-dir", str(tmp_path / "etc"), "--name", "!!!")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert "no letter or digit" in done.stderr
    assert not (tmp_path / "etc" / "satellite.toml").exists()


def test_install_never_takes_over_a_folder_it_did_not_make(tmp_path: Path) -> None:
    precious = tmp_path / "opt"
    precious.mkdir()
    (precious / "keep.txt").write_text("mine")
    done = _install("--prefix", str(precious), "--config-dir", str(tmp_path / "etc"))
    assert done.returncode == 1
    assert "not a virtual environment" in done.stderr
    assert [p.name for p in precious.iterdir()] == ["keep.txt"]
    assert not (tmp_path / "etc").exists()


def test_uninstall_removes_the_venv_and_keeps_the_settings_unless_purged(tmp_path: Path) -> None:
    prefix, config_dir = tmp_path / "opt", tmp_path / "etc"
    assert _install("--prefix", str(prefix), "--config-dir", str(config_dir)).returncode == 0
    uninstall = ["bash", str(SATELLITE / "uninstall"), "--no-user", "--no-systemd", "--prefix", str(prefix)]
    uninstall += ["--config-dir", str(config_dir)]
    assert subprocess.run(uninstall, capture_output=True, check=False, timeout=RUN_S).returncode == 0
    assert not prefix.exists()
    assert (config_dir / "satellite.toml").is_file()
    assert subprocess.run([*uninstall, "--purge"], capture_output=True, check=False, timeout=RUN_S).returncode == 0
    assert not config_dir.exists()


def _unit(*args: str) -> str:
    """The unit satellite/install writes for these options."""
    cmd = ["bash", str(SATELLITE / "install"), "--print-unit", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=RUN_S)
    return done.stdout


def _unit_settings(text: str) -> dict[str, list[str]]:
    """Each key's values (a key may repeat), comments left out."""
    settings: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


def test_the_unit_runs_the_installed_command_as_uspd_with_the_sound_card_reachable() -> None:
    unit = _unit_settings(_unit())
    assert unit["ExecStart"] == [f"{DEFAULT_PREFIX}/bin/uspd satellite --config {DEFAULT_CONFIG}"]
    assert unit["User"] == ["uspd"]
    assert "audio" in unit["SupplementaryGroups"][0].split()
    assert unit["StateDirectory"] == ["uspd-satellite"]  # config.py keeps options and calibration in $STATE_DIRECTORY
    assert unit["Restart"] == ["on-failure"]
    assert unit["RestartPreventExitStatus"] == ["2"]  # the satellite's exit status for a setting that cannot work
    for key in ("NoNewPrivileges", "ProtectHome", "PrivateTmp"):
        assert unit[key] == ["yes"], key
    assert unit["ProtectSystem"] == ["strict"]
    # /dev/snd stays reachable: a closed device policy that lets ALSA's devices through, no private /dev.
    assert unit["DevicePolicy"] == ["closed"]
    assert unit["DeviceAllow"] == ["char-alsa rw"]
    assert "PrivateDevices" not in unit
    assert "PrivateUsers" not in unit


def test_the_unit_follows_the_install_paths_and_systemd_accepts_it(
    venv: tuple[Path, Path, list[Path]], tmp_path: Path
) -> None:
    prefix, config_dir, _ = venv
    text = _unit("--prefix", str(prefix), "--config-dir", str(config_dir))
    assert _unit_settings(text)["ExecStart"] == [f"{prefix}/bin/uspd satellite --config {config_dir}/satellite.toml"]
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    (tmp_path / "uspd-satellite.service").write_text(text)
    done = subprocess.run(
        [analyze, "verify", str(tmp_path / "uspd-satellite.service")],
        capture_output=True,
        text=True,
        check=False,
        timeout=RUN_S,
    )
    # It warns (and still exits 0) on an unknown key or a bad value.
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_the_config_template_sets_only_what_the_satellite_reads(tmp_path: Path) -> None:
    template = (SATELLITE / "satellite.toml").read_text()
    assert set(tomllib.loads(template)) <= set(KEYS)
    # The commented-out examples too, once uncommented.
    examples = "\n".join(m.group(1) for m in re.finditer(r"^# (\w+ = .*)$", template, flags=re.MULTILINE))
    assert set(tomllib.loads(examples)) <= set(KEYS)
    assert {"ca_file", "device", "rate"} <= set(tomllib.loads(examples))


def test_a_config_the_installer_writes_is_one_the_satellite_accepts(venv: tuple[Path, Path, list[Path]]) -> None:
    _, config_dir, _ = venv
    (config_dir / "mqtt-password").write_text("secret\n")
    config = build_config(read_config_file(config_dir / "satellite.toml"), environ={})
    assert config.name == "Salle à manger"
    assert (config.broker.host, config.broker.port, config.broker.tls) == ("broker.lan", 8883, True)
    assert config.broker.username == "salle"
    assert config.broker.password == "secret"
    assert config.source.backend == "soundcard"


# The installed satellite against a real broker.


def test_the_installed_satellite_publishes_its_device_without_home_assistant(
    venv: tuple[Path, Path, list[Path]],
    mosquitto: MosquittoBroker,
    mqtt_probe: Callable[..., MqttProbe],
    tmp_path: Path,
) -> None:
    prefix, _, path = venv
    (tmp_path / "password").write_text(mosquitto.password)
    config = tmp_path / "satellite.toml"
    config.write_text(
        f'name = "Package test"\nbroker = "{mosquitto.url()}"\nusername = "{mosquitto.username}"\n'
        f'password_file = "{tmp_path / "password"}"\nca_file = "{mosquitto.ca_path}"\n'
        f'backend = "simulated"\nstate_dir = "{tmp_path / "state"}"\n'
    )
    probe = mqtt_probe()
    assert not probe.connect().is_failure
    discovery_topic, state_topic = "homeassistant/device/package_test/config", "uspd/package_test/state"
    probe.subscribe(discovery_topic)
    probe.subscribe(state_topic)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, path))}
    log = tmp_path / "satellite.log"
    heard: dict[str, dict[str, Any]] = {}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(prefix / "bin" / "uspd"), "satellite", "--config", str(config)], cwd=tmp_path, env=env, stderr=out
        )
    try:
        deadline = time.monotonic() + 60
        # Until the device is announced and a state says which classifier senses (the model's, not the baseline).
        while discovery_topic not in heard or heard.get(state_topic, {}).get("classifier") in (None, "baseline"):
            message = probe.message(timeout_s=max(0.1, deadline - time.monotonic()))
            heard[message.topic] = json.loads(message.payload)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    text = log.read_text()
    assert code == 0, text
    assert heard[discovery_topic]["dev"]["name"] == "Package test"
    assert heard[state_topic]["classifier"] in ("numpy", "litert")
    assert "Traceback" not in text
    assert "motion model not loaded" not in text
