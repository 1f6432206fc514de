"""``sensors``: the SDR repository (usually from cache) plus one reading each.

The cost model is the point.  A warm run is one Get SDR Repository Info to
validate the cache plus one Get Sensor Reading per selected sensor, nothing
else.  Non-linear sensors need Get Sensor Reading Factors for a raw value;
the answer holds for a range of raw values, so it is cached with the SDRs.
A sensor that does not answer within its short deadline shows ``n/a`` and
the walk moves on: one dead sensor never stalls the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from chassisctl.client.call import call
from chassisctl.client.sdr import SdrWalker
from chassisctl.client.sdr_cache import CacheEntry, SdrCache
from chassisctl.errors import ChassisError, TimeoutFailure, UnreachableError
from chassisctl.ipmi.codes import CompletionCodeError
from chassisctl.ipmi.conversion import NON_LINEAR, Factors
from chassisctl.ipmi.decode_errors import DecodeError
from chassisctl.ipmi.names import entity_name, sensor_type_name
from chassisctl.ipmi.sdr import CompactSensorRecord, FullSensorRecord, parse_record
from chassisctl.ipmi.sensor import discrete_states, status
from chassisctl.ipmi.sensor_cmds import (SensorReading, SensorReadingFactors, Threshold,
                                         get_sensor_reading, get_sensor_reading_factors)
from chassisctl.transport.base import Transacts, Transport

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol
else:
    Protocol = object  # the classes below only describe interfaces to the type checker
if TYPE_CHECKING:
    from typing import Any

if TYPE_CHECKING:
    from chassisctl.ipmi.app import DeviceId

#: Per-sensor deadline: long enough for a busy BMC, short enough that a dead
#: sensor costs a quarter second, not ipmitool's 5 s.
SENSOR_DEADLINE = 0.25
#: Consecutive sensor timeouts after which the BMC itself is checked (Get Device ID).
SILENT_BEFORE_CHECK = 2

#: ``--type`` names -> predicate on (sensor type code, base unit, threshold based)
TYPE_FILTERS = {
    "temperature": lambda t, u, th: t == 0x01,
    "voltage": lambda t, u, th: t == 0x02,
    "current": lambda t, u, th: t == 0x03,
    "fan": lambda t, u, th: t == 0x04,
    "power": lambda t, u, th: u == 6 and th,
    "power_supply": lambda t, u, th: t == 0x08,
    "physical_security": lambda t, u, th: t == 0x05,
    "power_unit": lambda t, u, th: t == 0x09,
    "other": lambda t, u, th: t == 0x0B,
    "discrete": lambda t, u, th: not th,
}

THRESHOLD_KEYS = {Threshold.LNR: "lnr", Threshold.LC: "lc", Threshold.LNC: "lnc",
                  Threshold.UNC: "unc", Threshold.UC: "uc", Threshold.UNR: "unr"}


class Repository:
    """The parsed SDR repository and where it came from."""

    __slots__ = ("records", "from_cache", "entry", "walk_round_trips")

    def __init__(self, records: list[Any], from_cache: bool, entry: CacheEntry,
                 walk_round_trips: int = 0) -> None:
        self.records = records
        self.from_cache = from_cache
        #: What the cache holds (or would hold) for it.
        self.entry = entry
        self.walk_round_trips = walk_round_trips

    def sensors(self) -> list[FullSensorRecord | CompactSensorRecord]:
        return [r for r in self.records if isinstance(r, (FullSensorRecord, CompactSensorRecord))]


def _identity(device: DeviceId) -> dict[str, Any]:
    return {"device_id": device.device_id, "revision": device.device_revision,
            "manufacturer_id": device.manufacturer_id, "product_id": device.product_id,
            "firmware": device.firmware_version}


def load_repository(transport: Transport, *, node: str | int | None = None,
                    cache: SdrCache | None = None, refresh: bool = False,
                    progress: Callable[[int, int], None] | None = None) -> Repository:
    """Records from the cache when it is still valid, else one fresh walk
    (``progress(records read, record count)`` is called during a walk)."""
    walker = SdrWalker(transport, node=node)
    info = walker.info()
    key = SdrCache.key(transport.identity(), node)
    entry = cache.load(key) if cache is not None else None
    if entry is not None and not refresh and entry.matches(info.count, info.last_addition, info.last_erase):
        if entry.timestamps_usable or _identity(_device_id(transport, node)) == entry.identity:
            return Repository(_parse_all(entry.records), True, entry)
    if entry is not None:
        walker.chunk = entry.chunk
    raw = walker.read_all(progress, info.count)
    device = _device_id(transport, node)
    entry = CacheEntry(key=key, identity=_identity(device), count=info.count,
                       addition=info.last_addition, erase=info.last_erase,
                       chunk=walker.chunk_size, records=raw)
    if cache is not None:
        cache.store(entry)
    return Repository(_parse_all(raw), False, entry, walker.stats.round_trips)


def _device_id(transport: Transport, node: str | int | None) -> DeviceId:
    # App codecs load only here: a warm cache with usable timestamps never asks.
    from chassisctl.ipmi.app import DeviceId, get_device_id

    return call(transport, get_device_id(), DeviceId.decode, node=node)


def _parse_all(raw: Iterable[bytes]) -> list[Any]:
    records = []
    for blob in raw:
        try:
            records.append(parse_record(blob))
        except DecodeError:
            continue  # a record we cannot parse is skipped, never fatal
    return records


class SensorValue:
    """One sensor's reading as ``sensors`` shows it (filled in as the reading goes)."""

    __slots__ = ("name", "number", "owner", "type", "type_code", "entity", "unit", "value", "raw", "status",
                 "threshold_based", "thresholds", "states", "error")

    def __init__(self, name: str, number: int, owner: int, type: str, type_code: int,  # noqa: A002 - the JSON key
                 entity: str, unit: str, value: float | None, raw: int | None, status: str,
                 threshold_based: bool, thresholds: dict[str, float | None] | None = None,
                 states: list[str] | None = None, error: str | None = None) -> None:
        self.name = name
        self.number = number
        self.owner = owner
        self.type = type
        self.type_code = type_code
        self.entity = entity
        self.unit = unit
        self.value = value
        self.raw = raw
        self.status = status
        self.threshold_based = threshold_based
        self.thresholds: dict[str, float | None] = {} if thresholds is None else thresholds
        self.states: list[str] = [] if states is None else states
        self.error = error

    def __repr__(self) -> str:
        return f"SensorValue({self.to_dict()!r})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment] # equal by value and mutable, so unhashable (as a dataclass with eq)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "number": self.number, "owner": self.owner, "type": self.type,
                "type_code": self.type_code, "entity": self.entity, "unit": self.unit,
                "value": self.value, "raw": self.raw, "status": self.status,
                "kind": "threshold" if self.threshold_based else "discrete",
                "thresholds": self.thresholds, "states": self.states, "error": self.error}


def select(records: list[FullSensorRecord | CompactSensorRecord], *, type_name: str | None = None,
           name_glob: str | None = None) -> list[FullSensorRecord | CompactSensorRecord]:
    """Records matching ``--type`` and ``--name`` (case-insensitive glob)."""
    if name_glob:
        import fnmatch  # only with --name
    out = []
    for r in records:
        if type_name and not TYPE_FILTERS[type_name](r.sensor_type, r.base_unit, r.threshold_based):
            continue
        if name_glob and not fnmatch.fnmatchcase(r.id_string.lower(), name_glob.lower()):
            continue
        out.append(r)
    return out


class FactorStore(Protocol):
    """Where learned non-linear factors go: a :class:`CacheEntry`, or ``serve``'s own store."""

    #: Sensor number -> [[raw_lo, raw_hi_exclusive, factors hex], ...]
    factors: dict[str, list[list[Any]]]


class SensorReader:
    """Reads a set of sensors; remembers non-linear factors in the cache entry."""

    def __init__(self, transport: Transacts, *, node: str | int | None = None,
                 entry: FactorStore | None = None, deadline: float = SENSOR_DEADLINE) -> None:
        self.transport = transport
        self.node = node
        self.entry = entry
        self.deadline = deadline
        self.factors_learned = False
        self._timed_out = False

    def read(self, records: list[FullSensorRecord | CompactSensorRecord]) -> list[SensorValue]:
        """Every record's value; a sensor that times out is n/a, but a BMC that
        stopped answering altogether is an error, not a table of n/a."""
        values, silent = [], 0
        for record in records:
            value = self.read_one(record)
            values.append(value)
            silent = silent + 1 if value.error is not None and self._timed_out else 0
            if silent >= SILENT_BEFORE_CHECK:
                self._check_alive(silent)
                silent = 0
        return values

    def _check_alive(self, silent: int) -> None:
        """Several sensors in a row timed out: is it them, or the BMC?"""
        from chassisctl.ipmi.app import get_device_id

        try:
            call(self.transport, get_device_id(), node=self.node, timeout=self.deadline * 4)
        except TimeoutFailure as exc:
            raise TimeoutFailure(f"the BMC stopped answering: {silent} sensor readings and Get Device ID "
                                 f"timed out ({exc.message})",
                                 hint="check `chassisctl bmc info`; the BMC may be hung or resetting") from None

    def read_one(self, record: FullSensorRecord | CompactSensorRecord) -> SensorValue:
        view = SensorValue(
            name=record.id_string, number=record.sensor_number, owner=record.owner_id,
            type=sensor_type_name(record.sensor_type), type_code=record.sensor_type,
            entity=f"{entity_name(record.entity_id)} {record.entity_instance & 0x7F}",
            unit=record.unit_text() if record.threshold_based else "discrete",
            value=None, raw=None, status="na", threshold_based=record.threshold_based)
        analog = record if record.threshold_based and isinstance(record, FullSensorRecord) else None
        self._timed_out = False
        try:
            reading = call(self.transport, get_sensor_reading(record.sensor_number), SensorReading.decode,
                           node=self.node, timeout=self.deadline)
        except (TimeoutFailure, UnreachableError, CompletionCodeError, DecodeError) as exc:
            # A real BMC may NAK for a while after a sensor timed out: that is
            # one sensor's failure until _check_alive says the BMC is gone.
            view.error = str(exc)
            self._timed_out = isinstance(exc, (TimeoutFailure, UnreachableError))
            if analog is not None:  # the limits are in the SDR: show them even when the reading fails
                view.thresholds = self._thresholds(analog, ask=False)
            return view
        view.status = status(reading, threshold_based=record.threshold_based)
        if not record.threshold_based:
            view.states = discrete_states(reading, record.event_reading_type, record.sensor_type)
            return view
        if analog is not None:
            view.thresholds = self._thresholds(analog, ask=True)
        if reading.unavailable or not reading.scanning_enabled:
            return view
        view.raw = reading.raw
        if analog is not None:
            factors = self._factors(analog, reading.raw)
            value = analog.conversion.to_value(reading.raw, factors)
            view.value = None if value is None else round(value, 6)
        return view

    def learn_factors(self, record: FullSensorRecord, raw: int) -> None:
        """Make sure a non-linear sensor's factors for ``raw`` are in the cache entry."""
        self._factors(record, raw)

    def _factors(self, record: FullSensorRecord, raw: int) -> Factors | None:
        if record.linearization not in NON_LINEAR:
            return None
        known = self._known_factors(record.sensor_number, raw)
        if known is not None:
            return known
        try:
            answer = call(self.transport, get_sensor_reading_factors(record.sensor_number, raw),
                          SensorReadingFactors.decode, node=self.node, timeout=self.deadline)
        except ChassisError:
            return None
        if self.entry is not None:
            upper = answer.next_reading if answer.next_reading > raw else 0x100
            self.entry.factors.setdefault(str(record.sensor_number), []).append(
                [raw, upper, answer.factors.pack().hex()])
            self.factors_learned = True
        return answer.factors

    def _known_factors(self, number: int, raw: int) -> Factors | None:
        if self.entry is None:
            return None
        for lo, hi, packed in self.entry.factors.get(str(number), []):
            if lo <= raw < hi:
                return Factors.unpack(bytes.fromhex(packed))
        return None

    def _thresholds(self, record: FullSensorRecord, *, ask: bool) -> dict[str, float | None]:
        """Threshold values; a non-linear sensor needs factors for each raw limit,
        asked once (``ask``) and then remembered in the cache entry like any other."""
        out: dict[str, float | None] = {}
        limits = record.thresholds
        for threshold in THRESHOLD_KEYS:
            raw = limits.raw(threshold)
            if raw is None:
                continue
            if record.linearization in NON_LINEAR:
                factors = (self._factors(record, raw) if ask
                           else self._known_factors(record.sensor_number, raw))
                value = record.conversion.to_value(raw, factors) if factors else None
            else:
                value = record.conversion.to_value(raw)
            out[THRESHOLD_KEYS[threshold]] = None if value is None else round(value, 6)
        return out
