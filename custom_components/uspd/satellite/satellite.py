"""One satellite: the engine's worker on one source, bridged to its broker connection.

The worker thread reports snapshots, errors and calibrations; the broker
thread (link.py) delivers commands. Both only hand values over: the worker's
methods queue requests for its own thread, and what is to be published goes
into `Retained`, which the broker thread sends. The state topic changes at
once when what an automation reads changes (occupancy, motion, a control),
and otherwise at most every `DIAGNOSTIC_INTERVAL_S`.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime

from ..engine.calibration import Calibration, clear_of
from ..engine.classifier import MODEL_PATH, SELF_CHECK_PATH, Classifier, ModelError
from ..engine.session import Snapshot
from ..engine.sources import AudioSource, SourceConfig, SourceError, can_calibrate
from ..engine.worker import EngineWorker
from ..sim.source import SimulatedRoom, open_source
from .config import SatelliteConfig
from .discovery import COMMAND_KEYS, discovery_config, encode, state_payload
from .link import Link, Retained
from .options import CommandError, Options
from .store import Store, Stored
from .topics import OFFLINE, ONLINE, TopicError, check_node_id

_LOGGER = logging.getLogger(__name__)
# Diagnostics (noise floor, SNR, …) reach Home Assistant at most this often: a recorder row a minute, not every 2 s.
DIAGNOSTIC_INTERVAL_S = 60.0
# Other uspd devices whose tones are kept clear of: more than a home has; the rest are ignored (bounded memory).
MAX_OTHER_DEVICES = 32
# What Home Assistant shows as the device's model.
MODELS = {"soundcard": "uspd satellite (sound card)", "simulated": "uspd satellite (simulated room)"}
# Keys of the state whose change is published at once.
PROMPT_KEYS = (
    "occupancy",
    "motion",
    "motion_type",
    "calibrating",
    "sensitivity",
    "clear_delay",
    "emission",
    "power_save",
)


class Satellite:
    """Senses one device and publishes it; `run` blocks until its stop event is set."""

    def __init__(
        self,
        config: SatelliteConfig,
        *,
        opener: Callable[[SourceConfig], AudioSource] = open_source,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.topics = config.topics
        self.store = Store(config.state_dir)
        self._stored = self.store.load()
        self._opener = opener
        self._clock = clock
        self._lock = threading.Lock()  # the worker's and the broker's threads both update what follows
        self._save_lock = threading.Lock()
        self._save_error: str | None = None
        self._model_error_logged = False
        self._snapshot: Snapshot | None = None
        self._published: dict[str, object] = {}
        self._published_at = 0.0
        self._occupancy_changed: str | None = self._stored.occupancy_changed
        self._bad_commands: set[str] = set()
        self._source_failing: str | None = None
        self.retained = Retained()
        model = MODELS.get(config.source.backend, "uspd satellite (recording)")
        self.retained.set(self.topics.discovery, encode(discovery_config(self.topics, config.name, model)))
        self.retained.set(self.topics.sensing, OFFLINE)  # until audio flows
        self.link = Link(
            config.broker,
            self.topics,
            self.retained,
            self.command,
            COMMAND_KEYS,
            self.carrier_heard,
            client_id=f"uspd-{self.topics.node_id}",
        )
        self._others_hz: dict[str, float] = {}  # other uspd devices' announced tones, by node id
        self._room: SimulatedRoom | None = None  # the simulated room being sensed, if that is the source
        self._moved_for: set[tuple[str, float]] = set()  # announcements already calibrated away from
        self.worker: EngineWorker | None = None

    @property
    def options(self) -> Options:
        """The controls' settings now."""
        return self._stored.options

    def start(self) -> None:
        """Load the model and start sensing (the worker opens the source and retries it with backoff)."""
        stored = self._stored
        self.worker = EngineWorker(
            self.config.source,
            stored.options.detector(),
            self._on_snapshot,
            self._on_error,
            speed=self.config.speed,
            emission_on=stored.options.emission,
            classifier=_load_classifier(),
            power_save=stored.options.power_save,
            calibration=stored.calibration,
            on_calibrated=self._on_calibrated,
            last_recalibration=stored.last_recalibration,
            on_recalibration=self._on_recalibration,
            opener=self._open,
            clock=self._clock,
        )
        if stored.occupied:
            # Someone was there when the satellite stopped: hold the room as the integration does after a restart.
            self.worker.assume_occupied()
        self.worker.start()
        if stored.calibration is None and can_calibrate(self.config.source.backend):
            _LOGGER.info("no calibration kept: calibrating (about a minute)")
            self._watch(self.worker.calibrate())

    def run(self, stop: threading.Event) -> None:
        """Serve the broker until `stop` is set, then stop sensing."""
        try:
            self.link.run(stop)
        finally:
            if self.worker is not None:
                self.worker.stop()

    def command(self, key: str, payload: str) -> None:
        """A control's command from Home Assistant (the broker's thread): applied, kept, or refused in one line."""
        worker = self.worker
        if key == "calibrate":
            if payload.strip() != "PRESS":
                self._refuse(key, f"calibrate: {payload[:40]!r} is not PRESS")
            elif worker is not None and worker.calibrating:
                _LOGGER.info("calibrate: already calibrating")
            elif worker is not None and can_calibrate(self.config.source.backend):
                _LOGGER.info("calibrating, as asked")
                self._watch(worker.calibrate())
            else:
                _LOGGER.warning("calibrate: a %s source cannot be calibrated", self.config.source.backend)
            return
        try:
            options = self.options.with_command(key, payload)
        except CommandError as err:
            self._refuse(key, str(err))
            return
        with self._lock:
            self._stored = self._replace(options=options)
        self._save()
        if worker is not None:
            worker.set_detector(options.detector())
            worker.set_emission(options.emission)
            worker.set_power_save(options.power_save)
        self._publish_state(force=True)

    def _open(self, config: SourceConfig) -> AudioSource:
        """Open the source (the worker's thread); a simulated room hears the other satellites' tones."""
        source = self._opener(config)
        if isinstance(source, SimulatedRoom):
            with self._lock:
                self._room = source
                others = tuple(self._others_hz.values())
            source.hear_tones(others)
        return source

    def carrier_heard(self, node_id: str, payload: str) -> None:
        """Another uspd device announced its tone (the broker's thread); keep clear of it."""
        carrier = _announced_carrier(payload)
        try:
            check_node_id(node_id)
        except TopicError:
            return  # not a uspd device's id: nothing to keep, nothing to log
        with self._lock:
            if carrier is None:
                self._others_hz.pop(node_id, None)  # gone (its retained announcement cleared) or unreadable
            elif node_id in self._others_hz or len(self._others_hz) < MAX_OTHER_DEVICES:
                self._others_hz[node_id] = carrier
            others = tuple(self._others_hz.values())
            room = self._room
        if room is not None:
            # Simulated satellites share one room's air: each hears the others as a real device would.
            room.hear_tones(others)
        if self.worker is not None:
            self.worker.avoid_carriers(others)
        self._keep_clear()

    def _keep_clear(self) -> None:
        """Calibrate away from another device's tone that is too near this one's (any thread).

        Of two devices on the same tone, the one whose id sorts later moves, so they never both sweep; each
        announcement is moved away from once. Checked when a tone is heard and when this device's changes.
        """
        worker = self.worker
        if worker is None or worker.calibrating or not can_calibrate(self.config.source.backend):
            return
        mine = worker.calibration.carrier_hz if worker.calibration is not None else None
        with self._lock:
            if mine is None and self._snapshot is not None:
                mine = self._snapshot.carrier_hz
            near = [
                (node_id, carrier)
                for node_id, carrier in sorted(self._others_hz.items())
                if mine is not None
                and not clear_of(mine, (carrier,))
                and node_id < self.topics.node_id
                and (node_id, carrier) not in self._moved_for
            ]
            if not near:
                return
            self._moved_for.update(near)
        node_id, carrier = near[0]
        _LOGGER.info("%s plays %.0f Hz, too near this one's %.0f Hz: calibrating away from it", node_id, carrier, mine)
        self._watch(worker.calibrate())

    # The worker thread's callbacks.

    def _on_snapshot(self, snapshot: Snapshot) -> None:
        if snapshot.model_error is not None and not self._model_error_logged:
            self._model_error_logged = True
            _LOGGER.warning("the motion model failed (%s): the baseline detector senses on", snapshot.model_error)
        if self._source_failing is not None:
            _LOGGER.info("audio source is back")
            self._source_failing = None
        self.retained.set(self.topics.sensing, ONLINE)
        with self._lock:
            before = self._snapshot
            self._snapshot = snapshot
            # The first snapshot after a start changes nothing if the room is as it was kept.
            was = self._stored.occupied if before is None else before.occupied
            changed = was != snapshot.occupied
            if changed:
                self._occupancy_changed = datetime.fromtimestamp(self._clock(), UTC).isoformat(timespec="seconds")
                self._stored = self._replace(occupied=snapshot.occupied, occupancy_changed=self._occupancy_changed)
        if changed:
            self._save()
        if before is None or before.carrier_hz != snapshot.carrier_hz or before.calibrating != snapshot.calibrating:
            self.retained.set(self.topics.carrier, encode({"carrier_hz": round(snapshot.carrier_hz)}))
            self._keep_clear()
        self._publish_state()

    def _on_error(self, error: SourceError) -> None:
        if str(error) != self._source_failing:
            _LOGGER.warning("audio source failed: %s; retrying", error)
            self._source_failing = str(error)
        self.retained.set(self.topics.sensing, OFFLINE)

    def _on_calibrated(self, calibration: Calibration) -> None:
        _LOGGER.info(
            "calibrated: carrier %.0f Hz, level %.3f, %.1f dB predicted at %.1f m",
            calibration.carrier_hz,
            calibration.level,
            calibration.echo_snr_db,
            calibration.range_m,
        )
        with self._lock:
            self._stored = self._replace(calibration=calibration)
        self._save()

    def _on_recalibration(self, started_at: float) -> None:
        with self._lock:
            self._stored = self._replace(last_recalibration=started_at)
        self._save()

    # Helpers.

    def _publish_state(self, *, force: bool = False) -> None:
        with self._lock:
            snapshot = self._snapshot
            if snapshot is None:
                return
            state = state_payload(snapshot, self._stored.options, self._occupancy_changed)
            prompt = {k: state[k] for k in PROMPT_KEYS}
            now = time.monotonic()
            due = now - self._published_at >= DIAGNOSTIC_INTERVAL_S
            if not (force or due or prompt != self._published):
                return
            self._published = prompt
            self._published_at = now
        self.retained.set(self.topics.state, encode(state))

    def _replace(self, **changes: object) -> Stored:
        """What is stored, with `changes` (call with the lock held)."""
        from dataclasses import replace

        return replace(self._stored, **changes)  # type: ignore[arg-type]

    def _save(self) -> None:
        # One save at a time, of the newest state: the worker's and the broker's threads both save.
        with self._save_lock:
            with self._lock:
                stored = self._stored
            try:
                self.store.save(stored)
            except OSError as err:
                # Sensing goes on; only what survives a restart is at risk, and the next change tries again.
                why = err.strerror or str(err)
                if why != self._save_error:
                    _LOGGER.warning("could not keep settings in %s: %s", self.store.path, why)
                self._save_error = why
            else:
                self._save_error = None

    def _refuse(self, key: str, why: str) -> None:
        # Once per control at warning level: a misbehaving publisher must not fill the log.
        if key not in self._bad_commands:
            self._bad_commands.add(key)
            _LOGGER.warning("command ignored: %s", why)
        else:
            _LOGGER.debug("command ignored: %s", why)

    @staticmethod
    def _watch(future: Future[Calibration]) -> None:
        def done(f: Future[Calibration]) -> None:
            error = None if f.cancelled() else f.exception()
            if error is not None and "interrupted" not in str(error) and "stopped" not in str(error):
                _LOGGER.warning("calibration failed (%s); sensing with what it had", error)

        future.add_done_callback(done)


def _announced_carrier(payload: str) -> float | None:
    """The tone in another device's announcement; None for a cleared or unreadable one."""
    try:
        value = json.loads(payload[:200])["carrier_hz"]
        carrier = float(value)
    except (ValueError, KeyError, TypeError, ArithmeticError, RecursionError):
        return None
    return carrier if math.isfinite(carrier) and 1_000.0 <= carrier <= 200_000.0 else None


def _load_classifier() -> Classifier | None:
    """The shipped network, or None: the baseline detector senses without it."""
    try:
        return Classifier.load(MODEL_PATH, self_check=SELF_CHECK_PATH)
    except ModelError as err:
        _LOGGER.warning("motion model not loaded, using the baseline detector: %s", err)
        return None
