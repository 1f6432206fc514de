"""Chassis Identify (04h) and Set Power Restore Policy (06h) codecs (IPMI v2.0 §28.5, §28.8).

Split from :mod:`chassisctl.ipmi.chassis` (which re-exports every name);
same conventions.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from chassisctl.ipmi._bytes import check_field, expect_length
from chassisctl.ipmi.chassis import RestorePolicy
from chassisctl.ipmi.codes import ChassisCmdInt, NetFnInt
from chassisctl.ipmi.decode_errors import DecodeError
from chassisctl.ipmi.message import Request


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
    return Request(NetFnInt.CHASSIS, ChassisCmdInt.CHASSIS_IDENTIFY, IdentifyRequest(interval, force).encode())


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
    return Request(NetFnInt.CHASSIS, ChassisCmdInt.SET_POWER_RESTORE_POLICY,
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
