"""Sensor records: Full (01h), Compact (02h) and Event-only (03h).

Field names follow the spec's byte descriptions; multi-bit fields are split
out (units 1 into format, rate, modifier relation, percentage; the sharing
bytes into count, modifier type and offset) and the init / capability
bytes stay whole with properties for the bits a listing asks about.  The
defaults are those of a typical BMC sensor, so a description only states
what differs.
"""

from __future__ import annotations

from chassisctl.namedtuple import NamedTuple

from chassisctl.ipmi._bytes import check_field, le
from chassisctl.ipmi.conversion import Conversion, Factors
from chassisctl.ipmi.sdr_format import (
    SDR_VERSION,
    EntityMixin,
    IdTypeInt,
    RecordTypeInt,
    SdrHeader,
    encode_id_string,
    frame,
    id_fields,
)
from chassisctl.ipmi.sensor_cmds import SensorThresholds, Threshold
from chassisctl.ipmi.units import unit_string

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class _SensorMixin(EntityMixin):
    """Init/capability bits, masks and units shared by Full and Compact records."""

    __slots__ = ()
    base_unit: int
    modifier_unit: int
    modifier_relation: int
    percentage: bool
    rate_unit: int
    sensor_init: int
    sensor_caps: int
    event_reading_type: int
    reading_mask: int
    assertion_mask: int
    deassertion_mask: int

    @property
    def threshold_based(self) -> bool:
        return self.event_reading_type == 0x01

    @property
    def scanning_default(self) -> bool:
        return bool(self.sensor_init & 0x01)

    @property
    def events_default(self) -> bool:
        return bool(self.sensor_init & 0x02)

    @property
    def threshold_access(self) -> int:
        """0 none, 1 readable, 2 readable and settable, 3 fixed."""
        return self.sensor_caps >> 2 & 3

    @property
    def hysteresis_support(self) -> int:
        return self.sensor_caps >> 4 & 3

    @property
    def readable_thresholds(self) -> Threshold:
        return Threshold(self.reading_mask & 0x3F) if self.threshold_based else Threshold(0)

    @property
    def settable_thresholds(self) -> Threshold:
        return Threshold(self.reading_mask >> 8 & 0x3F) if self.threshold_based else Threshold(0)

    @property
    def comparisons(self) -> Threshold:
        """Thresholds whose comparison bits Get Sensor Reading returns."""
        if not self.threshold_based:
            return Threshold(0)
        return Threshold((self.assertion_mask >> 12 & 7) | (self.deassertion_mask >> 12 & 7) << 3)

    def unit_text(self, *, short: bool = False) -> str:
        """Unit column text, e.g. "degrees C" ("°C" with ``short``)."""
        return unit_string(
            self.base_unit, self.modifier_unit, self.modifier_relation, self.percentage, self.rate_unit, short=short
        )


def threshold_masks(readable: Threshold, settable: Threshold | None = None) -> tuple[int, int, int]:
    """Assertion, deassertion and reading masks for a threshold sensor.

    Events are enabled in the direction that matters (upper thresholds
    going high, lower going low) for every readable threshold, and each
    readable threshold's comparison bit is advertised.
    """
    events = 0
    for i, t in enumerate((Threshold.LNC, Threshold.LC, Threshold.LNR)):
        if readable & t:
            events |= 1 << (2 * i)  # going low
    for i, t in enumerate((Threshold.UNC, Threshold.UC, Threshold.UNR)):
        if readable & t:
            events |= 1 << (7 + 2 * i)  # going high
    lower, upper = int(readable) & 7, int(readable) >> 3 & 7
    reading = int(readable) & 0x3F | (int(settable or 0) & 0x3F) << 8
    return events | lower << 12, events | upper << 12, reading


def _owner(body: bytes) -> dict[str, Any]:
    return {
        "owner_id": body[0],
        "owner_lun": body[1] & 3,
        "channel": body[1] >> 4,
        "sensor_number": body[2],
        "entity_id": body[3],
        "entity_instance": body[4],
    }


def _owner_bytes(r: FullSensorRecord | CompactSensorRecord | EventOnlyRecord, extra: int = 0) -> bytes:
    lun = check_field(r.owner_lun, 2, "owner_lun") | check_field(r.channel, 4, "channel") << 4 | extra
    return bytes((r.owner_id, lun, r.sensor_number, r.entity_id, r.entity_instance))


def _units(body: bytes, at: int) -> dict[str, Any]:
    u = body[at]
    return {
        "analog_format": u >> 6,
        "rate_unit": u >> 3 & 7,
        "modifier_relation": u >> 1 & 3,
        "percentage": bool(u & 1),
        "base_unit": body[at + 1],
        "modifier_unit": body[at + 2],
    }


def _units_bytes(r: FullSensorRecord | CompactSensorRecord) -> bytes:
    u1 = (
        check_field(r.analog_format, 2, "analog_format") << 6
        | check_field(r.rate_unit, 3, "rate_unit") << 3
        | check_field(r.modifier_relation, 2, "modifier_relation") << 1
        | int(r.percentage)
    )
    return bytes((u1, r.base_unit, r.modifier_unit))


#: One-byte fields laid out consecutively: Full/Compact bytes 11-14, Full bytes 31-44.
_SENSOR_BYTES = ("sensor_init", "sensor_caps", "sensor_type", "event_reading_type")
_FULL_BYTES = (
    "analog_flags nominal normal_max normal_min sensor_max sensor_min unr uc unc lnr lc lnc "
    "positive_hysteresis negative_hysteresis"
).split()
#: Two-byte little-endian masks, Full/Compact bytes 15-20.
_MASKS = ("assertion_mask", "deassertion_mask", "reading_mask")


def _named(names: tuple[str, ...] | list[str], data: bytes) -> dict[str, Any]:
    return dict(zip(names, data, strict=True))


def _pack(r: object, names: tuple[str, ...] | list[str]) -> bytes:
    return bytes(getattr(r, n) for n in names)


def _masks(body: bytes, at: int) -> dict[str, Any]:
    return {n: int.from_bytes(body[at + 2 * i : at + 2 * i + 2], "little") for i, n in enumerate(_MASKS)}


def _masks_bytes(r: FullSensorRecord | CompactSensorRecord) -> bytes:
    return b"".join(le(getattr(r, n), 2, n) for n in _MASKS)


def _sharing(body: bytes, at: int) -> dict[str, Any]:
    return {
        "sensor_direction": body[at] >> 6,
        "id_modifier_type": body[at] >> 4 & 3,
        "share_count": body[at] & 0xF,
        "entity_instance_increments": bool(body[at + 1] & 0x80),
        "id_modifier_offset": body[at + 1] & 0x7F,
    }


def _sharing_bytes(r: CompactSensorRecord | EventOnlyRecord) -> bytes:
    return bytes(
        (
            check_field(r.sensor_direction, 2, "sensor_direction") << 6
            | check_field(r.id_modifier_type, 2, "id_modifier_type") << 4
            | check_field(r.share_count, 4, "share_count"),
            int(r.entity_instance_increments) << 7 | check_field(r.id_modifier_offset, 7, "id_modifier_offset"),
        )
    )


class SharedSensor(NamedTuple):
    """One sensor of a Compact / Event-only record shared by several."""

    sensor_number: int
    name: str
    entity_instance: int


def _modifier(kind: int, n: int) -> str:
    if kind != 1:  # numeric
        return str(n)
    letters = ""
    n += 1
    while n:  # bijective base 26: A..Z, AA..
        n, rem = divmod(n - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


def _shared(r: CompactSensorRecord | EventOnlyRecord) -> tuple[SharedSensor, ...]:
    if r.share_count <= 1:
        return (SharedSensor(r.sensor_number, r.id_string, r.entity_instance),)
    return tuple(
        SharedSensor(
            (r.sensor_number + i) & 0xFF,
            r.id_string + _modifier(r.id_modifier_type, r.id_modifier_offset + i),
            (r.entity_instance + i) & 0xFF if r.entity_instance_increments else r.entity_instance,
        )
        for i in range(r.share_count)
    )


class _FullSensorRecordFields(NamedTuple):
    record_id: int = 0
    version: int = SDR_VERSION
    owner_id: int = 0x20
    owner_lun: int = 0
    channel: int = 0
    sensor_number: int = 0
    entity_id: int = 0
    entity_instance: int = 0
    sensor_init: int = 0x7F
    sensor_caps: int = 0x68
    sensor_type: int = 0
    event_reading_type: int = 0x01
    assertion_mask: int = 0
    deassertion_mask: int = 0
    reading_mask: int = 0
    analog_format: int = 0
    rate_unit: int = 0
    modifier_relation: int = 0
    percentage: bool = False
    base_unit: int = 0
    modifier_unit: int = 0
    linearization: int = 0
    factors: Factors = Factors()
    sensor_direction: int = 0
    analog_flags: int = 0
    nominal: int = 0
    normal_max: int = 0
    normal_min: int = 0
    sensor_max: int = 0xFF
    sensor_min: int = 0
    unr: int = 0
    uc: int = 0
    unc: int = 0
    lnr: int = 0
    lc: int = 0
    lnc: int = 0
    positive_hysteresis: int = 0
    negative_hysteresis: int = 0
    oem: int = 0
    id_type: int = IdTypeInt.ASCII8
    id_string: str = ""


class FullSensorRecord(_SensorMixin, _FullSensorRecordFields):
    """Type 01h: an analog (or discrete) sensor with conversion factors."""

    __slots__ = ()

    record_type = RecordTypeInt.FULL_SENSOR
    MIN_BODY = 43

    @property
    def conversion(self) -> Conversion:
        return Conversion(self.factors, self.analog_format, self.linearization)

    @property
    def thresholds(self) -> SensorThresholds:
        """The SDR's initial thresholds, readable mask from the record."""
        return SensorThresholds(self.readable_thresholds, self.lnc, self.lc, self.lnr, self.unc, self.uc, self.unr)

    @property
    def nominal_specified(self) -> bool:
        return bool(self.analog_flags & 0x01)

    @property
    def normal_max_specified(self) -> bool:
        return bool(self.analog_flags & 0x02)

    @property
    def normal_min_specified(self) -> bool:
        return bool(self.analog_flags & 0x04)

    @classmethod
    def decode(cls, header: SdrHeader, body: bytes) -> FullSensorRecord:
        return cls(
            record_id=header.record_id,
            version=header.version,
            **_owner(body),
            **_named(_SENSOR_BYTES, body[5:9]),
            **_masks(body, 9),
            **_units(body, 15),
            linearization=body[18] & 0x7F,
            factors=Factors.unpack(body[19:25]),
            sensor_direction=body[23] & 3,
            **_named(_FULL_BYTES, body[25:39]),
            oem=body[41],
            **id_fields(body, 42),
        )

    def encode(self) -> bytes:
        body = (
            _owner_bytes(self)
            + _pack(self, _SENSOR_BYTES)
            + _masks_bytes(self)
            + _units_bytes(self)
            + bytes((check_field(self.linearization, 7, "linearization"),))
            + self.factors.pack(self.sensor_direction)
            + _pack(self, _FULL_BYTES)
            + bytes((0, 0, self.oem))
            + encode_id_string(self.id_string, self.id_type)
        )
        return frame(self.record_id, self.version, self.record_type, body)


class _CompactSensorRecordFields(NamedTuple):
    record_id: int = 0
    version: int = SDR_VERSION
    owner_id: int = 0x20
    owner_lun: int = 0
    channel: int = 0
    sensor_number: int = 0
    entity_id: int = 0
    entity_instance: int = 0
    sensor_init: int = 0x63
    sensor_caps: int = 0x40
    sensor_type: int = 0
    event_reading_type: int = 0x6F
    assertion_mask: int = 0
    deassertion_mask: int = 0
    reading_mask: int = 0
    analog_format: int = 0
    rate_unit: int = 0
    modifier_relation: int = 0
    percentage: bool = False
    base_unit: int = 0
    modifier_unit: int = 0
    sensor_direction: int = 0
    id_modifier_type: int = 0
    share_count: int = 0
    entity_instance_increments: bool = False
    id_modifier_offset: int = 0
    positive_hysteresis: int = 0
    negative_hysteresis: int = 0
    oem: int = 0
    id_type: int = IdTypeInt.ASCII8
    id_string: str = ""


class CompactSensorRecord(_SensorMixin, _CompactSensorRecordFields):
    """Type 02h: a discrete (or unconverted) sensor, possibly shared by N."""

    __slots__ = ()

    record_type = RecordTypeInt.COMPACT_SENSOR
    MIN_BODY = 27

    def instances(self) -> tuple[SharedSensor, ...]:
        """The sensors this record stands for: numbers, names, entity instances."""
        return _shared(self)

    @classmethod
    def decode(cls, header: SdrHeader, body: bytes) -> CompactSensorRecord:
        return cls(
            record_id=header.record_id,
            version=header.version,
            **_owner(body),
            **_named(_SENSOR_BYTES, body[5:9]),
            **_masks(body, 9),
            **_units(body, 15),
            **_sharing(body, 18),
            positive_hysteresis=body[20],
            negative_hysteresis=body[21],
            oem=body[25],
            **id_fields(body, 26),
        )

    def encode(self) -> bytes:
        body = (
            _owner_bytes(self)
            + _pack(self, _SENSOR_BYTES)
            + _masks_bytes(self)
            + _units_bytes(self)
            + _sharing_bytes(self)
            + bytes((self.positive_hysteresis, self.negative_hysteresis, 0, 0, 0, self.oem))
            + encode_id_string(self.id_string, self.id_type)
        )
        return frame(self.record_id, self.version, self.record_type, body)


class _EventOnlyRecordFields(NamedTuple):
    record_id: int = 0
    version: int = SDR_VERSION
    owner_id: int = 0x20
    owner_lun: int = 0
    #: Owner byte bits 3:2, the FRU inventory device owner LUN.
    fru_owner_lun: int = 0
    channel: int = 0
    sensor_number: int = 0
    entity_id: int = 0
    entity_instance: int = 0
    sensor_type: int = 0
    event_reading_type: int = 0x6F
    sensor_direction: int = 0
    id_modifier_type: int = 0
    share_count: int = 0
    entity_instance_increments: bool = False
    id_modifier_offset: int = 0
    oem: int = 0
    id_type: int = IdTypeInt.ASCII8
    id_string: str = ""


class EventOnlyRecord(EntityMixin, _EventOnlyRecordFields):
    """Type 03h: a sensor that only generates events and cannot be read."""

    __slots__ = ()

    record_type = RecordTypeInt.EVENT_ONLY
    MIN_BODY = 12

    def instances(self) -> tuple[SharedSensor, ...]:
        return _shared(self)

    @classmethod
    def decode(cls, header: SdrHeader, body: bytes) -> EventOnlyRecord:
        return cls(
            record_id=header.record_id,
            version=header.version,
            **_owner(body),
            fru_owner_lun=body[1] >> 2 & 3,
            sensor_type=body[5],
            event_reading_type=body[6],
            **_sharing(body, 7),
            oem=body[10],
            **id_fields(body, 11),
        )

    def encode(self) -> bytes:
        body = (
            _owner_bytes(self, check_field(self.fru_owner_lun, 2, "fru_owner_lun") << 2)
            + bytes((self.sensor_type, self.event_reading_type))
            + _sharing_bytes(self)
            + bytes((0, self.oem))
            + encode_id_string(self.id_string, self.id_type)
        )
        return frame(self.record_id, self.version, self.record_type, body)
