"""Emission levels in dBFS: the sensors and the calibrate action read the same conversion."""

from __future__ import annotations

import math

import pytest

from custom_components.uspd.engine.levels import SILENCE_LEVEL, level_dbfs


@pytest.mark.parametrize(("level", "dbfs"), [(1.0, 0.0), (0.5, -6.0206), (0.1, -20.0), (0.01, -40.0)])
def test_an_amplitude_reads_as_its_dbfs(level: float, dbfs: float) -> None:
    assert level_dbfs(level) == pytest.approx(dbfs, abs=1e-4)


@pytest.mark.parametrize("level", [0.0, SILENCE_LEVEL / 10, SILENCE_LEVEL])
def test_silence_reads_as_a_finite_floor(level: float) -> None:
    # The emission-level sensor shows the tone switched off as −120 dBFS, never -inf.
    assert level_dbfs(level) == pytest.approx(-120.0)
    assert math.isfinite(level_dbfs(level))


def test_louder_reads_higher() -> None:
    levels = [SILENCE_LEVEL * 2, 0.001, 0.05, 0.3, 1.0]
    readings = [level_dbfs(x) for x in levels]
    assert readings == sorted(readings)
    assert len(set(readings)) == len(readings)
