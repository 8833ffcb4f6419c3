"""uspd.record's capture: bounded memory, and files saved whole or not at all."""

from __future__ import annotations

import numpy as np

from custom_components.uspd.engine.recorder import BasebandCapture, recording_bytes


def test_a_capture_holds_complex64_in_one_array_whatever_the_blocks() -> None:
    """A 600 s 8-mic capture would hold 154 MB at complex64 (847 MB as joined complex128 copies); values kept."""
    rng = np.random.default_rng(3)
    blocks = [rng.normal(size=(8, n)) + 1j * rng.normal(size=(8, n)) for n in (200, 333, 1000)]
    capture = BasebandCapture(1200)
    done = [capture.feed(b, 4000.0, 40000.0) for b in blocks]
    assert done == [False, False, True]
    clip = capture.future.result(timeout=0)
    assert clip.baseband.dtype == np.complex64
    assert clip.baseband.nbytes == 8 * 1200 * 8
    expected = np.concatenate(blocks, axis=1)[:, :1200].astype(np.complex64)
    assert np.array_equal(clip.baseband, expected)
    assert capture.feed(blocks[0], 4000.0, 40000.0)  # complete: nothing more is taken


def test_the_space_a_recording_needs_is_its_float32_i_and_q() -> None:
    """What the free-space check asks for: 600 s of 8 mics at 4 kHz is 154 MB, plus a little."""
    assert recording_bytes(600.0, 8, 4000.0) == 600 * 4000 * 2 * 8 * 4 + 64 * 1024
