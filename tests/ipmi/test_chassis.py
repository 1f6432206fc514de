"""Chassis codecs: Get Chassis Status, Chassis Control, system boot options."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassisctl.ipmi import chassis
from chassisctl.ipmi.chassis import (
    BootDevice,
    BootFlags,
    BootOptions,
    ChassisAction,
    ChassisStatus,
    GetBootOptionsRequest,
    IdentifyState,
    LastPowerEvent,
    RestorePolicy,
    SetBootOptionsRequest,
)
from chassisctl.ipmi.codes import ChassisCmd, NetFn
from chassisctl.ipmi.decode_errors import DataLengthError, DecodeError

from _fuzz import only_decode_errors


def test_chassis_status_bits() -> None:
    # on, policy "restore previous", last on by command, identify supported + indefinite, panel byte.
    status = ChassisStatus.decode(bytes.fromhex("21 10 60 F0"))
    assert status.power_on and not status.overload and not status.power_fault
    assert status.restore_policy is RestorePolicy.RESTORE_PREVIOUS
    assert status.last_event == LastPowerEvent.COMMAND
    assert status.identify_supported and status.identify_state is IdentifyState.INDEFINITE
    assert status.front_panel == 0xF0
    assert status.encode() == bytes.fromhex("21 10 60 F0")


def test_chassis_status_fault_bits_three_bytes() -> None:
    status = ChassisStatus.decode(bytes.fromhex("5E 0B 0F"))
    assert not status.power_on
    assert status.overload and status.interlock and status.power_fault and status.power_control_fault
    assert status.restore_policy is RestorePolicy.POWER_ON
    assert status.last_event == LastPowerEvent.AC_FAILED | LastPowerEvent.OVERLOAD | LastPowerEvent.FAULT
    assert status.intrusion and status.front_panel_lockout and status.drive_fault and status.cooling_fault
    assert status.front_panel is None
    assert status.encode() == bytes.fromhex("5E 0B 0F")


@pytest.mark.parametrize("size", [0, 2, 5])
def test_chassis_status_sizes(size: int) -> None:
    with pytest.raises(DataLengthError):
        ChassisStatus.decode(bytes(size))


def test_chassis_control_worked_bytes() -> None:
    # Chassis Control power up (IPMI v2.0 §28.3) is the SSIF payload "00 02 01".
    req = chassis.chassis_control(ChassisAction.POWER_UP)
    assert bytes([req.netfn << 2, req.cmd]) + req.data == bytes.fromhex("00 02 01")
    assert not req.idempotent
    for action in ChassisAction:
        assert chassis.parse_chassis_control(chassis.chassis_control(action).data) is action


def test_chassis_control_parser_errors() -> None:
    with pytest.raises(DataLengthError):
        chassis.parse_chassis_control(b"")
    with pytest.raises(DataLengthError):
        chassis.parse_chassis_control(b"\x01\x00")
    with pytest.raises(DecodeError) as info:
        chassis.parse_chassis_control(b"\x06")
    assert not isinstance(info.value, DataLengthError)


def test_get_chassis_status_request() -> None:
    req = chassis.get_chassis_status()
    assert (req.netfn, req.cmd, req.data) == (NetFn.CHASSIS, ChassisCmd.GET_CHASSIS_STATUS, b"")


# -- Boot options -----------------------------------------------------------


def test_bootdev_pxe_set_request() -> None:
    # What `ipmitool chassis bootdev pxe` sends: parameter 5, flags valid, device PXE.
    flags = BootFlags(valid=True, device=BootDevice.PXE)
    req = chassis.set_system_boot_options(chassis.BootParam.BOOT_FLAGS, flags.encode())
    assert (req.netfn, req.cmd) == (NetFn.CHASSIS, ChassisCmd.SET_SYSTEM_BOOT_OPTIONS)
    assert req.data == bytes.fromhex("05 80 04 00 00 00")
    parsed = SetBootOptionsRequest.decode(req.data)
    assert parsed.selector == 5 and not parsed.invalid
    assert BootFlags.decode(parsed.data) == flags


def test_get_boot_options_reply() -> None:
    req = chassis.get_system_boot_options(5)
    assert req.data == bytes.fromhex("05 00 00")
    assert GetBootOptionsRequest.decode(req.data) == GetBootOptionsRequest(5)
    reply = BootOptions.decode(bytes.fromhex("01 05 C0 18 00 00 00"))
    assert reply == BootOptions(5, bytes.fromhex("C0 18 00 00 00"), invalid=False, version=1)
    flags = BootFlags.decode(reply.data)
    assert flags.valid and flags.persistent and flags.device is BootDevice.BIOS_SETUP
    locked = BootOptions.decode(bytes.fromhex("01 85 00 00 00 00 00"))
    assert locked.invalid and locked.selector == 5


def test_boot_flags_unassigned_device_kept() -> None:
    flags = BootFlags.decode(bytes.fromhex("80 28 00 00 00"))  # selector 1010b is unassigned
    assert flags.device == 0xA and not isinstance(flags.device, BootDevice)
    assert flags.encode() == bytes.fromhex("80 28 00 00 00")


def test_boot_request_parsers_reject_bad_sizes() -> None:
    with pytest.raises(DataLengthError):
        GetBootOptionsRequest.decode(b"\x05")
    with pytest.raises(DataLengthError):
        SetBootOptionsRequest.decode(b"")
    with pytest.raises(DataLengthError):
        BootOptions.decode(b"\x01")
    with pytest.raises(DataLengthError):
        BootFlags.decode(bytes(4))


# -- Properties -------------------------------------------------------------

statuses = st.builds(
    ChassisStatus,
    power_on=st.booleans(), overload=st.booleans(), interlock=st.booleans(),
    power_fault=st.booleans(), power_control_fault=st.booleans(),
    restore_policy=st.sampled_from(list(RestorePolicy)),
    last_event=st.integers(0, 0x1F).map(LastPowerEvent),
    intrusion=st.booleans(), front_panel_lockout=st.booleans(), drive_fault=st.booleans(),
    cooling_fault=st.booleans(), identify_supported=st.booleans(),
    identify_state=st.sampled_from(list(IdentifyState)),
    front_panel=st.none() | st.integers(0, 255),
)

boot_flags = st.builds(
    BootFlags,
    valid=st.booleans(), persistent=st.booleans(), efi=st.booleans(),
    device=st.integers(0, 15), cmos_clear=st.booleans(), lock_keyboard=st.booleans(),
    screen_blank=st.booleans(), lock_reset=st.booleans(), extra=st.binary(min_size=3, max_size=3),
)


@given(statuses)
def test_chassis_status_round_trip(status: ChassisStatus) -> None:
    assert ChassisStatus.decode(status.encode()) == status


@given(boot_flags)
def test_boot_flags_round_trip(flags: BootFlags) -> None:
    assert BootFlags.decode(flags.encode()) == flags


@given(st.integers(0, 127), st.binary(max_size=16), st.booleans(), st.integers(0, 15))
def test_boot_options_round_trip(selector: int, data: bytes, invalid: bool, version: int) -> None:
    opt = BootOptions(selector, data, invalid, version)
    assert BootOptions.decode(opt.encode()) == opt
    req = SetBootOptionsRequest(selector, data, invalid)
    assert SetBootOptionsRequest.decode(req.encode()) == req


# -- Chassis Identify, Set Power Restore Policy (IPMI v2.0 28.5, 28.8) ---------------------------

@pytest.mark.parametrize("request_,data", [
    (chassis.IdentifyRequest(), b""),                     # the BMC's default: 15 s
    (chassis.IdentifyRequest(0), b"\x00"),                # off
    (chassis.IdentifyRequest(30), b"\x1e"),
    (chassis.IdentifyRequest(None, force=True), b"\x00\x01"),  # on until turned off
])
def test_identify_request_bytes(request_, data) -> None:
    assert request_.encode() == data
    expected = request_ if not request_.force else chassis.IdentifyRequest(0, True)
    assert chassis.IdentifyRequest.decode(data) == expected
    req = chassis.chassis_identify(request_.interval, request_.force)
    assert (req.netfn, req.cmd, req.data) == (NetFn.CHASSIS, ChassisCmd.CHASSIS_IDENTIFY, data)


def test_identify_request_rejects() -> None:
    with pytest.raises(DataLengthError):
        chassis.IdentifyRequest.decode(b"\x01\x01\x01")
    with pytest.raises(DecodeError):
        chassis.IdentifyRequest.decode(b"\x01\x02")  # reserved bits of byte 2


def test_power_restore_policy() -> None:
    req = chassis.set_power_restore_policy(RestorePolicy.POWER_ON)
    assert (req.netfn, req.cmd, req.data) == (NetFn.CHASSIS, ChassisCmd.SET_POWER_RESTORE_POLICY, b"\x02")
    assert chassis.parse_set_power_restore_policy(b"\x02") == 2
    assert chassis.parse_set_power_restore_policy(b"\x03") == chassis.POLICY_NO_CHANGE
    for bad in (b"\x04", b"\x07", b"\x12"):
        with pytest.raises(DecodeError):
            chassis.parse_set_power_restore_policy(bad)
    reply = chassis.PolicyReply.decode(b"\x07")
    assert reply.supported == chassis.PolicySupport.STAY_OFF | chassis.PolicySupport.RESTORE_PREVIOUS \
        | chassis.PolicySupport.POWER_ON
    assert reply.encode() == b"\x07"


def test_boot_options_moved_but_still_importable_from_chassis() -> None:
    from chassisctl.ipmi import boot_options

    assert chassis.BootFlags is boot_options.BootFlags and chassis.BootParam is boot_options.BootParam
    with pytest.raises(AttributeError):
        chassis.NoSuchThing  # noqa: B018


DECODERS = [ChassisStatus.decode, chassis.parse_chassis_control, chassis.IdentifyRequest.decode,
            chassis.parse_set_power_restore_policy, chassis.PolicyReply.decode, GetBootOptionsRequest.decode,
            SetBootOptionsRequest.decode, BootOptions.decode, BootFlags.decode]


test_decoders_raise_only_decode_error = only_decode_errors(DECODERS, max_size=12)
