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

#: Largest name index read on a keypress (thousands of names; a real one is a few KiB).
INDEX_CAP = 1 << 20


def _cache_home() -> str:
    """:func:`chassisctl.config.xdg_dir` for the cache, without importing config (per keypress)."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base or not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "chassisctl")


def sensor_index_paths() -> list[str]:
    """Where sensor-name indexes live: the CLI's cache, then serve's runtime dir."""
    return [os.path.join(_cache_home(), "sdr", "names.txt"), "/run/chassisctl/sensor-names.txt"]


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


def _names(path: str) -> list[str]:
    """The names in an index file (:mod:`chassisctl.name_index`); none when absent, oversized or not one.

    Nothing is reported on a keypress, and nothing here imports json or
    chassisctl.errors (an enum of exit codes): each costs more than the read.
    """
    from chassisctl.name_index import loads

    try:
        with open(path, "rb") as fh:
            data = fh.read(INDEX_CAP + 1)
        if len(data) > INDEX_CAP:
            return []
        return loads(data.decode("utf-8"))
    except (OSError, ValueError):  # UnicodeDecodeError is a ValueError
        return []


def complete_sensor(incomplete: str = "") -> list[str]:
    names: list[str] = []
    for path in sensor_index_paths():
        names.extend(_names(path))
    return _prefixed(sorted(set(names)), incomplete)


def complete_sensor_type(incomplete: str = "") -> list[str]:
    return _prefixed(list(SENSOR_TYPES), incomplete)


def complete_platform(incomplete: str = "") -> list[str]:
    import glob

    files = glob.glob(incomplete + "*.toml") if incomplete else []
    return _prefixed(list(SHIPPED_PLATFORMS), incomplete) + sorted(files)


def node_index_path() -> str:
    """Node names of the platform last opened (written by :func:`write_node_index`)."""
    return os.path.join(_cache_home(), "nodes.txt")


def write_node_index(nodes: list) -> None:
    """Remember the nodes of the platform a command opened, for TAB completion of ``--node``.

    Written only when it changed; a cache that cannot be written is no error.
    """
    from chassisctl.fileio import write_if_changed
    from chassisctl.name_index import dumps

    write_if_changed(node_index_path(), dumps(n.name for n in nodes))


def complete_node(incomplete: str = "") -> list[str]:
    return _prefixed(_names(node_index_path()), incomplete)


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
