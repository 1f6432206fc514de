"""CPLD bit fields: PDDF masked compares, polarity, and w1c-safe read-modify-write (§7)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassisctl.devices.cpld import Access, Field, apply, encode, extract, registers
from chassisctl.devices.register_error import DeviceDecodeError

PRESENT = Field("psu1_present", 0x02, 0x02, cmpval=0x00)  # active low presence
POWER_GOOD = Field("psu1_pg", 0x02, 0x28, cmpval=0x28)  # two bits, both set


@pytest.mark.parametrize(("reg", "present", "pg"), [(0x00, 1, 0), (0x02, 0, 0), (0x28, 1, 1), (0x2A, 0, 1),
                                                    (0x08, 1, 0), (0x20, 1, 0), (0xFD, 1, 1)])
def test_pddf_masked_compare(reg: int, present: int, pg: int) -> None:
    assert extract(PRESENT, reg) == present
    assert extract(POWER_GOOD, reg) == pg


def test_polarity_and_multibit() -> None:
    button = Field("pwr_btn_n", 0x10, 0x01, Access.PULSE, active_low=True, pulse_width_s=0.2)
    assert extract(button, 0x00) == 1 and extract(button, 0x01) == 0
    assert encode(button, 1) == 0x00 and encode(button, 0) == 0x01
    revision = Field("revision", 0x01, 0xF0)
    assert extract(revision, 0xA5) == 0xA
    split = Field("split", 0x03, 0x28, Access.RW)  # non-contiguous bits 5 and 3
    assert extract(split, 0x20) == 0b10 and encode(split, 0b01) == 0x08
    with pytest.raises(ValueError):
        encode(revision, 16)


REG5 = registers([
    Field("dp_power", 0x05, 0x80, Access.RW),
    Field("fault_latch", 0x05, 0x06, Access.W1C),
    Field("card_pg", 0x05, 0x01, Access.RO),
    Field("cycle", 0x05, 0x40, Access.SC),
])[0x05]


def test_rmw_never_writes_back_w1c_latches() -> None:
    dp = REG5.fields[0]
    latch = REG5.fields[1]
    # register reads 87h: power on, both latches set, card PG: turning power off writes 00h
    assert apply(REG5, dp, 0x87, 0) == 0x00
    assert apply(REG5, dp, 0x07, 1) == 0x80  # latches still not written back
    # clearing the latch keeps the rw bit as read and writes 1s only to the latch
    assert apply(REG5, latch, 0x87, 1) == 0x86
    assert apply(REG5, latch, 0x87, 0) == 0x80
    # a self-clearing trigger is written only when asked for
    assert apply(REG5, REG5.fields[3], 0xC7, 1) == 0xC0
    assert apply(REG5, dp, 0xC7, 1) == 0x80
    with pytest.raises(ValueError):
        apply(REG5, REG5.fields[2], 0x00, 1)  # read-only


def test_declaration_checks() -> None:
    with pytest.raises(ValueError):
        registers([Field("a", 1, 0x03, Access.RW), Field("b", 1, 0x02, Access.RW)])
    with pytest.raises(ValueError):
        Field("x", 1, 0x02, cmpval=0x04)
    with pytest.raises(ValueError):
        Field("x", 1, 0x02, cmpval=0x00, active_low=True)
    assert REG5.undeclared == 0x38


@given(st.integers(0, 255), st.integers(0, 1))
def test_apply_touches_only_the_field(current: int, value: int) -> None:
    dp, latch, _, cycle = REG5.fields
    for field in (dp, latch, cycle):
        new = apply(REG5, field, current, value)
        assert new & REG5.mask_of(Access.W1C) & ~field.mask == 0  # other latches never written 1
        assert new & REG5.mask_of(Access.RW) & ~field.mask == current & REG5.mask_of(Access.RW) & ~field.mask
        if field.access is Access.RW:
            assert extract(field, new) == value


@given(st.integers(1, 255), st.integers(0, 255), st.booleans(), st.data())
def test_encode_extract_round_trip(mask: int, raw: int, active_low: bool, data: st.DataObject) -> None:
    field = Field("f", 0, mask, Access.RW, active_low=active_low)
    value = data.draw(st.integers(0, field.max_value))
    assert extract(field, encode(field, value)) == value


@given(st.integers(-5, 300))
def test_fuzz(raw: int) -> None:
    try:
        extract(POWER_GOOD, raw)
    except DeviceDecodeError:
        pass
