"""``[[nodes]]`` in the config file: one IPMI-over-LAN endpoint per node for ``serve``.

.. code-block:: toml

    [[nodes]]
    name = "node1"              # a node of the platform (its name or its id)
    listen = "127.0.0.1:6231"   # "ADDR:PORT"; IPv6 as "[ADDR]:PORT"

Each entry becomes its own BMC on the network, so a fleet tool sees one BMC
per node.  Errors are one line naming the key (``nodes[2].listen``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chassisctl.errors import ConfigError

KEYS = ("name", "listen")


def node_endpoints(document: Mapping[str, Any], path: object = None) -> list[tuple[str, str, int]]:
    """``[(name, host, port), ...]`` from a parsed config document (``[]`` without ``[[nodes]]``)."""
    from chassisctl.config.keys import listen_parts as parse_listen

    where = f"{path}: " if path else ""
    raw = document.get("nodes", [])
    if not isinstance(raw, list):
        raise ConfigError(f"{where}nodes: expected [[nodes]] tables")
    out: list[tuple[str, str, int]] = []
    names: set[str] = set()
    addresses: set[tuple[str, int]] = set()
    for i, entry in enumerate(raw):
        key = f"nodes[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}{key}: expected a table ([[nodes]])")
        for k in entry:
            if k not in KEYS:
                raise ConfigError(f"{where}{key}.{k}: unknown key (known: {', '.join(KEYS)})")
        name = entry.get("name")
        if isinstance(name, int) and not isinstance(name, bool):
            name = str(name)
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{where}{key}.name: expected the node's name")
        if name in names:
            raise ConfigError(f"{where}{key}.name: node {name!r} has two endpoints")
        if "listen" not in entry:
            raise ConfigError(f"{where}{key}: missing required key 'listen' (\"ADDR:PORT\")")
        try:
            host, port = parse_listen(entry["listen"], f"{key}.listen")
        except ConfigError as exc:
            raise ConfigError(f"{where}{exc.message}") from None
        if port and (host, port) in addresses:
            raise ConfigError(f"{where}{key}.listen: {entry['listen']} is already another node's endpoint")
        names.add(name)
        addresses.add((host, port))
        out.append((name, host, port))
    return out


def check_endpoints(endpoints: list[tuple[str, str, int]], nodes: list[Any]) -> list[tuple[str, str, int]]:
    """Endpoints with node ids resolved to names; ConfigError for a node the platform lacks."""
    by_key = {n.name: n.name for n in nodes} | {str(n.id): n.name for n in nodes}
    out = []
    for i, (name, host, port) in enumerate(endpoints):
        if name not in by_key:
            known = ", ".join(n.name for n in nodes)
            raise ConfigError(f"nodes[{i}].name: {name!r} is not a node of this platform (known: {known})")
        out.append((by_key[name], host, port))
    return out
