"""WAV headers that ask for absurd resources: refused cleanly, in bounded memory."""

from __future__ import annotations

import io
import struct
from collections.abc import Buffer
from pathlib import Path

import numpy as np
import pytest

from custom_components.uspd.base.wav import WavError, WavReader, WavWriter, write_wav

from ..helpers import peak_bytes, wav_bytes


@pytest.mark.parametrize(
    ("rate", "message"),
    [(20_000_003, "too high"), (384_001, "too high"), (0xFFFFFFFF, "too high"), (0, "invalid sample rate")],
)
def test_wav_rates_over_384000_are_refused(rate: int, message: str) -> None:
    with pytest.raises(WavError, match=message):
        WavReader(io.BytesIO(wav_bytes(rate=rate)))


@pytest.mark.parametrize("rate", [4000, 44_100, 48_000, 96_000, 192_000, 384_000])
def test_wav_rates_up_to_384000_are_read(rate: int) -> None:
    """Baseband recordings (uspd.record) are ~4 kHz: the 44.1 kHz floor is for microphone audio (below)."""
    assert WavReader(io.BytesIO(wav_bytes(rate=rate))).format.rate_hz == rate


@pytest.mark.parametrize("channels", [0, 17, 0xFFFF])
def test_wav_channel_counts_outside_1_to_16_are_refused(channels: int) -> None:
    with pytest.raises(WavError, match="channels"):
        WavReader(io.BytesIO(wav_bytes(channels=channels)))


class _Pipe(io.RawIOBase):
    """A stream that cannot seek (stdin from a pipe): a header, a long chunk of zeros made on demand, the rest."""

    def __init__(self, head: bytes, zeros: int, tail: bytes) -> None:
        self._parts: list[bytes | int] = [head, zeros, tail]

    def readable(self) -> bool:
        """Always: it is a read-only stream."""
        return True

    def readinto(self, buffer: Buffer) -> int:
        """Fill `buffer` from the parts in order; 0 once all are read."""
        view = memoryview(buffer).cast("B")
        while self._parts:
            part = self._parts[0]
            if isinstance(part, int):
                n = min(part, len(view))
                view[:n] = bytes(n)
                self._parts[0] = part - n
            else:
                n = min(len(part), len(view))
                view[:n] = part[:n]
                self._parts[0] = part[n:]
            if n:
                return n
            self._parts.pop(0)
        return 0


def test_unknown_chunks_on_a_pipe_are_skipped_in_bounded_pieces() -> None:
    size = 64 << 20
    wav = wav_bytes(rate=96000, channels=2, frames=3)
    riff, rest = wav[:12], wav[12:]
    stream = io.BufferedReader(_Pipe(riff + b"LIST" + struct.pack("<I", size), size, rest))
    readers: list[WavReader] = []
    peak, error = peak_bytes(lambda: readers.append(WavReader(stream)))
    assert error is None
    assert readers[0].format.rate_hz == 96000
    assert readers[0].read(10).shape == (3, 2)
    assert peak < 8 << 20


@pytest.mark.parametrize("float32", [True, False])
def test_a_wav_written_block_by_block_is_the_wav_written_at_once(tmp_path: Path, float32: bool) -> None:
    """uspd.record streams its WAV: the same bytes as the whole-array writer, the sizes put right at the end."""
    audio = np.random.default_rng(1).uniform(-1, 1, (1000, 3))
    write_wav(str(tmp_path / "whole.wav"), audio, 4009, float32=float32)
    with (tmp_path / "streamed.wav").open("wb") as f:
        writer = WavWriter(f, 4009, 3, float32=float32)
        for start, end in ((0, 1), (1, 400), (400, 999), (999, 1000)):
            writer.write(audio[start:end])
        writer.finish()
    assert (tmp_path / "streamed.wav").read_bytes() == (tmp_path / "whole.wav").read_bytes()
    with (tmp_path / "streamed.wav").open("rb") as f:
        assert WavReader(f).format.frames == 1000


def test_a_streamed_wav_cut_short_before_its_sizes_are_written_reads_to_its_end() -> None:
    stream = io.BytesIO()
    writer = WavWriter(stream, 4000, 2, float32=True)
    writer.write(np.ones((10, 2)))
    stream.seek(0)
    reader = WavReader(stream)
    assert reader.format.frames is None  # streamed, length unknown
    assert reader.read(100).shape == (10, 2)


def test_a_streamed_wav_refuses_blocks_of_another_channel_count() -> None:
    writer = WavWriter(io.BytesIO(), 4000, 2, float32=True)
    with pytest.raises(ValueError, match="the WAV has 2 channels"):
        writer.write(np.ones((10, 3)))
