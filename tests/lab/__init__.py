"""Tests of the lab: its scenes, seeds, benchmark and real-data runs."""
