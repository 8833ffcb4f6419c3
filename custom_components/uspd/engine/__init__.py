"""uspd sensing engine: audio in, motion and occupancy out.

Nothing in this package imports Home Assistant; the integration is a thin
shell around it and the CLI (``python -m custom_components.uspd.engine``)
runs the very same code.
"""
