"""The ``uspd`` command line: ``uspd detect FILE.wav|- [--carrier HZ]``.

One JSON object per analysis frame on stdout, logs on stderr, and for bad
input a one-line error and a non-zero exit (never a traceback). It runs the
very Engine the integration runs.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import BinaryIO

import numpy as np

from ..base.wav import WavError, WavReader
from .blas import limit_blas_threads
from .carrier import NoCarrierError, detect_carrier
from .pipeline import Engine, EngineConfig, finite_samples
from .rates import RateError, check_audio_rate, check_mics

_LOGGER = logging.getLogger("uspd")
BLOCK_S = 0.5
CARRIER_SEARCH_S = 2.0
EXIT_BAD_INPUT = 2


class CliError(Exception):
    """A user-facing, one-line failure."""


def _open(path: str) -> BinaryIO:
    if path == "-":
        return sys.stdin.buffer
    base = os.environ.get("USPD_CWD", "")
    full = os.path.join(base, path) if base and not os.path.isabs(path) else path  # noqa: PTH117, PTH118 - as typed
    try:
        return open(full, "rb")  # noqa: PTH123 - as typed: Path("") is "." and drops a trailing "/"
    except OSError as err:
        raise CliError(f"{path}: {err.strerror}") from err


def detect(stream: BinaryIO, carrier_hz: float | None, out: object = None) -> int:
    """Stream a WAV through the engine, printing one JSON line per frame; returns frames printed."""
    write = sys.stdout.write if out is None else out.write  # type: ignore[attr-defined]
    reader = WavReader(stream)
    fmt = reader.format
    check_audio_rate(fmt.rate_hz)
    check_mics(fmt.channels)
    head = reader.read(int(CARRIER_SEARCH_S * fmt.rate_hz))
    if carrier_hz is None:
        # The engine cleans its own input (and counts what it replaced); the search needs clean audio too.
        carrier_hz = detect_carrier(finite_samples(head)[0], fmt.rate_hz)
        _LOGGER.info("carrier %.0f Hz found in the first %.1f s", carrier_hz, len(head) / fmt.rate_hz)
    engine = Engine(EngineConfig(fmt.rate_hz, carrier_hz, fmt.channels))
    _LOGGER.info(
        "%d mic(s) at %d Hz, carrier %.0f Hz → baseband %.0f Hz, frames every %.0f ms",
        fmt.channels,
        fmt.rate_hz,
        engine.plan.carrier_hz,
        engine.plan.baseband_rate_hz,
        1000 * engine.plan.hop_s,
    )
    block = max(1, int(BLOCK_S * fmt.rate_hz))
    frames = 0
    audio = head
    while len(audio):
        lines = []
        for r in engine.process(audio):
            d = r.decision
            lines.append(
                json.dumps(
                    {"t": round(d.t_s, 3), "motion": d.motion.value, "occupied": d.occupied, "score": round(d.score, 3)}
                )
            )
        if lines:
            write("\n".join(lines) + "\n")
            frames += len(lines)
        audio = reader.read(block)
    if engine.nonfinite_samples:
        _LOGGER.info("%d non-finite samples were replaced by 0", engine.nonfinite_samples)
    if reader.frames_missing:
        raise WavError(f"truncated: the data ends {reader.frames_missing} frames early")
    return frames


def main(argv: list[str] | None = None) -> int:
    """The ``uspd`` command; returns the exit status."""
    parser = argparse.ArgumentParser(prog="uspd", description="Ultrasonic presence detection engine")
    sub = parser.add_subparsers(dest="command", required=True)
    det = sub.add_parser("detect", help="detect motion and occupancy in a multi-channel WAV recording")
    det.add_argument("file", help="WAV file, or - for standard input")
    det.add_argument(
        "--carrier", type=float, help="carrier in Hz (default: the strongest steady tone in the rate's carrier range)"
    )
    det.add_argument("-v", "--verbose", action="store_true", help="log progress on stderr")
    args = parser.parse_args(argv)
    limit_blas_threads()
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="uspd: %(message)s", stream=sys.stderr
    )
    try:
        with _open(args.file) as stream:
            detect(stream, args.carrier)
    except (CliError, WavError, NoCarrierError, RateError, ValueError) as err:
        print(f"uspd: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # The reader went away (`| head`): not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
