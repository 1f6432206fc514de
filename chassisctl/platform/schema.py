"""The platform description format as data: tables, keys, device kinds.

:mod:`chassisctl.platform.description` walks a parsed document against
these tables (unknown keys, types, ranges, required keys), then checks what
tables cannot express (references between devices, topology, address
collisions).  ``docs/platform.md`` documents the same tables; keeping them
as data keeps the two honest and lets the simulator overrides
(``chassisctl sim set``) share the device kinds' value checks.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Any, Callable, Mapping, NamedTuple

from chassisctl.config.keys import Key, check_value  # noqa: F401 - the declarative style, shared with chassisctl.toml

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


# --- tables -----------------------------------------------------------------------

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
    "kind": Key("str", required=True, doc="device kind (see KINDS)"),
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

# --- device kinds ---------------------------------------------------------------------

Readings = Callable[[Mapping[str, Any]], dict[str, str]]
SimCheck = Callable[[Mapping[str, Any], str, Any], "Any"]


class KindSpec(NamedTuple):
    name: str
    family: str
    options: Mapping[str, Key] = MappingProxyType({})
    #: reading name -> sensor type, for a device with these options
    readings: Readings = lambda opts: {}
    #: simulator key -> Key (None: computed by ``sim_key``)
    sim: Mapping[str, Key] = MappingProxyType({})
    sim_key: Callable[[Mapping[str, Any], str], Key | None] | None = None
    #: What `platform probe` reads when the description lists no registers.
    probe: str = ""


PMBUS_READINGS = {
    "READ_VIN": "voltage", "READ_IIN": "current", "READ_VOUT": "voltage", "READ_IOUT": "current",
    "READ_TEMPERATURE_1": "temperature", "READ_TEMPERATURE_2": "temperature",
    "READ_TEMPERATURE_3": "temperature", "READ_FAN_SPEED_1": "fan", "READ_FAN_SPEED_2": "fan",
    "READ_FAN_SPEED_3": "fan", "READ_FAN_SPEED_4": "fan", "READ_POUT": "power", "READ_PIN": "power",
    "status": "psu_status",
}
PMBUS_STRINGS = ("MFR_ID", "MFR_MODEL", "MFR_REVISION", "MFR_LOCATION", "MFR_DATE", "MFR_SERIAL")
PMBUS_STATUS = ("STATUS_VOUT", "STATUS_IOUT", "STATUS_INPUT", "STATUS_TEMPERATURE", "STATUS_CML",
                "STATUS_OTHER", "STATUS_FANS_1_2", "STATUS_FANS_3_4")
INA_READINGS = {"shunt_voltage": "voltage", "bus_voltage": "voltage", "current": "current", "power": "power"}
HWMON_ATTR = re.compile(r"^(temp|in|curr|power|fan)(\d+)_input$")
HWMON_TYPES = {"temp": "temperature", "in": "voltage", "curr": "current", "power": "power", "fan": "fan"}
TMP421_CHANNELS = {"tmp421": 2, "tmp422": 3, "tmp423": 4}
EMC_FANS = {"emc2301": 1, "emc2302": 2, "emc2303": 3, "emc2305": 5}
MUX_KINDS = ("pca9548", "pca9546", "pca9545", "pca9543", "pca9544", "pca9547")

_PRESENT = {"present": Key("bool", doc="false: the device NAKs (removed)")}
_NUM = Key("num")


def _tmp421_channels(opts: Mapping[str, Any]) -> list[str]:
    n = TMP421_CHANNELS.get(opts.get("chip", "tmp421"), 2)
    return ["local"] + [f"remote{i}" for i in range(1, n)]


def _tmp421_sim(opts: Mapping[str, Any], key: str) -> Key | None:
    channels = _tmp421_channels(opts)
    if key in channels:
        return Key("num", lo=-64, hi=191, doc="°C")
    if key.endswith("_open") and key[:-5] in channels[1:]:
        return Key("bool", doc="remote diode open")
    return None


def _emc_fans(opts: Mapping[str, Any]) -> list[str]:
    return [f"fan{i}" for i in range(1, EMC_FANS.get(opts.get("chip", "emc2305"), 5) + 1)]


def _emc_sim(opts: Mapping[str, Any], key: str) -> Key | None:
    fans = _emc_fans(opts)
    if key in fans:
        return Key("num", lo=0, hi=100_000, doc="RPM")
    if key.endswith("_stall") and key[:-6] in fans:
        return Key("bool")
    return None


def _pmbus_sim(opts: Mapping[str, Any], key: str) -> Key | None:
    if key.startswith("READ_") and key in PMBUS_READINGS:
        return Key("num")
    if key in PMBUS_STRINGS:
        return Key("str")
    if key in PMBUS_STATUS:
        return Key("int", lo=0, hi=0xFF, doc="a condition present now (latched too)")
    return None


def _cpld_sim(opts: Mapping[str, Any], key: str) -> Key | None:
    if key in {f.get("name") for f in opts.get("field", []) if isinstance(f, dict)}:
        return Key("int", lo=0, hi=255, doc="drive an input field (logical value)")
    return None


def _hwmon_sim(opts: Mapping[str, Any], key: str) -> Key | None:
    if re.fullmatch(r"(temp|in|curr|power|fan|pwm)\d+(_[a-z_]+)?|name", key):
        return Key("int") if key != "name" else Key("str")
    return None


_OWNED = {"owner": Key("str", choices=("chassisctl", "kernel"))}

KINDS: dict[str, KindSpec] = {k.name: k for k in (
    KindSpec("lm75", "temperature", {"resolution": Key("int", lo=9, hi=12, doc="bits (default 9)")},
             lambda o: {"temperature": "temperature"},
             {**_PRESENT, "temperature": Key("num", lo=-128, hi=127, doc="°C")}, probe="temperature (00h)"),
    KindSpec("tmp75", "temperature", {"resolution": Key("int", lo=9, hi=12, doc="bits (default 12)")},
             lambda o: {"temperature": "temperature"},
             {**_PRESENT, "temperature": Key("num", lo=-128, hi=127, doc="°C")}, probe="temperature (00h)"),
    KindSpec("tmp421", "temperature", {"chip": Key("str", choices=tuple(TMP421_CHANNELS))},
             lambda o: dict.fromkeys(_tmp421_channels(o), "temperature"),
             {**_PRESENT, "extended": Key("bool", doc="RANGE bit at power-up")}, _tmp421_sim,
             probe="manufacturer and device ID (FEh, FFh)"),
    KindSpec("pmbus", "pmbus", {
        "pec": Key("bool", doc="use SMBus PEC (the device must support it)"),
        "page": Key("int", lo=0, hi=0xFE, doc="PAGE to select before every access"),
        "vout_format": Key("str", choices=("vout_mode", "linear11", "direct"),
                           doc="how READ_VOUT is encoded (default: as VOUT_MODE says)"),
        "direct": Key("table", doc="DIRECT coefficients per command: READ_PIN = {m = .., b = .., R = ..}"),
        "present": Key("str", doc='presence field "CPLD.FIELD" (default: the PSU answering)'),
    }, lambda o: dict(PMBUS_READINGS),
        {**_PRESENT, "ac_ok": Key("bool", doc="false: AC lost (input UV fault, unit off)"),
         "responding": Key("bool", doc="false: in the bay but its controller NAKs (unpowered)"),
         "pec_error": Key("int", lo=0, hi=1000, doc="corrupt the next N PEC bytes (consumed)"),
         "vout_mode": Key("int", lo=0, hi=0xFF, doc="VOUT_MODE byte (seed only)")}, _pmbus_sim,
        probe="STATUS_WORD (79h)"),
    KindSpec("ina219", "ina", {
        "shunt_ohms": Key("num", lo=1e-6, hi=1e3, doc="shunt resistance (required)"),
        "current_lsb": Key("num", lo=1e-6, hi=10, doc="A per count (default 0.001)")},
        lambda o: dict(INA_READINGS),
        {**_PRESENT, "current": Key("num", doc="A through the shunt"), "bus_voltage": Key("num", lo=0, doc="V"),
         "calibrated": Key("bool", doc="false: CAL reads 0 (chip reset)")}, probe="configuration (00h)"),
    KindSpec("ina226", "ina", {
        "shunt_ohms": Key("num", lo=1e-6, hi=1e3, doc="shunt resistance (required)"),
        "current_lsb": Key("num", lo=1e-6, hi=10, doc="A per count (default 0.001)")},
        lambda o: dict(INA_READINGS),
        {**_PRESENT, "current": Key("num", doc="A through the shunt"), "bus_voltage": Key("num", lo=0, doc="V"),
         "calibrated": Key("bool", doc="false: CAL reads 0 (chip reset)")}, probe="manufacturer ID (FEh)"),
    KindSpec("emc2305", "fan", {"chip": Key("str", choices=tuple(EMC_FANS)),
                                "multiplier": Key("int", choices=None, lo=1, hi=8, doc="RANGE multiplier")},
             lambda o: dict.fromkeys(_emc_fans(o), "fan"), dict(_PRESENT), _emc_sim,
             probe="product and vendor ID (FDh, FEh)"),
    KindSpec("at24", "eeprom", {"part": Key("str", doc="24c02 ... 24c512 (required)"),
                                "smbus": Key("bool", doc="SMBus block reads instead of plain I2C")},
             sim={**_PRESENT, "fru": Key("table", doc="board/product/chassis fields (seed only)"),
                  "corrupt_checksum": Key("bool", doc="flip the last byte of the board area")},
             probe="FRU common header (8 bytes at 0)"),
    KindSpec("cpld", "cpld", {"field": Key("list", doc="[[device.field]] tables")},
             sim={**_PRESENT, "power": Key("str", choices=("on", "off"), doc="initial power of its nodes"),
                  "pg_delay_ms": Key("num", lo=0, hi=60000, doc="power good follows an on after this"),
                  "no_power_good": Key("bool", doc="power good never rises (fault)")}, sim_key=_cpld_sim,
             probe="registers of its ro/rw fields"),
    KindSpec("hwmon", "hwmon", {"bus": Key("int", lo=0, hi=9999, doc="kernel bus number (default: --bus)"),
                                "chip": Key("str", doc="expected hwmon name"),
                                "driver": Key("str", doc="expected bound driver")},
             lambda o: {}, {}, _hwmon_sim, probe="the hwmon directory and its name"),
    *(KindSpec(m, "mux", {}, sim={**_PRESENT, "stuck_channel": Key("int", lo=-1, hi=7,
                                                                   doc="a device holds SDA low (-1: none)")},
               probe="control register") for m in MUX_KINDS),
)}

#: The mux/switch kinds, for topology paths.
MUXES = frozenset(MUX_KINDS)


def kind_options(kind: str) -> dict[str, Key]:
    return {**DEVICE, **KINDS[kind].options}


def sim_key(kind: str, options: Mapping[str, Any], key: str) -> Key | None:
    spec = KINDS[kind]
    if key in spec.sim:
        return spec.sim[key]
    return spec.sim_key(options, key) if spec.sim_key is not None else None


def readings(kind: str, options: Mapping[str, Any]) -> dict[str, str]:
    """Reading name -> sensor type for a device (hwmon: any ``*_input`` attribute)."""
    return KINDS[kind].readings(options)


def hwmon_type(attr: str) -> str | None:
    match = HWMON_ATTR.match(attr)
    return HWMON_TYPES[match.group(1)] if match else None
