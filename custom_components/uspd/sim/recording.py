"""Render a scene to a labelled recording (passband WAV + labels JSON)."""

from __future__ import annotations

from pathlib import Path

from ..base.labelled import LabelledRecording, write_labels
from ..base.wav import write_wav
from ..engine.emission import Emission
from .render import Renderer
from .scene import Scene


def write_labelled_recording(scene: Scene, wav: str | Path, emission: Emission | None = None) -> Path:
    """Render `scene` at its device's rate to `wav` (16-bit) and write its labels beside it."""
    emission = emission or Emission()
    fs = scene.device.audio_rate_hz
    audio = Renderer(scene).render_passband(0, int(scene.duration_s * fs), emission)
    write_wav(str(wav), audio, fs)
    write_labels(
        wav,
        LabelledRecording(
            fs=fs,
            carrier_hz=emission.carrier_hz,
            labels=tuple(scene.labels()),
            occupied=tuple(scene.occupied()),
            mics=scene.device.mics_m,
            speaker=scene.device.speaker_m,
            scene=scene.name,
            seed=scene.seed,
        ),
    )
    return Path(wav)
