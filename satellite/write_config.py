"""Write a new satellite.toml from the commented template (satellite/install's step; it never replaces a file).

Run with the satellite's own Python (``/opt/uspd-satellite/bin/python``): a
room's name is checked by the very rule the satellite makes its topics with.
"""

from __future__ import annotations

import argparse
import grp
import json
import os
import re
import sys
import tomllib
from pathlib import Path

DEFAULT_CONFIG_DIR = "/etc/uspd"
# The settings the installer's options may fill in, each replacing the template's line for it.
SETTINGS = ("name", "broker", "username")


class ConfigWriteError(Exception):
    """The file cannot be written as asked, said in one line."""


def toml_string(value: str) -> str:
    """`value` as a TOML basic string (JSON's escapes are TOML's); ConfigWriteError for control characters."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ConfigWriteError(f"{value!r} holds a control character")
    return json.dumps(value, ensure_ascii=False)


def render(template: str, settings: dict[str, str], config_dir: str = DEFAULT_CONFIG_DIR) -> str:
    """The template with each given setting's line set (uncommented), and its paths moved to `config_dir`."""
    text = template.replace(f"{DEFAULT_CONFIG_DIR}/", f"{config_dir.rstrip('/')}/")
    for key, value in settings.items():
        line = f"{key} = {toml_string(value)}"
        found = re.search(rf"^(# )?{key} = .*$", text, flags=re.MULTILINE)
        text = f"{text[: found.start()]}{line}{text[found.end() :]}" if found else f"{text}{line}\n"
    parsed = tomllib.loads(text)
    for key, value in settings.items():
        if parsed.get(key) != value:  # a template line the pattern above does not match
            raise ConfigWriteError(f"{key} could not be set in the template")
    return text


def check_name(name: str) -> None:
    """ConfigWriteError unless the satellite can make a topic id from the name."""
    from uspd.satellite.topics import TopicError, node_id_for  # type: ignore[import-not-found]  # the wheel's

    try:
        node_id_for(name)
    except TopicError as err:
        raise ConfigWriteError(str(err)) from err


def write(path: Path, text: str, group: str | None) -> None:
    """Write a new file as root:group (when given), mode 0640: it may be edited to hold secrets' places."""
    if path.exists():
        raise ConfigWriteError(f"{path} exists; it is never replaced")
    gid = grp.getgrnam(group).gr_gid if group else -1
    partial = path.with_name(f".{path.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        os.fchmod(f.fileno(), 0o640)  # whatever the umask
        if gid != -1:
            os.fchown(f.fileno(), 0, gid)
    partial.replace(path)


def main(argv: list[str] | None = None) -> int:
    """Write the config file; a one-line error and exit status 1 if it cannot be."""
    parser = argparse.ArgumentParser(prog="write_config.py", description=__doc__.splitlines()[0])
    parser.add_argument("--template", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--config-dir", default=DEFAULT_CONFIG_DIR, help="where the password file and CA live")
    parser.add_argument("--group", help="the group that may read the file (the service's)")
    for key in SETTINGS:
        parser.add_argument(f"--{key}")
    args = parser.parse_args(argv)
    settings = {key: getattr(args, key) for key in SETTINGS if getattr(args, key) is not None}
    try:
        if "name" in settings:
            check_name(settings["name"])
        text = render(args.template.read_text(encoding="utf-8"), settings, args.config_dir)
        write(args.out, text, args.group)
    except ConfigWriteError as err:
        print(f"satellite/install: {err}", file=sys.stderr)
        return 1
    except KeyError:
        print(f"satellite/install: no group {args.group!r} to give {args.out} to", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"satellite/install: cannot write {args.out}: {err.strerror or err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
