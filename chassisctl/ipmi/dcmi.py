"""DCMI codecs (Group Extension netFn 2Ch, defining body DCh).

Every DCMI request and every successful reply starts with the group
extension ID DCh; decoders check it and raise :class:`DecodeError` when it
is missing or different.  Conventions as in :mod:`chassisctl.ipmi.app`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from chassisctl.ipmi._bytes import check_field, expect_length, expect_min_length, le, u16, u32
from chassisctl.ipmi.codes import DCMI_GROUP, DcmiCmdInt, NetFnInt
from chassisctl.ipmi.decode_errors import DecodeError
from chassisctl.ipmi.message import Request


def _group(data: bytes, what: str) -> None:
    if data and data[0] != DCMI_GROUP:
        raise DecodeError(f"{what}: group extension {data[0]:02X}h, expected {DCMI_GROUP:02X}h")


# --------------------------------------------------------------------------
# Get DCMI Capabilities Info (01h)


class CapabilityParam(enum.IntEnum):
    SUPPORTED_CAPABILITIES = 1
    MANDATORY_PLATFORM_ATTRIBUTES = 2
    OPTIONAL_PLATFORM_ATTRIBUTES = 3
    MANAGEABILITY_ACCESS_ATTRIBUTES = 4
    ENHANCED_SYSTEM_POWER_STATISTICS = 5


def get_dcmi_capabilities(parameter: int = CapabilityParam.SUPPORTED_CAPABILITIES) -> Request:
    body = bytes([DCMI_GROUP, check_field(parameter, 8, "parameter")])
    return Request(NetFnInt.GROUP_EXTENSION, DcmiCmdInt.GET_DCMI_CAPABILITIES, body)


def parse_get_dcmi_capabilities(data: bytes) -> int:
    """The parameter selector."""
    expect_length(data, 2, what="Get DCMI Capabilities request")
    _group(data, "Get DCMI Capabilities request")
    return data[1]


@dataclass(frozen=True, slots=True)
class DcmiCapabilities:
    """Reply: DCh, DCMI major/minor version, parameter revision, parameter data.

    The reply does not repeat the selector, so the parameter data is kept raw
    for the caller who knows which parameter it asked for.
    """

    data: bytes
    major: int = 1
    minor: int = 5
    revision: int = 2

    def encode(self) -> bytes:
        versions = (self.major, self.minor, self.revision)
        return bytes([DCMI_GROUP, *(check_field(v, 8, "version") for v in versions)]) + bytes(self.data)

    @classmethod
    def decode(cls, data: bytes) -> DcmiCapabilities:
        expect_min_length(data, 4, what="Get DCMI Capabilities")
        _group(data, "Get DCMI Capabilities")
        return cls(bytes(data[4:]), data[1], data[2], data[3])


# --------------------------------------------------------------------------
# Get Power Reading (02h)


class PowerReadingMode(enum.IntEnum):
    SYSTEM_POWER_STATISTICS = 0x01
    ENHANCED_SYSTEM_POWER_STATISTICS = 0x02


@dataclass(frozen=True, slots=True)
class PowerReadingRequest:
    mode: int = PowerReadingMode.SYSTEM_POWER_STATISTICS
    attributes: int = 0

    def encode(self) -> bytes:
        return bytes([DCMI_GROUP, check_field(self.mode, 8, "mode"), check_field(self.attributes, 8, "attributes"), 0])

    @classmethod
    def decode(cls, data: bytes) -> PowerReadingRequest:
        expect_length(data, 4, what="Get Power Reading request")
        _group(data, "Get Power Reading request")
        return cls(data[1], data[2])


def get_power_reading(mode: int = PowerReadingMode.SYSTEM_POWER_STATISTICS, attributes: int = 0) -> Request:
    return Request(NetFnInt.GROUP_EXTENSION, DcmiCmdInt.GET_POWER_READING,
                   PowerReadingRequest(mode, attributes).encode())


@dataclass(frozen=True, slots=True)
class DcmiPowerReading:
    """Reply: DCh, current/min/max/average watts (LE16 each), IPMI timestamp
    (LE32), statistics reporting period in ms (LE32), state (bit 6 = power
    measurement active)."""

    current: int
    minimum: int
    maximum: int
    average: int
    timestamp: int
    period_ms: int
    active: bool = True

    def encode(self) -> bytes:
        return (
            bytes([DCMI_GROUP])
            + le(self.current, 2, "current")
            + le(self.minimum, 2, "minimum")
            + le(self.maximum, 2, "maximum")
            + le(self.average, 2, "average")
            + le(self.timestamp, 4, "timestamp")
            + le(self.period_ms, 4, "period_ms")
            + bytes([0x40 if self.active else 0])
        )

    @classmethod
    def decode(cls, data: bytes) -> DcmiPowerReading:
        expect_length(data, 18, what="Get Power Reading")
        _group(data, "Get Power Reading")
        return cls(u16(data, 1), u16(data, 3), u16(data, 5), u16(data, 7), timestamp=u32(data, 9),
                   period_ms=u32(data, 13), active=bool(data[17] & 0x40))
