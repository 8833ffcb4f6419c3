"""HA-free basics every layer shares: audio formats, WAV and labelled-recording I/O, acoustics.

The bottom layer: imports nothing else from uspd (tests/test_layers.py).
"""
