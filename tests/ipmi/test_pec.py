"""SMBus PEC (CRC-8, poly 07h, init 0; SMBus 3.0 §6.4): worked SSIF vectors and fuzzing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassisctl.ipmi.decode_errors import DecodeError
from chassisctl.ipmi.pec import append_pec, crc8, strip_pec


def bitwise_crc8(data: bytes) -> int:
    """Reference: the textbook bit-at-a-time CRC, independent of the table."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


@pytest.mark.parametrize("hex_bytes, pec", [
    ("20 02 03 10 2D 30", 0xB0),                      # Get Sensor Reading write (§7)
    ("20 03 21 07 14 2D 00 2A C0 00 80", 0x55),       # its read (§7)
    ("20 02 02 18 01", 0x66),                         # Get Device ID write (§1.10)
    ("20 02 03 00 02 01", 0xE8),                      # Chassis Control on (§1.10)
    ("20 02 03 18 57 00", 0x51),                      # Get Sys Intf Caps (§1.10)
    ("", 0x00),
])
def test_vectors_from_the_design_note(hex_bytes: str, pec: int) -> None:
    assert crc8(bytes.fromhex(hex_bytes)) == pec


def test_crc_can_be_continued() -> None:
    data = bytes.fromhex("20 03 21 07 14 2D 00 2A C0 00 80")
    assert crc8(data[5:], crc8(data[:5])) == 0x55


@given(st.binary(max_size=64))
def test_table_matches_bitwise_reference(data: bytes) -> None:
    assert crc8(data) == bitwise_crc8(data)


@given(st.binary(min_size=1, max_size=40))
def test_append_then_strip_round_trips(data: bytes) -> None:
    assert strip_pec(append_pec(data)) == data
    # a message followed by its own CRC has CRC 0: that is what receivers check
    assert crc8(append_pec(data)) == 0


@given(st.binary(min_size=1, max_size=40), st.integers(1, 255))
def test_any_corrupted_pec_is_detected(data: bytes, flip: int) -> None:
    framed = bytearray(append_pec(data))
    framed[-1] ^= flip
    with pytest.raises(DecodeError):
        strip_pec(bytes(framed))


@given(st.binary(max_size=40))
def test_strip_pec_raises_only_decode_error(data: bytes) -> None:
    try:
        strip_pec(data)
    except DecodeError:
        pass


def test_literal_table_is_the_computed_one() -> None:
    from chassisctl.ipmi import pec

    assert pec._TABLE == pec._make_table()
