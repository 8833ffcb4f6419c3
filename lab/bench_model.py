"""Per-frame time of the shipped model or --model's (numpy executor, LiteRT, one thread), the detector, the rules.

USPD_LAB=1 scripts/env python -m lab.bench_model [--model PATH]

--model: another .tflite (a longer window's too: scripts/lab train --frames).
The numpy executor is timed twice: on one window again and again (nothing
to reuse), and on windows each a frame newer, as the engine asks it (the
rows of an unstrided convolution that only shifted are reused).
"""

from __future__ import annotations

import argparse
import functools
import itertools
import timeit
from collections.abc import Iterator

import numpy as np

import lab  # noqa: F401
from custom_components.uspd.engine.classifier import MODEL_PATH
from custom_components.uspd.engine.detector import Detector, DetectorConfig
from custom_components.uspd.engine.evidence import network_evidence
from custom_components.uspd.engine.features import CONTEXT_FRAMES, GRID_BINS, GRID_SPEEDS_MPS, scale_db
from custom_components.uspd.engine.lines import beside_db, find_lines, lines_in
from custom_components.uspd.engine.symmetry import symmetric_power
from custom_components.uspd.engine.tflite_numpy import NumpyModel
from custom_components.uspd.engine.walking import WalkingWindow

from .model_arg import tflite

SLIDE_FRAMES = 2000


def main() -> None:
    """Time one inference on each executor, and the detector's window rules."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=tflite, default=MODEL_PATH, help="another .tflite (default: the shipped one)")
    path = parser.parse_args().model
    model = NumpyModel(path.read_bytes())
    x = np.random.default_rng(0).normal(size=model.input_shape).astype(np.float32)
    numpy_ms = min(timeit.repeat(lambda: model.run(x), number=200, repeat=5)) / 200 * 1e3
    print(f"numpy executor: {numpy_ms:.3f} ms per inference")
    # As the engine asks it: each window one frame newer than the last, so rows that only shifted are reused.
    length = model.input_shape[1]
    stream = np.random.default_rng(0).normal(size=(length + SLIDE_FRAMES, GRID_BINS)).astype(np.float32)
    at = itertools.count()

    def slide() -> None:
        i = next(at) % SLIDE_FRAMES  # wraps once in SLIDE_FRAMES calls: one window with nothing to reuse
        model.run(stream[i : i + length].reshape(model.input_shape))

    sliding_ms = min(timeit.repeat(slide, number=200, repeat=5)) / 200 * 1e3
    print(f"numpy executor, each window a frame newer: {sliding_ms:.3f} ms per inference")
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(path), num_threads=1)
    interp.allocate_tensors()
    index = interp.get_input_details()[0]["index"]

    def invoke() -> None:
        interp.set_tensor(index, x)
        interp.invoke()

    litert_ms = min(timeit.repeat(invoke, number=200, repeat=5)) / 200 * 1e3
    print(f"LiteRT:         {litert_ms:.3f} ms per inference")

    det = Detector(DetectorConfig(), network=True)
    probs = model.run(x)[0]
    frames = iter(range(10**9))

    def decide() -> None:
        det.update(next(frames) * 0.025, network_evidence(probs, (3.0, 2.0, 0.5)))

    detector_us = min(timeit.repeat(decide, number=2000, repeat=5)) / 2000 * 1e6
    print(f"detector:       {detector_us:.1f} µs per frame (evidence + state machine)")

    def rules(walking: WalkingWindow, stack: np.ndarray, rows: Iterator[np.ndarray]) -> None:
        """One frame as the engine does it: the newest row into the feature stack and the walking window, both rules."""
        row = next(rows)
        stack[:-1] = stack[1:]  # as features.FeatureStack.push slides it
        stack[-1] = row
        walking.push(row)
        lines = lines_in(stack, walking.db, walking.peaks)
        beside_db(lines)
        symmetric_power(walking.power, without=lines.own)

    # The window rules' window, (CONTEXT_FRAMES, GRID_BINS): noise (0 dB over the floor on average), then a tone in it.
    noise_db = 10 * np.log10(np.random.default_rng(1).exponential(1.0, (CONTEXT_FRAMES, GRID_BINS)))
    stack = scale_db(noise_db)
    noise_db[:, int(np.argmin(np.abs(GRID_SPEEDS_MPS - 1.5)))] = 30.0
    toned = scale_db(noise_db)
    assert find_lines(toned).still
    assert not find_lines(stack).still
    for name, window in (("", stack), (", a tone in the window", toned)):
        walking = WalkingWindow()
        rows = itertools.cycle(window)  # the window's frames again and again: the same window every 12 frames
        held = np.zeros_like(window)
        for _ in range(len(window)):
            row = next(rows)
            held[:-1] = held[1:]
            held[-1] = row
            walking.push(row)
        lines = lines_in(held, walking.db, walking.peaks)
        assert bool(lines.still) == bool(find_lines(window).still)
        step = functools.partial(rules, walking, held, rows)
        rules_us = min(timeit.repeat(step, number=2400, repeat=5)) / 2400 * 1e6
        print(f"still line and symmetry: {rules_us:.1f} µs per frame{name}")


if __name__ == "__main__":
    main()
