"""What a satellite keeps across its own restarts: options, the last calibration, the last recalibration's time.

One small JSON file, replaced whole (written beside it, synced, renamed), so
a power cut leaves the old file or the new one, never half of either. A file
that cannot be read is set aside (``.bad``) and the satellite starts from
defaults: it calibrates again rather than failing to start.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engine.calibration import Calibration
from .options import Options

_LOGGER = logging.getLogger(__name__)
STATE_FILE = "state.json"


@dataclass(frozen=True)
class Stored:
    """Everything kept."""

    options: Options = field(default_factory=Options)
    calibration: Calibration | None = None
    last_recalibration: float | None = None  # Unix time the last automatic recalibration started
    occupied: bool = False  # the room was occupied when last seen: held again after a restart
    occupancy_changed: str | None = None  # ISO time of the last change of occupancy


class Store:
    """The state file of one satellite, in its own folder."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / STATE_FILE

    def load(self) -> Stored:
        """What was kept; defaults when there is nothing (first start) or it is unreadable (set aside)."""
        try:
            return _parse(json.loads(self.path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return Stored()
        except OSError as err:
            # Unreadable now (permissions, a failing card) is not damaged: keep it for when it reads again.
            _LOGGER.warning("%s cannot be read (%s): starting from defaults", self.path, err.strerror or err)
            return Stored()
        except (ValueError, TypeError, KeyError, RecursionError) as err:
            _LOGGER.warning("%s unreadable (%s): starting from defaults and calibrating again", self.path, err)
            with contextlib.suppress(OSError):
                self.path.replace(self.path.with_suffix(".bad"))
            return Stored()

    def save(self, stored: Stored) -> None:
        """Replace the file whole; OSError (a full disk, a read-only card) is the caller's to report."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data: dict[str, Any] = {"options": stored.options.as_dict()}
        if stored.calibration is not None:
            data["calibration"] = stored.calibration.as_dict()
        if stored.last_recalibration is not None:
            data["last_recalibration"] = stored.last_recalibration
        data["occupied"] = stored.occupied
        if stored.occupancy_changed is not None:
            data["occupancy_changed"] = stored.occupancy_changed
        staged = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}")
        try:
            with staged.open("w", encoding="utf-8") as f:
                json.dump(data, f, indent=1)
                f.flush()
                os.fsync(f.fileno())
            staged.replace(self.path)
        finally:
            staged.unlink(missing_ok=True)


def _parse(raw: object) -> Stored:
    if not isinstance(raw, dict):
        raise TypeError("not a JSON object")
    options = raw.get("options")
    calibration = raw.get("calibration")
    last: object = raw.get("last_recalibration")
    return Stored(
        options=Options.from_dict(options) if isinstance(options, dict) else Options(),
        calibration=Calibration.from_dict(calibration) if isinstance(calibration, dict) else None,
        last_recalibration=float(last)
        if isinstance(last, int | float) and not isinstance(last, bool) and math.isfinite(last)
        else None,
        occupied=raw.get("occupied") is True,
        occupancy_changed=changed if isinstance(changed := raw.get("occupancy_changed"), str) else None,
    )
