"""App netFn (06h) codecs: Get Device ID, GUIDs, self test, interface caps.

Each command has a request builder (returns a :class:`Request`), a parser for
the BMC side when the request carries data, and a frozen response dataclass
with ``encode()`` and ``decode(data)`` where ``data`` is what follows the
completion code.  Decoders raise only :class:`~chassisctl.ipmi.decode_errors.DecodeError`;
a request whose data has the wrong size raises
:class:`~chassisctl.ipmi.decode_errors.DataLengthError` so a responder can answer
C7h (length) rather than CCh (field).  The sibling codec modules (chassis,
storage, sensor_cmds, dcmi) follow the same conventions, with the byte
helpers of :mod:`chassisctl.ipmi._bytes`.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from uuid import UUID

from chassisctl.ipmi._bytes import check_field, expect_length, le, u16
from chassisctl.ipmi.codes import AppCmdInt, NetFnInt
from chassisctl.ipmi.decode_errors import DataLengthError, DecodeError
from chassisctl.ipmi.message import Request


# --------------------------------------------------------------------------
# Get Device ID (App 01h)


class DeviceSupport(enum.IntFlag):
    """Get Device ID byte 6, "additional device support"."""

    SENSOR = 0x01
    SDR_REPOSITORY = 0x02
    SEL = 0x04
    FRU = 0x08
    EVENT_RECEIVER = 0x10
    EVENT_GENERATOR = 0x20
    BRIDGE = 0x40
    CHASSIS = 0x80


@dataclass(frozen=True, slots=True)
class DeviceId:
    """Get Device ID response: exactly 11 data bytes, or 15 with ``aux_firmware``.

    ``firmware_minor`` and ``ipmi_version`` are kept as the bytes on the wire
    (BCD, and minor/major nibbles) so a BMC that sends non-BCD values still
    round-trips; :attr:`firmware_version` and :attr:`ipmi_version_text` are
    the strings operators see ("3.09", "2.0").
    """

    device_id: int
    device_revision: int  # 0..15
    provides_device_sdrs: bool
    firmware_major: int  # 0..127
    firmware_minor: int  # BCD byte: 09h means .09
    ipmi_version: int  # 02h = 2.0, 51h = 1.5 (bits 7:4 minor, 3:0 major)
    additional_support: DeviceSupport
    manufacturer_id: int  # 20-bit IANA enterprise number
    product_id: int
    aux_firmware: bytes | None = None
    #: Byte 3 bit 7: firmware/SDR update or self-initialisation in progress.
    update_in_progress: bool = False

    @property
    def firmware_version(self) -> str:
        return f"{self.firmware_major}.{self.firmware_minor:02X}"

    @property
    def ipmi_version_text(self) -> str:
        return f"{self.ipmi_version & 0x0F}.{self.ipmi_version >> 4}"

    def encode(self) -> bytes:
        out = bytes(
            [
                check_field(self.device_id, 8, "device_id"),
                check_field(self.device_revision, 4, "device_revision") | 0x80 * self.provides_device_sdrs,
                check_field(self.firmware_major, 7, "firmware_major") | 0x80 * self.update_in_progress,
                check_field(self.firmware_minor, 8, "firmware_minor"),
                check_field(self.ipmi_version, 8, "ipmi_version"),
                check_field(int(self.additional_support), 8, "additional_support"),
            ]
        )
        out += check_field(self.manufacturer_id, 20, "manufacturer_id").to_bytes(3, "little")
        out += le(self.product_id, 2, "product_id")
        if self.aux_firmware is not None:
            if len(self.aux_firmware) != 4:
                raise ValueError("aux_firmware must be 4 bytes")
            out += self.aux_firmware
        return out

    @classmethod
    def decode(cls, data: bytes) -> DeviceId:
        # 12-14 bytes is the 4-byte-manufacturer layout some servers send; the
        # fields cannot be located reliably, so it is refused rather than guessed.
        if len(data) < 11 or 11 < len(data) < 15:
            raise DataLengthError(f"Get Device ID: {len(data)} data bytes, expected 11 or 15")
        return cls(
            device_id=data[0],
            device_revision=data[1] & 0x0F,
            provides_device_sdrs=bool(data[1] & 0x80),
            firmware_major=data[2] & 0x7F,
            update_in_progress=bool(data[2] & 0x80),
            firmware_minor=data[3],
            ipmi_version=data[4],
            additional_support=DeviceSupport(data[5]),
            manufacturer_id=int.from_bytes(data[6:9], "little") & 0xFFFFF,
            product_id=u16(data, 9),
            aux_firmware=bytes(data[11:15]) if len(data) >= 15 else None,
        )


def get_device_id() -> Request:
    return Request(NetFnInt.APP, AppCmdInt.GET_DEVICE_ID)


# --------------------------------------------------------------------------
# Cold Reset (02h) / Warm Reset (03h): no data either way


def cold_reset() -> Request:
    return Request(NetFnInt.APP, AppCmdInt.COLD_RESET)


def warm_reset() -> Request:
    return Request(NetFnInt.APP, AppCmdInt.WARM_RESET)


# --------------------------------------------------------------------------
# Get Device GUID (08h) / Get System GUID (37h)


class GuidOrder(enum.Enum):
    """How the 16 GUID bytes on the wire map to a UUID.

    * ``IPMI``: all 16 bytes least-significant first (IPMI v2.0 §20.8 as
      amended): reversing them gives the RFC 4122 byte order.  What the spec
      requires, so **what chassisctl sends**; ipmitool's automatic mode tries
      it first and warns "IPMI Specification violation" for anything else.
    * ``SMBIOS``: time_low, time_mid, time_hi little-endian, the rest as sent —
      the SMBIOS type 1 encoding, which many BMCs (AMI MegaRAC, OpenBMC) send.
    * ``RFC4122``: the bytes are already in RFC 4122 (network) order.

    For display, :attr:`Guid.text` detects the order the way ipmitool does:
    the first of IPMI, RFC 4122, SMBIOS whose version and variant fields are
    valid.
    """

    SMBIOS = "smbios"
    IPMI = "ipmi"
    RFC4122 = "rfc4122"


@dataclass(frozen=True, slots=True)
class Guid:
    """Get Device GUID / Get System GUID response: the 16 raw bytes."""

    raw: bytes

    def uuid(self, order: GuidOrder | None = None) -> UUID:
        """The UUID in ``order``; None detects it (see :class:`GuidOrder`)."""
        order = order or self.order
        if order is GuidOrder.SMBIOS:
            return uuid.UUID(bytes_le=self.raw)
        if order is GuidOrder.IPMI:
            return uuid.UUID(bytes=self.raw[::-1])
        return uuid.UUID(bytes=self.raw)

    @property
    def order(self) -> GuidOrder:
        """The first encoding under which this is a well-formed RFC 4122 UUID."""
        for order in (GuidOrder.IPMI, GuidOrder.RFC4122, GuidOrder.SMBIOS):
            u = self.uuid(order)
            if u.variant == uuid.RFC_4122 and 1 <= (u.version or 0) <= 5:
                return order
        return GuidOrder.IPMI

    @property
    def text(self) -> str:
        """Canonical lower-case 8-4-4-4-12 form, in the detected order."""
        return str(self.uuid())

    @classmethod
    def from_uuid(cls, value: UUID | str, order: GuidOrder = GuidOrder.IPMI) -> Guid:
        u = value if isinstance(value, UUID) else UUID(value)
        if order is GuidOrder.SMBIOS:
            return cls(u.bytes_le)
        if order is GuidOrder.IPMI:
            return cls(u.bytes[::-1])
        return cls(u.bytes)

    def encode(self) -> bytes:
        if len(self.raw) != 16:
            raise ValueError("a GUID is 16 bytes")
        return bytes(self.raw)

    @classmethod
    def decode(cls, data: bytes) -> Guid:
        expect_length(data, 16, what="GUID")
        return cls(bytes(data))


def get_device_guid() -> Request:
    return Request(NetFnInt.APP, AppCmdInt.GET_DEVICE_GUID)


def get_system_guid() -> Request:
    return Request(NetFnInt.APP, AppCmdInt.GET_SYSTEM_GUID)


# --------------------------------------------------------------------------
# Get Self Test Results (04h)


class SelfTestCode(enum.IntEnum):
    PASSED = 0x55
    NOT_IMPLEMENTED = 0x56
    CORRUPTED = 0x57
    FATAL = 0x58


class SelfTestFault(enum.IntFlag):
    """Byte 2 when byte 1 is 57h (corrupted or inaccessible data or devices)."""

    OPERATIONAL_FIRMWARE_CORRUPTED = 0x01
    BOOT_BLOCK_CORRUPTED = 0x02
    FRU_INTERNAL_USE_CORRUPTED = 0x04
    SDR_REPOSITORY_EMPTY = 0x08
    IPMB_NOT_RESPONDING = 0x10
    CANNOT_ACCESS_FRU = 0x20
    CANNOT_ACCESS_SDR = 0x40
    CANNOT_ACCESS_SEL = 0x80


_FAULT_TEXT = {
    SelfTestFault.CANNOT_ACCESS_SEL: "cannot access SEL device",
    SelfTestFault.CANNOT_ACCESS_SDR: "cannot access SDR repository",
    SelfTestFault.CANNOT_ACCESS_FRU: "cannot access BMC FRU device",
    SelfTestFault.IPMB_NOT_RESPONDING: "IPMB signal lines do not respond",
    SelfTestFault.SDR_REPOSITORY_EMPTY: "SDR repository empty",
    SelfTestFault.FRU_INTERNAL_USE_CORRUPTED: "internal use area of BMC FRU corrupted",
    SelfTestFault.BOOT_BLOCK_CORRUPTED: "boot block firmware corrupted",
    SelfTestFault.OPERATIONAL_FIRMWARE_CORRUPTED: "operational firmware corrupted",
}


@dataclass(frozen=True, slots=True)
class SelfTestResult:
    code: int
    detail: int = 0

    @property
    def passed(self) -> bool:
        return self.code == SelfTestCode.PASSED

    @property
    def faults(self) -> SelfTestFault:
        return SelfTestFault(self.detail) if self.code == SelfTestCode.CORRUPTED else SelfTestFault(0)

    @property
    def text(self) -> str:
        if self.code == SelfTestCode.PASSED:
            return "passed"
        if self.code == SelfTestCode.NOT_IMPLEMENTED:
            return "self test not implemented"
        if self.code == SelfTestCode.CORRUPTED:
            parts = [t for flag, t in _FAULT_TEXT.items() if self.detail & flag]
            return "corrupted or inaccessible: " + (", ".join(parts) or "no detail")
        if self.code == SelfTestCode.FATAL:
            return f"fatal hardware error (detail {self.detail:02X}h)"
        return f"device-specific failure {self.code:02X}h {self.detail:02X}h"

    def encode(self) -> bytes:
        return bytes([check_field(self.code, 8, "code"), check_field(self.detail, 8, "detail")])

    @classmethod
    def decode(cls, data: bytes) -> SelfTestResult:
        expect_length(data, 2, what="Get Self Test Results")
        return cls(data[0], data[1])


def get_self_test_results() -> Request:
    return Request(NetFnInt.APP, AppCmdInt.GET_SELF_TEST_RESULTS)


# --------------------------------------------------------------------------
# Get System Interface Capabilities (57h)
#
# The SSIF answer is chassisctl.ipmi.ssif.SsifCapabilities: the SSIF framing
# reads it on every first command, without importing this module.


class SystemInterface(enum.IntEnum):
    SSIF = 0
    KCS = 1
    SMIC = 2


def get_system_interface_capabilities(interface: SystemInterface = SystemInterface.SSIF) -> Request:
    return Request(NetFnInt.APP, AppCmdInt.GET_SYSTEM_INTERFACE_CAPABILITIES, bytes([interface]))


def parse_system_interface_capabilities(data: bytes) -> int:
    """Interface type requested (bits 3:0; bits 7:4 reserved, must be zero)."""
    expect_length(data, 1, what="Get System Interface Capabilities request")
    if data[0] & 0xF0:
        raise DecodeError(f"reserved bits set in interface type {data[0]:02X}h")
    return data[0]


@dataclass(frozen=True, slots=True)
class KcsCapabilities:
    """KCS answer: reserved, system interface version (bits 2:0), input max message size."""

    version: int = 0
    max_input: int = 0xFF

    def encode(self) -> bytes:
        return bytes([0, check_field(self.version, 3, "version")]) + le(self.max_input, 1, "max_input")

    @classmethod
    def decode(cls, data: bytes) -> KcsCapabilities:
        expect_length(data, 3, what="KCS capabilities")
        return cls(data[1] & 0x07, data[2])
