"""System Event Log records (IPMI v2.0 §31-32): 16 bytes each.

Every 16-byte string is a valid record: system events (02h), OEM
timestamped (C0h-DFh), OEM non-timestamped (E0h-FFh), and anything else is
kept raw as :class:`UnknownRecord` rather than refused, so one odd entry
never hides the rest of a log.  Only a wrong length raises DecodeError.

:func:`describe` gives the one-line text operators know from ``sel list``.
Sensor type names and discrete offset texts come from
:mod:`chassisctl.ipmi.names`; only what is SEL-specific is here: threshold
event directions ("Upper Critical going high"), the fallbacks that show raw
codes so no event is ever printed as nothing, and timestamps.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from chassisctl.ipmi._bytes import check_field
from chassisctl.ipmi.decode_errors import DecodeError
from chassisctl.ipmi.names import offset_table, sensor_type_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

RECORD_SIZE = 16
SYSTEM_EVENT = 0x02
THRESHOLD = 0x01
SENSOR_SPECIFIC = 0x6F
#: IPMI v2.0 event message revision.
EVM_REVISION = 0x04
#: 00000000h-20000000h count from BMC initialisation, not from 1970.
PRE_INIT_MAX = 0x20000000
UNSPECIFIED_TIME = 0xFFFFFFFF
#: Generator ID of the BMC itself: slave address 20h, channel 0, LUN 0.
BMC_GENERATOR = 0x0020


#: Event/reading type 01h, offsets 00h-0Bh: the direction a threshold was crossed in.
THRESHOLD_OFFSETS = tuple(
    f"{side} {level} going {way}"
    for side in ("Lower", "Upper")
    for level in ("Non-critical", "Critical", "Non-recoverable")
    for way in ("low", "high")
)

#: Sensor types whose event data 2 carries a code worth showing (firmware progress/error).
_SHOW_DATA2 = {0x0F}


def _lookup(table: tuple[str, ...], offset: int) -> str:
    return table[offset] if offset < len(table) else f"Reserved offset {offset:#04x}"


def event_text(sensor_type: int, event_type: int, offset: int, extension: int | None = None) -> str:
    """Text of one event offset.  ``extension`` is event data 2 when data 1
    says it holds a sensor-specific extension code (bits 7:6 = 11b)."""
    if event_type == THRESHOLD:
        return _lookup(THRESHOLD_OFFSETS, offset)
    table = offset_table(event_type, sensor_type)
    if event_type == SENSOR_SPECIFIC:
        if table is None:
            return f"Sensor-specific offset {offset:#04x}"
        text = _lookup(table, offset)
        if sensor_type in _SHOW_DATA2 and extension is not None:
            text += f" (code {extension:#04x})"
        return text
    if table is not None:
        return _lookup(table, offset)
    if 0x70 <= event_type <= 0x7F:
        return f"OEM event type {event_type:#04x}, offset {offset:#04x}"
    return f"Event type {event_type:#04x}, offset {offset:#04x}"


def timestamp_kind(ts: int) -> str:
    """"absolute", "pre-init" (seconds since the BMC started) or "unspecified"."""
    if ts == UNSPECIFIED_TIME:
        return "unspecified"
    return "pre-init" if ts <= PRE_INIT_MAX else "absolute"


def format_timestamp(ts: int) -> str:
    """RFC 3339 UTC for real times; a plain note for the other two kinds."""
    kind = timestamp_kind(ts)
    if kind == "absolute":
        return f"{datetime.fromtimestamp(ts, UTC):%Y-%m-%dT%H:%M:%SZ}"
    return f"pre-init +{ts}s" if kind == "pre-init" else "unspecified"


@dataclass(frozen=True, slots=True)
class SystemEventRecord:
    """Record type 02h: a sensor event as the BMC logged it."""

    record_id: int
    timestamp: int
    #: Byte 7 (slave address or software ID << 1 | is-software) in bits 7:0,
    #: byte 8 (channel << 4 | LUN) in bits 15:8.
    generator_id: int
    evm_revision: int
    sensor_type: int
    sensor_number: int
    #: Event/reading type code, bits 6:0 of byte 12.
    event_type: int
    deassertion: bool
    #: Event data 1-3.  Data 1 bits 3:0 are the offset; 7:4 say what 2 and 3 hold.
    event_data: bytes

    record_type = SYSTEM_EVENT

    def __post_init__(self) -> None:
        check_field(self.record_id, 16, "record ID")
        check_field(self.timestamp, 32, "timestamp")
        check_field(self.generator_id, 16, "generator ID")
        for name in ("evm_revision", "sensor_type", "sensor_number"):
            check_field(getattr(self, name), 8, name.replace("_", " "))
        check_field(self.event_type, 7, "event/reading type")
        if len(self.event_data) != 3:
            raise ValueError("a system event carries exactly 3 event data bytes")

    @property
    def offset(self) -> int:
        return self.event_data[0] & 0x0F

    def encode(self) -> bytes:
        return struct.pack(
            "<HBIHBBBB3s", self.record_id, SYSTEM_EVENT, self.timestamp, self.generator_id,
            self.evm_revision, self.sensor_type, self.sensor_number,
            self.deassertion << 7 | self.event_type, bytes(self.event_data),
        )

    def to_dict(self) -> dict[str, Any]:
        return _dict(self, "system", self.timestamp, self.event_data) | {
            "generator_id": self.generator_id,
            "evm_revision": self.evm_revision,
            "sensor_type": self.sensor_type,
            "sensor_type_name": sensor_type_name(self.sensor_type),
            "sensor_number": self.sensor_number,
            "event_type": self.event_type,
            "direction": "deassertion" if self.deassertion else "assertion",
            "offset": self.offset,
        }


@dataclass(frozen=True, slots=True)
class OemTimestampedRecord:
    """Record types C0h-DFh: timestamp, IANA manufacturer ID, 6 OEM bytes."""

    record_id: int
    record_type: int
    timestamp: int
    manufacturer_id: int
    oem_data: bytes

    def __post_init__(self) -> None:
        check_field(self.record_id, 16, "record ID")
        if not 0xC0 <= self.record_type <= 0xDF:
            raise ValueError(f"OEM timestamped record types are C0h-DFh, not {self.record_type:#04x}")
        check_field(self.timestamp, 32, "timestamp")
        check_field(self.manufacturer_id, 24, "manufacturer ID")
        if len(self.oem_data) != 6:
            raise ValueError("an OEM timestamped record carries exactly 6 OEM bytes")

    def encode(self) -> bytes:
        return (struct.pack("<HBI", self.record_id, self.record_type, self.timestamp)
                + self.manufacturer_id.to_bytes(3, "little") + bytes(self.oem_data))

    def to_dict(self) -> dict[str, Any]:
        return _dict(self, "oem_timestamped", self.timestamp, self.oem_data) | {
            "manufacturer_id": self.manufacturer_id,
        }


@dataclass(frozen=True, slots=True)
class _RawRecord:
    """Shape shared by records that are just a type and 13 opaque bytes."""

    record_id: int
    record_type: int
    data: bytes

    KIND = ""

    def __post_init__(self) -> None:
        check_field(self.record_id, 16, "record ID")
        check_field(self.record_type, 8, "record type")
        if len(self.data) != 13:
            raise ValueError("this record type carries exactly 13 data bytes")
        if _raw_kind(self.record_type) != self.KIND:
            raise ValueError(f"record type {self.record_type:#04x} does not belong in {type(self).__name__}")

    def encode(self) -> bytes:
        return struct.pack("<HB", self.record_id, self.record_type) + bytes(self.data)

    def to_dict(self) -> dict[str, Any]:
        return _dict(self, self.KIND, None, self.data)


@dataclass(frozen=True, slots=True)
class OemRecord(_RawRecord):
    """Record types E0h-FFh: 13 OEM bytes, no timestamp."""

    KIND = "oem"


@dataclass(frozen=True, slots=True)
class UnknownRecord(_RawRecord):
    """A record type the spec reserves (00h-01h, 03h-BFh): kept raw, not an error."""

    KIND = "unknown"


def _raw_kind(record_type: int) -> str:
    if record_type >= 0xE0:
        return "oem"
    return "" if record_type == SYSTEM_EVENT or record_type >= 0xC0 else "unknown"


SelRecord = SystemEventRecord | OemTimestampedRecord | OemRecord | UnknownRecord

_EMPTY_KEYS = ("generator_id", "evm_revision", "sensor_type", "sensor_type_name", "sensor_number",
               "event_type", "direction", "offset", "manufacturer_id")


def _dict(record: SystemEventRecord | OemTimestampedRecord | _RawRecord, kind: str, ts: int | None,
          data: bytes) -> dict[str, Any]:
    """Keys every record shares, so ``--json`` output has one shape."""
    out: dict[str, Any] = {
        "id": record.record_id,
        "record_type": record.record_type,
        "type": kind,
        "timestamp": None if ts is None or timestamp_kind(ts) != "absolute" else format_timestamp(ts),
        "timestamp_raw": ts,
        "timestamp_kind": None if ts is None else timestamp_kind(ts),
        **dict.fromkeys(_EMPTY_KEYS),
        "data": bytes(data).hex(),
        "description": describe(record),
        "raw": record.encode().hex(),
    }
    return out


def decode(data: bytes) -> SelRecord:
    """One 16-byte SEL record (as in a Get SEL Entry reply after the next ID)."""
    data = bytes(data)
    if len(data) != RECORD_SIZE:
        raise DecodeError(f"SEL record must be {RECORD_SIZE} bytes, got {len(data)}")
    record_id, kind = struct.unpack_from("<HB", data)
    if kind == SYSTEM_EVENT:
        ts, gen, evm, stype, snum, dir_type = struct.unpack_from("<IHBBBB", data, 3)
        return SystemEventRecord(record_id, ts, gen, evm, stype, snum, dir_type & 0x7F,
                                 bool(dir_type & 0x80), data[13:16])
    if 0xC0 <= kind <= 0xDF:
        (ts,) = struct.unpack_from("<I", data, 3)
        return OemTimestampedRecord(record_id, kind, ts, int.from_bytes(data[7:10], "little"), data[10:16])
    cls = OemRecord if kind >= 0xE0 else UnknownRecord
    return cls(record_id, kind, data[3:16])


def encode(record: SelRecord) -> bytes:
    return record.encode()


def system_event(
    sensor_type: int,
    sensor_number: int,
    event_type: int,
    offset: int,
    *,
    timestamp: int,
    deassertion: bool = False,
    generator_id: int = BMC_GENERATOR,
    data2: int = 0xFF,
    data3: int = 0xFF,
    data1_flags: int | None = None,
    record_id: int = 0,
    evm_revision: int = EVM_REVISION,
) -> SystemEventRecord:
    """A system event record for the simulator and translating backends.

    ``timestamp`` is required (seconds since 1970 UTC, or a pre-init count):
    the codec never reads a clock.  ``data1_flags`` fills event data 1 bits
    7:4; by default they announce data 2/3 when those are not FFh: trigger
    reading/threshold for threshold events (01h), "sensor-specific
    extension" for everything else.  ``record_id`` 0 lets the SEL assign one.
    """
    check_field(offset, 4, "event offset")
    for value, what in ((data2, "event data 2"), (data3, "event data 3")):
        check_field(value, 8, what)
    if data1_flags is None:
        usage = 0b01 if event_type == THRESHOLD else 0b11
        data1_flags = (usage << 2 if data2 != 0xFF else 0) | (usage if data3 != 0xFF else 0)
    check_field(data1_flags, 4, "event data 1 flags")
    return SystemEventRecord(record_id, timestamp, generator_id, evm_revision, sensor_type,
                             sensor_number, event_type, deassertion,
                             bytes([data1_flags << 4 | offset, data2, data3]))


def describe(record: SystemEventRecord | OemTimestampedRecord | _RawRecord) -> str:
    """``"Temperature #0x30 | Upper Critical going high | Asserted"`` and the like."""
    if isinstance(record, SystemEventRecord):
        d1, d2 = record.event_data[0], record.event_data[1]
        text = event_text(record.sensor_type, record.event_type, record.offset,
                          d2 if d1 >> 6 == 0b11 else None)
        label = f"{sensor_type_name(record.sensor_type)} #{record.sensor_number:#04x}"
        return f"{label} | {text} | {'Deasserted' if record.deassertion else 'Asserted'}"
    if isinstance(record, OemTimestampedRecord):
        return (f"OEM record {record.record_type:#04x} | manufacturer {record.manufacturer_id} | "
                f"{record.oem_data.hex(' ')}")
    what = "OEM record" if isinstance(record, OemRecord) else "Record type"
    return f"{what} {record.record_type:#04x} | {record.data.hex(' ')}"
