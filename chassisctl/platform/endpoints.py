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

def node_endpoints(document: Mapping[str, Any], path: object = None) -> list[tuple[str, str, int]]:
    """``[(name, host, port), ...]`` from a parsed config document (``[]`` without ``[[nodes]]``)."""
    from chassisctl.config.keys import listen_parts
    from chassisctl.config.validate import check_section

    where = f"{path}: " if path else ""
    raw = document.get("nodes", [])
    if not isinstance(raw, list):
        raise ConfigError(f"{where}nodes: expected [[nodes]] tables")
    out: list[tuple[str, str, int]] = []
    names: set[str] = set()
    addresses: set[tuple[str, int]] = set()
    for i, entry in enumerate(raw):
        key = f"nodes[{i}]"
        try:
            entry = check_section("nodes", entry, i)  # keys, types, the required name and listen
            host, port = listen_parts(entry["listen"], f"{key}.listen")
        except ConfigError as exc:
            raise ConfigError(f"{where}{exc.message}") from None
        name = str(entry["name"])
        if name in names:
            raise ConfigError(f"{where}{key}.name: node {name!r} has two endpoints")
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
