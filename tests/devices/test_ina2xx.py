"""INA219/INA226 codec: a worked INA226 calibration example, the chips' integer arithmetic, fuzz."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassisctl.devices import ina2xx
from chassisctl.devices.register_error import DeviceDecodeError
from chassisctl.devices.ina2xx import Chip


def test_ina226_worked_example() -> None:
    cal = ina2xx.calibration(Chip.INA226, 0.002)
    assert cal == 2560 == 0x0A00
    shunt = ina2xx.encode_shunt(Chip.INA226, 0.025)
    assert shunt == 10000 == 0x2710
    current = ina2xx.current_register(Chip.INA226, shunt, cal)
    assert current == 12500
    bus = ina2xx.encode_bus(Chip.INA226, 12.1)
    assert bus == 9680 == 0x25D0
    power = ina2xx.power_register(Chip.INA226, current, bus)
    assert power == 6050 == 0x17A2
    reading = ina2xx.decode(Chip.INA226, shunt, bus, current, power, cal, 0.002)
    assert reading == ina2xx.Reading(0.025, 12.1, 12.5, 151.25)


def test_ina219_driver_constants() -> None:
    assert ina2xx.calibration(Chip.INA219, 0.01) == 4096  # 40,960,000 / 10,000 µΩ
    assert ina2xx.calibration(Chip.INA226, 0.01) == 512  # 5,120,000 / 10,000 µΩ
    shunt = ina2xx.encode_shunt(Chip.INA219, 0.05)  # 5 A through 10 mΩ
    assert shunt == 5000
    current = ina2xx.current_register(Chip.INA219, shunt, 4096)
    assert current == 5000
    bus = ina2xx.encode_bus(Chip.INA219, 12.0)
    assert bus == 3000 << 3
    assert ina2xx.bus_volts(Chip.INA219, bus | ina2xx.INA219_BUS_CNVR) == 12.0
    power = ina2xx.power_register(Chip.INA219, current, bus)
    assert power == 3000  # × 20 mW = 60 W
    assert ina2xx.power_watts(Chip.INA219, power, 0.001) == pytest.approx(60.0)


def test_cal_zero_means_unavailable_not_zero() -> None:
    assert ina2xx.current_register(Chip.INA226, 10000, 0) == 0
    reading = ina2xx.decode(Chip.INA226, 10000, 9680, 0, 0, 0, 0.002)
    assert reading.current_amps is None and reading.power_watts is None
    assert reading.shunt_volts == 0.025


def test_negative_current_is_signed() -> None:
    shunt = ina2xx.encode_shunt(Chip.INA226, -0.0025)
    current = ina2xx.current_register(Chip.INA226, shunt, 2560)
    assert ina2xx.current_amps(current, 0.001) == -1.25
    assert ina2xx.power_register(Chip.INA226, current, 9680) == 1250 * 9680 // 20000


def test_calibration_bounds() -> None:
    with pytest.raises(ValueError):
        ina2xx.calibration(Chip.INA226, 0.0)
    with pytest.raises(ValueError):
        ina2xx.calibration(Chip.INA226, 0.0000001)  # CAL would overflow 15 bits


@given(st.sampled_from(list(Chip)), st.floats(-0.08, 0.08, allow_nan=False))
def test_shunt_round_trip(chip: Chip, volts: float) -> None:
    reg = ina2xx.encode_shunt(chip, volts)
    lsb = float(chip.spec.shunt_lsb)
    expected = max(-0x8000 * lsb, min(0x7FFF * lsb, volts))
    assert abs(ina2xx.shunt_volts(chip, reg) - expected) <= lsb / 2 + 1e-12


@given(st.sampled_from(list(Chip)), st.floats(0, 40, allow_nan=False))
def test_bus_round_trip(chip: Chip, volts: float) -> None:
    reg = ina2xx.encode_bus(chip, volts)
    lsb = float(chip.spec.bus_lsb)
    top = (0x1FFF if chip is Chip.INA219 else 0x7FFF) * lsb
    assert abs(ina2xx.bus_volts(chip, reg) - min(volts, top)) <= lsb / 2 + 1e-12


@given(st.floats(-20, 20, allow_nan=False))
def test_current_round_trip_through_chip_arithmetic(amps: float) -> None:
    chip, shunt_ohms = Chip.INA226, 0.002
    cal = ina2xx.calibration(chip, shunt_ohms)
    shunt = ina2xx.encode_shunt(chip, amps * shunt_ohms)
    current = ina2xx.current_register(chip, shunt, cal)
    # one shunt LSB (2.5 µV / 2 mΩ = 1.25 mA) of quantisation, then truncation to 1 mA
    assert abs(ina2xx.current_amps(current, 0.001) - amps) <= 0.00125 / 2 + 0.001 + 1e-9


@given(st.sampled_from(list(Chip)), st.integers(-5, 0x10005), st.integers(-5, 0x10005),
       st.integers(-5, 0x10005), st.integers(-5, 0x10005), st.integers(-5, 0x10005), st.floats())
def test_fuzz(chip: Chip, a: int, b: int, c: int, d: int, cal: int, ohms: float) -> None:
    for call in (lambda: ina2xx.decode(chip, a, b, c, d, cal, ohms), lambda: ina2xx.current_register(chip, a, cal),
                 lambda: ina2xx.power_register(chip, a, b), lambda: ina2xx.bus_volts(chip, b)):
        try:
            call()
        except DeviceDecodeError:
            pass
