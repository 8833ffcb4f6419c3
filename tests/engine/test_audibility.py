"""Which devices sense with a tone people may hear: one rule for calibration, the config flow and repairs."""

from __future__ import annotations

import pytest

from custom_components.uspd.engine.audibility import audible, only_audible_carriers, senses_audibly
from custom_components.uspd.engine.calibration import Calibration, candidate_carriers
from custom_components.uspd.engine.sources import SourceConfig


def _calibration(carrier_hz: float, near_ultrasonic: bool) -> Calibration:
    """A calibration at `carrier_hz`, near-ultrasonic or not."""
    return Calibration(carrier_hz=carrier_hz, level=0.1, echo_snr_db=20.0, near_ultrasonic=near_ultrasonic, range_m=4.0)


def test_near_ultrasound_is_audible_and_ultrasound_is_not() -> None:
    assert audible(18000.0)
    assert audible(21000.0)
    assert not audible(24000.0)
    assert not audible(40000.0)


@pytest.mark.parametrize(("rate_hz", "only_audible"), [(44100, True), (48000, True), (96000, False), (192000, False)])
def test_a_rate_leaves_only_audible_carriers_when_the_sweep_has_no_other(rate_hz: int, only_audible: bool) -> None:
    assert only_audible_carriers(rate_hz) is only_audible
    # Calibration sweeps exactly the carriers the hardware may emit: the rule agrees with what it can pick.
    assert all(audible(c) for c in candidate_carriers(rate_hz)) is only_audible


def test_a_sound_card_at_48_khz_senses_audibly_before_any_calibration() -> None:
    assert senses_audibly(SourceConfig(backend="soundcard", audio_rate_hz=48000, carrier_hz=20000.0), None)
    assert not senses_audibly(SourceConfig(backend="soundcard", audio_rate_hz=96000), None)


def test_only_a_sound_card_is_judged_by_its_configured_rate() -> None:
    # A simulated room's rate is its scene's, a recording's its file's: the config's rate says nothing there.
    assert not senses_audibly(SourceConfig(backend="simulated", audio_rate_hz=48000), None)
    assert not senses_audibly(SourceConfig(backend="recording", audio_rate_hz=48000), None)


def test_a_calibration_that_fell_back_to_near_ultrasound_says_so_on_any_backend() -> None:
    for backend in ("simulated", "soundcard"):
        config = SourceConfig(backend=backend, audio_rate_hz=96000)
        assert senses_audibly(config, _calibration(21000.0, near_ultrasonic=True))
        assert not senses_audibly(config, _calibration(40000.0, near_ultrasonic=False))
