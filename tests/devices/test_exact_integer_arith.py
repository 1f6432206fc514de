"""The device codecs' integer arithmetic is bit-identical to the exact fractions it replaced.

The INA2xx, PMBus (LINEAR11, LINEAR16, DIRECT) and SMBus rounding helpers
used :class:`fractions.Fraction`; they now compute with integers and one
final int / int division (correctly rounded, as ``float(Fraction)`` is) so
that :mod:`fractions` and :mod:`decimal` stay off every platform command's
start-up.  The reference implementations below are the previous code, kept
here only as the oracle; hypothesis compares old and new on random raw
values and random floats, including ties, subnormals and the range edges.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from chassisctl.devices import ina2xx, pmbus
from chassisctl.devices.ina2xx import Chip
from chassisctl.devices.pmbus import DirectCoefficients
from chassisctl.devices.smbus import Ratio, decimal_ratio, round_half_away, sign_extend

# --- the previous, Fraction-based code (oracle only) ------------------------------------------


def old_round_half_away(x) -> int:
    f = Fraction(x)
    r = int(abs(f) + Fraction(1, 2))
    return r if f >= 0 else -r


def old_encode_linear11(value: float) -> int:
    exact = Fraction(value)
    for exponent in range(-16, 16):
        mantissa = old_round_half_away(exact / Fraction(2) ** exponent)
        if abs(mantissa) <= 1023:
            if mantissa == 0:
                return 0
            return ((exponent & 0x1F) << 11) | (mantissa & 0x7FF)
    raise ValueError("beyond LINEAR11 range")


def old_encode_linear16(value: float, exponent: int) -> int:
    mantissa = old_round_half_away(Fraction(value) / Fraction(2) ** exponent)
    if mantissa > 0xFFFF:
        raise ValueError("overflow")
    return mantissa


def old_decode_direct(word: int, c: DirectCoefficients) -> float:
    return float((sign_extend(word, 16) * Fraction(10) ** -c.R - c.b) / c.m)


def old_encode_direct(value: float, c: DirectCoefficients) -> int:
    y = old_round_half_away((c.m * Fraction(value) + c.b) * Fraction(10) ** c.R)
    if not -0x8000 <= y <= 0x7FFF:
        raise ValueError("overflow")
    return y & 0xFFFF


OLD_SPECS = {
    Chip.INA219: (Fraction(10, 10**6), Fraction(4, 1000), 20, Fraction(4096, 10**5)),
    Chip.INA226: (Fraction(25, 10**7), Fraction(125, 10**5), 25, Fraction(512, 10**5)),
}


def old_lsb(chip: Chip, cal: int, shunt: float) -> Fraction:
    return OLD_SPECS[chip][3] / (cal * Fraction(str(shunt)))


# --- strategies ----------------------------------------------------------------------------------

chips = st.sampled_from(list(Chip))
words = st.integers(0, 0xFFFF)
shunts = st.floats(1e-9, 1e6, allow_nan=False, allow_infinity=False)
halves = st.integers(-(2**40), 2**40).map(lambda n: n / 2)  # exact ties
finite = st.floats(allow_nan=False, allow_infinity=False)


@given(st.one_of(finite, halves, st.integers(-(10**30), 10**30), st.fractions()))
@example(2854.5)
@example(-2.5)
@example(5e-324)
def test_round_half_away_matches_fraction(x) -> None:
    assert round_half_away(x) == old_round_half_away(x)


@given(st.one_of(finite, st.integers(-(10**12), 10**12)))
@example(0.002)
@example(1e-05)
@example(-0.0)
@example(1.7976931348623157e308)
def test_decimal_ratio_is_fraction_of_str(x) -> None:
    r = decimal_ratio(x)
    assert Fraction(r.num, r.den) == Fraction(str(x))


@given(st.one_of(st.floats(-1023 * 2**15, 1023 * 2**15, allow_nan=False), halves.filter(lambda v: abs(v) < 2**25)))
@example(487.5)
@example(8450.0)
@example(5e-324)
def test_linear11_encode_matches(value: float) -> None:
    try:
        want = old_encode_linear11(value)
    except ValueError:
        with pytest.raises(ValueError):
            pmbus.encode_linear11(value)
    else:
        assert pmbus.encode_linear11(value) == want


@given(st.floats(0, 1e6, allow_nan=False), st.integers(-16, 15))
def test_linear16_encode_matches(value: float, exponent: int) -> None:
    try:
        want = old_encode_linear16(value, exponent)
    except ValueError:
        with pytest.raises(ValueError):
            pmbus.encode_linear16(value, exponent)
    else:
        assert pmbus.encode_linear16(value, exponent) == want


coefficients = st.builds(DirectCoefficients, st.integers(-(2**31), 2**31 - 1).filter(bool),
                         st.integers(-(2**31), 2**31 - 1), st.integers(-8, 8))


@given(words, coefficients)
def test_direct_decode_matches(word: int, c: DirectCoefficients) -> None:
    got = pmbus.decode_direct(word, c)
    assert got == old_decode_direct(word, c) and math.copysign(1, got) == math.copysign(1, old_decode_direct(word, c))


@given(st.one_of(st.floats(-1e6, 1e6, allow_nan=False), halves.filter(lambda v: abs(v) < 1e6)), coefficients)
def test_direct_encode_matches(value: float, c: DirectCoefficients) -> None:
    try:
        want = old_encode_direct(value, c)
    except ValueError:
        with pytest.raises(ValueError):
            pmbus.encode_direct(value, c)
    else:
        assert pmbus.encode_direct(value, c) == want


@given(chips, words, words, words, st.integers(1, 0xFFFF), shunts)
def test_ina2xx_decode_matches(chip: Chip, shunt_reg: int, bus_reg: int, current_reg: int, cal: int,
                               shunt: float) -> None:
    shunt_lsb, bus_lsb, factor, _ = OLD_SPECS[chip]
    assert ina2xx.shunt_volts(chip, shunt_reg) == float(sign_extend(shunt_reg, 16) * shunt_lsb)
    assert ina2xx.bus_volts(chip, bus_reg) == float(ina2xx.bus_value(chip, bus_reg) * bus_lsb)
    lsb = ina2xx.current_lsb_for(chip, cal, shunt)
    assert Fraction(lsb.num, lsb.den) == old_lsb(chip, cal, shunt)
    assert ina2xx.current_amps(current_reg, lsb) == float(sign_extend(current_reg, 16) * old_lsb(chip, cal, shunt))
    assert ina2xx.power_watts(chip, current_reg, lsb) == float(current_reg * factor * old_lsb(chip, cal, shunt))


@given(words, st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.fractions(-(10**6), 10**6)))
def test_ina2xx_amps_from_float_or_fraction_lsb(current_reg: int, lsb) -> None:
    assert ina2xx.current_amps(current_reg, lsb) == float(sign_extend(current_reg, 16) * Fraction(lsb))


@given(chips, st.floats(-10, 10, allow_nan=False), st.floats(0, 100, allow_nan=False))
@example(Chip.INA226, 0.025, 12.1)
def test_ina2xx_encode_matches(chip: Chip, shunt_volts: float, bus_volts: float) -> None:
    shunt_lsb, bus_lsb, _, _ = OLD_SPECS[chip]
    count = old_round_half_away(Fraction(shunt_volts) / shunt_lsb)
    assert ina2xx.encode_shunt(chip, shunt_volts) == max(-0x8000, min(0x7FFF, count)) & 0xFFFF
    count = old_round_half_away(Fraction(bus_volts) / bus_lsb)
    limit = 0xFFFF >> chip.spec.bus_shift if chip is Chip.INA219 else 0x7FFF
    assert ina2xx.encode_bus(chip, bus_volts) == min(limit, count) << chip.spec.bus_shift


@given(chips, shunts, st.sampled_from([0.001, 0.0005, 0.002, 1e-05, 0.01, 0.1]))
def test_ina2xx_calibration_matches(chip: Chip, shunt: float, lsb: float) -> None:
    try:
        cal = math.floor(OLD_SPECS[chip][3] / (Fraction(str(lsb)) * Fraction(str(shunt))))
    except ZeroDivisionError:  # pragma: no cover - shunts are positive
        return
    if not 1 <= cal <= chip.spec.cal_max:
        with pytest.raises(ValueError):
            ina2xx.calibration(chip, shunt, lsb)
    else:
        assert ina2xx.calibration(chip, shunt, lsb) == (cal & ~1 if chip is Chip.INA219 else cal)


def test_ratio_is_a_small_exact_number() -> None:
    assert float(Ratio(1, 3)) == 1 / 3 and Ratio(2, 6) == Ratio(1, 3) and hash(Ratio(2, 6)) == hash(Ratio(1, 3))
    assert Ratio(1, 3).as_integer_ratio() == (1, 3) and repr(Ratio(1, 3)) == "Ratio(1, 3)"
    with pytest.raises(ValueError):
        Ratio(1, 0)
