"""Sensor/Event codecs: readings, thresholds, reading factors, hysteresis."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassisctl.ipmi import sensor_cmds, sensor_params
from chassisctl.ipmi.codes import NetFn, SensorCmd
from chassisctl.ipmi.conversion import Conversion, Factors
from chassisctl.ipmi.decode_errors import DataLengthError
from chassisctl.ipmi.sensor_cmds import (
    LOWER,
    THRESHOLD_ORDER,
    UPPER,
    ReadingFactorsRequest,
    ReadingFlags,
    SensorReading,
    SensorReadingFactors,
    SensorThresholds,
    Threshold,
)
from chassisctl.ipmi.sensor_params import SensorEventEnable, SensorHysteresis

from _fuzz import only_decode_errors


def test_worked_sensor_reading() -> None:
    # Get Sensor Reading (IPMI v2.0 §35.14): sensor 30h reads 2Ah, events + scanning on, no thresholds crossed.
    req = sensor_cmds.get_sensor_reading(0x30)
    assert bytes([req.netfn << 2, req.cmd]) + req.data == bytes.fromhex("10 2D 30")
    reading = SensorReading.decode(bytes.fromhex("2A C0 00 80"))
    assert reading.raw == 0x2A
    assert reading.events_enabled and reading.scanning_enabled and not reading.unavailable
    assert reading.thresholds == Threshold(0)
    assert reading.state == b"\x00\x80"
    assert reading.encode() == bytes.fromhex("2A C0 00 80")


def test_reading_state_bytes_and_unavailable() -> None:
    r = SensorReading.decode(bytes.fromhex("90 40 18"))
    assert r.thresholds == Threshold.UNC | Threshold.UC
    assert len(r.state) == 1
    assert SensorReading.decode(b"\x00\x40").state == b""
    d = SensorReading.decode(bytes.fromhex("00 C0 05 81"))
    assert d.discrete_state == 0x0105
    assert d.asserted == (0, 2, 8)
    dead = SensorReading.not_available()
    assert dead.unavailable and dead.scanning_enabled
    assert SensorReading.decode(dead.encode()) == dead
    for size in (0, 1):
        with pytest.raises(DataLengthError):
            SensorReading.decode(bytes(size))
    # A fifth byte is ignored (replies come from BMCs; a padded one must not lose the sensor).
    assert SensorReading.decode(bytes(5)) == SensorReading.decode(bytes(4))


def test_thresholds() -> None:
    # The Inlet Temp record's readable thresholds: UNR A0h, UC 90h, UNC 70h (IPMI v2.0 §35.9).
    t = SensorThresholds.decode(bytes.fromhex("38 00 00 00 70 90 A0"))
    assert t.readable == Threshold.UNC | Threshold.UC | Threshold.UNR == UPPER
    # M=1: the values are the raw bytes.
    assert t.values(Conversion()) == {Threshold.UNC: 0x70, Threshold.UC: 0x90, Threshold.UNR: 0xA0}
    assert [t.raw(x) for x in THRESHOLD_ORDER] == [None, None, None, 0x70, 0x90, 0xA0]
    assert t.encode() == bytes.fromhex("38 00 00 00 70 90 A0")
    assert LOWER | UPPER == Threshold(0x3F)
    with pytest.raises(ValueError):
        SensorThresholds(Threshold(0x40)).encode()
    req = sensor_cmds.get_sensor_thresholds(1)
    assert (req.netfn, req.cmd, req.data) == (NetFn.SENSOR_EVENT, SensorCmd.GET_SENSOR_THRESHOLDS, b"\x01")


# Full Sensor Record bytes 25-30 (M, tolerance, B, accuracy, R/B exponents; IPMI v2.0 §43.1) for example sensors.
@pytest.mark.parametrize(
    "hexbytes, m, b, k1, k2",
    [
        ("01 00 D8 C0 00 00", 1, -40, 0, 0),
        ("41 00 70 80 00 E1", 65, -400, 1, -2),
        ("06 00 00 00 00 E0", 6, 0, 0, -2),
        ("08 00 00 00 00 00", 8, 0, 0, 0),
        ("64 00 00 00 00 00", 100, 0, 0, 0),
        ("01 00 00 00 00 20", 1, 0, 0, 2),
    ],
)
def test_conversion_factor_fixtures(hexbytes: str, m: int, b: int, k1: int, k2: int) -> None:
    f = Factors.unpack(bytes.fromhex(hexbytes))
    assert (f.m, f.b, f.k1, f.k2) == (m, b, k1, k2)
    assert f.pack() == bytes.fromhex(hexbytes)


def test_factors_from_full_sensor_record() -> None:
    # The "Inlet Temp" Full Sensor Record; bytes 25-30 (1-based) are M=1, B=0.
    record = bytes.fromhex(
        "02 00 51 01 35 20 00 01 07 01 7f 68 01 01 80 0a 80 7a 38 38 00 01 00 00 01 00 00 00 00 00"
        " 07 28 50 10 ff 00 a0 90 70 00 00 00 02 02 00 00 00 ca") + b"Inlet Temp"
    f = Factors.unpack(record[24:30])
    assert (f.m, f.b, f.k1, f.k2, f.tolerance, f.accuracy) == (1, 0, 0, 0, 0, 0)


def test_negative_m_tolerance_accuracy_bits() -> None:
    f = Factors(m=-512, b=511, k1=-8, k2=7, tolerance=63, accuracy=1023, accuracy_exp=3)
    data = f.pack(direction=2)
    assert data == bytes.fromhex("00 BF FF 7F FE 78")
    assert Factors.unpack(data) == f
    with pytest.raises(ValueError):
        Factors(m=512).pack()


def test_reading_factors_request_and_reply() -> None:
    req = sensor_cmds.get_sensor_reading_factors(0x05, 0x80)
    assert (req.cmd, req.data) == (SensorCmd.GET_SENSOR_READING_FACTORS, b"\x05\x80")
    assert ReadingFactorsRequest.decode(req.data) == ReadingFactorsRequest(5, 0x80)
    reply = SensorReadingFactors.decode(bytes.fromhex("90 01 00 D8 C0 00 00"))
    assert reply.next_reading == 0x90 and reply.factors.b == -40
    assert reply == SensorReadingFactors(0x90, Factors(m=1, b=-40))
    assert reply.encode() == bytes.fromhex("90 01 00 D8 C0 00 00")


def test_hysteresis_and_event_enable() -> None:
    req = sensor_params.get_sensor_hysteresis(7)
    assert req.data == b"\x07\xff"
    assert sensor_params.parse_get_sensor_hysteresis(req.data) == 7
    assert sensor_params.parse_get_sensor_hysteresis(b"\x07") == 7
    assert SensorHysteresis.decode(b"\x02\x02") == SensorHysteresis(2, 2)
    ev = SensorEventEnable.decode(bytes.fromhex("C0 95 0A 00 00"))
    assert ev.events_enabled and ev.scanning_enabled
    assert ev.assertion_mask == 0x0A95 and ev.deassertion_mask == 0
    short = SensorEventEnable.decode(b"\x40")
    assert not short.events_enabled and short.assertion_mask == 0
    assert sensor_params.get_sensor_event_enable(3).data == b"\x03"
    with pytest.raises(DataLengthError):
        SensorEventEnable.decode(bytes(6))


# -- Properties -------------------------------------------------------------

factors = st.builds(
    Factors,
    m=st.integers(-512, 511), b=st.integers(-512, 511), k1=st.integers(-8, 7), k2=st.integers(-8, 7),
    tolerance=st.integers(0, 63), accuracy=st.integers(0, 1023), accuracy_exp=st.integers(0, 3),
)


@given(factors, st.integers(0, 3), st.integers(0, 255))
def test_factors_round_trip(f: Factors, direction: int, nxt: int) -> None:
    assert Factors.unpack(f.pack(direction)) == f
    assert SensorReadingFactors.decode(SensorReadingFactors(nxt, f).encode()) == SensorReadingFactors(nxt, f)


@given(st.integers(0, 255), st.integers(0, 255).map(ReadingFlags), st.binary(max_size=2))
def test_reading_round_trip(raw: int, flags: ReadingFlags, state: bytes) -> None:
    r = SensorReading(raw, flags, state)
    assert SensorReading.decode(r.encode()) == r


@given(st.integers(0, 0x3F).map(Threshold), st.lists(st.integers(0, 255), min_size=6, max_size=6))
def test_thresholds_round_trip(mask: Threshold, values: list[int]) -> None:
    t = SensorThresholds(mask, *values)
    assert SensorThresholds.decode(t.encode()) == t


@given(st.booleans(), st.booleans(), st.binary(max_size=4))
def test_event_enable_round_trip(ev: bool, scan: bool, enables: bytes) -> None:
    e = SensorEventEnable(ev, scan, enables)
    assert SensorEventEnable.decode(e.encode()) == e


DECODERS = [
    SensorReading.decode, SensorThresholds.decode, SensorHysteresis.decode, Factors.unpack,
    SensorReadingFactors.decode, ReadingFactorsRequest.decode, SensorEventEnable.decode,
    sensor_cmds.parse_sensor_number, sensor_params.parse_get_sensor_hysteresis,
]


test_decoders_raise_only_decode_error = only_decode_errors(DECODERS, max_size=12)
