"""Air: the speed of sound and ISO 9613-1 absorption, one implementation for every layer."""

from __future__ import annotations

import math


def speed_of_sound_mps(temperature_c: float = 20.0) -> float:
    """The speed of sound, c = 331.3·√(1 + T/273.15) m/s: 343.2 m/s at 20 °C."""
    return 331.3 * math.sqrt(1.0 + temperature_c / 273.15)


def absorption_db_per_m(
    freq_hz: float, temperature_c: float = 20.0, humidity_pct: float = 50.0, pressure_kpa: float = 101.325
) -> float:
    """Pure-tone atmospheric absorption, ISO 9613-1:1993 equations (3)–(5), (B.1)."""
    t = temperature_c + 273.15
    t0, t01, pr = 293.15, 273.16, 101.325
    pa = pressure_kpa / pr
    psat = 10 ** (-6.8346 * (t01 / t) ** 1.261 + 4.6151)
    h = humidity_pct * psat / pa
    fro = pa * (24 + 4.04e4 * h * (0.02 + h) / (0.391 + h))
    frn = pa * (t / t0) ** -0.5 * (9 + 280 * h * math.exp(-4.170 * ((t / t0) ** (-1 / 3) - 1)))
    f2 = freq_hz**2
    alpha = (
        8.686
        * f2
        * (
            1.84e-11 / pa * (t / t0) ** 0.5
            + (t / t0) ** -2.5
            * (0.01275 * math.exp(-2239.1 / t) / (fro + f2 / fro) + 0.1068 * math.exp(-3352.0 / t) / (frn + f2 / frn))
        )
    )
    return float(alpha)
