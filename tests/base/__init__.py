"""Tests of the base layer: WAV and labelled-recording I/O, acoustics."""
