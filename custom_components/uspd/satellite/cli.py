"""The ``uspd`` command line: ``uspd detect`` (the engine's) and ``uspd satellite``.

``uspd satellite`` senses one room and publishes it to an MQTT broker with
Home Assistant's MQTT discovery until it is stopped (SIGTERM or Ctrl-C). A
setting that cannot work is one line on stderr and exit status 2; faults
while running (the broker, the sound card) are logged once and retried.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from ..engine import cli as engine_cli
from ..engine.blas import limit_blas_threads
from .config import BACKENDS, PASSWORD_ENV, ConfigError, build_config, read_config_file
from .topics import TopicError

_LOGGER = logging.getLogger("uspd")
EXIT_BAD_CONFIG = 2


def satellite_parser(sub: Any) -> argparse.ArgumentParser:
    """`uspd satellite`'s options; each may instead come from --config FILE (TOML, the same names with _)."""
    sat: argparse.ArgumentParser = sub.add_parser(
        "satellite",
        help="sense one room and publish it to Home Assistant through an MQTT broker",
        description="Sense one room and publish it with Home Assistant's MQTT discovery. "
        f"The broker's password comes from --password-file or ${PASSWORD_ENV}, never the command line.",
    )
    sat.add_argument("--config", type=Path, help="a TOML file with any of the settings below")
    sat.add_argument("--name", help='the room, as Home Assistant will name the device ("Living room")')
    sat.add_argument("--id", help="the topic id (default: made from the name, living_room)")
    sat.add_argument("--broker", help="mqtts://HOST[:8883] (TLS), or mqtt://HOST[:1883]")
    sat.add_argument("--username", help="the broker user")
    sat.add_argument("--password-file", dest="password_file", help="a file holding the broker user's password")
    sat.add_argument("--ca-file", dest="ca_file", help="the certificate authority that signed the broker's certificate")
    sat.add_argument("--cert-file", dest="cert_file", help="a client certificate, if the broker asks for one")
    sat.add_argument("--key-file", dest="key_file", help="the client certificate's key")
    sat.add_argument("--keepalive", type=float, help="seconds between keep-alives (default 30)")
    sat.add_argument("--discovery-prefix", dest="discovery_prefix", help="Home Assistant's (default homeassistant)")
    sat.add_argument("--state-dir", dest="state_dir", help="where options and calibration are kept")
    sat.add_argument("--backend", choices=BACKENDS, help="soundcard (default), simulated or recording")
    sat.add_argument("--device", help='the sound card, as PortAudio names it (default: "default")')
    sat.add_argument("--rate", type=float, help="the sound card's sample rate in Hz (default 96000)")
    sat.add_argument("--mics", type=float, help="microphone channels to use (default: the device's)")
    sat.add_argument("--carrier", type=float, help="the tone in Hz before calibration picks one (default 40000)")
    sat.add_argument("--scenario", help="the simulated room's scene (default demo_loop)")
    sat.add_argument("--path", help="the recording backend's WAV file")
    sat.add_argument("--speed", type=float, help=argparse.SUPPRESS)  # tests and the demo: faster than the clock
    sat.add_argument("-v", "--verbose", action="store_true", help="log more")
    return sat


def run_satellite(args: argparse.Namespace) -> int:
    """Check the settings, then sense and publish until SIGTERM or Ctrl-C."""
    from .satellite import Satellite  # the simulator and paho load only for this verb

    try:
        settings = read_config_file(args.config) if args.config else {}
        cli = {key: getattr(args, key, None) for key in settings.keys() | vars(args).keys()}
        settings.update({k: v for k, v in cli.items() if v is not None and k not in ("config", "verbose", "command")})
        config = build_config(settings)
    except (ConfigError, TopicError) as err:
        print(f"uspd: error: {err}", file=sys.stderr)
        return EXIT_BAD_CONFIG
    stop = threading.Event()

    def stop_on_signal(signum: int, frame: FrameType | None) -> None:
        _LOGGER.info("stopping (%s)", signal.Signals(signum).name)
        stop.set()

    previous = {signum: signal.signal(signum, stop_on_signal) for signum in (signal.SIGTERM, signal.SIGINT)}
    satellite = Satellite(config)
    _LOGGER.info(
        "%s (%s): %s source, broker %s, state in %s",
        config.name,
        config.topics.node_id,
        config.source.backend,
        config.broker.where,
        config.state_dir,
    )
    try:
        satellite.start()
        satellite.run(stop)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


def main(argv: list[str] | None = None) -> int:
    """The ``uspd`` command; returns the exit status."""
    args_list = sys.argv[1:] if argv is None else argv
    if args_list[:1] == ["detect"]:
        return engine_cli.main(args_list)
    parser = argparse.ArgumentParser(prog="uspd", description="Ultrasonic presence detection")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("detect", help="detect motion and occupancy in a multi-channel WAV recording (see uspd detect -h)")
    satellite_parser(sub)
    args = parser.parse_args(args_list)
    limit_blas_threads()
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="uspd satellite: %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    if not args.verbose:
        # paho's own chatter (every PINGREQ) only with --verbose; the name holds wherever the package is installed.
        logging.getLogger(f"{__package__}.link.paho").setLevel(logging.WARNING)
    return run_satellite(args)
