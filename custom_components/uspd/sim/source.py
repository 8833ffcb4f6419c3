"""The simulated room as an audio source, and the opener that adds it to the engine's backends.

A library scene, looped, rendered block by block. The engine knows the sound
card and recordings; whoever runs it with the simulator too (the integration,
the lab, the demo) opens sources through ``open_source`` here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..engine import sources as engine_sources
from ..engine.emission import Emission
from ..engine.rates import RateError, plan_baseband
from ..engine.sources import CLOSED_LOOP, AudioSource, Block, SourceConfig, SourceError
from .library import SCENARIOS
from .render import Renderer
from .scene import Interferer, Scene

BLOCK_S = 0.05
# Another device's tone at these mics: a speaker a few metres off at its usual level, well over the noise.
NEIGHBOUR_DBFS = -45.0


class SimulatedRoom:
    """A library scene (or any scene) rendered block by block, looped unless told not to."""

    hardware_paced = False
    block_seconds = BLOCK_S
    closed_loop = CLOSED_LOOP["simulated"]
    xruns = 0  # rendered on demand: nothing to overrun

    def __init__(self, config: SourceConfig, scene: Scene | None = None) -> None:
        """The config's named scenario, or `scene` itself (tests and the lab)."""
        if scene is None and config.scenario not in SCENARIOS:
            raise SourceError("unknown_scenario", f"unknown scenario {config.scenario!r}")
        self.scene = scene if scene is not None else SCENARIOS[config.scenario]()
        self.renderer = Renderer(self.scene)
        self.audio_rate_hz = self.scene.device.audio_rate_hz
        self.channels = self.renderer.channels
        self.carrier_hz = config.carrier_hz
        try:
            self.plan = plan_baseband(self.audio_rate_hz, self.carrier_hz)
        except RateError as err:
            raise SourceError("unsupported_rate", str(err)) from err
        self.loop = config.loop
        self.baseband = config.baseband
        self.emission = Emission(carrier_hz=self.plan.carrier_hz)
        rate = self.plan.baseband_rate_hz if self.baseband else self.audio_rate_hz
        # Whole baseband samples per block so both renders cover the same time.
        self._block = max(1, round(BLOCK_S * self.plan.baseband_rate_hz)) * (
            1 if self.baseband else self.plan.decimation
        )
        self._length = int(self.scene.duration_s * rate)
        self._pos = 0
        self._own_tones = tuple(self.renderer.interferers)

    def hear_tones(self, carriers_hz: Sequence[float], level_dbfs: float = NEIGHBOUR_DBFS) -> None:
        """Other uspd devices in the same room: their tones reach these mics from the next block (any thread).

        The calibration twin shares the renderer, so a sweep hears them too and counts them as interferers.
        """
        heard = [Interferer(float(f), level_dbfs) for f in carriers_hz]
        self.renderer.interferers = [*self._own_tones, *heard]  # replaced whole: a render sees one list or the other

    @property
    def position_s(self) -> float:
        """Time within the scene of the next block (it restarts when the scene loops)."""
        rate = self.plan.baseband_rate_hz if self.baseband else self.audio_rate_hz
        return (self._pos % self._length) / rate

    def calibration_twin(self) -> SimulatedRoom:
        """The same room at this moment, for a calibration sweep that must not use up the scenario.

        The scenario is a script (the demo's walk-in comes at 5 s); a real
        room goes on while a sweep plays, a script would skip ahead.
        """
        twin = SimulatedRoom.__new__(SimulatedRoom)
        twin.__dict__.update(self.__dict__)
        twin.loop = True
        return twin

    def set_emission(self, emission: Emission) -> None:
        """The room hears this tone from the next block."""
        self.emission = emission

    def ground_truth(self) -> str | None:
        """The scene's script at this moment, in plain words."""
        return self.scene.describe(self.position_s)

    def read(self) -> Block | None:
        """The next block, passband or baseband as configured; None at the end of an unlooped scene."""
        if self._pos >= self._length and not self.loop:
            return None
        start = self._pos % self._length
        count = min(self._block, self._length - start)
        self._pos += count
        if self.baseband:
            rate = self.plan.baseband_rate_hz
            bb = self.renderer.render_baseband(start, count, rate, self.emission)
            return Block(baseband=bb, audible=self.renderer.render_reference(start, count, rate, self.emission))
        return Block(audio=np.asarray(self.renderer.render_passband(start, count, self.emission)))

    def close(self) -> None:
        """Nothing to release."""


def open_source(config: SourceConfig) -> AudioSource:
    """Open (and so test) any backend, the simulated room included; raises SourceError with a reason key."""
    if config.backend == "simulated":
        return SimulatedRoom(config)
    return engine_sources.open_source(config)
