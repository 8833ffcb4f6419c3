"""uspd satellites: one device's sensing on a small computer, published through MQTT discovery.

The satellite is the engine (with the simulated room among its sources), a
broker connection and a small store on disk; Home Assistant's own MQTT
integration turns what it publishes into entities. It never imports Home
Assistant.
"""

# manifest.json's version; tests/test_release.py keeps them equal.
VERSION = "0.1.0"
