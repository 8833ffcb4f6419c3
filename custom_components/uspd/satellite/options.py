"""A satellite's options (what the integration keeps in its entry's options) and how commands change them."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from ..engine.detector import DetectorConfig

# As the integration's number entities (const.py): the same ranges on both.
SENSITIVITY_RANGE_PCT = (0.0, 100.0)
CLEAR_DELAY_RANGE_S = (5.0, 3600.0)
DEFAULT_SENSITIVITY_PCT = 50.0
DEFAULT_CLEAR_DELAY_S = 30.0


class CommandError(ValueError):
    """A command payload that is not one of the values its control accepts."""


@dataclass(frozen=True)
class Options:
    """What Home Assistant's controls set; kept on disk across the satellite's restarts."""

    sensitivity_pct: float = DEFAULT_SENSITIVITY_PCT
    clear_delay_s: float = DEFAULT_CLEAR_DELAY_S
    emission: bool = True
    power_save: bool = True

    def detector(self) -> DetectorConfig:
        """The detector's settings these options make."""
        return DetectorConfig(sensitivity_pct=self.sensitivity_pct, hold_s=self.clear_delay_s)

    def as_dict(self) -> dict[str, Any]:
        """For the store (JSON)."""
        return {
            "sensitivity_pct": self.sensitivity_pct,
            "clear_delay_s": self.clear_delay_s,
            "emission": self.emission,
            "power_save": self.power_save,
        }

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> Options:
        """Stored options; a value that is missing or out of range takes its default (CommandError never escapes)."""
        options = cls()
        for key, payload in (
            ("sensitivity", stored.get("sensitivity_pct")),
            ("clear_delay", stored.get("clear_delay_s")),
        ):
            try:
                options = options.with_command(key, str(payload))
            except CommandError:
                continue
        for key in ("emission", "power_save"):
            if isinstance(stored.get(key), bool):
                options = options.with_command(key, "ON" if stored[key] else "OFF")
        return options

    def with_command(self, key: str, payload: str) -> Options:
        """These options with one control's command applied; CommandError says why a payload is refused."""
        text = payload.strip()
        if key in ("emission", "power_save"):
            if text not in ("ON", "OFF"):
                raise CommandError(f"{key}: {_shown(text)} is neither ON nor OFF")
            on = text == "ON"
            return replace(self, emission=on) if key == "emission" else replace(self, power_save=on)
        if key in ("sensitivity", "clear_delay"):
            low, high = SENSITIVITY_RANGE_PCT if key == "sensitivity" else CLEAR_DELAY_RANGE_S
            try:
                value = float(text)
            except ValueError:
                raise CommandError(f"{key}: {_shown(text)} is not a number") from None
            if not (math.isfinite(value) and low <= value <= high):
                raise CommandError(f"{key}: {_shown(text)} is outside {low:g}…{high:g}")
            if key == "sensitivity":
                return replace(self, sensitivity_pct=value)
            return replace(self, clear_delay_s=value)
        raise CommandError(f"{key}: not a setting")


def _shown(text: str) -> str:
    """A payload as a log line may quote it: short, printable."""
    return repr(text[:40] + ("…" if len(text) > 40 else ""))
