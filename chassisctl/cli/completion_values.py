"""Values for TAB completion, from local files only (stdlib, no bus access).

Each keypress starts a process, so nothing here may import typer, rich or a
codec, touch the I2C bus or walk an SDR repository: sensor names come from
the index the last ``sensors`` run (or ``serve``) wrote next to the SDR
cache, buses from ``/dev``.  The fast path in :mod:`chassisctl.cli.completion_tree`
calls these same functions, so both completion paths agree by construction.
"""

from __future__ import annotations

import os

#: Sensor types ``sensors --type`` accepts (IPMI sensor type names, short).
SENSOR_TYPES = ("temperature", "voltage", "current", "fan", "power", "power_supply",
                "physical_security", "power_unit", "other", "discrete")

SHIPPED_PLATFORMS = ("switch-1u", "compute-4n")


def _cache_home() -> str:
    """:func:`chassisctl.config.xdg_dir` for the cache, without importing config (per keypress)."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base or not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "chassisctl")


def sensor_index_paths() -> list[str]:
    """Where sensor-name indexes live: the CLI's cache, then serve's runtime dir."""
    return [os.path.join(_cache_home(), "sdr", "names.json"), "/run/chassisctl/sdr.json"]


def _prefixed(values: list[str], incomplete: str) -> list[str]:
    return [v for v in values if v.startswith(incomplete)]


def complete_bus(incomplete: str = "") -> list[str]:
    # What glob.glob("/dev/i2c-*") finds, without glob's imports (fnmatch, re, enum:
    # ~4 ms, a fifth of a TAB press).
    try:
        names = [f"/dev/{n}" for n in os.listdir("/dev") if n.startswith("i2c-")]
    except OSError:
        names = []
    buses = sorted(names, key=lambda p: (len(p), p)) + ["sim"]
    return _prefixed(buses, incomplete)


def _index(path: str):
    """A completion index (JSON), or None when absent, oversized or corrupt.

    Failures are plain ValueErrors here: nothing is reported on a keypress,
    and chassisctl.errors (an enum of exit codes) is not worth importing for it.
    """
    from chassisctl.fileio import json_loads, read_capped

    try:
        return json_loads(read_capped(path, "completion index", ValueError), path, ValueError)
    except (OSError, ValueError):
        return None


def complete_sensor(incomplete: str = "") -> list[str]:
    names: list[str] = []
    for path in sensor_index_paths():
        doc = _index(path)
        if isinstance(doc, dict) and isinstance(doc.get("names"), list):
            names.extend(n for n in doc["names"] if isinstance(n, str))
    return _prefixed(sorted(set(names)), incomplete)


def complete_sensor_type(incomplete: str = "") -> list[str]:
    return _prefixed(list(SENSOR_TYPES), incomplete)


def complete_platform(incomplete: str = "") -> list[str]:
    import glob

    files = glob.glob(incomplete + "*.toml") if incomplete else []
    return _prefixed(list(SHIPPED_PLATFORMS), incomplete) + sorted(files)


def node_index_path() -> str:
    """Node names of the platform last opened (written by :func:`write_node_index`)."""
    return os.path.join(_cache_home(), "nodes.json")


def write_node_index(platform: str, nodes: list) -> None:
    """Remember the nodes of the platform a command opened, for TAB completion of ``--node``.

    Written only when it changed; a cache that cannot be written is no error.
    """
    import json

    from chassisctl.errors import StateError
    from chassisctl.fileio import read_capped, write_quietly

    path = node_index_path()
    doc = {"schema": 1, "platform": platform, "nodes": [{"name": n.name, "id": n.id} for n in nodes]}
    blob = json.dumps(doc, sort_keys=True)
    try:
        if read_capped(path, "node index", StateError) == blob.encode():
            return
    except (OSError, StateError):
        pass
    write_quietly(path, blob)


def complete_node(incomplete: str = "") -> list[str]:
    doc = _index(node_index_path())
    try:
        names = [n["name"] for n in doc.get("nodes", []) if isinstance(n.get("name"), str)]
    except (AttributeError, TypeError, KeyError):
        names = []
    return _prefixed(names, incomplete)


def complete_interface(incomplete: str = "") -> list[str]:
    """Network interfaces, from /sys/class/net (never pyroute2 on a keypress)."""
    try:
        names = sorted(os.listdir("/sys/class/net"))
    except OSError:
        names = []
    return _prefixed(names, incomplete)


def complete_config_key(incomplete: str = "") -> list[str]:
    """Dotted keys of chassisctl.toml, from its one declaration (``config show ipmi.u<TAB>``)."""
    from chassisctl.config.schema import dotted_names

    return _prefixed(dotted_names(), incomplete)
