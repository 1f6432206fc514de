"""Sensor value conversion, factor choice, readings, thresholds and status.

The reply types come from :mod:`chassisctl.ipmi.sensor_cmds` (their byte
layout is also tested there); this file tests what :mod:`chassisctl.ipmi.sensor`
and :mod:`chassisctl.ipmi.conversion` make of them.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chassisctl.ipmi import DecodeError
from chassisctl.ipmi.decode_errors import DataLengthError
from chassisctl.ipmi.sensor import (
    AnalogFormat,
    Conversion,
    Factors,
    Linearization,
    Round,
    choose_factors,
    discrete_states,
    rounding_for,
    sign_extend,
    status,
)
from chassisctl.ipmi.sensor_cmds import (
    ReadingFlags,
    SensorReading,
    SensorReadingFactors,
    SensorThresholds,
    Threshold,
)

#: Events and scanning enabled, reading available: the usual flags byte C0h.
ON = ReadingFlags.EVENTS_ENABLED | ReadingFlags.SCANNING_ENABLED


def conv(m: int = 1, b: int = 0, k1: int = 0, k2: int = 0, fmt: int = 0, lin: int = 0) -> Conversion:
    return Conversion(Factors(m=m, b=b, k1=k1, k2=k2), fmt, lin)


# ------------------------------------------------------------ factor bytes


@pytest.mark.parametrize(
    ("value", "bits", "out"),
    [(0x1FF, 10, 511), (0x200, 10, -512), (0x3FF, 10, -1), (0x7, 4, 7), (0x8, 4, -8), (0xF, 4, -1), (0x1F, 4, -1)],
)
def test_sign_extend(value: int, bits: int, out: int) -> None:
    assert sign_extend(value, bits) == out


@pytest.mark.parametrize(
    ("hexbytes", "factors"),
    [
        ("01 00 D8 C0 00 00", Factors(m=1, b=-40)),
        ("41 00 70 80 00 E1", Factors(m=65, b=-400, k1=1, k2=-2)),
        ("06 00 00 00 00 E0", Factors(m=6, k2=-2)),
        ("08 00 00 00 00 00", Factors(m=8)),
        ("64 00 00 00 00 00", Factors(m=100)),
        ("01 00 00 00 00 20", Factors(m=1, k2=2)),
        ("00 80 00 80 00 87", Factors(m=-512, b=-512, k1=7, k2=-8)),
        ("FF 7F FF 7F FC 78", Factors(m=511, b=511, k1=-8, k2=7, tolerance=63, accuracy=1023, accuracy_exp=3)),
    ],
)
def test_factor_bytes(hexbytes: str, factors: Factors) -> None:
    data = bytes.fromhex(hexbytes)
    assert Factors.unpack(data) == factors
    assert factors.pack() == data


def test_factor_direction_bits_and_errors() -> None:
    assert Factors().pack(direction=2)[4] == 0x02
    assert Factors.unpack(bytes.fromhex("01 00 00 00 03 00")) == Factors()
    for bad in (Factors(m=512), Factors(b=-513), Factors(k1=-9), Factors(k2=8), Factors(tolerance=64)):
        with pytest.raises(ValueError):
            bad.pack()
    with pytest.raises(ValueError):
        Factors().pack(direction=4)
    with pytest.raises(DecodeError):
        Factors.unpack(b"\x01\x00")


def test_parse_reading_factors() -> None:
    reply = SensorReadingFactors.decode(bytes.fromhex("80 41 00 70 80 00 E1"))
    assert reply.next_reading == 0x80
    assert reply.factors == Factors(m=65, b=-400, k1=1, k2=-2)
    with pytest.raises(DecodeError):
        SensorReadingFactors.decode(bytes(6))


# --------------------------------------------------------------- raw -> value


@pytest.mark.parametrize(
    ("c", "raw", "value"),
    [
        (conv(1, -40), 0x41, 25.0),  # the factor rows below, and samples
        (conv(1, -40), 0x87, 95.0),
        (conv(65, -400, 1, -2), 0x64, 25.0),
        (conv(65, -400, 1, -2), 0xFF, 125.75),
        (conv(6, 0, 0, -2), 0xC8, 12.0),
        (conv(6, 0, 0, -2), 0xDC, 13.2),
        (conv(6, 0, 0, -2), 0xB4, 10.8),
        (conv(8), 0x3D, 488.0),
        (conv(8), 237, 1896.0),
        (conv(100), 0x54, 8400.0),
        (conv(1, 0, 0, 2), 0x54, 8400.0),
        (conv(1, 5, -1), 0, 0.5),  # negative B exponent
        (conv(-2, 100), 10, 80.0),  # negative M
        (conv(1, 0, 0, 0, AnalogFormat.ONES_COMPLEMENT), 0x7F, 127.0),
        (conv(1, 0, 0, 0, AnalogFormat.ONES_COMPLEMENT), 0x80, -127.0),
        (conv(1, 0, 0, 0, AnalogFormat.ONES_COMPLEMENT), 0xFE, -1.0),
        (conv(1, 0, 0, 0, AnalogFormat.ONES_COMPLEMENT), 0xFF, 0.0),  # negative zero
        (conv(1, 0, 0, 0, AnalogFormat.TWOS_COMPLEMENT), 0x7F, 127.0),
        (conv(1, 0, 0, 0, AnalogFormat.TWOS_COMPLEMENT), 0x80, -128.0),
        (conv(1, 0, 0, 0, AnalogFormat.TWOS_COMPLEMENT), 0xFF, -1.0),
        (conv(5, 0, 0, -1, AnalogFormat.TWOS_COMPLEMENT), 0xF6, -5.0),
        (conv(1, 0, 0, 0, AnalogFormat.UNSIGNED), 0xFF, 255.0),
    ],
)
def test_to_value(c: Conversion, raw: int, value: float) -> None:
    assert c.to_value(raw) == value  # exact, not approx: integer arithmetic until the last division


@pytest.mark.parametrize(
    ("lin", "raw", "value"),
    [
        (Linearization.LINEAR, 7, 7.0),
        (Linearization.LN, 100, math.log(100)),
        (Linearization.LOG10, 100, 2.0),
        (Linearization.LOG2, 64, 6.0),
        (Linearization.E, 2, math.e**2),
        (Linearization.EXP10, 3, 1000.0),
        (Linearization.EXP2, 10, 1024.0),
        (Linearization.RECIPROCAL, 4, 0.25),
        (Linearization.SQR, 12, 144.0),
        (Linearization.CUBE, 3, 27.0),
        (Linearization.SQRT, 16, 4.0),
        (Linearization.CUBE_ROOT, 27, 3.0),
    ],
)
def test_linearisations(lin: int, raw: int, value: float) -> None:
    assert conv(lin=lin).to_value(raw) == pytest.approx(value)


def test_linearisation_after_scaling() -> None:
    # L is applied to (M·x + B·10^K1)·10^K2, not to x: 1/(2·5 + 10) = 0.05.
    assert conv(2, 1, 1, 0, lin=Linearization.RECIPROCAL).to_value(5) == pytest.approx(0.05)
    assert conv(1, 0, 0, 0, AnalogFormat.TWOS_COMPLEMENT, Linearization.CUBE_ROOT).to_value(0xE5) == pytest.approx(-3.0)


@pytest.mark.parametrize(
    ("c", "raw"),
    [
        (conv(lin=Linearization.LN), 0),  # ln 0
        (conv(lin=Linearization.LOG10), 0),
        (conv(lin=Linearization.LOG2), 0),
        (conv(lin=Linearization.RECIPROCAL), 0),  # 1/0
        (conv(fmt=AnalogFormat.TWOS_COMPLEMENT, lin=Linearization.SQRT), 0xFF),  # sqrt(-1)
        (conv(fmt=AnalogFormat.TWOS_COMPLEMENT, lin=Linearization.LN), 0x80),
        (conv(511, 0, 0, 7, lin=Linearization.E), 0xFF),  # overflow
        (conv(511, 0, 0, 7, lin=Linearization.EXP10), 0xFF),
        (conv(511, 0, 0, 7, lin=Linearization.EXP2), 0xFF),
        (conv(fmt=AnalogFormat.NONE), 0x10),  # no analog reading
        (conv(lin=0x0C), 0x10),  # reserved linearisation
        (conv(lin=0x70), 0x10),  # non-linear without reading factors
    ],
)
def test_not_convertible_gives_none(c: Conversion, raw: int) -> None:
    assert c.to_value(raw) is None


def test_convertible_flag() -> None:
    assert conv().convertible
    assert conv(lin=0x7F).convertible
    assert not conv(fmt=AnalogFormat.NONE).convertible
    assert not conv(lin=0x0C).convertible


def test_non_linear_uses_override_factors() -> None:
    c = conv(1, 0, 0, 0, lin=0x70)
    assert c.to_value(10, Factors(m=3, b=1, k1=1, k2=-1)) == pytest.approx(4.0)
    assert c.to_raw(4.0, factors=Factors(m=3, b=1, k1=1, k2=-1)) == 10
    # Override factors also apply to linear sensors (a BMC that answers them anyway).
    assert conv().to_value(10, Factors(m=2)) == 20.0


def test_hysteresis_in_units() -> None:
    assert conv(1).hysteresis(2) == 2.0
    assert conv(6, 0, 0, -2).hysteresis(3) == pytest.approx(0.18)
    assert conv(-8).hysteresis(1) == 8.0


# --------------------------------------------------------------- value -> raw


@pytest.mark.parametrize(
    ("c", "value", "direction", "raw"),
    [
        (conv(1, -40), 25, Round.NEAREST, 0x41),
        (conv(1, -40), 95, Round.DOWN, 0x87),
        (conv(65, -400, 1, -2), 25, Round.NEAREST, 0x64),
        (conv(6, 0, 0, -2), 12.00, Round.NEAREST, 0xC8),
        (conv(6, 0, 0, -2), 13.2, Round.DOWN, 0xDC),  # 219.999... in floats
        (conv(6, 0, 0, -2), 10.8, Round.UP, 0xB4),
        (conv(8), 487.5, Round.NEAREST, 0x3D),
        (conv(8), 1900, Round.DOWN, 237),  # UC: 237.5 -> 237 = 1896 W
        (conv(8), 1900, Round.UP, 238),
        (conv(8), 1900, Round.NEAREST, 238),  # ties round up
        (conv(100), 8448, Round.NEAREST, 0x54),
        (conv(100), 500, Round.UP, 0x05),
        (conv(100), 30000, Round.NEAREST, 0xFF),  # clamped
        (conv(100), -5, Round.NEAREST, 0x00),
        (conv(-2, 100), 81, Round.DOWN, 10),  # negative M: rounding direction flips in raw space
        (conv(-2, 100), 81, Round.UP, 9),
        (conv(fmt=AnalogFormat.TWOS_COMPLEMENT), -1, Round.NEAREST, 0xFF),
        (conv(fmt=AnalogFormat.TWOS_COMPLEMENT), -200, Round.NEAREST, 0x80),
        (conv(fmt=AnalogFormat.TWOS_COMPLEMENT), 200, Round.NEAREST, 0x7F),
        (conv(fmt=AnalogFormat.ONES_COMPLEMENT), -1, Round.NEAREST, 0xFE),
        (conv(fmt=AnalogFormat.ONES_COMPLEMENT), -200, Round.NEAREST, 0x80),
        (conv(0, 5), 5, Round.NEAREST, 0x00),  # M = 0: every byte reads the same
    ],
)
def test_to_raw(c: Conversion, value: float, direction: Round, raw: int) -> None:
    assert c.to_raw(value, direction) == raw


def test_to_raw_non_linear_search() -> None:
    recip = conv(lin=Linearization.RECIPROCAL)  # decreasing: 1/x
    assert recip.to_raw(0.25) == 4
    down = recip.to_raw(0.3, Round.DOWN)  # 1/3 > 0.3 >= 1/4
    assert (down, recip.to_raw(0.3, Round.UP)) == (4, 3)
    assert recip.to_raw(5.0, Round.DOWN) == 1  # above every value: the largest one
    sqrt = conv(lin=Linearization.SQRT)
    assert sqrt.to_raw(3.0) == 9
    assert sqrt.to_raw(3.1, Round.DOWN) == 9 and sqrt.to_raw(3.1, Round.UP) == 10
    assert conv(lin=Linearization.LOG10).to_raw(2.0) == 100


def test_to_raw_without_analog_reading() -> None:
    with pytest.raises(ValueError):
        conv(fmt=AnalogFormat.NONE).to_raw(1.0)
    with pytest.raises(ValueError):
        conv(lin=0x70).to_raw(1.0)
    with pytest.raises(ValueError):
        conv().to_raw(float("nan"))


def test_rounding_for_thresholds() -> None:
    assert rounding_for(Threshold.UNC) is rounding_for(Threshold.UNR) is Round.DOWN
    assert rounding_for(Threshold.LC) is rounding_for(Threshold.LNC) is Round.UP


# -------------------------------------------------------------- choose_factors

# Factor rows for example sensors, worked by hand.  Rows 2-5 are what choose_factors() yields with no options
# and are asserted byte for byte.  Row 1 (1 °C steps) is a deliberate coarser
# choice: asserted exactly with resolution=1, and without it only "covers
# -40..125 with a step <= 1 °C" (the default gives row 2's 0.65 °C).
EXACT_ROWS = [
    ((-40, 125), {"resolution": 1}, "01 00 D8 C0 00 00", (-40.0, 215.0)),
    ((-40, 125), {}, "41 00 70 80 00 E1", (-40.0, 125.75)),
    ((0, 15.3), {}, "06 00 00 00 00 E0", (0.0, 15.3)),
    ((0, 2000), {}, "08 00 00 00 00 00", (0.0, 2040.0)),
    ((0, 25500), {}, "64 00 00 00 00 00", (0.0, 25500.0)),
]


@pytest.mark.parametrize(("span", "kwargs", "hexbytes", "covers"), EXACT_ROWS)
def test_choose_factors_table_rows(span: tuple, kwargs: dict, hexbytes: str, covers: tuple) -> None:
    c = choose_factors(*span, **kwargs)
    assert c.analog_format == AnalogFormat.UNSIGNED
    assert c.linearization == Linearization.LINEAR
    assert c.factors.pack() == bytes.fromhex(hexbytes)
    assert c.value_range() == pytest.approx(covers)


def test_choose_factors_row1_default_only_covers() -> None:
    c = choose_factors(-40, 125)
    lo, hi = c.value_range()  # type: ignore[misc]
    assert lo <= -40 and hi >= 125
    assert c.step <= 1.0


def test_choose_factors_samples() -> None:
    temp = choose_factors(-40, 125, resolution=1)
    assert temp.to_raw(25) == 0x41 and temp.to_raw(95, Round.DOWN) == 0x87
    assert choose_factors(-40, 125).to_raw(25) == 0x64
    volts = choose_factors(0, 15.3)
    assert volts.to_raw(12.00) == 0xC8
    assert volts.to_raw(13.2, rounding_for(Threshold.UC)) == 0xDC
    assert volts.to_raw(10.8, rounding_for(Threshold.LC)) == 0xB4
    watts = choose_factors(0, 2000)
    assert watts.to_raw(487.5) == 0x3D and watts.to_value(0x3D) == 488.0
    assert watts.to_raw(1900, rounding_for(Threshold.UC)) == 237 and watts.to_value(237) == 1896.0
    fan = choose_factors(0, 25500)
    assert fan.to_raw(8448) == 0x54 and fan.to_value(0x54) == 8400.0
    assert fan.to_raw(500, rounding_for(Threshold.LC)) == 0x05
    # The alternative fan scale of the table (M=1, K2=+2) is the same conversion.
    alt = conv(1, 0, 0, 2)
    assert all(alt.to_value(r) == fan.to_value(r) for r in range(256))


def test_choose_factors_signed() -> None:
    c = choose_factors(-100, 100, signed=True)
    assert c.analog_format == AnalogFormat.TWOS_COMPLEMENT
    lo, hi = c.value_range()  # type: ignore[misc]
    assert lo <= -100 and hi >= 100
    assert c.to_value(c.to_raw(0)) == 0.0
    # Same resolution either way: auto keeps unsigned on ties.
    assert choose_factors(-100, 100).analog_format == AnalogFormat.UNSIGNED
    assert choose_factors(-100, 100).step == c.step


@pytest.mark.parametrize(("lo", "hi"), [(5, 5), (10, 0), (0, 1e13), (0, float("inf"))])
def test_choose_factors_rejects(lo: float, hi: float) -> None:
    with pytest.raises(ValueError):
        choose_factors(lo, hi)


@settings(max_examples=200, deadline=None)
@given(
    st.decimals(min_value=-10000, max_value=10000, places=3, allow_nan=False, allow_infinity=False),
    st.decimals(min_value="0.01", max_value=20000, places=3, allow_nan=False, allow_infinity=False),
    st.one_of(st.none(), st.booleans()),
)
def test_choose_factors_covers_range(lo: object, span: object, signed: bool | None) -> None:
    hi = lo + span  # type: ignore[operator]
    c = choose_factors(lo, hi, signed=signed)  # type: ignore[arg-type]
    vlo, vhi = c.value_range()  # type: ignore[misc]
    assert vlo <= float(lo) + 1e-9 * abs(float(lo)) and vhi >= float(hi) - 1e-9 * abs(float(hi))
    # B has three digits (|B| <= 511), so the offset has a granularity g set
    # by lo's magnitude; the range to cover is at most span + g.  Rounding M
    # up costs at most ~2x beyond that.
    g = 10 ** math.ceil(math.log10(abs(float(lo)) / 511)) if lo else 0.0
    assert c.step <= 2.1 * (float(span) + g) / 255 + 1e-12


# --------------------------------------------------------------- round trips

FORMATS = st.sampled_from([AnalogFormat.UNSIGNED, AnalogFormat.ONES_COMPLEMENT, AnalogFormat.TWOS_COMPLEMENT])
LINEAR = st.builds(
    Conversion,
    st.builds(
        Factors,
        m=st.integers(-512, 511).filter(bool),
        b=st.integers(-512, 511),
        k1=st.integers(-8, 7),
        k2=st.integers(-8, 7),
    ),
    FORMATS,
    st.just(Linearization.LINEAR),  # builds() fills every field of a NamedTuple, defaults included
)


@settings(max_examples=200, deadline=None)
@given(LINEAR, st.integers(0, 255))
def test_raw_value_raw(c: Conversion, raw: int) -> None:
    value = c.to_value(raw)
    assert value is not None
    assert c.to_value(c.to_raw(value)) == value  # 1's complement has two zeros, so compare values
    assert c.to_value(c.to_raw(value, Round.DOWN)) == value
    assert c.to_value(c.to_raw(value, Round.UP)) == value


@settings(max_examples=300, deadline=None)
@given(LINEAR, st.floats(0, 1))
def test_value_raw_value_within_a_step(c: Conversion, where: float) -> None:
    lo, hi = c.value_range()  # type: ignore[misc]
    value = lo + (hi - lo) * where
    assume(math.isfinite(value))
    tol = 1e-9 * max(abs(lo), abs(hi), c.step)
    got = c.to_value(c.to_raw(value))
    assert got is not None and abs(got - value) <= c.step / 2 + tol
    down = c.to_value(c.to_raw(value, Round.DOWN))
    up = c.to_value(c.to_raw(value, Round.UP))
    assert down is not None and up is not None
    assert value - c.step - tol <= down <= value + tol
    assert value - tol <= up <= value + c.step + tol


@settings(max_examples=300, deadline=None)
@given(
    st.builds(
        Conversion,
        st.builds(
            Factors, m=st.integers(-512, 511), b=st.integers(-512, 511), k1=st.integers(-8, 7), k2=st.integers(-8, 7)
        ),
        st.integers(0, 3),
        st.integers(0, 0x7F),
    ),
    st.integers(0, 255),
)
def test_to_value_never_raises(c: Conversion, raw: int) -> None:
    value = c.to_value(raw)
    assert value is None or math.isfinite(value)


# ------------------------------------------------------------ sensor readings


def test_parse_sensor_reading_threshold() -> None:
    r = SensorReading.decode(bytes.fromhex("87 c0 d8 80"))  # reserved bits set, as some BMCs send
    assert r.raw == 0x87
    assert r.events_enabled and r.scanning_enabled and not r.unavailable
    assert r.thresholds == Threshold.UNC | Threshold.UC
    assert status(r) == "cr"


def test_parse_sensor_reading_short_forms() -> None:
    r = SensorReading.decode(b"\x10\x40")
    assert (r.raw, r.events_enabled, r.scanning_enabled, r.discrete_state) == (0x10, False, True, 0)
    assert status(r) == "ok"
    r3 = SensorReading.decode(b"\x10\x40\x02")
    assert r3.thresholds == Threshold.LC
    # Trailing bytes beyond byte 4 are ignored.
    r5 = SensorReading.decode(b"\x10\x40\x02\x00\xff")
    assert (r5.raw, r5.flags, r5.thresholds, r5.state) == (r3.raw, r3.flags, r3.thresholds, b"\x02\x00")
    with pytest.raises(DataLengthError):
        SensorReading.decode(b"\x10")


def test_parse_sensor_reading_discrete() -> None:
    r = SensorReading.decode(bytes.fromhex("00 c0 09 c0"))  # offsets 0, 3, 14; bit 15 reserved
    assert r.asserted == (0, 3, 14)
    assert discrete_states(r, 0x6F, 0x08) == ["Presence detected", "Power Supply AC lost", "state 14"]
    assert status(r, threshold_based=False) == "ok"
    presence = SensorReading.decode(bytes.fromhex("00 c0 01 00"))
    assert discrete_states(presence, 0x6F, 0x25) == ["Entity Present"]
    assert discrete_states(SensorReading.decode(bytes.fromhex("00 c0 02 00")), 0x08, 0x00) == ["Device Present"]


def test_sensor_reading_encode() -> None:
    r = SensorReading(0x3D, ReadingFlags.SCANNING_ENABLED | ReadingFlags.UNAVAILABLE, b"\xff\x7f")
    assert (r.events_enabled, r.scanning_enabled, r.unavailable, r.discrete_state) == (False, True, True, 0x7FFF)
    assert r.encode() == bytes.fromhex("3d 60 ff 7f")
    assert SensorReading.decode(r.encode()) == r
    assert SensorReading(0, ON, b"\x00\x00").encode() == bytes.fromhex("00 c0 00 00")


@pytest.mark.parametrize(
    ("flags", "bits", "text"),
    [
        (0xC0, 0x00, "ok"),
        (0xC0, 0x01, "nc"),
        (0xC0, 0x08, "nc"),
        (0xC0, 0x02, "cr"),
        (0xC0, 0x10 | 0x08, "cr"),
        (0xC0, 0x04, "nr"),
        (0xC0, 0x20 | 0x10 | 0x08, "nr"),
        (0x80, 0x20, "ns"),  # scanning disabled wins
        (0x00, 0x00, "ns"),
        (0xE0, 0x20, "na"),  # reading unavailable
        (0x60, 0x00, "na"),
        (0xC0, 0xC0, "ok"),  # reserved bits only
    ],
)
def test_status(flags: int, bits: int, text: str) -> None:
    assert status(SensorReading.decode(bytes((0x50, flags, bits)))) == text


def test_status_discrete_unavailable() -> None:
    assert status(SensorReading.decode(b"\x00\x60\x01"), threshold_based=False) == "na"
    assert status(SensorReading.decode(b"\x00\x00\x01"), threshold_based=False) == "ns"


# ---------------------------------------------------------------- thresholds


def test_parse_sensor_thresholds() -> None:
    # Readable UNC, UC, UNR of the "Inlet Temp" example (M=1 degrees C).
    t = SensorThresholds.decode(bytes.fromhex("38 00 00 00 70 90 a0"))
    assert t.readable == Threshold.UNC | Threshold.UC | Threshold.UNR
    assert (t.lnc, t.lc, t.lnr, t.unc, t.uc, t.unr) == (0, 0, 0, 0x70, 0x90, 0xA0)
    assert t.raw(Threshold.UC) == 0x90
    assert t.raw(Threshold.LC) is None
    assert t.values(conv()) == {Threshold.UNC: 112.0, Threshold.UC: 144.0, Threshold.UNR: 160.0}
    assert t.encode() == bytes.fromhex("38 00 00 00 70 90 a0")
    assert SensorThresholds.decode(bytes.fromhex("ff 01 02 03 04 05 06")).readable == Threshold(0x3F)
    with pytest.raises(DecodeError):
        SensorThresholds.decode(bytes(6))


def test_threshold_values_through_conversion() -> None:
    volts = conv(6, 0, 0, -2)
    t = SensorThresholds(Threshold.LC | Threshold.UC, lc=0xB4, uc=0xDC)
    assert t.values(volts) == {Threshold.LC: 10.8, Threshold.UC: 13.2}


def test_thresholds_from_values_round_to_safe_side() -> None:
    watts = conv(8)
    t = SensorThresholds.from_values(watts, {Threshold.UC: 1900, Threshold.UNC: 1800, Threshold.LC: 100.5})
    assert t.readable == Threshold.UC | Threshold.UNC | Threshold.LC
    assert (t.uc, t.unc, t.lc) == (237, 225, 13)
    assert t.values(watts) == {Threshold.LC: 104.0, Threshold.UNC: 1800.0, Threshold.UC: 1896.0}


# ---------------------------------------------------------------- fuzz


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=10))
def test_fuzz_reply_decoders(data: bytes) -> None:
    for decoder in (SensorReading.decode, SensorThresholds.decode, SensorReadingFactors.decode, Factors.unpack):
        try:
            decoder(data)
        except DecodeError:
            pass


def test_thresholds_reject_combined_flags() -> None:
    t = SensorThresholds(Threshold(0x3F))
    with pytest.raises(ValueError):
        t.raw(Threshold.UC | Threshold.UNC)
    with pytest.raises(ValueError):
        SensorThresholds.from_values(conv(), {Threshold.UC | Threshold.UNC: 5.0})


@settings(max_examples=500, deadline=None)
@given(
    st.builds(Factors, m=st.integers(-512, 511).filter(bool), b=st.integers(-512, 511), k1=st.integers(-8, 7),
              k2=st.integers(-8, 7), tolerance=st.just(0), accuracy=st.just(0), accuracy_exp=st.just(0)),
    st.integers(-300, 300),
    st.sampled_from([0.0, 0.5, 1e-13, -1e-13, 0.25]),
    st.integers(0, 9),
    st.sampled_from(list(Round)),
)
def test_float_solve_agrees_with_exact(f: Factors, x: int, nudge: float, digits: int, direction: Round) -> None:
    """The float shortcut answers only where it gives the exact answer (on and near the grid too)."""
    from fractions import Fraction

    from chassisctl.ipmi.conversion import _solve_linear_float, exact

    value = round(float((f.m * (x + Fraction(nudge)) + f.b * Fraction(10) ** f.k1) * Fraction(10) ** f.k2), digits)
    quick = _solve_linear_float(f, value, direction)
    if quick is None:
        return
    exact_x = (exact(value) / Fraction(10) ** f.k2 - f.b * Fraction(10) ** f.k1) / f.m
    if direction is Round.NEAREST:
        want = math.floor(exact_x + Fraction(1, 2))
    else:
        want = math.floor(exact_x) if (direction is Round.DOWN) == (f.m > 0) else math.ceil(exact_x)
    assert quick == want


@settings(max_examples=500, deadline=None)
@given(
    st.builds(Factors, m=st.integers(-512, 511).filter(bool), b=st.integers(-512, 511), k1=st.integers(-8, 7),
              k2=st.integers(-8, 7), tolerance=st.just(0), accuracy=st.just(0), accuracy_exp=st.just(0)),
    st.one_of(
        st.builds(lambda f_x, nudge, digits: (f_x, nudge, digits), st.integers(-300, 300),
                  st.sampled_from([0.0, 0.5, 1e-13, -1e-13, 0.25]), st.integers(0, 9)),
        st.floats(-1e9, 1e9, allow_nan=False), st.integers(-(10**12), 10**12)),
    st.sampled_from(list(Round)),
)
def test_integer_solve_is_the_exact_one(f: Factors, pick, direction: Round) -> None:
    """The integer solver (taken where the float one gives up) is the Fraction arithmetic, bit for bit."""
    from fractions import Fraction

    from chassisctl.ipmi.conversion import _solve_linear_int, exact

    if isinstance(pick, tuple):
        x, nudge, digits = pick
        value = round(float((f.m * (x + Fraction(nudge)) + f.b * Fraction(10) ** f.k1) * Fraction(10) ** f.k2),
                      digits)
    else:
        value = pick
    exact_x = (exact(value) / Fraction(10) ** f.k2 - f.b * Fraction(10) ** f.k1) / f.m
    if direction is Round.NEAREST:
        want = math.floor(exact_x + Fraction(1, 2))
    else:
        want = math.floor(exact_x) if (direction is Round.DOWN) == (f.m > 0) else math.ceil(exact_x)
    assert _solve_linear_int(f, value, direction) == want
