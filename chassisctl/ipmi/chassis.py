"""Chassis netFn (00h) codecs: status and control.

Chassis Identify and the power restore policy are in
:mod:`chassisctl.ipmi.chassis_settings`, system boot options in
:mod:`chassisctl.ipmi.boot_options` (both re-exported here by name), so a
``power status`` builds only what it uses.

Same conventions as :mod:`chassisctl.ipmi.app`: builders return a
:class:`Request`; request parsers and response ``decode`` raise only
:class:`DecodeError` (:class:`DataLengthError` for a wrong size).
"""

from __future__ import annotations

import enum
from chassisctl.namedtuple import NamedTuple

from chassisctl.ipmi._bytes import check_field, expect_length
from chassisctl.ipmi.codes import ChassisCmdInt, NetFnInt
from chassisctl.ipmi.decode_errors import DecodeError
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


class ChassisStatus(NamedTuple):
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
    return Request(NetFnInt.CHASSIS, ChassisCmdInt.GET_CHASSIS_STATUS)


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
    return Request(NetFnInt.CHASSIS, ChassisCmdInt.CHASSIS_CONTROL, bytes([ChassisAction(action)]))


def parse_chassis_control(data: bytes) -> ChassisAction:
    expect_length(data, 1, what="Chassis Control request")
    # Bits 7:4 are reserved; any value outside 0..5 is an invalid field.
    try:
        return ChassisAction(data[0])
    except ValueError:
        raise DecodeError(f"unknown chassis control {data[0]:02X}h") from None


#: Identify and restore-policy names kept importable from here; they live in :mod:`chassis_settings`.
_SETTINGS_NAMES = frozenset({
    "DEFAULT_IDENTIFY_SECONDS", "IdentifyRequest", "chassis_identify", "POLICY_NO_CHANGE", "PolicySupport",
    "set_power_restore_policy", "parse_set_power_restore_policy", "PolicyReply",
})
#: Boot option names kept importable from here; they live in :mod:`boot_options`.
_BOOT_NAMES = frozenset({
    "BootParam", "BOOT_PARAMETER_VERSION", "GetBootOptionsRequest", "get_system_boot_options", "BootOptions",
    "SetBootOptionsRequest", "set_system_boot_options", "SetInProgress", "BootDevice", "BootFlags",
})


def __getattr__(name: str) -> object:
    # Boot options are their own module: a `power status` must not build
    # their dataclasses.  Old imports from here still work.
    if name in _BOOT_NAMES:
        from chassisctl.ipmi import boot_options

        return getattr(boot_options, name)
    if name in _SETTINGS_NAMES:
        from chassisctl.ipmi import chassis_settings

        return getattr(chassis_settings, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
