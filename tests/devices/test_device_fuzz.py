"""Every device decoder, fed arbitrary data, raises DeviceDecodeError or nothing."""

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassisctl.devices import cpld, emc2305, ina2xx, lm75, pca954x, pmbus, tmp421
from chassisctl.devices.register_error import DeviceDecodeError
from chassisctl.devices.smbus import from_be, from_le

junk = st.one_of(st.integers(-(2**20), 2**20), st.none(), st.booleans(), st.floats(), st.text(max_size=4),
                 st.binary(max_size=4), st.lists(st.integers(-5, 300), max_size=4))

FIELD = cpld.Field("f", 0x01, 0x28, cpld.Access.RW, active_low=True)
DECODERS: dict[str, Callable[[object, object], object]] = {
    "smbus.from_be": lambda a, b: from_be(a),  # type: ignore[arg-type]
    "smbus.from_le": lambda a, b: from_le(a),  # type: ignore[arg-type]
    "lm75.decode_celsius": lambda a, b: lm75.decode_celsius(a, 12),  # type: ignore[arg-type]
    "lm75.decode_config": lambda a, b: lm75.decode_config(a),  # type: ignore[arg-type]
    "tmp421.decode_channel": lambda a, b: tmp421.decode_channel(a, b, extended=True),  # type: ignore[arg-type]
    "tmp421.is_extended": lambda a, b: tmp421.is_extended(a),  # type: ignore[arg-type]
    "tmp421.decode_ids": lambda a, b: tmp421.decode_ids(a, b),  # type: ignore[arg-type]
    "pmbus.decode_linear11": lambda a, b: pmbus.decode_linear11(a),  # type: ignore[arg-type]
    "pmbus.decode_linear16": lambda a, b: pmbus.decode_linear16(a, b),  # type: ignore[arg-type]
    "pmbus.decode_vout_mode": lambda a, b: pmbus.decode_vout_mode(a),  # type: ignore[arg-type]
    "pmbus.decode_block_string": lambda a, b: pmbus.decode_block_string(a),  # type: ignore[arg-type]
    "pmbus.decode_status_word": lambda a, b: pmbus.decode_status_word(a),  # type: ignore[arg-type]
    "pmbus.decode_capability": lambda a, b: pmbus.decode_capability(a),  # type: ignore[arg-type]
    "ina2xx.shunt_volts": lambda a, b: ina2xx.shunt_volts(ina2xx.Chip.INA226, a),  # type: ignore[arg-type]
    "ina2xx.bus_volts": lambda a, b: ina2xx.bus_volts(ina2xx.Chip.INA219, a),  # type: ignore[arg-type]
    "ina2xx.current_amps": lambda a, b: ina2xx.current_amps(a, 0.001),  # type: ignore[arg-type]
    "ina2xx.power_watts": lambda a, b: ina2xx.power_watts(ina2xx.Chip.INA226, a, 0.001),  # type: ignore[arg-type]
    "ina2xx.current_register": lambda a, b: ina2xx.current_register(ina2xx.Chip.INA226, a, b),  # type: ignore[arg-type]
    "emc2305.count_from_tach": lambda a, b: emc2305.count_from_tach(a, b),  # type: ignore[arg-type]
    "emc2305.rpm_from_count": lambda a, b: emc2305.rpm_from_count(a, b),  # type: ignore[arg-type]
    "emc2305.duty_percent": lambda a, b: emc2305.duty_percent(a),  # type: ignore[arg-type]
    "pca954x.decode_channels": lambda a, b: pca954x.decode_channels(pca954x.Kind.PCA9544, a),  # type: ignore[arg-type]
    "pca954x.decode_interrupts": lambda a, b: pca954x.decode_interrupts(pca954x.Kind.PCA9545, a),  # type: ignore[arg-type]
    "cpld.extract": lambda a, b: cpld.extract(FIELD, a),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("name", sorted(DECODERS))
@given(a=junk, b=junk)
def test_only_decode_errors_escape(name: str, a: object, b: object) -> None:
    try:
        DECODERS[name](a, b)
    except DeviceDecodeError:
        pass


@given(st.integers(0, 0xFFFF))
def test_ieee_half_round_trip(word: int) -> None:
    value = pmbus.decode_ieee_half(word)
    if value == value:  # NaN payloads are not preserved by every float path
        assert pmbus.decode_ieee_half(pmbus.encode_ieee_half(value)) == value
