"""LM75/TMP75 codec: the temperature/register rows of the TMP75 datasheet table, round trips, fuzz."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassisctl.devices import lm75
from chassisctl.devices.register_error import DeviceDecodeError
from chassisctl.devices.smbus import from_be, swap16


@pytest.mark.parametrize(
    ("wire", "res", "celsius"),
    [
        (b"\x19\x10", 12, 25.0625),
        (b"\x7d\x00", 12, 125.0),
        (b"\xff\xf0", 12, -0.0625),
        (b"\xe7\x00", 12, -25.0),
        (b"\xc9\x00", 12, -55.0),
        (b"\xff\x80", 9, -0.5),
        (b"\x50\x00", 9, 80.0),
        (b"\x4b\x00", 9, 75.0),
    ],
)
def test_table_rows(wire: bytes, res: int, celsius: float) -> None:
    word = from_be(wire)
    assert lm75.decode_celsius(word, res) == celsius
    assert lm75.encode_celsius(celsius, res) == word


def test_smbus_word_is_byte_swapped() -> None:
    # read_word_data(0x48, 0) on wire 19 10 returns 0x1019
    assert lm75.decode_celsius(swap16(0x1019), 12) == 25.0625


def test_bits_below_resolution_are_ignored() -> None:
    assert lm75.decode_celsius(0x19F0, 9) == 25.5
    assert lm75.decode_celsius(0x19F0, 11) == 25.875


def test_kernel_millidegrees() -> None:
    assert lm75.decode_millicelsius(0x1910, 12) == 25062
    assert lm75.decode_millicelsius(0xFF80, 9) == -500


def test_encode_saturates() -> None:
    assert lm75.decode_celsius(lm75.encode_celsius(500.0, 9), 9) == 127.5
    assert lm75.decode_celsius(lm75.encode_celsius(float("-inf"), 12), 12) == -128.0


def test_config_round_trip() -> None:
    cfg = lm75.Config(resolution=12, fault_queue=4, interrupt_mode=True)
    assert lm75.encode_config(cfg) == 0x60 | 0x10 | 0x02
    assert lm75.decode_config(0x72) == cfg


@given(st.sampled_from(lm75.RESOLUTIONS), st.floats(-128, 127.9, allow_nan=False))
def test_round_trip_within_resolution(res: int, celsius: float) -> None:
    decoded = lm75.decode_celsius(lm75.encode_celsius(celsius, res), res)
    step = 2.0 ** -(res - 8)
    top = 128 - step
    assert abs(decoded - min(celsius, top)) <= step / 2


@given(st.integers(), st.integers())
def test_fuzz_decoders_raise_only_decode_error(word: int, res: int) -> None:
    for call in (lambda: lm75.decode_celsius(word, res), lambda: lm75.decode_millicelsius(word, res),
                 lambda: lm75.decode_config(word)):
        try:
            call()
        except DeviceDecodeError:
            pass
