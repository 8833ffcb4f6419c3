"""The MQTT satellite and the real broker it talks to."""
