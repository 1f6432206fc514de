"""Sensor Data Records (IPMI v2.0 §43): bytes <-> typed records, both ways.

The client decodes a BMC's repository to list sensors; the simulator and a
translating backend build repositories from declarative descriptions, so
every record type a sensor listing needs has an ``encode()`` and
``parse_record(r.encode())`` re-encodes to the same bytes.  Record types
nobody here needs (entity associations, OEM records ...) come back as
:class:`UnknownRecord` with their body intact: an unfamiliar record must
never stop a listing.

Decoding is strict about structure (a record shorter than its fixed part,
or a header whose length disagrees with the bytes, raises
:class:`~chassisctl.ipmi.DecodeError`) and lenient about content: reserved
bits are ignored, an ID string longer than the record is cut short, and
bytes after the ID string are ignored, as real BMCs pad records.
"""

from __future__ import annotations

from chassisctl.lazy_enum import enum_getattr

from collections.abc import Iterator
from chassisctl.namedtuple import NamedTuple

from chassisctl.ipmi._bytes import check_field
from chassisctl.ipmi.decode_errors import DecodeError
from chassisctl.ipmi.sdr_format import (
    MAX_ID_BYTES,
    SDR_VERSION,
    EntityMixin,
    IdTypeInt,
    RecordTypeInt,
    SdrHeader,
    decode_id_string,
    encode_id_string,
    frame,
    id_fields,
    parse_header,
)
from chassisctl.ipmi.sdr_sensors import (
    CompactSensorRecord,
    EventOnlyRecord,
    FullSensorRecord,
    SharedSensor,
    threshold_masks,
)

__all__ = [
    "MAX_ID_BYTES",
    "SDR_VERSION",
    "CompactSensorRecord",
    "EventOnlyRecord",
    "FruDeviceLocator",
    "FullSensorRecord",
    "IdType",
    "McCapability",
    "McDeviceLocator",
    "RecordType",
    "SdrHeader",
    "SdrRecord",
    "SharedSensor",
    "UnknownRecord",
    "decode_id_string",
    "encode_id_string",
    "iter_records",
    "parse_header",
    "parse_record",
    "threshold_masks",
]


class _FruDeviceLocatorFields(NamedTuple):
    record_id: int = 0
    version: int = SDR_VERSION
    #: 8-bit form (bits 7:1) of the controller giving access, e.g. 20h.
    access_address: int = 0x20
    #: Logical FRU device ID, or the 8-bit slave address of a physical one.
    fru_device_id: int = 0
    logical: bool = True
    access_lun: int = 0
    private_bus: int = 0
    channel: int = 0
    device_type: int = 0x10
    device_type_modifier: int = 0
    entity_id: int = 0
    entity_instance: int = 0
    oem: int = 0
    id_type: int = IdTypeInt.ASCII8
    id_string: str = ""


class FruDeviceLocator(EntityMixin, _FruDeviceLocatorFields):
    """Type 11h: where a FRU inventory device is (e.g. an AT24 behind us)."""

    __slots__ = ()

    record_type = RecordTypeInt.FRU_DEVICE_LOCATOR
    MIN_BODY = 11

    @classmethod
    def decode(cls, header: SdrHeader, body: bytes) -> FruDeviceLocator:
        return cls(
            record_id=header.record_id,
            version=header.version,
            access_address=body[0],
            fru_device_id=body[1],
            logical=bool(body[2] & 0x80),
            access_lun=body[2] >> 3 & 3,
            private_bus=body[2] & 7,
            channel=body[3] >> 4,
            device_type=body[5],
            device_type_modifier=body[6],
            entity_id=body[7],
            entity_instance=body[8],
            oem=body[9],
            **id_fields(body, 10),
        )

    def encode(self) -> bytes:
        flags = (
            int(self.logical) << 7
            | check_field(self.access_lun, 2, "access_lun") << 3
            | check_field(self.private_bus, 3, "private_bus")
        )
        body = bytes((self.access_address, self.fru_device_id, flags, check_field(self.channel, 4, "channel") << 4, 0))
        body += bytes((self.device_type, self.device_type_modifier, self.entity_id, self.entity_instance, self.oem))
        body += encode_id_string(self.id_string, self.id_type)
        return frame(self.record_id, self.version, self.record_type, body)


class McCapabilityInt:
    """MC Device Locator byte 9."""

    SENSOR = 0x01
    SDR_REPOSITORY = 0x02
    SEL = 0x04
    FRU_INVENTORY = 0x08
    EVENT_RECEIVER = 0x10
    EVENT_GENERATOR = 0x20
    BRIDGE = 0x40
    CHASSIS = 0x80


class _McDeviceLocatorFields(NamedTuple):
    record_id: int = 0
    version: int = SDR_VERSION
    #: 8-bit form of the controller's slave address, e.g. 20h.
    slave_address: int = 0x20
    channel: int = 0
    #: Byte 8: ACPI notification bits 7:5, init-agent logging bits 3:2, global init 1:0.
    power_state_flags: int = 0
    capabilities: int = 0
    entity_id: int = 0
    entity_instance: int = 0
    oem: int = 0
    id_type: int = IdTypeInt.ASCII8
    id_string: str = ""


class McDeviceLocator(EntityMixin, _McDeviceLocatorFields):
    """Type 12h: a management controller (the BMC itself, or a satellite)."""

    __slots__ = ()

    record_type = RecordTypeInt.MC_DEVICE_LOCATOR
    MIN_BODY = 11

    @property
    def capability_flags(self) -> McCapability:
        return __getattr__("McCapability")(self.capabilities)  # the IntFlag, built on first use

    @classmethod
    def decode(cls, header: SdrHeader, body: bytes) -> McDeviceLocator:
        return cls(
            record_id=header.record_id,
            version=header.version,
            slave_address=body[0],
            channel=body[1] & 0xF,
            power_state_flags=body[2],
            capabilities=body[3],
            entity_id=body[7],
            entity_instance=body[8],
            oem=body[9],
            **id_fields(body, 10),
        )

    def encode(self) -> bytes:
        channel = check_field(self.channel, 4, "channel")
        body = bytes((self.slave_address, channel, self.power_state_flags, self.capabilities))
        body += bytes((0, 0, 0, self.entity_id, self.entity_instance, self.oem))
        body += encode_id_string(self.id_string, self.id_type)
        return frame(self.record_id, self.version, self.record_type, body)


class UnknownRecord(NamedTuple):
    """Any other record type, kept verbatim."""

    record_id: int = 0
    version: int = SDR_VERSION
    record_type: int = 0
    body: bytes = b""

    def encode(self) -> bytes:
        return frame(self.record_id, self.version, self.record_type, bytes(self.body))


_Known = FullSensorRecord | CompactSensorRecord | EventOnlyRecord | FruDeviceLocator | McDeviceLocator
SdrRecord = _Known | UnknownRecord

_DECODERS: dict[int, type[_Known]] = {
    c.record_type: c
    for c in (FullSensorRecord, CompactSensorRecord, EventOnlyRecord, FruDeviceLocator, McDeviceLocator)
}


def parse_record(data: bytes) -> SdrRecord:
    """One whole record: header plus exactly ``length`` body bytes."""
    header = parse_header(data)
    if len(data) != 5 + header.length:
        raise DecodeError(f"SDR {header.record_id:04X}h: header says {header.length} body bytes, got {len(data) - 5}")
    body = bytes(data[5:])
    cls = _DECODERS.get(header.record_type)
    if cls is None:
        return UnknownRecord(
            record_id=header.record_id, version=header.version, record_type=header.record_type, body=body
        )
    if len(body) < cls.MIN_BODY:
        what = f"SDR {header.record_id:04X}h: type {header.record_type:02X}h"
        raise DecodeError(f"{what} needs {cls.MIN_BODY} body bytes, got {len(body)}")
    return cls.decode(header, body)


def iter_records(blob: bytes) -> Iterator[SdrRecord]:
    """Records laid end to end (a repository dump, an SDR cache file)."""
    pos = 0
    while pos < len(blob):
        header = parse_header(blob[pos : pos + 5])
        end = pos + 5 + header.length
        if end > len(blob):
            raise DecodeError(
                f"SDR {header.record_id:04X}h at offset {pos}: truncated ({len(blob) - pos} of {end - pos} bytes)"
            )
        yield parse_record(blob[pos:end])
        pos = end


TYPE_CHECKING = False
if TYPE_CHECKING:
    import enum

    # What mypy sees; at run time each enum is built from its plain-int
    # table on first use (chassisctl.lazy_enum).
    class McCapability(McCapabilityInt, enum.IntFlag): ...

    from chassisctl.ipmi.sdr_format import IdType as IdType
    from chassisctl.ipmi.sdr_format import RecordType as RecordType


__getattr__ = enum_getattr(__name__, globals(), {
    "McCapability": ("IntFlag", McCapabilityInt, McCapabilityInt.__doc__),
    "IdType": "chassisctl.ipmi.sdr_format",
    "RecordType": "chassisctl.ipmi.sdr_format",
})
