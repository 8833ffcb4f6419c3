"""The one WAV reader: RIFF/WAVE PCM 16/24/32-bit and float 32/64, plain or extensible, streamed.

Only the header is read up front; samples come in blocks, so hours of audio
or stdin cost no memory. Errors are one-line ``WavError``s, never tracebacks.
Nothing in a header decides how much is allocated: the rate (at most
384 kHz) and channels (1-16) are bounded before any sample is read, the fmt
chunk's size too, and other chunks are skipped in bounded pieces (stdin
cannot seek).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from numpy.typing import NDArray

from .audio import MAX_AUDIO_RATE_HZ, MIN_AUDIO_RATE_HZ

PCM, FLOAT, EXTENSIBLE = 1, 3, 0xFFFE
# The lower bound is for readers of microphone audio (rates.check_audio_rate):
# this reader also reads uspd's own baseband recordings (~4 kHz).
MAX_RATE_HZ = MAX_AUDIO_RATE_HZ
# uspd.record's own files hold I and Q of up to 8 microphones; readers of
# microphone audio bound it to 8 (rates.check_mics).
MAX_CHANNELS = 16
# A fmt chunk is 16, 18 or 40 bytes; allow generous extensions, not megabytes.
MAX_FMT_BYTES = 1024
SKIP_PIECE = 1 << 16  # unknown chunks are read past this much at a time


class WavError(ValueError):
    """The file is not a WAV uspd can read."""


@dataclass(frozen=True)
class WavFormat:
    """A WAV's sample format, as its header gives it."""

    rate_hz: int
    channels: int
    bits: int
    is_float: bool
    frames: int | None  # None when streamed with an unknown length

    @property
    def frame_bytes(self) -> int:
        """Bytes per frame: one sample of every channel."""
        return self.channels * self.bits // 8


def _read_exact(f: BinaryIO, n: int) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise WavError("truncated WAV header")
    return data


def _skip(f: BinaryIO, n: int, cid: bytes) -> None:
    """Read past n bytes, SKIP_PIECE at a time: a chunk's claimed size never becomes one allocation."""
    while n > 0:
        got = len(f.read(min(n, SKIP_PIECE)))
        if got == 0:
            raise WavError(f"truncated WAV header: the {_name(cid)} chunk ends {n} bytes early")
        n -= got


def _name(cid: bytes) -> str:
    """A chunk id as printable text, whatever its bytes."""
    return repr(cid.decode("latin-1"))


class WavReader:
    """A WAV stream: the header read at once, the frames in blocks as float64."""

    def __init__(self, stream: BinaryIO) -> None:
        self._f = stream
        head = stream.read(12)
        if len(head) == 0:
            raise WavError("empty file")
        if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64") or head[8:12] != b"WAVE":
            raise WavError("not a WAV file (no RIFF/WAVE header)")
        fmt: tuple[int, int, int, int] | None = None
        while True:
            cid, size = struct.unpack("<4sI", _read_exact(stream, 8))
            if cid == b"fmt ":
                if not 16 <= size <= MAX_FMT_BYTES:
                    raise WavError(f"malformed fmt chunk ({size} bytes)")
                body = _read_exact(stream, size + (size & 1))
                tag, ch, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
                if tag == EXTENSIBLE and size >= 40:
                    tag = struct.unpack("<H", body[24:26])[0]
                fmt = (tag, ch, rate, bits)
            elif cid == b"data":
                if fmt is None:
                    raise WavError("data chunk before fmt chunk")
                break
            else:
                _skip(stream, size + (size & 1), cid)
        tag, ch, rate, bits = fmt
        if (
            tag not in (PCM, FLOAT)
            or (tag == PCM and bits not in (16, 24, 32))
            or (tag == FLOAT and bits not in (32, 64))
        ):
            raise WavError(f"unsupported WAV encoding (format {tag}, {bits} bits): use PCM 16/24/32-bit or float")
        if not 1 <= ch <= MAX_CHANNELS:
            raise WavError(f"{ch} channels: uspd reads 1 to {MAX_CHANNELS} channels")
        if rate == 0:
            raise WavError("invalid sample rate (0 Hz)")
        if rate > MAX_RATE_HZ:
            raise WavError(
                f"audio rate {rate} Hz is too high: uspd reads recordings of {MIN_AUDIO_RATE_HZ} to {MAX_RATE_HZ} Hz"
            )
        frames = None if size in (0, 0xFFFFFFFF) else size // (ch * bits // 8)
        self.format = WavFormat(rate, ch, bits, tag == FLOAT, frames)
        self._left = frames

    @property
    def frames_missing(self) -> int:
        """Frames the header promised that the stream did not deliver (after reading to the end)."""
        return self._left or 0

    def read(self, frames: int) -> NDArray[np.float64]:
        """Up to ``frames`` frames as (n, channels) float64 in [-1, 1]; empty at the end."""
        fmt = self.format
        if self._left is not None:
            frames = min(frames, self._left)
        raw = self._f.read(frames * fmt.frame_bytes) if frames > 0 else b""
        n = len(raw) // fmt.frame_bytes
        raw = raw[: n * fmt.frame_bytes]
        if self._left is not None:
            self._left -= n
        if fmt.is_float:
            x = np.frombuffer(raw, dtype="<f4" if fmt.bits == 32 else "<f8").astype(np.float64)
        elif fmt.bits == 24:
            b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
            v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
            x = (np.where(v >= 1 << 23, v - (1 << 24), v) / float(1 << 23)).astype(np.float64)
        else:
            dt = "<i2" if fmt.bits == 16 else "<i4"
            x = np.frombuffer(raw, dtype=dt) / float(1 << (fmt.bits - 1))
        return x.reshape(n, fmt.channels)


# The header WavWriter writes: RIFF, a plain 16-byte fmt chunk, then the data chunk's id and size.
HEADER_BYTES = 44
# A data chunk's size is 32 bits.
MAX_DATA_BYTES = 0xFFFFFFFF - (HEADER_BYTES - 8)


def _header(tag: int, channels: int, rate_hz: int, width: int, data_bytes: int) -> bytes:
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        HEADER_BYTES - 8 + data_bytes,
        b"WAVE",
        b"fmt ",
        16,
        tag,
        channels,
        rate_hz,
        rate_hz * channels * width,
        channels * width,
        8 * width,
        b"data",
        data_bytes,
    )


class WavWriter:
    """A WAV written block by block to a seekable stream: finish() puts the header's sizes right."""

    def __init__(self, stream: BinaryIO, rate_hz: int, channels: int, *, float32: bool = False) -> None:
        self._f = stream
        self._rate_hz = rate_hz
        self._channels = channels
        self._float32 = float32
        self.data_bytes = 0
        self._at = stream.tell()
        # Sizes of 0 until finish(): a reader of a file cut short reads it as streamed, to its end.
        stream.write(self._header())

    def _header(self) -> bytes:
        tag, width = (FLOAT, 4) if self._float32 else (PCM, 2)
        return _header(tag, self._channels, self._rate_hz, width, self.data_bytes)

    def write(self, audio: NDArray[np.floating]) -> None:
        """Append (n, channels) audio: 16-bit PCM from [-1, 1], or 32-bit float."""
        if self._float32:
            samples = np.ascontiguousarray(audio, dtype="<f4")
        else:
            samples = np.clip(np.round(np.asarray(audio) * 32767), -32768, 32767).astype("<i2")
        if samples.ndim != 2 or samples.shape[1] != self._channels:
            raise ValueError(f"audio of shape {samples.shape}: the WAV has {self._channels} channels")
        if self.data_bytes + samples.nbytes > MAX_DATA_BYTES:
            raise WavError("a WAV holds at most 4 GB of samples")
        self._f.write(samples.data)
        self.data_bytes += samples.nbytes

    def finish(self) -> None:
        """Write the header's sizes (the stream stays open, at the data's end)."""
        self._f.seek(self._at)
        self._f.write(self._header())
        self._f.seek(self._at + HEADER_BYTES + self.data_bytes)


def write_wav(path: str, audio: NDArray[np.floating], rate_hz: int, *, float32: bool = False) -> None:
    """(n, channels) audio: 16-bit PCM from [-1, 1] (the simulator's recordings), or 32-bit float."""
    with Path(path).open("wb") as f:
        writer = WavWriter(f, rate_hz, np.shape(audio)[1], float32=float32)
        writer.write(audio)
        writer.finish()
