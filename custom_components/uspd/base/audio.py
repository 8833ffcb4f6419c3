"""Audio formats uspd reads and writes: the bounds every layer checks against."""

from __future__ import annotations

# Microphone audio: 44.1-384 kHz. Above that a header is wrong, and a rate
# sizes the carrier search's read and the demodulator's filters.
MIN_AUDIO_RATE_HZ = 44100
MAX_AUDIO_RATE_HZ = 384000
# Microphones one device senses with.
MAX_MICS = 8
