"""Acoustic room simulator: what a scene is (scene.py) apart from how it is rendered (render.py)."""
