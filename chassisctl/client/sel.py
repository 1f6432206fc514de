"""The System Event Log: info, entries (decoded like ``ipmitool sel elist``), clear, time.

Entries are read whole (16 bytes fit every transport's reply); a BMC that
answers CAh to that gets partial reads under a reservation.  Each system
event is named the way ``ipmitool sel elist`` names it: the sensor type and
the SDR's name for the record with the same sensor number, owner and type
(else ``#0xNN``), the event offset's text, assertion or deassertion, and for
threshold events the trigger reading and threshold in the sensor's unit.

Following the log (``sel list --follow``) polls Get SEL Info, which is
cheap and idempotent, and reads on from the last entry seen only when the
addition timestamp or the count moved; an erase (the erase timestamp moved)
starts again from the first entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Iterable, Iterator

from chassisctl.client.call import call
from chassisctl.errors import ProtocolError
from chassisctl.ipmi.codes import CompletionCodeError
from chassisctl.ipmi import sel as sel_codec
from chassisctl.ipmi.sel_cmds import (ClearAction, ClearSelProgress, SelInfo, SelTime, clear_sel, get_sel_entry,
                                      get_sel_info, get_sel_time, reserve_sel, set_sel_time)
from chassisctl.ipmi.storage import FIRST_RECORD, LAST_RECORD, READ_ALL, SEL_RECORD_SIZE, RecordChunk, Reservation
from chassisctl.transport.base import Transport

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: A chain longer than this is a loop, not a log (the record ID space is 16 bits).
MAX_ENTRIES = 0xFFFE
#: Partial reads: bytes per Get SEL Entry when the BMC will not return 16 at once.
PARTIAL_CHUNK = 8
#: Clear SEL: status polls before giving up on "erasure in progress".
CLEAR_POLLS = 50


def info(transport: Transport, *, node: str | int | None = None) -> SelInfo:
    return call(transport, get_sel_info(), SelInfo.decode, node=node)


class SelReader:
    """Reads entries of one BMC's SEL, remembering where the chain ended."""

    def __init__(self, transport: Transport, *, node: str | int | None = None) -> None:
        self.transport = transport
        self.node = node
        self._reservation = 0

    def _reserve(self) -> int:
        self._reservation = call(self.transport, reserve_sel(), Reservation.decode, node=self.node).reservation
        return self._reservation

    def read(self, record_id: int) -> tuple[int, bytes]:
        """(next record ID, the 16-byte record) of ``record_id``."""
        try:
            chunk = call(self.transport, get_sel_entry(0, record_id, 0, READ_ALL), RecordChunk.decode,
                         node=self.node)
        except CompletionCodeError as exc:
            if exc.cc not in (0xCA, 0xC7, 0xC8):
                raise
            return self._read_partial(record_id)
        if len(chunk.data) != SEL_RECORD_SIZE:
            raise ProtocolError(f"Get SEL Entry {record_id:04X}h: {len(chunk.data)} bytes, a SEL record is 16")
        return chunk.next_record_id, chunk.data

    def _read_partial(self, record_id: int) -> tuple[int, bytes]:
        data, next_id, retried = b"", LAST_RECORD, False
        self._reserve()
        while len(data) < SEL_RECORD_SIZE:
            count = min(PARTIAL_CHUNK, SEL_RECORD_SIZE - len(data))
            try:
                chunk = call(self.transport, get_sel_entry(self._reservation, record_id, len(data), count),
                             RecordChunk.decode, node=self.node)
            except CompletionCodeError as exc:
                if exc.cc != 0xC5 or retried:
                    raise
                retried = True  # someone else reserved: once more from the start
                data = b""
                self._reserve()
                continue
            if not chunk.data or len(chunk.data) > count:
                raise ProtocolError(f"Get SEL Entry {record_id:04X}h at offset {len(data)}: "
                                    f"{len(chunk.data)} bytes for {count} asked")
            data += chunk.data
            next_id = chunk.next_record_id
        return next_id, data

    def walk(self, start: int = FIRST_RECORD) -> Iterator[tuple[int, bytes]]:
        """(record ID, record) from ``start`` to the end of the chain.

        An empty SEL answers CBh to the first read: that is the end, not an error.
        """
        record_id, seen = start, set[int]()
        while record_id != LAST_RECORD:
            try:
                next_id, data = self.read(record_id)
            except CompletionCodeError as exc:
                if exc.cc == 0xCB and record_id == start:
                    return
                raise
            actual = int.from_bytes(data[:2], "little")
            if actual in seen or len(seen) >= MAX_ENTRIES:
                raise ProtocolError(f"SEL record chain loops at ID {actual:04X}h")
            seen.add(actual)
            yield actual, data
            record_id = next_id

    def after(self, record_id: int) -> Iterator[tuple[int, bytes]]:
        """Entries added after ``record_id`` (re-reading it gives its new next ID)."""
        try:
            next_id, _ = self.read(record_id)
        except CompletionCodeError as exc:
            if exc.cc != 0xCB:
                raise
            yield from self.walk()  # the entry is gone (cleared or overwritten): from the start
            return
        if next_id != LAST_RECORD:
            yield from self.walk(next_id)


def clear(transport: Transport, *, node: str | int | None = None) -> None:
    """Reserve, clear, and wait (bounded) until the BMC reports the erase complete."""
    reservation = call(transport, reserve_sel(), Reservation.decode, node=node).reservation
    progress = call(transport, clear_sel(reservation), ClearSelProgress.decode, node=node)
    for _ in range(CLEAR_POLLS):
        if progress.completed:
            return
        progress = call(transport, clear_sel(reservation, ClearAction.GET_STATUS), ClearSelProgress.decode,
                        node=node)
    raise ProtocolError("Clear SEL: the BMC still reports the erasure in progress",
                        hint="check again with `chassisctl sel info`")


def get_time(transport: Transport, *, node: str | int | None = None) -> int:
    return call(transport, get_sel_time(), SelTime.decode, node=node).seconds


def set_time(transport: Transport, seconds: int, *, node: str | int | None = None) -> None:
    call(transport, set_sel_time(seconds), node=node)


# --- naming events the way ipmitool sel elist does ----------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """One decoded SEL record, with the names and values ``sel elist`` shows."""

    record: Any
    #: "Temperature CPU Temp" (type and SDR name) or "Temperature #0x30"; None for OEM records.
    sensor: str | None
    sensor_name: str | None
    event: str
    #: "assertion" / "deassertion"; None for OEM records.
    direction: str | None
    #: Threshold events: trigger reading and threshold in ``unit`` (None when not logged).
    reading: float | None = None
    threshold: float | None = None
    unit: str | None = None

    @property
    def id(self) -> int:
        return self.record.record_id

    @property
    def timestamp(self) -> int | None:
        return getattr(self.record, "timestamp", None)

    def to_dict(self) -> dict[str, Any]:
        r = self.record
        ts = self.timestamp
        return {
            "id": r.record_id,
            "timestamp": sel_codec.format_timestamp(ts) if ts is not None and
            sel_codec.timestamp_kind(ts) == "absolute" else None,
            "timestamp_raw": ts,
            "timestamp_kind": None if ts is None else sel_codec.timestamp_kind(ts),
            "sensor": self.sensor,
            "sensor_name": self.sensor_name,
            "sensor_type": getattr(r, "sensor_type", None),
            "sensor_number": getattr(r, "sensor_number", None),
            "generator_id": getattr(r, "generator_id", None),
            "event": self.event,
            "direction": self.direction,
            "reading": self.reading,
            "threshold": self.threshold,
            "unit": self.unit,
            "record_type": r.record_type,
            "raw": r.encode().hex(),
        }


class SensorIndex:
    """SDR records by (sensor number, owner, sensor type): how ipmitool finds a name."""

    def __init__(self, records: Iterable[Any]) -> None:
        self._by_key: dict[tuple[int, int, int], Any] = {}
        for r in records:
            number = getattr(r, "sensor_number", None)
            kind = getattr(r, "sensor_type", None)
            if number is None or kind is None:
                continue
            self._by_key.setdefault((number, getattr(r, "owner_id", 0x20), kind), r)

    def find(self, number: int, generator_id: int, sensor_type: int) -> Any:
        return self._by_key.get((number, generator_id & 0xFF, sensor_type))


def decode(raw: bytes, index: SensorIndex | None = None) -> Entry:
    """A 16-byte record as ``sel elist`` would name it (``index`` gives SDR names)."""
    from chassisctl.ipmi.names import sensor_type_name

    record = sel_codec.decode(raw)
    if not isinstance(record, sel_codec.SystemEventRecord):
        return Entry(record, None, None, sel_codec.describe(record), None)
    d1, d2 = record.event_data[0], record.event_data[1]
    event = sel_codec.event_text(record.sensor_type, record.event_type, record.offset,
                                 d2 if d1 >> 6 == 0b11 else None)
    sdr = index.find(record.sensor_number, record.generator_id, record.sensor_type) if index else None
    type_name = sensor_type_name(record.sensor_type)
    if sdr is not None:
        sensor, name = f"{type_name} {sdr.id_string}", sdr.id_string
    else:
        sensor = type_name + (f" #0x{record.sensor_number:02x}" if record.sensor_number else "")
        name = None
    entry = Entry(record, sensor, name, event, "deassertion" if record.deassertion else "assertion")
    if sdr is not None and record.event_type == sel_codec.THRESHOLD:
        entry = _with_threshold_values(entry, record, sdr)
    return entry


def _with_threshold_values(entry: Entry, record: Any, sdr: Any) -> Entry:
    """Event data 2 (trigger reading) and 3 (threshold), converted with the SDR's factors."""
    conversion = getattr(sdr, "conversion", None)
    if conversion is None:
        return entry
    d1 = record.event_data[0]

    def value(raw: int) -> float | None:
        try:
            converted = conversion.to_value(raw)
        except (ValueError, ArithmeticError):
            return None
        return None if converted is None else round(converted, 6)

    reading = value(record.event_data[1]) if (d1 >> 6) & 3 == 1 else None
    threshold = value(record.event_data[2]) if (d1 >> 4) & 3 == 1 else None
    if reading is None and threshold is None:
        return entry
    return Entry(entry.record, entry.sensor, entry.sensor_name, entry.event, entry.direction,
                 reading, threshold, sdr.unit_text())
