"""One engine per device, in its own daemon thread.

The worker owns the source and the engine; it never touches the caller's
state. It reports through two callbacks the caller makes thread-safe (the
integration wraps them in ``call_soon_threadsafe``): ``on_snapshot`` with the
latest state whenever motion or occupancy changes and otherwise every
``publish_s``, and ``on_error`` with a SourceError when the source fails,
after which it retries with backoff until stopped.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

from .detector import DetectorConfig, Motion
from .emission import Emission
from .pipeline import Engine, EngineConfig, FrameResult
from .recorder import BasebandCapture, BasebandClip, RecordingAborted
from .sources import AudioSource, SourceConfig, SourceError, open_source
from .spectrogram import DopplerHistory, render_png

_LOGGER = logging.getLogger(__name__)
BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class Snapshot:
    t_s: float
    motion: Motion
    occupied: bool
    score: float
    carrier_hz: float
    noise_floor_db: float
    carrier_snr_db: float
    channels: int
    audio_rate_hz: int
    xruns: int = 0  # audio over/underruns so far (sound cards)
    emitting: bool = True


class EngineWorker:
    def __init__(
        self,
        source_config: SourceConfig,
        detector: DetectorConfig,
        on_snapshot: Callable[[Snapshot], None],
        on_error: Callable[[SourceError], None],
        *,
        speed: float = 1.0,
        publish_s: float = 2.0,
        emission_on: bool = True,
        opener: Callable[[SourceConfig], AudioSource] = open_source,
    ) -> None:
        self.source_config = source_config
        self._detector = detector
        # Read by the thread every block: a bool swap is atomic, no lock needed.
        self._emission_on = emission_on
        self._on_snapshot = on_snapshot
        self._on_error = on_error
        self._speed = speed  # > 1 runs a simulation or a recording faster than real time
        self._publish_s = publish_s
        self._opener = opener
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._engine: Engine | None = None
        self._history: DopplerHistory | None = None
        # Capture requests come from the event loop; only the worker thread
        # reads this queue and owns the pending list.
        self._capture_requests: queue.SimpleQueue[BasebandCapture] = queue.SimpleQueue()
        self._pending: list[BasebandCapture] = []

    def start(self, source: AudioSource | None = None) -> None:
        """Start the thread, with an already-opened source if the caller tested one."""
        self._thread = threading.Thread(target=self._run, args=(source,), name="uspd-engine", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                _LOGGER.warning("uspd engine thread did not stop within %.0f s", timeout)
                return
        # Nobody will feed these any more: tell their waiters instead of leaving them hanging.
        while not self._capture_requests.empty():
            self._pending.append(self._capture_requests.get_nowait())
        for capture in self._pending:
            capture.future.set_exception(RecordingAborted("the engine stopped before the recording ended"))
        self._pending = []

    def set_emission(self, on: bool) -> None:
        """Turn the tone on or off (takes effect at the next block)."""
        self._emission_on = on

    def capture_baseband(self, seconds: float, rate_hz: float = 4000.0) -> Future[BasebandClip]:
        """The next `seconds` of demodulated baseband (never audio), delivered through a Future."""
        engine = self._engine
        rate = engine.plan.baseband_rate_hz if engine is not None else rate_hz
        capture = BasebandCapture(max(1, round(seconds * rate)))
        self._capture_requests.put(capture)
        return capture.future

    def doppler_png(self) -> bytes | None:
        """The recent Doppler band as a PNG (blocking: call from an executor), None before any audio."""
        history = self._history
        return None if history is None else render_png(history.image())

    def set_detector(self, detector: DetectorConfig) -> None:
        self._detector = detector
        if self._engine is not None:
            self._engine.reconfigure(detector)

    def _run(self, source: AudioSource | None) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                if source is None:
                    source = self._opener(self.source_config)
                failures = 0
                self._stream(source)
                return
            except SourceError as err:
                self._on_error(err)
                delay = BACKOFF_S[min(failures, len(BACKOFF_S) - 1)]
                failures += 1
                self._stop.wait(delay)
            except Exception as err:
                _LOGGER.exception("uspd engine failed")
                self._on_error(SourceError("engine_failed", f"engine failed: {err}"))
                self._stop.wait(BACKOFF_S[-1])
            finally:
                if source is not None:
                    source.close()
                    source = None

    def _stream(self, source: AudioSource) -> None:
        engine = Engine(EngineConfig(source.audio_rate_hz, source.carrier_hz, source.channels, detector=self._detector))
        self._engine = engine
        history = DopplerHistory(engine.speeds_ms, engine.plan.hop_s)
        self._history = history
        emitting = self._emission_on
        source.set_emission(Emission(carrier_hz=engine.plan.carrier_hz, on=emitting))
        started = time.monotonic()
        produced_s = 0.0
        last: FrameResult | None = None
        published_at = -1e9
        while not self._stop.is_set():
            if self._emission_on != emitting:
                emitting = self._emission_on
                source.set_emission(Emission(carrier_hz=engine.plan.carrier_hz, on=emitting))
            block = source.read()
            if block is None:
                return
            if block.audio is not None:
                baseband = engine.demodulate(block.audio)
                produced_s += block.duration_samples / source.audio_rate_hz
            else:
                assert block.baseband is not None
                baseband = block.baseband
                produced_s += block.duration_samples / engine.plan.baseband_rate_hz
            while not self._capture_requests.empty():
                self._pending.append(self._capture_requests.get_nowait())
            if self._pending:
                rate, carrier = engine.plan.baseband_rate_hz, engine.plan.carrier_hz
                self._pending = [c for c in self._pending if not c.feed(baseband, rate, carrier)]
            results = engine.process_baseband(baseband)
            for r in results:
                history.append(r.frame.normalized_db)
                changed = last is None or (
                    r.decision.motion != last.decision.motion or r.decision.occupied != last.decision.occupied
                )
                last = r
                if changed or r.decision.t_s - published_at >= self._publish_s:
                    published_at = r.decision.t_s
                    self._on_snapshot(self._snapshot(r, source))
            if not source.hardware_paced:
                # Keep simulated and recorded time in step with the clock (× speed).
                ahead = produced_s / self._speed - (time.monotonic() - started)
                if ahead > 0:
                    self._stop.wait(ahead)

    def _snapshot(self, r: FrameResult, source: AudioSource) -> Snapshot:
        d = r.decision
        return Snapshot(
            t_s=d.t_s,
            motion=d.motion,
            occupied=d.occupied,
            score=d.score,
            carrier_hz=source.carrier_hz,
            noise_floor_db=r.noise_floor_db,
            carrier_snr_db=r.carrier_snr_db,
            channels=source.channels,
            audio_rate_hz=source.audio_rate_hz,
            xruns=int(getattr(source, "xruns", 0)),
            emitting=self._emission_on,
        )
