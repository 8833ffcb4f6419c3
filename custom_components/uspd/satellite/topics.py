"""Where a satellite publishes and what it listens to: every topic is named here, under one node id."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

DISCOVERY_PREFIX = "homeassistant"
BASE_PREFIX = "uspd"
# What MQTT discovery accepts as a node id; the id also names the satellite's own topics.
_NODE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Home Assistant's MQTT birth message topic (its default; it does not follow the discovery prefix).
HA_STATUS = "homeassistant/status"
ONLINE = "online"
OFFLINE = "offline"


class TopicError(ValueError):
    """A name or id no MQTT topic can hold."""


def node_id_for(name: str) -> str:
    """A discovery node id from a room's name: "Living room" → "living_room" (accents dropped, the rest "_")."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")[:64]
    if not slug:
        raise TopicError(f"the name {name!r} has no letter or digit to make a topic id from; give one with --id")
    return slug


def check_node_id(node_id: str) -> str:
    """The id as given, if MQTT discovery accepts it (letters, digits, _ and -; at most 64)."""
    if not _NODE_ID.match(node_id):
        raise TopicError(f"the id {node_id!r} may hold only letters, digits, '_' and '-' (1 to 64 of them)")
    return node_id


@dataclass(frozen=True)
class Topics:
    """One satellite's topics; `base` is the "~" of its discovery config."""

    node_id: str
    discovery_prefix: str = DISCOVERY_PREFIX

    @property
    def base(self) -> str:
        """Every topic of this satellite but discovery lies under this one."""
        return f"{BASE_PREFIX}/{self.node_id}"

    @property
    def discovery(self) -> str:
        """The one device-based discovery config (retained)."""
        return f"{self.discovery_prefix}/device/{self.node_id}/config"

    @property
    def ha_status(self) -> str:
        """Home Assistant announces itself here ("online": publish again); its birth topic, whatever the prefix."""
        return HA_STATUS

    @property
    def availability(self) -> str:
        """The process is connected ("online"); the broker's last will says "offline" when it is not."""
        return f"{self.base}/availability"

    @property
    def sensing(self) -> str:
        """The audio source delivers ("online") or has failed and is being retried ("offline")."""
        return f"{self.base}/sensing"

    @property
    def state(self) -> str:
        """The device's state as one JSON object (retained)."""
        return f"{self.base}/state"

    @property
    def carrier(self) -> str:
        """The tone this satellite plays, for other uspd devices to keep away from (retained JSON)."""
        return f"{self.base}/carrier"

    @property
    def carriers(self) -> str:
        """Every uspd device's carrier announcement (read only: never a command)."""
        return f"{BASE_PREFIX}/+/carrier"

    def command(self, key: str) -> str:
        """Where Home Assistant sends a control's command (`key` is the control's)."""
        return f"{self.base}/{key}/set"
