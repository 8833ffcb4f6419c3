"""WAV fuzz: seeded mutations of small valid WAV files through `uspd detect` and the recording backend.

Each mutated file must end in a clean error (the CLI's one ``uspd: error:``
line and exit 2; a ``SourceError`` from the recording backend) or a correct
result (well-formed JSON frames with finite scores; blocks of the header's
channel count that the engine turns into finite frames): never another
exception, a traceback, a hang or more than MAX_PEAK_BYTES. Mutations that do
not change what a reader must see (byte rate, block align, well-formed extra
chunks, bytes after the data) must give exactly the original's frames.

The cases run in a child process, so a hang is killed and memory is the
child's own: tracemalloc's peak per case (numpy's buffers included, and an
allocation counts even if its pages are never touched) and the child's
peak RSS over its warmed-up baseline.

More cases: USPD_WAV_FUZZ_CASES=20000 scripts/env python -m pytest tests/base/test_wav_fuzz.py
One case again: python -c "from tests.base.test_wav_fuzz import fuzz; print(fuzz(SEED, 1, '/tmp'))"
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import os
import random
import resource
import signal
import struct
import subprocess
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import numpy as np
import pytest
from numpy.typing import NDArray

CASES = int(os.environ.get("USPD_WAV_FUZZ_CASES", "1000"))
FIRST_SEED = 25_000
MAX_PEAK_BYTES = 300 << 20
CASE_TIMEOUT_S = 20.0
MOTIONS = {"none", "minor", "major"}
PCM, FLOAT, EXTENSIBLE = 1, 3, 0xFFFE


# ---- valid small files ------------------------------------------------------------------------


@dataclass(frozen=True)
class Base:
    """A valid file and where its fields sit (offsets into ``data``)."""

    name: str
    data: bytes
    fmt_body: int  # offset of the fmt chunk's body
    fmt_size: int
    data_body: int  # offset of the data chunk's body
    data_size: int
    chunks: tuple[int, ...]  # offset of every chunk header (id + size), RIFF's first
    is_float: bool
    bits: int
    carrier_hz: float


def _samples(rate: int, channels: int, carrier_hz: float, seconds: float = 0.2) -> NDArray[np.float64]:
    """A tone per channel (phases apart) in a little noise: the samples every base file holds."""
    rng = np.random.default_rng(rate + channels)
    t = np.arange(int(rate * seconds)) / rate
    tone = np.stack([0.3 * np.cos(2 * np.pi * carrier_hz * t + k) for k in range(channels)], axis=1)
    return tone + 0.01 * rng.standard_normal(tone.shape)


def _encode(x: NDArray[np.float64], tag: int, bits: int) -> bytes:
    """The samples as a WAV data chunk's bytes in this format tag and sample width."""
    if tag == FLOAT:
        return x.astype("<f4" if bits == 32 else "<f8").tobytes()
    scale = float(1 << (bits - 1))
    v = np.clip(np.round(x * scale), -scale, scale - 1).astype(np.int64)
    if bits == 24:
        u = (v & 0xFFFFFF).astype("<u4").tobytes()
        return b"".join(u[i : i + 3] for i in range(0, len(u), 4))
    return v.astype("<i2" if bits == 16 else "<i4").tobytes()


def _build(
    name: str,
    rate: int,
    channels: int,
    tag: int,
    bits: int,
    carrier_hz: float,
    *,
    extensible: bool = False,
    extra: bytes = b"",
    streamed: bool = False,
) -> Base:
    """A valid file of `_samples` in this format, with where each of its fields lies."""
    payload = _encode(_samples(rate, channels, carrier_hz), tag, bits)
    align = channels * bits // 8
    fmt = struct.pack("<HHIIHH", EXTENSIBLE if extensible else tag, channels, rate, rate * align, align, bits)
    if extensible:
        fmt += struct.pack("<HHI", 22, bits, 0) + struct.pack("<H", tag) + bytes(14)
    body = b"WAVE"
    chunks = [0]
    chunks.append(12 + len(body) - 4)
    fmt_body = 12 + 8
    body += b"fmt " + struct.pack("<I", len(fmt)) + fmt
    if extra:
        chunks.append(12 + len(body) - 4)
        body += extra
    chunks.append(12 + len(body) - 4)
    data_body = 12 + len(body) - 4 + 8
    body += b"data" + struct.pack("<I", 0xFFFFFFFF if streamed else len(payload)) + payload
    data = b"RIFF" + struct.pack("<I", 0xFFFFFFFF if streamed else len(body)) + body
    return Base(
        name,
        data,
        fmt_body,
        len(fmt),
        data_body,
        len(payload),
        tuple(chunks),
        tag == FLOAT,
        bits,
        carrier_hz,
    )


def _list_chunk() -> bytes:
    """A LIST chunk with an odd-sized string: padding a reader must skip."""
    text = b"INFOISFT\x0b\x00\x00\x00uspd fuzz!\x00\x00"  # an odd-sized string, padded
    return b"LIST" + struct.pack("<I", len(text)) + text


def bases() -> list[Base]:
    """The valid files every case starts from: each PCM and float width, extensible, streamed."""
    return [
        _build("pcm16 mono 44.1k", 44100, 1, PCM, 16, 19000.0),
        _build("pcm16 stereo 44.1k", 44100, 2, PCM, 16, 18500.0),
        _build("pcm24 2ch 48k", 48000, 2, PCM, 24, 20000.0),
        _build("pcm32 mono 48k", 48000, 1, PCM, 32, 19500.0),
        _build("float32 2ch 44.1k", 44100, 2, FLOAT, 32, 19000.0),
        _build("float64 mono 48k", 48000, 1, FLOAT, 64, 21000.0),
        _build("extensible pcm16 2ch 44.1k", 44100, 2, PCM, 16, 19000.0, extensible=True),
        _build("extensible float32 4ch 48k", 48000, 4, FLOAT, 32, 20000.0, extensible=True),
        _build("float32 2ch 48k + LIST", 48000, 2, FLOAT, 32, 20500.0, extra=_list_chunk()),
        _build("pcm16 2ch 96k", 96000, 2, PCM, 16, 40000.0),
        _build("streamed pcm16 mono 44.1k", 44100, 1, PCM, 16, 19000.0, streamed=True),
    ]


# ---- mutations ---------------------------------------------------------------------------------

RATES = (0, 1, 8000, 16000, 44099, 44100, 48000, 96000, 384000, 384001, 20_000_003, 0x7FFFFFFF, 0xFFFFFFFF)
CHANNELS = (0, 1, 2, 3, 8, 9, 255, 0xFFFF)
BITS = (0, 1, 8, 12, 16, 20, 24, 32, 48, 64, 0xFFFF)
TAGS = (0, PCM, 2, FLOAT, 6, 7, 0xFFFE, 0xFFFF)
SIZES = (0, 1, 2, 15, 16, 17, 39, 40, 1023, 1025, 0x7FFFFFFF, 0xFFFFFFF0, 0xFFFFFFFF)
ODD_FLOATS = (math.nan, -math.nan, math.inf, -math.inf, 1e38, -3.4e38, 1e300, 5e-324, 1.5)


def _put(buf: bytearray, offset: int, fmt: str, value: int | float) -> None:
    """Write `value` packed as `fmt` at `offset`, where it fits inside the file."""
    size = struct.calcsize(fmt)
    if offset >= 0 and offset + size <= len(buf):
        buf[offset : offset + size] = struct.pack(fmt, value)


def _put_odd_floats(buf: bytearray, base: Base, rng: random.Random) -> None:
    """NaN, Inf, huge and tiny values in a float file (garbage words in a PCM one), alone or in bursts."""
    width = base.bits // 8 if base.is_float else 4
    count = base.data_size // width - 1
    if count > 0:
        start = base.data_body + width * rng.randrange(count)
        value = rng.choice(ODD_FLOATS)
        for k in range(rng.choice((1, 1, 3, 50, 2000))):
            at = start + k * width
            if not base.is_float:
                _put(buf, at, "<I", rng.getrandbits(32))
            elif width == 4:
                _put(buf, at, "<f", value if abs(value) <= 3.4e38 or not math.isfinite(value) else math.inf)
            else:
                _put(buf, at, "<d", value)


def _insert_chunk(buf: bytearray, base: Base, rng: random.Random, huge: bool) -> bool:
    """Insert a chunk a reader skips (a huge one claims more than the file holds); whether the samples stay the same."""
    cid = rng.choice(
        (b"LIST", b"JUNK", b"fact", b"cue ", b"\x00\x00\x00\x00", bytes(rng.getrandbits(8) for _ in range(4)))
    )
    if not huge:
        body = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 64)))
        chunk = cid + struct.pack("<I", len(body)) + body + (b"\x00" if len(body) & 1 else b"")
    else:
        chunk = cid + struct.pack("<I", rng.choice((0x10000000, 0x7FFFFFFF, 0xFFFFFFF0))) + bytes(rng.randrange(64))
    # Before fmt, or between fmt and data (never inside a chunk: offsets of later fields move).
    at = rng.choice((12, base.data_body - 8))
    buf[at:at] = chunk
    return not huge and cid not in (b"fmt ", b"data")


def _mutate(base: Base, rng: random.Random) -> tuple[bytes, list[str], bool]:
    """(file, what was done, whether a reader must see exactly the base's samples and format)."""
    buf = bytearray(base.data)
    done: list[str] = []
    same = True
    header_end = base.data_body
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        kind = rng.choice(
            (
                "flip header",
                "flip anywhere",
                "truncate",
                "chunk size",
                "rate",
                "channels",
                "bits",
                "tag",
                "byte rate",
                "odd floats",
                "extra chunk",
                "huge extra chunk",
                "data before fmt",
                "second fmt",
                "garbage after data",
                "magic",
            )
        )
        if kind == "flip header":
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(min(len(buf), header_end + 8))
                buf[i] ^= rng.randint(1, 255)
            same = False
        elif kind == "flip anywhere":
            for _ in range(rng.randint(1, 16)):
                i = rng.randrange(len(buf))
                buf[i] ^= rng.randint(1, 255)
            same = False
        elif kind == "truncate":
            cut = rng.randrange(header_end + 16) if rng.random() < 0.5 else rng.randrange(len(buf))
            del buf[cut:]
            same = False
        elif kind == "chunk size":
            at = rng.choice(base.chunks)
            _put(buf, at + 4, "<I", rng.choice(SIZES) if rng.random() < 0.7 else rng.getrandbits(32))
            same = False
        elif kind == "rate":
            _put(buf, base.fmt_body + 4, "<I", rng.choice(RATES) if rng.random() < 0.8 else rng.getrandbits(32))
            same = False
        elif kind == "channels":
            _put(buf, base.fmt_body + 2, "<H", rng.choice(CHANNELS))
            same = False
        elif kind == "bits":
            _put(buf, base.fmt_body + 14, "<H", rng.choice(BITS))
            same = False
        elif kind == "tag":
            _put(buf, base.fmt_body, "<H", rng.choice(TAGS))
            if base.fmt_size >= 40 and rng.random() < 0.5:
                _put(buf, base.fmt_body + 24, "<H", rng.choice(TAGS))
            same = False
        elif kind == "byte rate":
            # Byte rate and block align are derived fields a reader may ignore.
            _put(buf, base.fmt_body + 8, "<I", rng.getrandbits(32))
            _put(buf, base.fmt_body + 12, "<H", rng.getrandbits(16))
        elif kind == "odd floats":
            _put_odd_floats(buf, base, rng)
            same = False
        elif kind in ("extra chunk", "huge extra chunk"):
            harmless = _insert_chunk(buf, base, rng, huge=kind == "huge extra chunk")
            return bytes(buf), [*done, kind], same and harmless
        elif kind == "data before fmt":
            fmt_chunk = bytes(buf[base.fmt_body - 8 : base.fmt_body + base.fmt_size])
            del buf[base.fmt_body - 8 : base.fmt_body + base.fmt_size]
            buf.extend(fmt_chunk)
            return bytes(buf), [*done, kind], False
        elif kind == "second fmt":
            fmt = struct.pack(
                "<HHIIHH", rng.choice(TAGS), rng.choice(CHANNELS), rng.choice(RATES), 0, 0, rng.choice(BITS)
            )
            at = base.data_body - 8
            buf[at:at] = b"fmt " + struct.pack("<I", len(fmt)) + fmt
            return bytes(buf), [*done, kind], False
        elif kind == "garbage after data":
            buf.extend(bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 300))))
            if "streamed" in base.name:
                same = False  # no data size: the garbage is samples
        elif kind == "magic":
            i = rng.choice((0, 8))
            buf[i : i + 4] = rng.choice((b"RF64", b"RIFX", b"WAVE", b"RIFF", bytes(4)))
            same = False
        done.append(kind)
    return bytes(buf), done, same


# ---- one case ----------------------------------------------------------------------------------


class _Hang(BaseException):
    """Raised by the alarm: a case ran past CASE_TIMEOUT_S."""


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    """SIGALRM's handler: end the case under way as a hang."""
    raise _Hang


class _ToCurrentStderr(logging.Handler):
    """The CLI logs to stderr; each case redirects sys.stderr, so look it up at every record."""

    def emit(self, record: logging.LogRecord) -> None:
        """Write the record to whatever sys.stderr is now."""
        sys.stderr.write(self.format(record) + "\n")


def _strict(name: str) -> NoReturn:
    """The hook json.loads calls on NaN and Infinity: neither is JSON."""
    raise ValueError(f"{name} is not JSON")


def _run_cli(path: str, carrier: float | None) -> tuple[int, str, str, str | None]:  # noqa: PLR0911 - a return per finding
    """(exit code, stdout, stderr, problem with them or None)."""
    from custom_components.uspd.engine.cli import main

    out, err = io.StringIO(), io.StringIO()
    args = ["detect", path] + ([] if carrier is None else ["--carrier", str(carrier)])
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(args)
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else 1
    stdout, stderr = out.getvalue(), err.getvalue()
    if "Traceback" in stderr:
        return code, stdout, stderr, "a traceback on stderr"
    if any(not line.startswith("uspd: ") for line in stderr.splitlines()):
        return code, stdout, stderr, "stderr has lines that are not uspd's"
    try:
        frames = [json.loads(line, parse_constant=_strict) for line in stdout.splitlines()]
    except ValueError as bad:
        return code, stdout, stderr, f"stdout is not JSON lines: {bad}"
    last = -math.inf
    for f in frames:
        if set(f) != {"t", "motion", "occupied", "score"} or f["motion"] not in MOTIONS:
            return code, stdout, stderr, f"odd frame {f}"
        if not (0.0 <= f["score"] <= 1.0) or not f["t"] > last:
            return code, stdout, stderr, f"score or time out of place: {f}"
        last = f["t"]
    errors = [line for line in stderr.splitlines() if line.startswith("uspd: error:")]
    if code == 0 and errors:
        return code, stdout, stderr, "an error line with exit 0"
    if code == 2 and len(errors) != 1:
        return code, stdout, stderr, "exit 2 without exactly one error line"
    if code not in (0, 2):
        return code, stdout, stderr, f"exit {code}"
    return code, stdout, stderr, None


def _run_recording(path: str) -> str | None:
    """Open the recording backend, read a few blocks and run them through an engine: a problem, or None."""
    with contextlib.redirect_stderr(io.StringIO()) as err:
        problem = _run_source(path)
    if any(not line.startswith("uspd: ") for line in err.getvalue().splitlines()):
        return "stderr has lines that are not uspd's"
    return problem


def _run_source(path: str) -> str | None:
    """Open the recording backend on `path` and run a few blocks through an engine: a problem, or None."""
    from custom_components.uspd.engine.pipeline import Engine, EngineConfig
    from custom_components.uspd.engine.sources import SourceConfig, SourceError, open_source

    try:
        source = open_source(SourceConfig(backend="recording", path=path, loop=True))
    except SourceError as err:
        if "\n" in str(err) or not err.reason:
            return f"SourceError not one line: {err!r}"
        return None
    try:
        engine = Engine(EngineConfig(source.audio_rate_hz, source.carrier_hz, source.channels))
        for _ in range(6):
            block = source.read()
            if block is None:
                break
            audio = block.audio
            if audio is None or audio.ndim != 2 or audio.shape[1] != source.channels or not len(audio):
                return f"odd block {None if audio is None else audio.shape}"
            for r in engine.process(audio):
                if not (math.isfinite(r.decision.score) and np.isfinite(r.frame.normalized_db).all()):
                    return f"non-finite frame at {r.frame.t_s}"
    except SourceError:
        return None
    finally:
        source.close()
    return None


def _cap_address_space(headroom: int) -> None:
    """Let an allocation past `headroom` fail as a MemoryError (a finding) instead of swapping or OOM-killing."""
    try:
        with Path("/proc/self/status").open() as status:
            size = next(int(line.split()[1]) << 10 for line in status if line.startswith("VmSize:"))
    except (OSError, StopIteration):
        return
    resource.setrlimit(resource.RLIMIT_AS, (size + headroom, resource.getrlimit(resource.RLIMIT_AS)[1]))


def fuzz(first_seed: int, count: int, workdir: str) -> dict[str, Any]:
    """Run `count` cases from `first_seed`: a summary, with every failure (and its file kept in workdir)."""
    root = logging.getLogger()
    root.handlers[:] = [_ToCurrentStderr()]
    root.handlers[0].setFormatter(logging.Formatter("uspd: %(message)s"))
    root.setLevel(logging.WARNING)
    np.seterr(all="ignore")  # as `python -m custom_components.uspd.engine` runs
    signal.signal(signal.SIGALRM, _on_alarm)
    files = bases()
    case = Path(workdir) / "case.wav"
    path = str(case)
    # The originals: their frames are what harmless mutations must reproduce; they also warm up
    # every import and cache before the memory baseline.
    expected: dict[str, str] = {}
    for base in files:
        case.write_bytes(base.data)
        code, stdout, _, problem = _run_cli(path, None)
        if code != 0 or problem or not stdout:
            return {"failures": [{"seed": None, "base": base.name, "problem": problem or f"original: exit {code}"}]}
        expected[base.name] = stdout
        if _run_recording(path) is not None:
            return {"failures": [{"seed": None, "base": base.name, "problem": "original: recording backend"}]}
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss << 10
    _cap_address_space(1 << 30)
    tracemalloc.start()
    failures: list[dict[str, Any]] = []
    outcomes = {"cli ok": 0, "cli error": 0}
    peak_max = 0
    start = time.monotonic()
    for seed in range(first_seed, first_seed + count):
        rng = random.Random(seed)
        base = files[rng.randrange(len(files))]
        data, done, same = _mutate(base, rng)
        carrier = base.carrier_hz if rng.random() < 0.25 else None
        case.write_bytes(data)
        tracemalloc.reset_peak()
        held = tracemalloc.get_traced_memory()[0]  # what earlier cases left is not this one's
        problem = None
        signal.setitimer(signal.ITIMER_REAL, CASE_TIMEOUT_S)
        try:
            code, stdout, _, problem = _run_cli(path, carrier)
            if problem is None and same and carrier is None and (code != 0 or stdout != expected[base.name]):
                problem = "a harmless mutation changed the result"
            outcomes["cli ok" if code == 0 else "cli error"] += 1
            if problem is None:
                problem = _run_recording(path)
        except _Hang:
            problem = f"no result within {CASE_TIMEOUT_S:.0f} s"
        except BaseException as err:  # noqa: BLE001 - anything that escapes is the finding
            problem = f"raised {type(err).__name__}: {err}"
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        peak = tracemalloc.get_traced_memory()[1] - held
        peak_max = max(peak_max, peak)
        if problem is None and peak > MAX_PEAK_BYTES:
            problem = f"peak {peak >> 20} MB"
        if problem is not None:
            kept = Path(workdir) / f"fail-{seed}.wav"
            kept.write_bytes(data)
            failures.append({"seed": seed, "base": base.name, "mutations": done, "problem": problem, "file": str(kept)})
    tracemalloc.stop()
    rss = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss << 10) - rss0
    return {
        "cases": count,
        "seconds": round(time.monotonic() - start, 2),
        "peak_mb": round(peak_max / 2**20, 1),
        "rss_growth_mb": round(rss / 2**20, 1),
        "outcomes": outcomes,
        "failures": failures,
    }


# ---- the test ----------------------------------------------------------------------------------


@pytest.mark.timeout(600)
def test_wav_fuzz(tmp_path: Path) -> None:
    code = (
        "import json, sys; from tests.base.test_wav_fuzz import fuzz; "
        f"print(json.dumps(fuzz({FIRST_SEED}, {CASES}, {str(tmp_path)!r})))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=False,
        timeout=max(240, CASES // 4),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout.splitlines()[-1])
    print(json.dumps({k: v for k, v in summary.items() if k != "failures"}))
    assert not summary["failures"], json.dumps(summary["failures"][:20], indent=1)
    assert summary["cases"] == CASES
    # Most files stay readable, and most mutations are refused cleanly: both paths are exercised.
    assert min(summary["outcomes"].values()) > CASES // 10
    assert summary["rss_growth_mb"] < MAX_PEAK_BYTES / 2**20
