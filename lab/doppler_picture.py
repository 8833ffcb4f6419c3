"""The Doppler image of a seeded scene, as the integration's image entity draws it.

scripts/env python -m lab.doppler_picture [--scenario walk_in_and_leave] [--seconds 18] OUT.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.engine.pipeline import Engine, EngineConfig
from custom_components.uspd.engine.spectrogram import DopplerHistory, render_png
from custom_components.uspd.sim.library import SCENARIOS
from custom_components.uspd.sim.render import Renderer


def main() -> None:
    """Write the Doppler image of a seeded scene to OUT."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--scenario", default="walk_in_and_leave", choices=sorted(SCENARIOS))
    parser.add_argument("--seconds", type=float, default=18.0)
    args = parser.parse_args()
    scene = SCENARIOS[args.scenario]()
    renderer = Renderer(scene)
    engine = Engine(EngineConfig(scene.device.audio_rate_hz, 40000.0, renderer.channels))
    rate = engine.plan.baseband_rate_hz
    history = DopplerHistory(engine.speeds_mps, engine.plan.hop_s)
    block = 400
    for i in range(int(args.seconds * rate / block)):
        bb = renderer.render_baseband(i * block, block, rate, Emission())
        for result in engine.process_baseband(bb, renderer.render_reference(i * block, block, rate, Emission())):
            history.append(result.frame.normalized_db)
    args.out.write_bytes(render_png(history.image(), x_scale=2, y_scale=2))


if __name__ == "__main__":
    main()
