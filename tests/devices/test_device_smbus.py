"""Byte-order and rounding helpers shared by the codecs."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassisctl.devices.register_error import DeviceDecodeError
from chassisctl.devices.smbus import from_be, from_le, round_half_away, sign_extend, swap16, to_be, to_le
from chassisctl.errors import ProtocolError


def test_byte_orders() -> None:
    assert from_be(b"\x19\x10") == 0x1910 == from_le(b"\x10\x19")
    assert to_be(0x1D18) == b"\x1d\x18" and to_le(0xFBCF) == b"\xcf\xfb"
    assert swap16(0x1019) == 0x1910
    with pytest.raises(DeviceDecodeError):
        from_be(b"\x01")


def test_decode_error_is_a_protocol_error() -> None:
    assert issubclass(DeviceDecodeError, ProtocolError)


def test_helpers() -> None:
    assert sign_extend(0x3FF, 11) == 1023 and sign_extend(0x400, 11) == -1024 and sign_extend(0x7FF, 11) == -1
    assert round_half_away(2854.5) == 2855 and round_half_away(-2.5) == -3


@given(st.binary(min_size=2, max_size=2))
def test_round_trips(data: bytes) -> None:
    assert to_be(from_be(data)) == data and to_le(from_le(data)) == data
    assert swap16(swap16(from_be(data))) == from_be(data)
