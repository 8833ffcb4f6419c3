"""Walk-ins with something else already sounding: whether the room still opens.

    scripts/lab walk_ins

The benchmark's walks with fans and music count major motion, not rooms
opened, and it has no walk-ins during another device's tone. This asks the
engine (shipped model, default 4-mic device, 40 kHz) about 10 seeded
walk-ins per distractor: a tone switched on 2 s before the walker comes in
(at four levels, 120–400 Hz from the carrier, inside the walking band), a
ceiling fan, a pedestal fan, music. For each: how many opened the room
after the walker came in, how many the distractor opened before, and the
median delay from the walker's entry.
"""

from __future__ import annotations

import numpy as np

import lab  # noqa: F401
from custom_components.uspd.engine.classifier import Classifier
from custom_components.uspd.engine.emission import Emission
from custom_components.uspd.engine.pipeline import Engine, EngineConfig
from custom_components.uspd.sim.render import Renderer
from custom_components.uspd.sim.scene import Fan, Interferer, Music, PedestalFan, Scene, Source, Walker

CARRIER_HZ = 40000.0
SECONDS = 12.0
ENTERS_S = 5.0
SCENES = 10


def _walker(rng: np.random.Generator) -> Walker:
    """In through the door at the far wall, towards a seat near the device."""
    return Walker(
        ((ENTERS_S, 0.3, rng.uniform(2.5, 4.5)), (ENTERS_S + 4.0, rng.uniform(3.0, 4.5), rng.uniform(1.0, 2.5)))
    )


def _opened(sources: tuple[Source, ...], seed: int) -> float | None:
    """When the room first opened (s), None if never."""
    scene = Scene("walk_in", SECONDS, sources=sources, seed=seed)
    renderer = Renderer(scene)
    engine = Engine(EngineConfig(96000, CARRIER_HZ, renderer.channels), Classifier.load())
    rate = engine.plan.baseband_rate_hz
    n = int(SECONDS * rate)
    y, audible = renderer.render_baseband(0, n, rate, Emission()), renderer.render_reference(0, n, rate, Emission())
    return next((r.decision.t_s for r in engine.process_baseband(y, audible) if r.decision.occupied), None)


def main() -> None:
    """Print, per distractor, how many walk-ins opened the room, how many it opened first, and how soon."""
    cases: list[tuple[str, int, object]] = [
        (f"tone at {level:g} dBFS", 100, level) for level in (-75.0, -65.0, -55.0, -45.0)
    ]
    cases += [("ceiling fan", 200, Fan), ("pedestal fan", 200, PedestalFan), ("music", 200, Music)]
    for name, base, what in cases:
        opened, early, delays = 0, 0, []
        for i in range(SCENES):
            rng = np.random.default_rng(i)
            walker = _walker(rng)
            if isinstance(what, float):
                offset = rng.uniform(120, 400) * rng.choice([-1, 1])
                other: Source = Interferer(CARRIER_HZ + offset, level_dbfs=what, start_s=ENTERS_S - 2.0)
            else:
                other = what(0.0, SECONDS)  # type: ignore[operator]
            t = _opened((walker, other), base + i)
            if t is not None and t >= ENTERS_S - 0.1:
                opened += 1
                delays.append(t - ENTERS_S)
            elif t is not None:
                early += 1
        median = f"{np.median(delays):.2f} s" if delays else "-"
        print(f"{name:20s} opened after the walk-in {opened}/{SCENES}, before it {early}, median delay {median}")


if __name__ == "__main__":
    main()
