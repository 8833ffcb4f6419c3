"""Tests of the HA-free engine: signal processing, detection, the worker thread, `uspd detect`."""
