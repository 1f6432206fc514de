"""Chassis profiles: the TOML that says what the simulated box contains.

A profile lists the BMC's identity, its SSIF capabilities, the power model
and every sensor (kind, number, entity, engineering range, thresholds and the
physical model that drives it).  Operators copy the shipped ``default.toml``
to model their own hardware, so every mistake is reported as one line naming
the file and the key (``sensor[3].thresholds.uc``), never a traceback.
"""

from __future__ import annotations

import os
from types import MappingProxyType
from chassisctl.namedtuple import NamedTuple
from collections.abc import Mapping

from chassisctl.errors import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: The shipped profile, next to this module.
#: A string: pathlib is ~3 ms that a simulated command does not otherwise need.
DEFAULT_PROFILE = os.path.join(os.path.dirname(__file__), "profiles", "default.toml")
#: Layout version of the parsed-profile cache files.
CACHE_FORMAT = 1

#: profile sensor "type" -> (IPMI sensor type code, default base unit code)
SENSOR_TYPES: dict[str, tuple[int, int]] = {
    "temperature": (0x01, 1),
    "voltage": (0x02, 4),
    "current": (0x03, 5),
    "fan": (0x04, 18),
    "physical_security": (0x05, 0),
    "power_supply": (0x08, 6),
    "power_unit": (0x09, 0),
    "other": (0x0B, 0),
}

#: unit names accepted in profiles -> IPMI base unit code
UNITS = {"degrees_c": 1, "volts": 4, "amps": 5, "watts": 6, "rpm": 18, "unspecified": 0}

THRESHOLD_KEYS = ("lnr", "lc", "lnc", "unc", "uc", "unr")

#: model kind -> keys it accepts (besides "kind")
MODEL_KEYS: dict[str, frozenset[str]] = {
    "ambient": frozenset({"offset", "drift"}),
    "thermal": frozenset({"source", "k", "tau", "offset"}),
    "fan": frozenset({"follows", "min_rpm", "max_rpm", "t_low", "t_high", "tau"}),
    "rail": frozenset({"nominal", "noise", "standby", "load_droop"}),
    "current": frozenset({"source", "volts"}),
    "power": frozenset({"source", "share"}),
    "presence": frozenset({"present"}),
    "intrusion": frozenset({"open"}),
    "event_only": frozenset(),
}
#: model keys the physics has no default for
MODEL_REQUIRED: dict[str, tuple[str, ...]] = {
    "thermal": ("source", "k", "tau"),
    "fan": ("follows", "min_rpm", "max_rpm", "t_low", "t_high", "tau"),
    "rail": ("nominal",),
    "current": ("source", "volts"),
    "power": ("source",),
}
#: model keys that are true/false; every other key but kind, source and follows is a number
MODEL_FLAGS = frozenset({"standby", "present", "open"})
DISCRETE_KINDS = frozenset({"presence", "intrusion"})
SOURCES = frozenset({"system", "cpu", "asic", "psu", "psu_in"})


class Segment(NamedTuple):
    """One linear piece of a non-linear sensor (factors for raw >= from_raw)."""

    from_raw: int
    m: int
    b: int
    k1: int
    k2: int


class SensorSpec(NamedTuple):
    number: int
    name: str
    type_name: str
    sensor_type: int
    unit: int
    entity_id: int
    entity_instance: int
    model: Mapping[str, Any]
    range: tuple[float, float] | None = None
    thresholds: Mapping[str, float] = MappingProxyType({})
    hysteresis: int = 1
    nonlinear: tuple[Segment, ...] = ()
    #: The reading's native step (e.g. 1 degree C): SDR factors become a whole
    #: multiple of it, so thresholds written in it are exact.
    resolution: float | None = None

    @property
    def kind(self) -> str:
        return str(self.model["kind"])

    @property
    def discrete(self) -> bool:
        return self.kind in DISCRETE_KINDS

    @property
    def event_only(self) -> bool:
        return self.kind == "event_only"


class BmcSpec(NamedTuple):
    ssif_address: int = 0x10
    device_id: int = 0x20
    device_revision: int = 1
    firmware: tuple[int, int] = (1, 0)
    manufacturer_id: int = 32473
    product_id: int = 1
    guid: bytes = b"\x00" * 16
    turnaround: float = 0.0004
    multipart: bool = True
    pec: bool = True
    max_request: int = 255
    max_response: int = 255


class PowerSpec(NamedTuple):
    on_delay: float = 2.0
    off_delay: float = 0.0
    soft_off_delay: float = 4.0
    cycle_off_time: float = 1.0
    standby_watts: float = 18.0
    idle_watts: float = 190.0
    load_watts: float = 330.0
    load_period: float = 900.0
    psu_efficiency: float = 0.93


class Profile(NamedTuple):
    name: str
    seed: int
    ambient: float
    fru_id: int
    bmc: BmcSpec
    power: PowerSpec
    clock_hz: int
    pace: bool
    fru: Mapping[str, Any]
    sensors: tuple[SensorSpec, ...]
    #: sha256 of the source text: a changed profile is a changed SDR repository.
    digest: str
    #: Scale of the built-in measurement noise (1 = realistic, 0 = none).
    noise: float = 1.0

    def sensor(self, number: int) -> SensorSpec | None:
        for spec in self.sensors:
            if spec.number == number:
                return spec
        return None


class _Reader:
    """Typed access to one TOML table, reporting errors by key path."""

    def __init__(self, source: str, table: Mapping[str, Any], prefix: str) -> None:
        self.source, self.table, self.prefix = source, table, prefix
        self.seen: set[str] = set()

    def fail(self, key: str, why: str) -> ConfigError:
        return ConfigError(f"{self.source}: {self.prefix}{key}: {why}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        self.seen.add(key)
        if key not in self.table:
            if default is ...:
                raise self.fail(key, "missing")
            return default
        value = self.table[key]
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            raise self.fail(key, f"expected a number, got {value!r}")
        if not isinstance(value, kind):
            want = kind.__name__ if isinstance(kind, type) else "number"
            raise self.fail(key, f"expected {want}, got {value!r}")
        return value

    def number(self, key: str, default: Any = ..., lo: float | None = None,
               hi: float | None = None) -> float:
        value = self.get(key, (int, float), default)
        if value is not default and ((lo is not None and value < lo) or (hi is not None and value > hi)):
            raise self.fail(key, f"{value} is outside {lo}..{hi}")
        return float(value)

    def finish(self) -> None:
        extra = sorted(set(self.table) - self.seen)
        if extra:
            raise self.fail(extra[0], "unknown key")


def _firmware(reader: _Reader) -> tuple[int, int]:
    text = reader.get("firmware", str, "1.00")
    try:
        major, minor = text.split(".")
        value = (int(major), int(minor))
    except ValueError:
        raise reader.fail("firmware", f"{text!r} is not MAJOR.MINOR") from None
    if not (0 <= value[0] <= 127 and 0 <= value[1] <= 99):
        raise reader.fail("firmware", "major 0-127 and minor 0-99 (BCD)")
    return value


def _guid(reader: _Reader) -> bytes:
    text = reader.get("guid", str, "00000000-0000-0000-0000-000000000000")
    parts = text.split("-")
    if [len(p) for p in parts] == [8, 4, 4, 4, 12]:
        try:  # the usual spelling, without importing uuid on every simulated command
            return bytes.fromhex("".join(parts))
        except ValueError:
            pass
    from chassisctl.digests import parse_uuid

    try:
        return parse_uuid(text)
    except ValueError:
        raise reader.fail("guid", f"{text!r} is not a UUID") from None


def _bmc(source: str, table: Mapping[str, Any]) -> BmcSpec:
    r = _Reader(source, table, "bmc.")
    spec = BmcSpec(
        ssif_address=int(r.number("ssif_address", 0x10, 0x03, 0x77)),
        device_id=int(r.number("device_id", 0x20, 0, 255)),
        device_revision=int(r.number("device_revision", 1, 0, 15)),
        firmware=_firmware(r),
        manufacturer_id=int(r.number("manufacturer_id", 32473, 0, 0xFFFFF)),
        product_id=int(r.number("product_id", 1, 0, 0xFFFF)),
        guid=_guid(r),
        turnaround=r.number("turnaround_ms", 0.4, 0, 250) / 1000.0,
        multipart=r.get("multipart", bool, True),
        pec=r.get("pec", bool, True),
        max_request=int(r.number("max_request", 255, 32, 255)),
        max_response=int(r.number("max_response", 255, 32, 255)),
    )
    r.finish()
    return spec


def _power(source: str, table: Mapping[str, Any]) -> PowerSpec:
    r = _Reader(source, table, "power.")
    kwargs = {name: r.number(name, default, 0, 10_000) for name, default in PowerSpec._field_defaults.items()}
    r.finish()
    if not 0.5 <= kwargs["psu_efficiency"] <= 1.0:
        raise r.fail("psu_efficiency", "must be within 0.5..1.0")
    return PowerSpec(**kwargs)


def _model(r: _Reader, types: set[int]) -> dict[str, Any]:
    model = r.get("model", dict)
    kind = model.get("kind")
    if kind not in MODEL_KEYS:
        raise r.fail("model.kind", f"{kind!r} is not one of {', '.join(MODEL_KEYS)}")
    for key in MODEL_REQUIRED.get(kind, ()):
        if key not in model:
            raise r.fail(f"model.{key}", f"missing (kind {kind!r} needs it)")
    for key, value in model.items():
        if key != "kind" and key not in MODEL_KEYS[kind]:
            raise r.fail(f"model.{key}", f"unknown for kind {kind!r}")
        if key == "source" and value not in SOURCES:
            raise r.fail("model.source", f"{value!r} is not one of {', '.join(sorted(SOURCES))}")
        if key == "follows" and value not in types:
            raise r.fail("model.follows", f"no sensor number {value!r} defined before it")
        if key in MODEL_FLAGS and not isinstance(value, bool):
            raise r.fail(f"model.{key}", f"expected true or false, got {value!r}")
        if key not in MODEL_FLAGS | {"kind", "source", "follows"} and (
                isinstance(value, bool) or not isinstance(value, (int, float))):
            raise r.fail(f"model.{key}", f"expected a number, got {value!r}")
    # values the physics divides by
    if model.get("tau", 1) <= 0:
        raise r.fail("model.tau", "must be > 0 seconds")
    if model.get("volts", 1) <= 0:
        raise r.fail("model.volts", "must be > 0")
    if kind == "fan" and model["t_high"] <= model["t_low"]:
        raise r.fail("model.t_high", "must be above t_low")
    return dict(model)


def _sensor(source: str, table: Mapping[str, Any], index: int, seen: dict[int, str]) -> SensorSpec:
    r = _Reader(source, table, f"sensor[{index}].")
    number = int(r.number("number", ..., 1, 0xFE))
    if number in seen:
        raise r.fail("number", f"{number:#04x} is already used by {seen[number]!r}")
    name = r.get("name", str)
    if not 1 <= len(name.encode("latin-1", "replace")) <= 16:
        raise r.fail("name", "must be 1-16 characters (the SDR ID string limit)")
    type_name = r.get("type", str)
    if type_name not in SENSOR_TYPES:
        raise r.fail("type", f"{type_name!r} is not one of {', '.join(SENSOR_TYPES)}")
    sensor_type, unit = SENSOR_TYPES[type_name]
    unit_name = r.get("unit", str, None)
    if unit_name is not None:
        if unit_name not in UNITS:
            raise r.fail("unit", f"{unit_name!r} is not one of {', '.join(UNITS)}")
        unit = UNITS[unit_name]
    entity = r.get("entity", list, [0x07, 1])
    if len(entity) != 2 or not all(isinstance(v, int) and 0 <= v <= 255 for v in entity):
        raise r.fail("entity", "expected [entity_id, instance] with values 0-255")
    model = _model(r, set(seen))
    rng = None
    thresholds: dict[str, float] = {}
    nonlinear: tuple[Segment, ...] = ()
    if model["kind"] not in DISCRETE_KINDS and model["kind"] != "event_only":
        lo_hi = r.get("range", list)
        if len(lo_hi) != 2 or not all(isinstance(v, (int, float)) for v in lo_hi) or lo_hi[0] >= lo_hi[1]:
            raise r.fail("range", "expected [low, high] with low < high")
        rng = (float(lo_hi[0]), float(lo_hi[1]))
        for key, value in r.get("thresholds", dict, {}).items():
            if key not in THRESHOLD_KEYS:
                raise r.fail(f"thresholds.{key}", f"unknown (use {', '.join(THRESHOLD_KEYS)})")
            if not isinstance(value, (int, float)) or not rng[0] <= value <= rng[1]:
                raise r.fail(f"thresholds.{key}", f"{value!r} is outside the range {rng}")
            thresholds[key] = float(value)
        given = [(k, thresholds[k]) for k in THRESHOLD_KEYS if k in thresholds]
        for (ka, va), (kb, vb) in zip(given, given[1:], strict=False):
            if va > vb:
                raise r.fail(f"thresholds.{kb}", f"{kb} {vb} must not be below {ka} {va}")
        nonlinear = _segments(r)
    r.number("hysteresis", 1, 0, 255)
    resolution = r.get("resolution", (int, float), None)
    if resolution is not None and (resolution <= 0 or rng is None or resolution > rng[1] - rng[0]):
        raise r.fail("resolution", f"{resolution!r} must be a positive step within the range")
    r.finish()
    seen[number] = name
    return SensorSpec(number, name, type_name, sensor_type, unit, entity[0], entity[1], model,
                      rng, thresholds, int(table.get("hysteresis", 1)), nonlinear,
                      None if resolution is None else float(resolution))


def _segments(r: _Reader) -> tuple[Segment, ...]:
    pieces = r.get("nonlinear", list, [])
    out = []
    for i, piece in enumerate(pieces):
        if not isinstance(piece, dict) or set(piece) != {"from_raw", "m", "b", "k1", "k2"}:
            raise r.fail(f"nonlinear[{i}]", "expected {from_raw, m, b, k1, k2}")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in piece.values()):
            raise r.fail(f"nonlinear[{i}]", "from_raw, m, b, k1 and k2 must be integers")
        seg = Segment(**{k: int(v) for k, v in piece.items()})
        if not (0 <= seg.from_raw <= 255 and -512 <= seg.m <= 511 and -512 <= seg.b <= 511
                and -8 <= seg.k1 <= 7 and -8 <= seg.k2 <= 7):
            raise r.fail(f"nonlinear[{i}]", "factor out of range (M, B 10-bit; K1, K2 4-bit)")
        out.append(seg)
    if out and (out[0].from_raw != 0 or [s.from_raw for s in out] != sorted({s.from_raw for s in out})):
        raise r.fail("nonlinear", "segments must start at raw 0 and increase")
    return tuple(out)


def parse_profile(text: str, source: str) -> Profile:
    """Validate a profile document; every problem is a one-line ConfigError."""
    return _from_document(_parse_toml(text, source), _digest(text), source)


def _digest(text: str) -> str:
    from chassisctl.digests import sha256_hex

    return sha256_hex(text.encode())


def _parse_toml(text: str, source: str) -> dict[str, Any]:
    import tomllib

    from chassisctl.fileio import toml_loads

    try:
        return toml_loads(text, source, ConfigError)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def _from_document(doc: dict[str, Any], digest: str, source: str) -> Profile:
    r = _Reader(source, doc, "")
    chassis = _Reader(source, r.get("chassis", dict, {}), "chassis.")
    bus = _Reader(source, r.get("bus", dict, {}), "bus.")
    sensors_doc = r.get("sensor", list, [])
    seen: dict[int, str] = {}
    sensors = tuple(_sensor(source, table, i, seen) for i, table in enumerate(sensors_doc)
                    if isinstance(table, dict) or _not_table(source, i))
    profile = Profile(
        name=chassis.get("name", str, "simulated chassis"),
        seed=int(chassis.number("seed", 1, 0, 2**63)),
        ambient=chassis.number("ambient", 24.0, -40, 60),
        noise=chassis.number("noise", 1.0, 0, 10),
        fru_id=int(chassis.number("fru_id", 0, 0, 254)),
        bmc=_bmc(source, r.get("bmc", dict, {})),
        power=_power(source, r.get("power", dict, {})),
        clock_hz=int(bus.number("clock_hz", 100_000, 10_000, 1_000_000)),
        pace=bus.get("pace", bool, True),
        fru=_fru(source, r.get("fru", dict, {})),
        sensors=sensors,
        digest=digest,
    )
    for reader in (chassis, bus, r):
        reader.finish()
    return profile


#: [fru] keys: what the simulated FRU EEPROM holds (chassisctl.sim.chassis.build_fru).
FRU_KEYS = {"board_manufacturer": str, "board_product": str, "board_serial": str, "board_part": str,
            "product_manufacturer": str, "product_name": str, "product_part": str,
            "product_version": str, "product_serial": str, "chassis_type": int,
            "chassis_part": str, "chassis_serial": str}


def _fru(source: str, table: Mapping[str, Any]) -> dict[str, Any]:
    r = _Reader(source, table, "fru.")
    out = {key: r.get(key, kind, None) for key, kind in FRU_KEYS.items()}
    r.finish()
    return {k: v for k, v in out.items() if v is not None}


def _not_table(source: str, index: int) -> bool:
    raise ConfigError(f"{source}: sensor[{index}]: expected a [[sensor]] table")


def load_profile(name_or_path: str | None = None) -> Profile:
    """The shipped default profile, or the file at ``name_or_path``.

    The parsed TOML document is cached as JSON under
    ``$XDG_CACHE_HOME/chassisctl/sim/`` keyed by the text's sha256: every
    simulated command loads the profile, and ``tomllib`` (import and parse,
    ~6 ms) is a visible part of a ``power status``.  While the file keeps the
    size and mtime the cache recorded, not even the text is read and hashed
    (hashlib's import alone is ~2 ms).  Validation always runs on the
    document, so errors and results are those of a fresh parse.
    """
    from chassisctl.fileio import file_stamp, load_cache, load_stamped, store_cache

    if not name_or_path or name_or_path == "default":
        path, source, key = DEFAULT_PROFILE, "default profile", "default"
    else:
        from chassisctl.fileio import read_capped

        path = name_or_path
        source, key = str(path), os.path.abspath(path)
    cache = _cache_file(key)
    # Unchanged file (same size and mtime as when cached): no read, no hash.
    stamp = file_stamp(path)
    hit = load_stamped(cache, stamp, CACHE_FORMAT)
    if hit is not None:
        digest, doc = hit
        return _from_document(doc, digest, source)
    if key == "default":
        text = _default_text()
    else:
        try:
            text = read_capped(path, "simulator profile", ConfigError).decode("utf-8")
        except FileNotFoundError:
            raise ConfigError(f"simulator profile {path} does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"simulator profile {path}: {getattr(exc, 'strerror', None) or exc}") from None
    digest = _digest(text)
    cached = load_cache(cache, digest, CACHE_FORMAT)
    doc = _parse_toml(text, source) if cached is None else cached
    store_cache(cache, digest, CACHE_FORMAT, doc, stamp=stamp)
    return _from_document(doc, digest, source)


def _default_text() -> str:
    try:
        with open(DEFAULT_PROFILE, encoding="utf-8") as fh:
            return fh.read()
    except FileNotFoundError:  # not installed as plain files (zip import)
        from importlib import resources

        return resources.files("chassisctl.sim.profiles").joinpath("default.toml").read_text(encoding="utf-8")


def _cache_file(key: str) -> str:
    """One cache file per profile source, rewritten when its text changes.

    The name carries a 32-bit FNV-1a hash of the key, computed here: it
    only spreads paths over file names (the content is checked by digest),
    and importing zlib for a CRC cost ~0.3 ms of every simulated command.
    """
    from chassisctl.config import xdg_path

    h = 0x811C9DC5
    for byte in key.encode():
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return xdg_path("CACHE", "sim", f"profile-{h:08x}.json")


