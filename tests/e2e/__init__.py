"""End-to-end checks of the demo as the README runs it (pytest -m e2e)."""
