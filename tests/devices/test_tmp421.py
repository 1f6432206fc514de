"""TMP421 codec: the datasheet's standard/extended-range examples, RANGE, OPEN, round trips, fuzz."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassisctl.devices import tmp421
from chassisctl.devices.register_error import DeviceDecodeError


@pytest.mark.parametrize(
    ("high", "low", "extended", "celsius"),
    [
        (0xE7, 0x80, False, -24.5),
        (0x27, 0x80, True, -24.5),
        (0xD6, 0x00, True, 150.0),
        (0x00, 0x00, True, -64.0),
        (0x19, 0x10, False, 25.0625),
    ],
)
def test_worked_examples(high: int, low: int, extended: bool, celsius: float) -> None:
    reading = tmp421.decode_channel(high, low, extended=extended)
    assert reading == tmp421.ChannelReading(celsius, False)
    assert tmp421.encode_channel(celsius, extended=extended) == (high, low)


def test_open_flag_only_on_remote_channels() -> None:
    assert tmp421.decode_channel(0x19, 0x11, extended=False).open
    assert not tmp421.decode_channel(0x19, 0x11, extended=False, remote=False).open
    # status bits in the low nibble do not leak into the temperature
    assert tmp421.decode_channel(0x19, 0x1F, extended=False).celsius == 25.0625


def test_range_and_ids() -> None:
    assert tmp421.is_extended(0x04) and not tmp421.is_extended(0x40)
    assert tmp421.decode_ids(0x55, 0x23).channels == 4
    with pytest.raises(DeviceDecodeError):
        tmp421.decode_ids(0x55, 0x99)
    with pytest.raises(DeviceDecodeError):
        tmp421.decode_ids(0x41, 0x21)
    assert (tmp421.high_reg(2), tmp421.low_reg(2)) == (0x02, 0x12)


@given(st.booleans(), st.floats(-64, 191.9, allow_nan=False))
def test_round_trip(extended: bool, celsius: float) -> None:
    high, low = tmp421.encode_channel(celsius, extended=extended)
    lo, hi = (-64.0, 191.9375) if extended else (-128.0, 127.9375)
    expected = max(lo, min(hi, celsius))
    assert abs(tmp421.decode_channel(high, low, extended=extended).celsius - expected) <= 1 / 32


@given(st.integers(-5, 300), st.integers(-5, 300), st.booleans())
def test_fuzz(high: int, low: int, extended: bool) -> None:
    try:
        tmp421.decode_channel(high, low, extended=extended)
        tmp421.decode_ids(high, low)
    except DeviceDecodeError:
        pass
