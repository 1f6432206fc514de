"""FRU multirecord area: records, and the two PSU record types worth decoding.

A multirecord area has no length of its own: records are walked until one
carries the end-of-list bit.  Every record is kept as raw bytes (so an image
re-encodes exactly); :meth:`MultiRecord.decode` adds a typed view for Power
Supply Information (00h) and DC Output (01h), the records PSU FRUs carry.
Layouts follow FRU spec rev 1.3 §18.1-18.2 as ipmitool reads them (the spec
PDF itself was not at hand).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, fields

from chassisctl.ipmi._bytes import check_field
from chassisctl.ipmi.fru_fields import Problems, zero_checksum

POWER_SUPPLY_INFO = 0x00
DC_OUTPUT = 0x01
#: Bits 3:0 of the second header byte for this spec revision.
FORMAT_VERSION = 0x02
_END_OF_LIST = 0x80

RECORD_TYPE_NAMES: dict[int, str] = {
    0x00: "Power Supply Information",
    0x01: "DC Output",
    0x02: "DC Load",
    0x03: "Management Access",
    0x04: "Base Compatibility",
    0x05: "Extended Compatibility",
    0x09: "Extended DC Output",
    0x0A: "Extended DC Load",
}


def record_type_name(record_type: int) -> str:
    if record_type in RECORD_TYPE_NAMES:
        return RECORD_TYPE_NAMES[record_type]
    return "OEM" if record_type >= 0xC0 else f"Record type {record_type:#04x}"


def _from_mv(mv: int, what: str, signed: bool = False) -> int:
    """Spec voltages are in 10 mV units; refuse values that would not read back."""
    if mv % 10:
        raise ValueError(f"{what} {mv} mV is not a multiple of 10 mV")
    units = mv // 10
    lo, hi = (-0x8000, 0x7FFF) if signed else (0, 0xFFFF)
    if not lo <= units <= hi:
        raise ValueError(f"{what} {mv} mV is out of range")
    return units


@dataclass(frozen=True, slots=True)
class PowerSupplyInfo:
    """Record 00h (24 bytes).  Voltages in mV (stored as 10 mV units)."""

    capacity_w: int
    peak_va: int | None = None
    inrush_current_a: int | None = None
    inrush_interval_ms: int = 0
    input_voltage_1_mv: tuple[int, int] = (0, 0)
    #: (0, 0) when the supply has a single (autoswitch) range.
    input_voltage_2_mv: tuple[int, int] = (0, 0)
    input_frequency_hz: tuple[int, int] = (0, 0)
    ac_dropout_tolerance_ms: int = 0
    #: bit 0 predictive-fail pin, 1 PFC, 2 autoswitch, 3 hot swap, 4 tach output.
    flags: int = 0
    peak_wattage_w: int = 0
    holdup_time_s: int = 0
    #: Codes of the two combined-wattage voltages: 0 = 12 V, 1 = -12 V, 2 = 5 V, 3 = 3.3 V.
    combined_voltages: tuple[int, int] = (0, 0)
    combined_wattage_w: int = 0
    tach_lower_threshold_rps: int = 0

    SIZE = 24

    @property
    def hot_swap(self) -> bool:
        return bool(self.flags & 0x08)

    @property
    def autoswitch(self) -> bool:
        return bool(self.flags & 0x04)

    @classmethod
    def decode(cls, data: bytes) -> PowerSupplyInfo | None:
        if len(data) != cls.SIZE:
            return None
        (cap, peak_va, inrush, interval, v1lo, v1hi, v2lo, v2hi, flo, fhi, dropout, flags,
         peak, combined_v, combined_w, rps) = struct.unpack("<HHBBHHHHBBBBHBHB", data)
        return cls(
            capacity_w=cap & 0x0FFF,
            peak_va=None if peak_va == 0xFFFF else peak_va,
            inrush_current_a=None if inrush == 0xFF else inrush,
            inrush_interval_ms=interval,
            input_voltage_1_mv=(v1lo * 10, v1hi * 10),
            input_voltage_2_mv=(v2lo * 10, v2hi * 10),
            input_frequency_hz=(flo, fhi),
            ac_dropout_tolerance_ms=dropout,
            flags=flags & 0x1F,
            peak_wattage_w=peak & 0x0FFF,
            holdup_time_s=peak >> 12,
            combined_voltages=(combined_v >> 4, combined_v & 0x0F),
            combined_wattage_w=combined_w,
            tach_lower_threshold_rps=rps,
        )

    def encode(self) -> bytes:
        """Record data; reserved bits are written as 0.  ValueError if out of range."""
        if not (0 <= self.capacity_w <= 0x0FFF and 0 <= self.peak_wattage_w <= 0x0FFF
                and 0 <= self.holdup_time_s <= 0x0F):
            raise ValueError("capacity and peak wattage are 12-bit, hold-up time 4-bit")
        v1, v2 = self.combined_voltages
        if not (0 <= v1 <= 0x0F and 0 <= v2 <= 0x0F):
            raise ValueError("combined voltage codes are 4-bit")
        volts = [_from_mv(mv, "input voltage") for mv in (*self.input_voltage_1_mv, *self.input_voltage_2_mv)]
        try:
            return struct.pack(
                "<HHBBHHHHBBBBHBHB", self.capacity_w,
                0xFFFF if self.peak_va is None else check_field(self.peak_va, 16, "peak VA"),
                0xFF if self.inrush_current_a is None else self.inrush_current_a,
                self.inrush_interval_ms, *volts, *self.input_frequency_hz,
                self.ac_dropout_tolerance_ms, self.flags & 0x1F,
                self.holdup_time_s << 12 | self.peak_wattage_w, v1 << 4 | v2,
                self.combined_wattage_w, self.tach_lower_threshold_rps,
            )
        except struct.error as exc:
            raise ValueError(f"power supply record field out of range: {exc}") from None


@dataclass(frozen=True, slots=True)
class DcOutput:
    """Record 01h (13 bytes).  Voltages in mV (stored as signed 10 mV units)."""

    output_number: int
    standby: bool = False
    nominal_mv: int = 0
    max_negative_deviation_mv: int = 0
    max_positive_deviation_mv: int = 0
    ripple_noise_mv: int = 0
    min_current_ma: int = 0
    max_current_ma: int = 0

    SIZE = 13

    @classmethod
    def decode(cls, data: bytes) -> DcOutput | None:
        if len(data) != cls.SIZE:
            return None
        info, nom, neg, pos, ripple, imin, imax = struct.unpack("<BhhhHHH", data)
        return cls(info & 0x0F, bool(info & 0x80), nom * 10, neg * 10, pos * 10, ripple, imin, imax)

    def encode(self) -> bytes:
        if not 0 <= self.output_number <= 0x0F:
            raise ValueError("DC output number is 4-bit")
        volts = [_from_mv(mv, "DC output voltage", signed=True) for mv in
                 (self.nominal_mv, self.max_negative_deviation_mv, self.max_positive_deviation_mv)]
        try:
            return struct.pack("<BhhhHHH", self.standby << 7 | self.output_number, *volts,
                               self.ripple_noise_mv, self.min_current_ma, self.max_current_ma)
        except struct.error as exc:
            raise ValueError(f"DC output record field out of range: {exc}") from None


@dataclass(frozen=True, slots=True)
class MultiRecord:
    """One record: raw data plus the header bits that matter.

    ``end_of_list`` is what the image said; :func:`encode_area` sets it on
    the last record and clears it elsewhere, since position decides it.
    """

    record_type: int
    data: bytes
    format_version: int = FORMAT_VERSION
    end_of_list: bool = False

    @classmethod
    def of(cls, payload: PowerSupplyInfo | DcOutput) -> MultiRecord:
        """A record from a typed payload: how a platform describes its PSU."""
        kind = POWER_SUPPLY_INFO if isinstance(payload, PowerSupplyInfo) else DC_OUTPUT
        return cls(kind, payload.encode())

    def decode(self) -> PowerSupplyInfo | DcOutput | None:
        """Typed view of 00h/01h records of the right size; None otherwise."""
        if self.record_type == POWER_SUPPLY_INFO:
            return PowerSupplyInfo.decode(self.data)
        if self.record_type == DC_OUTPUT:
            return DcOutput.decode(self.data)
        return None

    def encode(self, last: bool) -> bytes:
        if not (0 <= self.record_type <= 0xFF and 0 <= self.format_version <= 0x0F):
            raise ValueError("record type is a byte, format version 4-bit")
        if len(self.data) > 0xFF:
            raise ValueError(f"multirecord data is at most 255 bytes, got {len(self.data)}")
        head = bytes([self.record_type, (_END_OF_LIST if last else 0) | self.format_version,
                      len(self.data), zero_checksum(self.data)])
        return head + bytes([zero_checksum(head)]) + self.data

    def to_dict(self) -> dict[str, object]:
        decoded = self.decode()
        view = None
        if decoded is not None:
            view = {f.name: getattr(decoded, f.name) for f in fields(decoded)}
            view = {k: list(v) if isinstance(v, tuple) else v for k, v in view.items()}
        return {
            "type": self.record_type,
            "type_name": record_type_name(self.record_type),
            "format_version": self.format_version,
            "end_of_list": self.end_of_list,
            "data": self.data.hex(),
            "decoded": view,
        }


def encode_area(records: tuple[MultiRecord, ...] | list[MultiRecord]) -> bytes:
    return b"".join(r.encode(last=i == len(records) - 1) for i, r in enumerate(records))


def parse_area(image: bytes, start: int, problems: Problems) -> list[MultiRecord]:
    """Records from ``start`` until the end-of-list bit, bounded by the image.

    A bad header checksum stops the walk even in lenient mode: the length
    byte cannot be trusted, and following it would only invent records.
    """
    records: list[MultiRecord] = []
    pos = start
    while True:
        if pos + 5 > len(image):
            problems.add(f"multirecord area: record header at offset {pos:#x} runs past the image end")
            return records
        head = image[pos : pos + 5]
        if sum(head) & 0xFF:
            problems.add(f"multirecord area: bad header checksum at offset {pos:#x}")
            return records
        kind, fmt, size, data_sum = head[0], head[1], head[2], head[3]
        if fmt & 0x0F != FORMAT_VERSION:
            problems.add(f"multirecord area: record at offset {pos:#x} has format version {fmt & 0x0F}, not 2")
        data = image[pos + 5 : pos + 5 + size]
        if len(data) < size:
            problems.add(f"multirecord area: record at offset {pos:#x} runs past the image end")
            return records
        if (sum(data) + data_sum) & 0xFF:
            problems.add(f"multirecord area: bad data checksum in record at offset {pos:#x}")
        records.append(MultiRecord(kind, data, fmt & 0x0F, bool(fmt & _END_OF_LIST)))
        if fmt & _END_OF_LIST:
            return records
        pos += 5 + size
