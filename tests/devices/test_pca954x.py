"""PCA954x codec: control bytes of switches (one bit per channel) vs muxes (enable bit + channel number), fuzz."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassisctl.devices.register_error import DeviceDecodeError
from chassisctl.devices.pca954x import Kind, decode_channels, decode_interrupts, encode_channels


@pytest.mark.parametrize(
    ("kind", "channels", "control"),
    [
        (Kind.PCA9548, set(), 0x00),
        (Kind.PCA9548, {0}, 0x01),
        (Kind.PCA9548, {7}, 0x80),
        (Kind.PCA9548, {1, 6}, 0x42),  # a switch connects several at once
        (Kind.PCA9546, {3}, 0x08),
        (Kind.PCA9544, {0}, 0x04),  # channel number + enable bit 04h
        (Kind.PCA9544, {3}, 0x07),
        (Kind.PCA9547, {0}, 0x08),  # enable bit 08h
        (Kind.PCA9547, {5}, 0x0D),
        (Kind.PCA9547, set(), 0x00),
    ],
)
def test_control_bytes(kind: Kind, channels: set, control: int) -> None:
    assert encode_channels(kind, channels) == control
    assert decode_channels(kind, control) == channels


def test_invalid_selections() -> None:
    with pytest.raises(ValueError):
        encode_channels(Kind.PCA9544, {0, 1})  # a mux: one channel only
    with pytest.raises(ValueError):
        encode_channels(Kind.PCA9546, {4})
    with pytest.raises(DeviceDecodeError):
        decode_channels(Kind.PCA9546, 0x10)
    with pytest.raises(DeviceDecodeError):
        decode_channels(Kind.PCA9547, 0x18)


def test_interrupt_bits_are_not_channels() -> None:
    assert decode_channels(Kind.PCA9544, 0x35) == {1}
    assert decode_interrupts(Kind.PCA9544, 0x35) == {0, 1}
    assert decode_channels(Kind.PCA9545, 0xF3) == {0, 1}
    assert decode_interrupts(Kind.PCA9548, 0xFF) == set()
    assert Kind.from_name("PCA9546") is Kind.PCA9546


@given(st.sampled_from(list(Kind)), st.data())
def test_round_trip(kind: Kind, data: st.DataObject) -> None:
    n = kind.spec.channels
    if kind.spec.is_mux:
        channels = data.draw(st.sets(st.integers(0, n - 1), max_size=1))
    else:
        channels = data.draw(st.sets(st.integers(0, n - 1)))
    assert decode_channels(kind, encode_channels(kind, channels)) == channels


@given(st.sampled_from(list(Kind)), st.integers(-2, 300))
def test_fuzz(kind: Kind, control: int) -> None:
    for call in (lambda: decode_channels(kind, control), lambda: decode_interrupts(kind, control)):
        try:
            call()
        except DeviceDecodeError:
            pass
