"""The platform description format as data: its tables and their keys.

:mod:`chassisctl.platform.description` walks a parsed document against
these tables (unknown keys, types, ranges, required keys), then checks what
tables cannot express (references between devices, topology, address
collisions).  The keys each device kind adds live with the kind, in
:mod:`chassisctl.platform.kinds`.  ``docs/platform.md`` documents the same
tables; keeping them as data keeps the two honest and lets the simulator
overrides (``chassisctl sim set``) share the kinds' value checks.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from chassisctl.config.keys import Key

    TOP: dict[str, Key]
    PLATFORM: dict[str, Key]
    NODE: dict[str, Key]
    POWER: dict[str, Key]
    DEVICE: dict[str, Key]
    FIELD: dict[str, Key]
    SENSOR: dict[str, Key]
    THRESHOLDS: dict[str, Key]
    FRU: dict[str, Key]

#: What a node, device, field or FRU name may be, as a regular expression (the
#: documentation's wording); :func:`is_name` checks it without compiling it.
NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_REST = _FIRST | frozenset("_.-")


def is_name(text: str) -> bool:
    """``re.match(NAME, text)``, without the ~0.2 ms of compiling it in every command.

    As there, ``$`` also matches before one final newline."""
    if text.endswith("\n"):
        text = text[:-1]
    return 0 < len(text) <= 64 and text[0] in _FIRST and _REST.issuperset(text)


# --- tables -----------------------------------------------------------------------
#
# Built on first use (PEP 562 module __getattr__): only a description that is
# validated walks them, and a cached load of a description that validated
# before skips exactly those checks -- so a warm platform command builds none
# of these ~65 keys.

_TABLES = ("TOP", "PLATFORM", "NODE", "POWER", "DEVICE", "FIELD", "SENSOR", "THRESHOLDS", "FRU")


def __getattr__(name: str) -> dict[str, Key]:
    if name not in _TABLES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    tables = _build_tables()
    globals().update(tables)
    return tables[name]


def _build_tables() -> dict[str, dict[str, Key]]:
    from chassisctl.config.keys import Key

    TOP = {
        "platform": Key("table", required=True, doc="identity of the synthetic BMC"),
        "node": Key("list", required=True, doc="[[node]] tables: one per managed node"),
        "device": Key("list", doc="[[device]] tables: every I2C device and mux"),
        "sensor": Key("list", doc="[[sensor]] tables: what the SDR repository exposes"),
        "fru": Key("list", doc="[[fru]] tables: FRU inventory devices"),
    }

    PLATFORM = {
        "name": Key("str", required=True, doc="short name; state file and cache keys use it"),
        "description": Key("str", doc="free text"),
        "manufacturer_id": Key("int", lo=0, hi=0xFFFFF, doc="IANA enterprise number in Get Device ID"),
        "product_id": Key("int", lo=0, hi=0xFFFF, doc="product ID in Get Device ID"),
        "device_id": Key("int", lo=0, hi=0xFF, doc="device ID in Get Device ID"),
        "firmware": Key("str", doc='firmware revision "MAJOR.MINOR", e.g. "1.02"'),
        "guid": Key("str", doc="base GUID (UUID text); nodes derive theirs from it"),
        "clock_hz": Key("int", lo=10_000, hi=3_400_000, doc="SCL clock, for the wire-time model"),
        "sel_capacity": Key("int", lo=16, hi=4096, doc="SEL entries kept per node"),
    }

    NODE = {
        "name": Key("str", required=True, doc="node name (--node NAME)"),
        "id": Key("int", required=True, lo=1, hi=255, doc="node number (--node ID)"),
        "entity_instance": Key("int", lo=1, hi=127, doc="entity instance of its sensors (default: id)"),
        "guid": Key("str", doc="Device GUID of this node's BMC (default: derived)"),
        "power": Key("table", doc="how this node's power is controlled and read"),
    }

    POWER = {
        "device": Key("str", required=True, doc="the CPLD holding the fields below"),
        "enable": Key("str", doc="level enable field (rw): on writes on_value, off writes off_value"),
        "on_value": Key("int", lo=0, hi=255, doc="value of the enable field meaning on (default 1)"),
        "off_value": Key("int", lo=0, hi=255, doc="value of the enable field meaning off (default 0)"),
        "button": Key("str", doc="power button field (pulse): short press = on / soft off"),
        "reset": Key("str", doc="reset field (pulse): hard reset"),
        "power_good": Key("str", doc="power-good status field (ro): the power state"),
        "button_ms": Key("num", lo=1, hi=3000, doc="short press width (default 200)"),
        "force_off_ms": Key("num", lo=4000, hi=20000, doc="long press forcing off without an enable (default 6000)"),
        "reset_ms": Key("num", lo=1, hi=10000, doc="reset pulse width (default 500)"),
        "cycle_off_ms": Key("num", lo=0, hi=60000, doc="off time inside a power cycle (default 5000)"),
        "pg_timeout_ms": Key("num", lo=10, hi=120000, doc="power good must follow 'on' within this (default 8000)"),
        "verify": Key("bool", doc="read the control field back after every write (default true)"),
    }

    DEVICE = {
        "name": Key("str", required=True, doc="device name, referenced by sensors, frus, nodes and sim set"),
        "kind": Key("str", required=True, doc="device kind (see chassisctl.platform.kinds.KINDS)"),
        "address": Key("int", required=True, lo=0x03, hi=0x77, doc="7-bit I2C address", hex=True),
        "path": Key("str", doc='mux hops from the root adapter: "" or "MUX:CH" or "MUX:CH/MUX:CH"'),
        "node": Key("str", doc="node the device belongs to (default: the chassis, shared)"),
        "owner": Key("str", choices=("chassisctl", "kernel"),
                     doc='"chassisctl" may program it (CLEAR_FAULTS, calibration); "kernel" never'),
        "probe": Key("int_list", lo=0, hi=0xFF, doc="registers `platform probe` may read (byte reads)"),
        "sim": Key("table", doc="simulator seed values (see the kind's sim keys)"),
    }

    FIELD = {
        "name": Key("str", required=True),
        "register": Key("int", required=True, lo=0, hi=0xFF, hex=True),
        "mask": Key("int", required=True, lo=1, hi=0xFF, hex=True),
        "access": Key("str", choices=("ro", "rw", "w1c", "sc", "pulse", "wo"), doc="default ro"),
        "active_low": Key("bool"),
        "cmpval": Key("int", lo=0, hi=0xFF, doc="PDDF masked compare: value = (reg & mask) == cmpval", hex=True),
        "pulse_ms": Key("num", lo=1, hi=20000),
        "verify": Key("bool"),
    }

    SENSOR = {
        "name": Key("str", required=True, doc="SDR ID string, at most 16 characters"),
        "device": Key("str", required=True),
        "reading": Key("str", doc="which quantity of the device (default: its only one)"),
        "type": Key("str", choices=("temperature", "voltage", "current", "fan", "power", "psu_status"),
                    doc="checked against the reading; default from it"),
        "node": Key("str", doc="node whose SDR holds it (default: the device's node, else every node)"),
        "number": Key("int", lo=1, hi=254, doc="sensor number (default: assigned in topology order)"),
        "entity": Key("pair", doc="[entity ID, instance]"),
        "range": Key("pair", doc="[min, max] in engineering units: the SDR factors cover it"),
        "resolution": Key("num", lo=0, doc="device step; factors never go finer"),
        "thresholds": Key("table", doc="lnr lc lnc unc uc unr, engineering units"),
        "hysteresis": Key("num", lo=0, doc="engineering units (default: one raw step)"),
        "unit": Key("str", doc="unit override (see UNITS)"),
        "scale": Key("num", doc="multiply the device value (e.g. 1000 for mV)"),
    }

    THRESHOLDS = {k: Key("num") for k in ("lnr", "lc", "lnc", "unc", "uc", "unr")}

    FRU = {
        "id": Key("int", required=True, lo=0, hi=254, doc="FRU device ID (0 = the node's own)"),
        "name": Key("str", doc="FRU locator ID string (default: the device name)"),
        "device": Key("str", required=True, doc="an at24 device holding an IPMI FRU image"),
        "node": Key("str", doc="node that serves it (default: every node)"),
    }

    return {"TOP": TOP, "PLATFORM": PLATFORM, "NODE": NODE, "POWER": POWER, "DEVICE": DEVICE, "FIELD": FIELD,
            "SENSOR": SENSOR, "THRESHOLDS": THRESHOLDS, "FRU": FRU}


#: Sensor type -> (IPMI sensor type, base unit code, default entity ID).
SENSOR_TYPES: dict[str, tuple[int, int, int]] = {
    "temperature": (0x01, 1, 0x07),
    "voltage": (0x02, 4, 0x07),
    "current": (0x03, 5, 0x07),
    "fan": (0x04, 18, 0x1D),
    "power": (0x0B, 6, 0x07),
    "psu_status": (0x08, 0, 0x0A),
}

UNITS = {"degrees_c": 1, "degrees_f": 2, "kelvin": 3, "volts": 4, "amps": 5, "watts": 6, "joules": 7,
         "cfm": 17, "rpm": 18, "hz": 19, "percent": 0}

#: PSU status sensor offsets (sensor type 08h, sensor-specific).
PSU_PRESENT, PSU_FAILURE, PSU_PREDICTIVE, PSU_INPUT_LOST = 0, 1, 2, 3
