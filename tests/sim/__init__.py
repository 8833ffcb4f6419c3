"""Tests of the room simulator."""
