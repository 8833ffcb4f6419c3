"""uspd.record's files on disk: how they are named, found and deleted (blocking: call from the executor)."""

from __future__ import annotations

from pathlib import Path

from homeassistant.util import slugify


def recording_prefix(title: str) -> str:
    """Every recording of a device starts with this: its name, slugified, and an underscore."""
    return f"{slugify(title)}_"


def find_recordings(folder: Path, title: str) -> list[Path]:
    """The device's recordings in `folder` (WAV and labels), oldest name first; none if there is no folder."""
    prefix = recording_prefix(title)
    try:
        return sorted(
            p for p in folder.iterdir() if p.name.startswith(prefix) and p.suffix in (".wav", ".json") and p.is_file()
        )
    except OSError:
        return []


def delete_recordings(paths: list[Path]) -> int:
    """Delete the files that are still there; how many were deleted."""
    deleted = 0
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        deleted += 1
    return deleted
