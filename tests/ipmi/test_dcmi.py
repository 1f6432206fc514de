"""DCMI codecs: group extension DCh, capabilities, power reading."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chassisctl.ipmi import dcmi
from chassisctl.ipmi.codes import DcmiCmd, NetFn
from chassisctl.ipmi.dcmi import DcmiCapabilities, DcmiPowerReading, PowerReadingRequest
from chassisctl.ipmi.decode_errors import DataLengthError, DecodeError

from _fuzz import only_decode_errors

READING = bytes.fromhex("DC 2C 01 C8 00 58 02 F4 01 00 21 43 65 E8 03 00 00 40")


def test_power_reading_request_bytes() -> None:
    # ipmitool's `dcmi power reading` sends 2C/02 with DC 01 00 00 (DCMI 1.5 §6.6.1, system power statistics).
    req = dcmi.get_power_reading()
    assert (req.netfn, req.cmd) == (NetFn.GROUP_EXTENSION, DcmiCmd.GET_POWER_READING)
    assert req.data == bytes.fromhex("DC 01 00 00")
    assert PowerReadingRequest.decode(req.data) == PowerReadingRequest(1, 0)


def test_power_reading_reply() -> None:
    r = DcmiPowerReading.decode(READING)
    assert (r.current, r.minimum, r.maximum, r.average) == (300, 200, 600, 500)
    assert r.timestamp == 0x65432100 and r.period_ms == 1000 and r.active
    assert r.encode() == READING
    assert not DcmiPowerReading.decode(READING[:-1] + b"\x00").active


def test_group_id_is_checked() -> None:
    for bad in (b"\x00" + READING[1:],):
        with pytest.raises(DecodeError) as info:
            DcmiPowerReading.decode(bad)
        assert not isinstance(info.value, DataLengthError)
    with pytest.raises(DecodeError):
        PowerReadingRequest.decode(bytes.fromhex("DD 01 00 00"))
    with pytest.raises(DecodeError):
        dcmi.parse_get_dcmi_capabilities(bytes.fromhex("00 01"))
    with pytest.raises(DecodeError):
        DcmiCapabilities.decode(bytes.fromhex("DE 01 05 02"))
    with pytest.raises(DataLengthError):
        DcmiPowerReading.decode(READING[:-1])


def test_capabilities() -> None:
    req = dcmi.get_dcmi_capabilities()
    assert (req.cmd, req.data) == (DcmiCmd.GET_DCMI_CAPABILITIES, b"\xdc\x01")
    assert dcmi.parse_get_dcmi_capabilities(req.data) == 1
    caps = DcmiCapabilities.decode(bytes.fromhex("DC 01 05 02 00 01 01"))
    assert (caps.major, caps.minor, caps.revision, caps.data) == (1, 5, 2, b"\x00\x01\x01")
    assert caps.encode() == bytes.fromhex("DC 01 05 02 00 01 01")


u16, u32 = st.integers(0, 0xFFFF), st.integers(0, 0xFFFFFFFF)


@given(u16, u16, u16, u16, u32, u32, st.booleans())
def test_power_reading_round_trip(cur, lo, hi, avg, ts, period, active) -> None:
    r = DcmiPowerReading(cur, lo, hi, avg, ts, period, active)
    assert DcmiPowerReading.decode(r.encode()) == r


@given(st.binary(max_size=20), st.integers(0, 255), st.integers(0, 255), st.integers(0, 255))
def test_capabilities_round_trip(data, major, minor, rev) -> None:
    c = DcmiCapabilities(data, major, minor, rev)
    assert DcmiCapabilities.decode(c.encode()) == c


DECODERS = [DcmiPowerReading.decode, DcmiCapabilities.decode, PowerReadingRequest.decode,
            dcmi.parse_get_dcmi_capabilities]


test_decoders_raise_only_decode_error = only_decode_errors(DECODERS, max_size=24)


@settings(max_examples=150)
@given(data=st.binary(min_size=1, max_size=24).map(lambda b: b"\xdc" + b[1:]))
def test_decoders_with_group_byte(data: bytes) -> None:
    for decode in DECODERS:
        try:
            decode(data)
        except DecodeError:
            pass
