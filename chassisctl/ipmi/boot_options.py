"""System Boot Options codecs (Chassis 08h/09h; IPMI v2.0 §28.12-28.13).

Split from :mod:`chassisctl.ipmi.chassis` so that commands which never touch
boot options (``power status``) do not build these classes; same conventions.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from chassisctl.ipmi._bytes import check_field, expect_length, expect_min_length
from chassisctl.ipmi.codes import ChassisCmdInt, NetFnInt
from chassisctl.ipmi.decode_errors import DataLengthError
from chassisctl.ipmi.message import Request


# --------------------------------------------------------------------------
# Get/Set System Boot Options (09h / 08h)


class BootParam(enum.IntEnum):
    SET_IN_PROGRESS = 0
    SERVICE_PARTITION_SELECTOR = 1
    SERVICE_PARTITION_SCAN = 2
    BOOT_FLAG_VALID_CLEARING = 3
    BOOT_INFO_ACKNOWLEDGE = 4
    BOOT_FLAGS = 5
    BOOT_INITIATOR_INFO = 6
    BOOT_INITIATOR_MAILBOX = 7


#: The parameter version every Get System Boot Options reply carries.
BOOT_PARAMETER_VERSION = 0x01


@dataclass(frozen=True, slots=True)
class GetBootOptionsRequest:
    selector: int
    set_selector: int = 0
    block_selector: int = 0

    def encode(self) -> bytes:
        return bytes(
            [
                check_field(self.selector, 7, "selector"),
                check_field(self.set_selector, 8, "set_selector"),
                check_field(self.block_selector, 8, "block_selector"),
            ]
        )

    @classmethod
    def decode(cls, data: bytes) -> GetBootOptionsRequest:
        expect_length(data, 3, what="Get System Boot Options request")
        return cls(data[0] & 0x7F, data[1], data[2])


def get_system_boot_options(selector: int, set_selector: int = 0, block_selector: int = 0) -> Request:
    body = GetBootOptionsRequest(selector, set_selector, block_selector).encode()
    return Request(NetFnInt.CHASSIS, ChassisCmdInt.GET_SYSTEM_BOOT_OPTIONS, body)


@dataclass(frozen=True, slots=True)
class BootOptions:
    """Get System Boot Options response; also the body of a Set request.

    ``invalid`` is bit 7 of the selector byte: "parameter marked invalid /
    locked" on a Get, "mark it invalid / lock it" on a Set.
    """

    selector: int
    data: bytes
    invalid: bool = False
    version: int = BOOT_PARAMETER_VERSION

    def encode(self) -> bytes:
        selector = check_field(self.selector, 7, "selector") | 0x80 * self.invalid
        head = bytes([check_field(self.version, 4, "version"), selector])
        return head + bytes(self.data)

    @classmethod
    def decode(cls, data: bytes) -> BootOptions:
        expect_min_length(data, 2, what="Get System Boot Options")
        return cls(selector=data[1] & 0x7F, data=bytes(data[2:]), invalid=bool(data[1] & 0x80), version=data[0] & 0x0F)


@dataclass(frozen=True, slots=True)
class SetBootOptionsRequest:
    selector: int
    data: bytes
    invalid: bool = False

    def encode(self) -> bytes:
        return bytes([check_field(self.selector, 7, "selector") | 0x80 * self.invalid]) + bytes(self.data)

    @classmethod
    def decode(cls, data: bytes) -> SetBootOptionsRequest:
        expect_min_length(data, 1, what="Set System Boot Options request")
        return cls(data[0] & 0x7F, bytes(data[1:]), bool(data[0] & 0x80))


def set_system_boot_options(selector: int, data: bytes, invalid: bool = False) -> Request:
    body = SetBootOptionsRequest(selector, bytes(data), invalid).encode()
    return Request(NetFnInt.CHASSIS, ChassisCmdInt.SET_SYSTEM_BOOT_OPTIONS, body)


class SetInProgress(enum.IntEnum):
    """Parameter 0 data, bits 1:0."""

    COMPLETE = 0
    IN_PROGRESS = 1
    COMMIT_WRITE = 2


class BootDevice(enum.IntEnum):
    """Boot flags data byte 2, bits 5:2 (device selector)."""

    NONE = 0x0
    PXE = 0x1
    DISK = 0x2
    DISK_SAFE_MODE = 0x3
    DIAGNOSTIC = 0x4
    CDROM = 0x5
    BIOS_SETUP = 0x6
    REMOTE_FLOPPY = 0x7
    REMOTE_CDROM = 0x8
    REMOTE_PRIMARY_MEDIA = 0x9
    REMOTE_DISK = 0xB
    FLOPPY = 0xF


@dataclass(frozen=True, slots=True)
class BootFlags:
    """Boot option parameter 5 (boot flags), 5 data bytes.

    ``device`` is the 4-bit selector; compare it with :class:`BootDevice`
    (unassigned values are kept as plain ints).  Bytes 3-5 (console
    redirection, BIOS verbosity, mux control, device instance) stay raw.
    """

    valid: bool = False
    persistent: bool = False
    efi: bool = False
    device: int = BootDevice.NONE
    cmos_clear: bool = False
    lock_keyboard: bool = False
    screen_blank: bool = False
    lock_reset: bool = False
    extra: bytes = b"\x00\x00\x00"

    def encode(self) -> bytes:
        if len(self.extra) != 3:
            raise ValueError("BootFlags.extra must be 3 bytes")
        b1 = 0x80 * self.valid | 0x40 * self.persistent | 0x20 * self.efi
        b2 = (
            0x80 * self.cmos_clear
            | 0x40 * self.lock_keyboard
            | check_field(self.device, 4, "device") << 2
            | 0x02 * self.screen_blank
            | 0x01 * self.lock_reset
        )
        return bytes([b1, b2]) + bytes(self.extra)

    @classmethod
    def decode(cls, data: bytes) -> BootFlags:
        if len(data) != 5:
            raise DataLengthError(f"boot flags: {len(data)} bytes, expected 5")
        b1, b2 = data[0], data[1]
        device = (b2 >> 2) & 0x0F
        try:
            device = BootDevice(device)
        except ValueError:
            pass
        return cls(
            valid=bool(b1 & 0x80),
            persistent=bool(b1 & 0x40),
            efi=bool(b1 & 0x20),
            device=device,
            cmos_clear=bool(b2 & 0x80),
            lock_keyboard=bool(b2 & 0x40),
            screen_blank=bool(b2 & 0x02),
            lock_reset=bool(b2 & 0x01),
            extra=bytes(data[2:5]),
        )
