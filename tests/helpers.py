"""Small scenes and recordings for tests (rendered by the real simulator)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.sim.recording import write_labelled_recording
from custom_components.uspd.sim.render import Renderer
from custom_components.uspd.sim.scene import Scene


def render_audio(scene: Scene, emission: Emission | None = None) -> np.ndarray:
    renderer = Renderer(scene)
    count = int(scene.duration_s * scene.device.audio_rate_hz)
    return renderer.render_passband(0, count, emission or Emission())


def write_scene_wav(path: Path, scene: Scene, emission: Emission | None = None) -> Path:
    """The scene as a labelled recording (its labels JSON lands beside the WAV)."""
    return write_labelled_recording(scene, path, emission)
