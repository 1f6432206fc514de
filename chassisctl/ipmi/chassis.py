"""Chassis netFn (00h) codecs: status, control, system boot options.

Same conventions as :mod:`chassisctl.ipmi.app`: builders return a
:class:`Request`; request parsers and response ``decode`` raise only
:class:`DecodeError` (:class:`DataLengthError` for a wrong size).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from chassisctl.ipmi._bytes import check_field, expect_length, expect_min_length
from chassisctl.ipmi.codes import ChassisCmd, NetFn
from chassisctl.ipmi.errors import DataLengthError, DecodeError
from chassisctl.ipmi.message import Request

# --------------------------------------------------------------------------
# Get Chassis Status (01h)


class RestorePolicy(enum.IntEnum):
    """Current power state byte, bits 6:5: what happens when AC returns."""

    STAY_OFF = 0
    RESTORE_PREVIOUS = 1
    POWER_ON = 2
    UNKNOWN = 3


class LastPowerEvent(enum.IntFlag):
    AC_FAILED = 0x01
    OVERLOAD = 0x02
    INTERLOCK = 0x04
    FAULT = 0x08
    #: Last power on was caused by an IPMI command.
    COMMAND = 0x10


class IdentifyState(enum.IntEnum):
    OFF = 0
    TEMPORARY = 1
    INDEFINITE = 2
    RESERVED = 3


@dataclass(frozen=True, slots=True)
class ChassisStatus:
    """Get Chassis Status response (3 bytes, or 4 with front panel capabilities)."""

    power_on: bool
    overload: bool = False
    interlock: bool = False
    power_fault: bool = False
    power_control_fault: bool = False
    restore_policy: RestorePolicy = RestorePolicy.STAY_OFF
    last_event: LastPowerEvent = LastPowerEvent(0)
    intrusion: bool = False
    front_panel_lockout: bool = False
    drive_fault: bool = False
    cooling_fault: bool = False
    identify_supported: bool = False
    identify_state: IdentifyState = IdentifyState.OFF
    #: Optional byte 4 (front panel button capabilities / disable state), raw.
    front_panel: int | None = None

    def encode(self) -> bytes:
        b1 = (
            self.power_on
            | self.overload << 1
            | self.interlock << 2
            | self.power_fault << 3
            | self.power_control_fault << 4
            | check_field(self.restore_policy, 2, "restore_policy") << 5
        )
        b3 = (
            self.intrusion
            | self.front_panel_lockout << 1
            | self.drive_fault << 2
            | self.cooling_fault << 3
            | check_field(self.identify_state, 2, "identify_state") << 4
            | self.identify_supported << 6
        )
        out = bytes([b1, check_field(int(self.last_event), 5, "last_event"), b3])
        if self.front_panel is not None:
            out += bytes([check_field(self.front_panel, 8, "front_panel")])
        return out

    @classmethod
    def decode(cls, data: bytes) -> ChassisStatus:
        expect_length(data, 3, 4, what="Get Chassis Status")
        b1, b2, b3 = data[0], data[1], data[2]
        return cls(
            power_on=bool(b1 & 0x01),
            overload=bool(b1 & 0x02),
            interlock=bool(b1 & 0x04),
            power_fault=bool(b1 & 0x08),
            power_control_fault=bool(b1 & 0x10),
            restore_policy=RestorePolicy((b1 >> 5) & 0x03),
            last_event=LastPowerEvent(b2 & 0x1F),
            intrusion=bool(b3 & 0x01),
            front_panel_lockout=bool(b3 & 0x02),
            drive_fault=bool(b3 & 0x04),
            cooling_fault=bool(b3 & 0x08),
            identify_state=IdentifyState((b3 >> 4) & 0x03),
            identify_supported=bool(b3 & 0x40),
            front_panel=data[3] if len(data) == 4 else None,
        )


def get_chassis_status() -> Request:
    return Request(NetFn.CHASSIS, ChassisCmd.GET_CHASSIS_STATUS)


# --------------------------------------------------------------------------
# Chassis Control (02h)


class ChassisAction(enum.IntEnum):
    POWER_DOWN = 0
    POWER_UP = 1
    POWER_CYCLE = 2
    HARD_RESET = 3
    DIAGNOSTIC_INTERRUPT = 4
    SOFT_SHUTDOWN = 5


def chassis_control(action: ChassisAction) -> Request:
    return Request(NetFn.CHASSIS, ChassisCmd.CHASSIS_CONTROL, bytes([ChassisAction(action)]))


def parse_chassis_control(data: bytes) -> ChassisAction:
    expect_length(data, 1, what="Chassis Control request")
    # Bits 7:4 are reserved; any value outside 0..5 is an invalid field.
    try:
        return ChassisAction(data[0])
    except ValueError:
        raise DecodeError(f"unknown chassis control {data[0]:02X}h") from None


# --------------------------------------------------------------------------
# Chassis Identify (04h)

#: What a BMC does for Chassis Identify without data: identify for 15 s.
DEFAULT_IDENTIFY_SECONDS = 15


@dataclass(frozen=True, slots=True)
class IdentifyRequest:
    """``interval`` seconds (0 = off; None = the BMC's default of 15 s), or on
    until told otherwise with ``force`` (IPMI v2.0 §28.5; both bytes optional)."""

    interval: int | None = None
    force: bool = False

    def encode(self) -> bytes:
        if self.force:
            return bytes([check_field(self.interval or 0, 8, "interval"), 0x01])
        if self.interval is None:
            return b""
        return bytes([check_field(self.interval, 8, "interval")])

    @classmethod
    def decode(cls, data: bytes) -> IdentifyRequest:
        expect_length(data, 0, 1, 2, what="Chassis Identify request")
        if len(data) == 2 and data[1] & 0xFE:
            raise DecodeError(f"Chassis Identify: reserved bits set in byte 2 ({data[1]:02X}h)")
        return cls(data[0] if data else None, len(data) == 2 and bool(data[1] & 0x01))


def chassis_identify(interval: int | None = None, force: bool = False) -> Request:
    return Request(NetFn.CHASSIS, ChassisCmd.CHASSIS_IDENTIFY, IdentifyRequest(interval, force).encode())


# --------------------------------------------------------------------------
# Set Power Restore Policy (06h)

#: Request byte 3 (bits 2:0 = 011b): change nothing, just report what is supported.
POLICY_NO_CHANGE = 0x03


class PolicySupport(enum.IntFlag):
    """Set Power Restore Policy reply: the policies the chassis supports."""

    STAY_OFF = 0x01
    RESTORE_PREVIOUS = 0x02
    POWER_ON = 0x04


def set_power_restore_policy(policy: RestorePolicy | int) -> Request:
    """``policy`` is a :class:`RestorePolicy` (0-2), or :data:`POLICY_NO_CHANGE`."""
    return Request(NetFn.CHASSIS, ChassisCmd.SET_POWER_RESTORE_POLICY,
                   bytes([check_field(int(policy), 3, "policy")]))


def parse_set_power_restore_policy(data: bytes) -> int:
    """The requested policy (0-2) or :data:`POLICY_NO_CHANGE`; DecodeError for reserved values."""
    expect_length(data, 1, what="Set Power Restore Policy request")
    value = data[0] & 0x07
    if data[0] & 0xF8 or value > POLICY_NO_CHANGE:
        raise DecodeError(f"Set Power Restore Policy: invalid policy byte {data[0]:02X}h")
    return value


@dataclass(frozen=True, slots=True)
class PolicyReply:
    supported: PolicySupport

    def encode(self) -> bytes:
        return bytes([int(self.supported) & 0x07])

    @classmethod
    def decode(cls, data: bytes) -> PolicyReply:
        expect_length(data, 1, what="Set Power Restore Policy")
        return cls(PolicySupport(data[0] & 0x07))


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
    return Request(NetFn.CHASSIS, ChassisCmd.GET_SYSTEM_BOOT_OPTIONS, body)


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
    return Request(NetFn.CHASSIS, ChassisCmd.SET_SYSTEM_BOOT_OPTIONS, body)


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
