"""The labelled-recording format: NAME.wav plus NAME.json (one reader, one writer).

JSON: {"fs", "carrier_hz", "mics": [[x, y, z]…], "speaker": [x, y, z], "scene",
"seed", "labels": [{"start", "end", "motion": "major"|"minor"}],
"occupied": [{"start", "end"}]} — seconds; positions in metres, optional.
The simulator writes it, the lab reads it, real recordings are labelled in it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Vec = tuple[float, float, float]


class LabelError(ValueError):
    """A labels file uspd cannot read."""


@dataclass(frozen=True)
class MotionLabel:
    """A stretch of motion the sensor should report: major (walking) or minor (hands, typing), in seconds."""

    start: float
    end: float
    motion: Literal["major", "minor"]


@dataclass(frozen=True)
class Span:
    """A stretch of the recording, in seconds from its start."""

    start: float
    end: float


@dataclass(frozen=True)
class LabelledRecording:
    """What is known about a recording: its rate and carrier, what happened when, where the mics and speaker were."""

    fs: int
    carrier_hz: float
    labels: tuple[MotionLabel, ...] = ()
    occupied: tuple[Span, ...] = ()
    mics: tuple[Vec, ...] | None = None
    speaker: Vec | None = None
    scene: str | None = None
    seed: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The labels file's JSON object, with the keys this reader did not know kept as they were."""
        out: dict[str, Any] = {"fs": self.fs, "carrier_hz": self.carrier_hz}
        if self.mics is not None:
            out["mics"] = [list(m) for m in self.mics]
        if self.speaker is not None:
            out["speaker"] = list(self.speaker)
        if self.scene is not None:
            out["scene"] = self.scene
        if self.seed is not None:
            out["seed"] = self.seed
        out["labels"] = [{"start": lab.start, "end": lab.end, "motion": lab.motion} for lab in self.labels]
        out["occupied"] = [{"start": s.start, "end": s.end} for s in self.occupied]
        return {**self.extra, **out}


def labels_path(wav: str | Path) -> Path:
    """The labels file beside a WAV: NAME.json for NAME.wav."""
    return Path(wav).with_suffix(".json")


def write_labels(wav: str | Path, recording: LabelledRecording) -> Path:
    """Write the labels beside the WAV; returns the labels file's path."""
    path = labels_path(wav)
    path.write_text(json.dumps(recording.to_json(), indent=1) + "\n")
    return path


def read_labels(wav: str | Path) -> LabelledRecording:
    """The labels beside a WAV; LabelError when they are missing or malformed."""
    path = labels_path(wav)
    try:
        raw = json.loads(path.read_text())
        labels = tuple(
            MotionLabel(float(x["start"]), float(x["end"]), _motion(x["motion"])) for x in raw.get("labels", [])
        )
        occupied = tuple(Span(float(x["start"]), float(x["end"])) for x in raw.get("occupied", []))
        mics = tuple(_vec(m) for m in raw["mics"]) if "mics" in raw else None
        known = {"fs", "carrier_hz", "mics", "speaker", "scene", "seed", "labels", "occupied"}
        return LabelledRecording(
            fs=int(raw["fs"]),
            carrier_hz=float(raw["carrier_hz"]),
            labels=labels,
            occupied=occupied,
            mics=mics,
            speaker=_vec(raw["speaker"]) if "speaker" in raw else None,
            scene=raw.get("scene"),
            seed=raw.get("seed"),
            extra={k: v for k, v in raw.items() if k not in known},
        )
    except OSError as err:
        raise LabelError(f"{path}: {err.strerror}") from err
    except (ValueError, KeyError, TypeError) as err:
        raise LabelError(f"{path}: not a uspd labels file ({err})") from err


def _motion(value: object) -> Literal["major", "minor"]:
    if value == "major":
        return "major"
    if value == "minor":
        return "minor"
    raise ValueError(f"motion must be 'major' or 'minor', not {value!r}")


def _vec(value: Any) -> Vec:
    x, y, z = (float(v) for v in value)
    return (x, y, z)
