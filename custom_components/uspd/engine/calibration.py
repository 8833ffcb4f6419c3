"""Self-calibration: pick the carrier and the emission level for this device in this room.

The sweep, on any closed-loop source (a sound card, the simulated room):
for each candidate carrier, 1 kHz apart from 18 kHz to 0.45·fs,

1. listen with the tone off (LISTEN_S): the noise per Doppler bin, and the
   strongest tone within the carrier's Doppler band (switch-mode supplies,
   other sensors) over that noise;
2. play the tone at PROBE_LEVEL (PROBE_S): the static phasor per mic over
   the emitted level is the device's response there (speaker × room × mic).

Then the choice (``choose``, a pure function): a carrier is usable where no
interferer sits in its Doppler band and a person at ``range_m`` would give
TARGET_ECHO_SNR_DB per Doppler bin at a level within the cap. The echo is
predicted from the measured direct path with the sonar equation
(EL − DL = TS − 40·log R − 2αR + 20·log d, body TS −10 dB, speaker–mic
distance d 5 cm, α from ISO 9613-1 at 20 °C/50 % RH). The highest usable
carrier wins (furthest from hearing), at the lowest level that keeps the
target. Only when nothing at or above 24 kHz is usable does a near-ultrasonic
carrier win, and the result says so (the integration raises a repair
issue: some people hear it).

Level caps are digital, since no speaker here is SPL-calibrated: −6 dBFS
above 24 kHz (the airborne-ultrasound limit is 110 dB SPL there, far above
what small speakers reach), −20 dBFS below it (75 dB SPL applies at 20 kHz,
and it is audible to many).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..base.acoustics import absorption_db_per_m, speed_of_sound_mps
from .bands import MAJOR_BAND_MPS
from .demodulate import Demodulator
from .emission import Emission
from .rates import MIN_CARRIER_HZ, emission_limit_hz, plan_baseband
from .sources import AudioSource

SWEEP_STEP_HZ = 1000.0
SWEEP_LOW_HZ = 18000.0
LISTEN_S = 0.25
PROBE_S = 0.4
PROBE_SETTLE_S = 0.1
PROBE_LEVEL = 0.05
AUDIBLE_BELOW_HZ = 24000.0
MAX_LEVEL = 0.5
MAX_LEVEL_AUDIBLE = 0.1
MIN_LEVEL = 0.01
TARGET_ECHO_SNR_DB = 20.0
DEFAULT_RANGE_M = 4.0
BODY_TS_DB = -10.0
DIRECT_PATH_M = 0.05
INTERFERER_DB = 10.0
REACH_SEARCH_M = (0.1, 20.0)
# A reach nearer than this raises a repair issue: in the lab's rooms whose reach fell short of it, walks went
# unreported far more often (10/16 under 2 m, 1/8 at 2-3 m, none of 55 at 3 m or more; `USPD_LAB=1 scripts/env
# python -m lab.why_missed --suite shifted --set shifted_walk`, its last line). 3 m: where the misses stop.
SHORT_REACH_M = 3.0
DEAD_RESPONSE_DB = -60.0  # below this the speaker (or mic) does not work at that carrier


def carrier_snr_db(static_amplitude: NDArray[np.float64], noise_db: float) -> float:
    """The carrier SNR, one definition for the calibration and the engine (DriftWatch compares the two).

    The dB of the mics' mean static amplitude (digital full scale) over the
    per-Doppler-bin noise power in dB. Not the mean of each mic's dB: with one
    mic 40 dB weaker that reads ~14 dB lower, a permanent "drift".
    """
    return static_db(static_amplitude) - noise_db


def static_db(static_amplitude: NDArray[np.float64]) -> float:
    """carrier_snr_db's numerator: the dB of the mics' mean static amplitude (the same for a whole block)."""
    return 20 * math.log10(float(np.add.reduce(static_amplitude, axis=None)) / static_amplitude.size + 1e-30)


class CalibrationError(Exception):
    """The source cannot be calibrated (a recording), or the sweep was interrupted."""


@dataclass(frozen=True)
class CarrierMeasurement:
    """What the sweep measured at one carrier, tone off and tone on."""

    carrier_hz: float
    response_db: tuple[float, ...]  # per mic: static level over emitted level
    noise_db: float  # per Doppler bin, dBFS, tone off
    interferer_db: float  # strongest bin in the Doppler band over the noise, tone off


@dataclass(frozen=True)
class Calibration:
    """The carrier and emission level chosen for this device in this room, and what the choice rests on."""

    carrier_hz: float
    level: float
    echo_snr_db: float  # predicted for a person at range_m
    near_ultrasonic: bool  # nothing at or above 24 kHz was usable
    range_m: float
    measurements: tuple[CarrierMeasurement, ...] = ()

    @property
    def carrier_snr_db(self) -> float:
        """The static tone over the per-bin noise the sweep measured at the chosen carrier and level.

        As the engine will read it (``carrier_snr_db``): each mic's static
        amplitude is its response at this level.
        """
        m = next((m for m in self.measurements if m.carrier_hz == self.carrier_hz), None)
        if m is None:
            return math.nan
        return carrier_snr_db(self.level * 10 ** (np.asarray(m.response_db) / 20), m.noise_db)

    @property
    def reach_m(self) -> float:
        """How far away a person's echo still reaches TARGET_ECHO_SNR_DB at the chosen level (echo_reach_m)."""
        return echo_reach_m(self.carrier_hz, self.echo_snr_db, self.range_m)

    def as_dict(self) -> dict[str, Any]:
        """The calibration as plain JSON-able data, for the config entry."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Calibration:
        """A calibration from ``as_dict``'s data."""
        ms = tuple(
            CarrierMeasurement(
                float(m["carrier_hz"]),
                tuple(float(r) for r in m["response_db"]),
                float(m["noise_db"]),
                float(m["interferer_db"]),
            )
            for m in d.get("measurements", ())
        )
        return cls(
            carrier_hz=float(d["carrier_hz"]),
            level=float(d["level"]),
            echo_snr_db=float(d["echo_snr_db"]),
            near_ultrasonic=bool(d["near_ultrasonic"]),
            range_m=float(d["range_m"]),
            measurements=ms,
        )


# Two devices' tones this far apart stay out of each other's baseband (±2 kHz) with a walker's Doppler (≤ ~1 kHz
# at 45 kHz) to spare: each sees the other's tone, if at all, as a still line outside its speed bands.
CARRIER_SEPARATION_HZ = 3000.0


def candidate_carriers(audio_rate_hz: int) -> list[float]:
    """The carriers the sweep tries at this audio rate, SWEEP_STEP_HZ apart."""
    # What the hardware may emit (rates.emission_limit_hz, 0.45·fs), stricter than what a recording may hold.
    top = math.floor(emission_limit_hz(audio_rate_hz) / SWEEP_STEP_HZ) * SWEEP_STEP_HZ
    low = max(SWEEP_LOW_HZ, MIN_CARRIER_HZ)
    return [float(f) for f in np.arange(low, top + 1, SWEEP_STEP_HZ)]


def echo_re_direct_db(carrier_hz: float, range_m: float) -> float:
    """A person's echo at range_m relative to the direct speaker→mic tone (sonar equation)."""
    return (
        BODY_TS_DB
        - 40 * math.log10(range_m)
        - 2 * absorption_db_per_m(carrier_hz) * range_m
        + 20 * math.log10(DIRECT_PATH_M)
    )


def echo_reach_m(carrier_hz: float, echo_snr_db: float, range_m: float = DEFAULT_RANGE_M) -> float:
    """The range at which a person's predicted echo SNR falls to TARGET_ECHO_SNR_DB, from its value at range_m.

    The sonar equation's range terms (echo_re_direct_db): 40·log R spreading and 2αR absorption, both falling
    with range, so one range answers; searched within 0.1–20 m (a room's scale) and clipped to it. NaN where
    the prediction is.
    """

    def snr(r: float) -> float:
        return echo_snr_db + echo_re_direct_db(carrier_hz, r) - echo_re_direct_db(carrier_hz, range_m)

    if math.isnan(echo_snr_db):
        return math.nan  # nothing predicted, nothing to say
    near, far = REACH_SEARCH_M
    if snr(near) <= TARGET_ECHO_SNR_DB:
        return near
    if snr(far) >= TARGET_ECHO_SNR_DB:
        return far
    for _ in range(40):  # bisection: 20 m / 2^40, far under a millimetre
        mid = 0.5 * (near + far)
        near, far = (mid, far) if snr(mid) > TARGET_ECHO_SNR_DB else (near, mid)
    # To the millimetre: a calibration that meets its target exactly reaches range_m, not a hair short of it.
    return round(0.5 * (near + far), 3)


def level_cap(carrier_hz: float) -> float:
    """The highest emission level allowed at this carrier: lower where the tone could be heard."""
    return MAX_LEVEL if carrier_hz >= AUDIBLE_BELOW_HZ else MAX_LEVEL_AUDIBLE


def echo_snr_at(m: CarrierMeasurement, level: float, range_m: float) -> float:
    """Predicted echo SNR per Doppler bin of a person at range_m, with the tone at `level`."""
    response = float(np.mean(m.response_db))
    return response + 20 * math.log10(level) + echo_re_direct_db(m.carrier_hz, range_m) - m.noise_db


def _needed_level(m: CarrierMeasurement, range_m: float) -> float:
    """Emission level at which a person at range_m reaches the target SNR per Doppler bin."""
    return 10 ** ((TARGET_ECHO_SNR_DB - echo_snr_at(m, 1.0, range_m)) / 20)


def clear_of(carrier_hz: float, avoid_hz: Sequence[float]) -> bool:
    """Whether a carrier keeps CARRIER_SEPARATION_HZ from every tone another uspd device plays."""
    return all(abs(carrier_hz - other) >= CARRIER_SEPARATION_HZ for other in avoid_hz)


def choose(
    measurements: list[CarrierMeasurement], range_m: float = DEFAULT_RANGE_M, avoid_hz: Sequence[float] = ()
) -> Calibration:
    """The carrier and level to use: the highest usable carrier, at the lowest level that reaches the target.

    Carriers within CARRIER_SEPARATION_HZ of `avoid_hz` (other uspd devices' tones) are left out while any other
    was measured: two devices that hear each other then keep out of each other's Doppler band.
    """
    if not measurements:
        raise CalibrationError("no carrier was measured")
    measurements = [m for m in measurements if clear_of(m.carrier_hz, avoid_hz)] or measurements
    usable = [
        m
        for m in measurements
        if m.interferer_db < INTERFERER_DB
        and min(m.response_db) > DEAD_RESPONSE_DB
        and _needed_level(m, range_m) <= level_cap(m.carrier_hz)
    ]
    ultrasonic = [m for m in usable if m.carrier_hz >= AUDIBLE_BELOW_HZ]
    if ultrasonic or usable:
        pick = max(ultrasonic or usable, key=lambda m: m.carrier_hz)
        level = min(max(_needed_level(pick, range_m), MIN_LEVEL), level_cap(pick.carrier_hz))
    else:
        # Nothing reaches the target: the best SNR there is, at its cap (docs/how-it-works.md, "Calibration", says why).
        clean = [m for m in measurements if m.interferer_db < INTERFERER_DB] or measurements
        pick = max(clean, key=lambda m: echo_snr_at(m, level_cap(m.carrier_hz), range_m))
        level = level_cap(pick.carrier_hz)
    return Calibration(
        carrier_hz=pick.carrier_hz,
        level=round(level, 4),
        echo_snr_db=round(echo_snr_at(pick, level, range_m), 1),
        near_ultrasonic=pick.carrier_hz < AUDIBLE_BELOW_HZ,
        range_m=range_m,
        measurements=tuple(measurements),
    )


def _capture(source: AudioSource, carrier_hz: float, emission: Emission, seconds: float) -> NDArray[np.complex128]:
    """`seconds` of baseband around carrier_hz with `emission` playing (demodulator start-up dropped)."""
    source.set_emission(emission)
    plan = plan_baseband(source.audio_rate_hz, carrier_hz)
    demod = Demodulator(plan, source.channels)
    skip = demod.settle_samples
    want = int(seconds * plan.baseband_rate_hz)
    parts: list[NDArray[np.complex128]] = []
    have = 0
    from .pipeline import finite_samples  # the engine's door (pipeline imports this module)

    while have < want:
        block = source.read()
        if block is None:
            raise CalibrationError("the source ended during calibration")
        if block.audio is not None:
            invalid = finite_samples(block.audio)[1]
            bb = demod.process(block.audio)
            drop = min(skip, bb.shape[1])
            bb, skip = bb[:, drop:], skip - drop
        else:
            assert block.baseband is not None
            invalid = finite_samples(block.baseband)[1]
            bb = block.baseband
        if invalid:
            # Even zeroed they skew the measurement: a corrupt sweep picks a wrong carrier, even an audible one.
            raise CalibrationError("the audio source delivered invalid samples (NaN, Inf or far past full scale)")
        parts.append(bb)
        have += bb.shape[1]
    return np.concatenate(parts, axis=1)[:, :want]


def _bin_powers(x: NDArray[np.complex128], window: int) -> NDArray[np.float64]:
    """Mean power per Doppler bin (fftshifted), normalised like the framer: a unit phasor reads 1."""
    taper = np.hanning(window + 2)[1:-1]
    taper = taper / taper.sum()
    n = x.shape[1] // window
    segs = x[:, : n * window].reshape(x.shape[0], n, window)
    segs = segs - segs.mean(axis=2, keepdims=True)
    spectra = np.fft.fftshift(np.fft.fft(segs * taper, axis=2), axes=2)
    power: NDArray[np.float64] = (np.abs(spectra) ** 2).mean(axis=(0, 1))
    return power


def measure(source: AudioSource, carrier_hz: float) -> CarrierMeasurement:
    """Listen with the tone off, then play it at PROBE_LEVEL: one carrier's measurement."""
    plan = plan_baseband(source.audio_rate_hz, carrier_hz)
    quiet = _capture(source, carrier_hz, Emission(carrier_hz=carrier_hz, level=0.0, on=False), LISTEN_S)
    power = _bin_powers(quiet, plan.frame_window)
    freqs = np.fft.fftshift(np.fft.fftfreq(plan.frame_window, 1 / plan.baseband_rate_hz))
    band = np.abs(freqs) <= 2 * MAJOR_BAND_MPS[1] * carrier_hz / speed_of_sound_mps()
    floor = float(np.median(power)) + 1e-30
    probe = _capture(source, carrier_hz, Emission(carrier_hz=carrier_hz, level=PROBE_LEVEL), PROBE_S)
    settled = probe[:, int(PROBE_SETTLE_S * plan.baseband_rate_hz) :]
    static = np.abs(settled.mean(axis=1)) + 1e-30
    return CarrierMeasurement(
        carrier_hz=carrier_hz,
        response_db=tuple(round(float(20 * np.log10(s / PROBE_LEVEL)), 2) for s in static),
        noise_db=round(10 * math.log10(floor), 2),
        interferer_db=round(10 * math.log10(float(power[band].max()) / floor), 2),
    )


def calibrate(
    source: AudioSource,
    range_m: float = DEFAULT_RANGE_M,
    stop: threading.Event | None = None,
    avoid_hz: Sequence[float] | Callable[[], Sequence[float]] = (),
) -> Calibration:
    """Sweep every candidate carrier on `source` (blocking; ~0.65 s of audio each), then choose."""
    if not source.closed_loop:
        raise CalibrationError("this source cannot emit a tone (a recording): nothing to calibrate")
    measurements = []
    for fc in candidate_carriers(source.audio_rate_hz):
        if stop is not None and stop.is_set():
            raise CalibrationError("calibration was interrupted")
        measurements.append(measure(source, fc))
    # Read at the end: announcements heard during the sweep count (a satellite's first sweep starts before it connects).
    return choose(measurements, range_m, avoid_hz() if callable(avoid_hz) else avoid_hz)


# Recalibrate when the carrier SNR has been this far from what calibration
# measured for this long (the device moved, a speaker aged, a room changed),
# at most once per RECALIBRATE_EVERY_S of wall-clock time: the limit outlives
# streams (each calibration starts one) and restarts (the integration keeps
# the time with the entry), or a drift that persists would sweep, with probes
# people can hear from 18 kHz, every DRIFT_S.
DRIFT_DB = 10.0
DRIFT_S = 60.0
RECALIBRATE_EVERY_S = 3600.0


class DriftWatch:
    """Whether the carrier SNR has stayed DRIFT_DB away from the calibration's for DRIFT_S of stream time."""

    def __init__(self, expected_snr_db: float) -> None:
        self.expected = expected_snr_db
        self._since: float | None = None

    def update(self, t_s: float, carrier_snr_db: float) -> bool:
        """True for as long as the drift has lasted DRIFT_S (``recalibration_due`` rate-limits the sweeps)."""
        if math.isnan(self.expected) or math.isnan(carrier_snr_db) or abs(carrier_snr_db - self.expected) < DRIFT_DB:
            self._since = None
            return False
        if self._since is None:
            self._since = t_s
        return t_s - self._since >= DRIFT_S


def recalibration_due(now_s: float, last_s: float | None) -> bool:
    """Whether an automatic recalibration may start at wall-clock `now_s`, the last one having started at `last_s`.

    A last time in the future (the clock was set back) does not block.
    """
    return last_s is None or not 0.0 <= now_s - last_s < RECALIBRATE_EVERY_S
