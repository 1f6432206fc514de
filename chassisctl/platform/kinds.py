"""Device kinds: one table entry per kind, naming everything the kind needs.

A platform description says ``kind = "tmp421"``; :data:`KINDS` maps that name
to a :class:`DeviceKind` entry holding

* its **schema keys**: the ``[[device]]`` options it accepts, their checks
  beyond type and range, its readings, and its simulator keys;
* its **codec**, the sans-I/O module of :mod:`chassisctl.devices` that owns
  its registers;
* its **driver**, ``"module:Class"`` of the I/O class that reads it on a
  bus (:mod:`chassisctl.platform.drivers`), which also knows how to turn a
  declared device into a driver, a sensor reading and a ``platform probe``
  answer (:class:`~chassisctl.platform.drivers._base.DriverHooks`);
* its **simulated twin**, ``"module:Class"`` of the byte-level model that
  stands in for it on the simulated bus (:mod:`chassisctl.sim.devices`), with
  the hooks of :class:`~chassisctl.sim.devices._twin.Twin`;
* its **probe signature**: what ``platform probe`` reads when the
  description lists no registers.

Loading (:mod:`~chassisctl.platform.description`), reading
(:mod:`~chassisctl.platform.readers`), probing
(:mod:`~chassisctl.platform.probe`) and simulating
(:mod:`~chassisctl.platform.sim`) look the kind up here instead of branching
on its name.  The driver and the twin are imported by name when first
needed, so loading a description imports neither.  Adding a kind is one
:func:`register` call (or one entry below) plus its codec, driver and twin
modules; ``docs/platform.md`` "Adding a device kind" walks through it.
"""

from __future__ import annotations

import functools
import sys
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from chassisctl.namedtuple import NamedTuple

from chassisctl.config.keys import Key

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    Options = Mapping[str, Any]


class OptionError(ValueError):
    """A device's options that a kind refuses; ``where`` is the key path below the device."""

    def __init__(self, where: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message


def _none(options: Options) -> None:
    return None


def _no_readings(options: Options) -> dict[str, str]:
    return {}


def _no_keys(dev: Any) -> list[str]:
    return []


def _no_resolution(options: Options, reading: str) -> float | None:
    return None


def _no_sim_check(options: Options, sim: Options) -> None:
    return None


def _one_address(options: Options, address: int) -> set[int]:
    return {address}


class DeviceKind(NamedTuple):
    """One device kind: its schema keys, codec, driver, simulated twin and probe signature.

    A NamedTuple rather than a dataclass: the table is built on every command
    that loads a platform description, and a NamedTuple class costs a fraction
    of a dataclass's to define.
    """

    name: str
    #: The family shared by kinds read the same way (mux, temperature, pmbus, ina, fan...).
    family: str
    #: ``[[device]]`` keys beyond the common ones (:data:`chassisctl.platform.schema.DEVICE`).
    options: Mapping[str, Key] = MappingProxyType({})
    #: Checks the option tables cannot express; raises :class:`OptionError`.
    check: Callable[[Options], None] = _none
    #: Reading name -> sensor type, for a device with these options.
    readings: Callable[[Options], dict[str, str]] = _no_readings
    #: Readings named by an attribute instead (hwmon ``temp1_input``): attribute -> sensor type or None.
    attribute_type: Callable[[str], str | None] | None = None
    #: The step the device's format fixes for a reading (None: it varies, e.g. LINEAR11).
    resolution: Callable[[Options, str], float | None] = _no_resolution
    #: Fixed simulator keys (``[device.sim]`` seeds and ``chassisctl sim set``).
    sim: Mapping[str, Key] = MappingProxyType({})
    #: Patterned simulator keys: (options, key) -> its Key, or None when not a key of this kind.
    sim_key: Callable[[Options, str], Key | None] | None = None
    #: The patterned keys spelt out for one device (``sim set`` help, ``sim show``).
    sim_keys: Callable[[Any], list[str]] = _no_keys
    #: Checks of ``[device.sim]`` values the keys cannot express: (options, sim) -> None, or
    #: :class:`OptionError`.  Run when a description is first validated, not on its cached loads
    #: (a check may build what the twin builds, such as a FRU image).
    check_sim: Callable[[Options, Options], None] = _no_sim_check
    #: A value ``sim set`` accepts for any key of this kind, meaning "this read fails".
    fail_value: str | None = None
    #: What ``platform probe`` reads when the description lists no registers.
    probe: str = ""
    #: Whether a ``probe = [...]`` list of byte registers replaces that signature read.
    probe_registers: bool = True
    #: The sans-I/O codec module (None: the kernel decodes, as for hwmon).
    codec: str | None = None
    #: ``"module:Class"`` of the driver (:class:`~chassisctl.platform.drivers._base.DriverHooks`).
    driver: str = ""
    #: ``"module:Class"`` of the simulated twin (:class:`~chassisctl.sim.devices._twin.Twin`).
    twin: str = ""
    #: Bus addresses the device answers at, from its base address (EEPROMs span several).
    addresses: Callable[[Options, int], set[int]] = _one_address
    #: Read through a kernel driver (sysfs), not over the bus: root bus only, owned by the kernel.
    kernel: bool = False
    #: Holds ``[[device.field]]`` registers (power control and presence refer to them).
    has_fields: bool = False
    #: Holds an IPMI FRU image (``[[fru]]`` refers to it).
    holds_fru: bool = False
    #: Entity ID of its sensors when the description gives none (None: the sensor type's).
    entity_id: int | None = None

    def driver_class(self) -> Any:
        return load(self.driver)

    def twin_class(self) -> Any:
        return load(self.twin)

    def key_for(self, options: Options, key: str) -> Key | None:
        """The simulator key ``key`` of a device with ``options`` (None: not one of this kind)."""
        if key in self.sim:
            return self.sim[key]
        return self.sim_key(options, key) if self.sim_key is not None else None


@functools.cache
def load(ref: str) -> Any:
    """The object ``"package.module:Name"`` names, its module imported now."""
    module, _, name = ref.partition(":")
    __import__(module)  # not importlib.import_module: importlib and warnings are ~0.7 ms more
    return getattr(sys.modules[module], name)


# --- the kinds' own facts ---------------------------------------------------------------------

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
#: A readable hwmon attribute (compiled on first use: only kernel-owned devices have one).
HWMON_ATTR = r"^(temp|in|curr|power|fan)(\d+)_input$"
HWMON_TYPES = {"temp": "temperature", "in": "voltage", "curr": "current", "power": "power", "fan": "fan"}
TMP421_CHANNELS = {"tmp421": 2, "tmp422": 3, "tmp423": 4}
EMC_FANS = {"emc2301": 1, "emc2302": 2, "emc2303": 3, "emc2305": 5}
MUX_KINDS = ("pca9548", "pca9546", "pca9545", "pca9543", "pca9544", "pca9547")
#: Entity ID 0Ah, "power supply" (IPMI v2.0 Table 43-13).
POWER_SUPPLY_ENTITY = 0x0A

_PRESENT = {"present": Key("bool", doc="false: the device NAKs (removed)")}


def tmp421_channels(options: Options) -> list[str]:
    n = TMP421_CHANNELS.get(options.get("chip", "tmp421"), 2)
    return ["local"] + [f"remote{i}" for i in range(1, n)]


def emc_fans(options: Options) -> list[str]:
    return [f"fan{i}" for i in range(1, EMC_FANS.get(options.get("chip", "emc2305"), 5) + 1)]


def hwmon_type(attr: str) -> str | None:
    match = re.match(HWMON_ATTR, attr)
    return HWMON_TYPES[match.group(1)] if match else None


def _tmp421_sim(options: Options, key: str) -> Key | None:
    channels = tmp421_channels(options)
    if key in channels:
        return Key("num", lo=-64, hi=191, doc="°C")
    if key.endswith("_open") and key[:-5] in channels[1:]:
        return Key("bool", doc="remote diode open")
    return None


def _tmp421_keys(dev: Any) -> list[str]:
    channels = tmp421_channels(dev.options)
    return channels + [f"{c}_open" for c in channels[1:]]


def _emc_sim(options: Options, key: str) -> Key | None:
    fans = emc_fans(options)
    if key in fans:
        return Key("num", lo=0, hi=100_000, doc="RPM")
    if key.endswith("_stall") and key[:-6] in fans:
        return Key("bool")
    return None


def _emc_keys(dev: Any) -> list[str]:
    fans = emc_fans(dev.options)
    return fans + [f"{f}_stall" for f in fans]


def _emc_check(options: Options) -> None:
    if options.get("multiplier", 1) not in (1, 2, 4, 8):
        raise OptionError(("multiplier",), "must be 1, 2, 4 or 8")


def _pmbus_sim(options: Options, key: str) -> Key | None:
    if key.startswith("READ_") and key in PMBUS_READINGS:
        return Key("num")
    if key in PMBUS_STRINGS:
        return Key("str")
    if key in PMBUS_STATUS:
        return Key("int", lo=0, hi=0xFF, doc="a condition present now (latched too)")
    return None


def _pmbus_keys(dev: Any) -> list[str]:
    return [k for k in PMBUS_READINGS if k.startswith("READ_")] + list(PMBUS_STRINGS) + list(PMBUS_STATUS)


def _pmbus_check(options: Options) -> None:
    from chassisctl.devices.pmbus import DirectCoefficients

    for cmd, coeffs in options.get("direct", {}).items():
        if cmd not in PMBUS_READINGS or cmd == "status":
            raise OptionError(("direct", cmd), "not a numeric PMBus READ_* command")
        if not isinstance(coeffs, dict) or set(coeffs) != {"m", "b", "R"}:
            raise OptionError(("direct", cmd), "expected { m = .., b = .., R = .. }")
        try:
            DirectCoefficients(coeffs["m"], coeffs["b"], coeffs["R"])
        except ValueError as exc:
            raise OptionError(("direct", cmd), str(exc)) from None
    if options.get("vout_format") == "direct" and "READ_VOUT" not in options.get("direct", {}):
        raise OptionError(("vout_format",), "direct needs READ_VOUT coefficients in 'direct'")


def _pmbus_resolution(options: Options, reading: str) -> float | None:
    return 1.0 if reading.startswith("READ_FAN") else None


def _ina_check(chip: str) -> Callable[[Options], None]:
    def check(options: Options) -> None:
        if "shunt_ohms" not in options:
            raise OptionError((), "missing required key 'shunt_ohms'")
        from chassisctl.devices import ina2xx

        try:
            ina2xx.calibration(ina2xx.Chip[chip.upper()], options["shunt_ohms"], options.get("current_lsb", 0.001))
        except ValueError as exc:
            raise OptionError(("current_lsb",), str(exc)) from None
    return check


def _at24_check(options: Options) -> None:
    from chassisctl.devices import at24

    try:
        part = at24.part(options.get("part", ""))
        at24.check_base(part, options["address"])
    except ValueError as exc:
        where = ("part",) if "part" not in options or "unknown" in str(exc) else ("address",)
        raise OptionError(where, str(exc)) from None


def _at24_addresses(options: Options, address: int) -> set[int]:
    from chassisctl.devices import at24

    return {address + n for n in range(at24.part(options["part"]).addresses)}


def _at24_check_sim(options: Options, sim: Options) -> None:
    """The FRU fields an EEPROM twin is seeded with must build an IPMI FRU image that fits the part.

    The twin builds the image only when the part is first read, so this is
    where an unbuildable or oversized one is reported.
    """
    fru = sim.get("fru")
    if fru is None:
        return
    from chassisctl.devices import at24
    from chassisctl.ipmi.fru import build

    for area in fru:
        if area not in ("board", "product", "chassis"):
            raise OptionError(("sim", "fru", area), "FRU areas are board, product and chassis")
        if not isinstance(fru[area], dict):
            raise OptionError(("sim", "fru", area), "expected a table of fields")
    try:
        image = build(board=fru.get("board"), product=fru.get("product"), chassis=fru.get("chassis"))
    except (ValueError, TypeError) as exc:
        raise OptionError(("sim", "fru"), str(exc)) from None
    part = options.get("part", "")
    size = at24.part(part).size
    if len(image) > size:
        raise OptionError(("sim", "fru"), f"the FRU image is {len(image)} bytes; a {part} holds {size}")


def _cpld_sim(options: Options, key: str) -> Key | None:
    if key in {f.get("name") for f in options.get("field", []) if isinstance(f, dict)}:
        return Key("int", lo=0, hi=255, doc="drive an input field (logical value)")
    return None


def _cpld_keys(dev: Any) -> list[str]:
    from chassisctl.devices.cpld import Access

    return [f.name for f in dev.fields if f.access is Access.RO]


def _mux_check(options: Options) -> None:
    if not 0x70 <= options["address"] <= 0x77:
        raise OptionError(("address",), f"{options['address']:#04x}: PCA954x parts sit at 0x70..0x77")


def _hwmon_sim(options: Options, key: str) -> Key | None:
    if re.fullmatch(r"(temp|in|curr|power|fan|pwm)\d+(_[a-z_]+)?|name", key):
        return Key("int") if key != "name" else Key("str")
    return None


def _hwmon_keys(dev: Any) -> list[str]:
    return ["tempN_input, inN_input, currN_input, powerN_input, fanN_input (integer sysfs units, or fail)"]


def _hwmon_resolution(options: Options, reading: str) -> float | None:
    return 1.0 if reading.startswith("fan") else (1e-6 if reading.startswith("power") else 0.001)


def _lm75(name: str, resolution: int) -> DeviceKind:
    return DeviceKind(
        name, "temperature",
        options={"resolution": Key("int", lo=9, hi=12, default=resolution, doc=f"bits (default {resolution})")},
        readings=lambda o: {"temperature": "temperature"},
        resolution=lambda o, r: float(2.0 ** -(o.get("resolution", resolution) - 8)),
        sim={**_PRESENT, "temperature": Key("num", lo=-128, hi=127, doc="°C")},
        probe="temperature (00h)", codec="chassisctl.devices.lm75",
        driver="chassisctl.platform.drivers.lm75:Lm75", twin="chassisctl.sim.devices.lm75:Lm75Sim")


def _ina(name: str, probe: str) -> DeviceKind:
    return DeviceKind(
        name, "ina",
        options={"shunt_ohms": Key("num", lo=1e-6, hi=1e3, doc="shunt resistance (required)"),
                 "current_lsb": Key("num", lo=1e-6, hi=10, default=0.001, doc="A per count (default 0.001)")},
        check=_ina_check(name), readings=lambda o: dict(INA_READINGS),
        resolution=lambda o, r: (0.004 if name == "ina219" else 0.00125) if r == "bus_voltage" else None,
        sim={**_PRESENT, "current": Key("num", doc="A through the shunt"), "bus_voltage": Key("num", lo=0, doc="V"),
             "calibrated": Key("bool", doc="false: CAL reads 0 (chip reset)")},
        probe=probe, codec="chassisctl.devices.ina2xx",
        driver="chassisctl.platform.drivers.ina2xx:Ina2xx", twin="chassisctl.sim.devices.ina2xx:Ina2xxSim")


def _mux(name: str) -> DeviceKind:
    return DeviceKind(
        name, "mux", check=_mux_check,
        sim={**_PRESENT, "stuck_channel": Key("int", lo=-1, hi=7, doc="a device holds SDA low (-1: none)")},
        probe="control register", probe_registers=False, codec="chassisctl.devices.pca954x",
        driver="chassisctl.platform.drivers.pca954x:Pca954x", twin="chassisctl.sim.devices.pca954x:Pca954xSim")


_BUILT_IN = (
    _lm75("lm75", 9),
    _lm75("tmp75", 12),
    DeviceKind(
        "tmp421", "temperature", options={"chip": Key("str", choices=tuple(TMP421_CHANNELS), default="tmp421")},
        readings=lambda o: dict.fromkeys(tmp421_channels(o), "temperature"), resolution=lambda o, r: 0.0625,
        sim={**_PRESENT, "extended": Key("bool", doc="RANGE bit at power-up")}, sim_key=_tmp421_sim,
        sim_keys=_tmp421_keys, probe="manufacturer and device ID (FEh, FFh)", codec="chassisctl.devices.tmp421",
        driver="chassisctl.platform.drivers.tmp421:Tmp421", twin="chassisctl.sim.devices.tmp421:Tmp421Sim"),
    DeviceKind(
        "pmbus", "pmbus", options={
            "pec": Key("bool", default=False, doc="use SMBus PEC (the device must support it)"),
            "page": Key("int", lo=0, hi=0xFE, doc="PAGE to select before every access"),
            "vout_format": Key("str", choices=("vout_mode", "linear11", "direct"), default="vout_mode",
                               doc="how READ_VOUT is encoded (default: as VOUT_MODE says)"),
            "direct": Key("table", doc="DIRECT coefficients per command: READ_PIN = {m = .., b = .., R = ..}"),
            "present": Key("str", doc='presence field "CPLD.FIELD" (default: the PSU answering)'),
        }, check=_pmbus_check, readings=lambda o: dict(PMBUS_READINGS), resolution=_pmbus_resolution,
        sim={**_PRESENT, "ac_ok": Key("bool", doc="false: AC lost (input UV fault, unit off)"),
             "responding": Key("bool", doc="false: in the bay but its controller NAKs (unpowered)"),
             "pec_error": Key("int", lo=0, hi=1000, doc="corrupt the next N PEC bytes (consumed)"),
             "vout_mode": Key("int", lo=0, hi=0xFF, doc="VOUT_MODE byte (seed only)")},
        sim_key=_pmbus_sim, sim_keys=_pmbus_keys, probe="STATUS_WORD (79h)", entity_id=POWER_SUPPLY_ENTITY,
        codec="chassisctl.devices.pmbus", driver="chassisctl.platform.drivers.pmbus:PmbusDevice",
        twin="chassisctl.sim.devices.pmbus:PmbusSim"),
    _ina("ina219", "configuration (00h)"),
    _ina("ina226", "manufacturer ID (FEh)"),
    DeviceKind(
        "emc2305", "fan", options={"chip": Key("str", choices=tuple(EMC_FANS), default="emc2305"),
                                   "multiplier": Key("int", choices=None, lo=1, hi=8, doc="RANGE multiplier")},
        check=_emc_check, readings=lambda o: dict.fromkeys(emc_fans(o), "fan"), resolution=lambda o, r: 1.0,
        sim=dict(_PRESENT), sim_key=_emc_sim, sim_keys=_emc_keys, probe="product and vendor ID (FDh, FEh)",
        codec="chassisctl.devices.emc2305", driver="chassisctl.platform.drivers.emc2305:Emc2305",
        twin="chassisctl.sim.devices.emc2305:Emc2305Sim"),
    DeviceKind(
        "at24", "eeprom", options={"part": Key("str", doc="24c02 ... 24c512 (required)"),
                                   "smbus": Key("bool", default=False,
                                                doc="SMBus block reads instead of plain I2C")},
        check=_at24_check, addresses=_at24_addresses, holds_fru=True,
        sim={**_PRESENT, "fru": Key("table", doc="board/product/chassis fields (seed only)"),
             "corrupt_checksum": Key("bool", doc="flip the last byte of the board area")},
        check_sim=_at24_check_sim, probe="FRU common header (8 bytes at 0)", probe_registers=False,
        codec="chassisctl.devices.at24", driver="chassisctl.platform.drivers.at24:At24",
        twin="chassisctl.sim.devices.at24:At24Sim"),
    DeviceKind(
        "cpld", "cpld", options={"field": Key("list", doc="[[device.field]] tables")}, has_fields=True,
        sim={**_PRESENT, "power": Key("str", choices=("on", "off"), doc="initial power of its nodes"),
             "pg_delay_ms": Key("num", lo=0, hi=60000, doc="power good follows an on after this"),
             "no_power_good": Key("bool", doc="power good never rises (fault)")}, sim_key=_cpld_sim,
        sim_keys=_cpld_keys, probe="registers of its ro/rw fields", codec="chassisctl.devices.cpld",
        driver="chassisctl.platform.drivers.cpld:Cpld", twin="chassisctl.sim.devices.cpld:CpldSim"),
    DeviceKind(
        "hwmon", "hwmon", options={"bus": Key("int", lo=0, hi=9999, doc="kernel bus number (default: --bus)"),
                                   "chip": Key("str", doc="expected hwmon name"),
                                   "driver": Key("str", doc="expected bound driver")},
        attribute_type=hwmon_type, resolution=_hwmon_resolution, sim_key=_hwmon_sim, sim_keys=_hwmon_keys,
        fail_value="fail", probe="the hwmon directory and its name", probe_registers=False, kernel=True,
        driver="chassisctl.platform.drivers.hwmon:HwmonReader", twin="chassisctl.sim.hwmon:HwmonTwin"),
    *(_mux(m) for m in MUX_KINDS),
)

#: Every device kind by name: the one table readers, probe, the simulator and the loader consult.
KINDS: dict[str, DeviceKind] = {k.name: k for k in _BUILT_IN}


def register(kind: DeviceKind) -> DeviceKind:
    """Add a kind to :data:`KINDS` (a name already there is refused)."""
    if kind.name in KINDS:
        raise ValueError(f"device kind {kind.name!r} is already registered")
    KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    """Remove a kind added with :func:`register`."""
    KINDS.pop(name, None)


def kind_options(kind: str) -> dict[str, Key]:
    """Every key a ``[[device]]`` of ``kind`` accepts: the common ones and its own."""
    from chassisctl.platform.schema import DEVICE

    return {**DEVICE, **KINDS[kind].options}
