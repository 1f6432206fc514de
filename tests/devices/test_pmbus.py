"""PMBus codecs: LINEAR11/LINEAR16/DIRECT rows (the PMBus Part II data formats), status bits, fuzz."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassisctl.devices import pmbus as pm
from chassisctl.devices.register_error import DeviceDecodeError
from chassisctl.devices.pmbus import Cmd, DirectCoefficients, StatusWord
from chassisctl.devices.smbus import from_le
from chassisctl.ipmi.pec import crc8 as pec


@pytest.mark.parametrize(
    ("word", "value"),
    [(0xF855, 42.5), (0xFBCF, 487.5), (0xC257, 2.33984375), (0xFFFD, -1.5), (0x2210, 8448.0),
     (0xE8E6, 28.75), (0x0000, 0.0), (0x8000, 0.0)],
)
def test_linear11_table(word: int, value: float) -> None:
    assert pm.decode_linear11(word) == value


@pytest.mark.parametrize(("value", "word"), [(487.5, 0xFBCF), (2.34, 0xC257), (8450, 0x2210), (8448, 0x2210),
                                             (0.0, 0x0000)])
def test_linear11_encode_keeps_most_resolution(value: float, word: int) -> None:
    assert pm.encode_linear11(value) == word


def test_linear11_encode_negative_and_limits() -> None:
    assert pm.decode_linear11(pm.encode_linear11(-1.5)) == -1.5
    assert pm.decode_linear11(pm.encode_linear11(1023 * 2**15)) == 1023 * 2**15
    with pytest.raises(ValueError):
        pm.encode_linear11(1024 * 2**15)
    with pytest.raises(ValueError):
        pm.encode_linear11(math.nan)


@given(st.floats(-1023 * 2**15, 1023 * 2**15, allow_nan=False))
def test_linear11_round_trip(value: float) -> None:
    word = pm.encode_linear11(value)
    mantissa = pm.sign_extend(word & 0x7FF, 11)
    exponent = pm.sign_extend(word >> 11, 5)
    assert abs(mantissa) <= 1023
    assert abs(pm.decode_linear11(word) - value) <= 2.0**exponent / 2 or word == 0


@pytest.mark.parametrize(("mode", "word", "volts"), [(0x17, 0x1800, 12.0), (0x13, 0x2666, 1.19995117),
                                                     (0x16, 0x3000, 12.0)])
def test_linear16_vout_mode(mode: int, word: int, volts: float) -> None:
    vout_mode = pm.decode_vout_mode(mode)
    assert vout_mode.kind is pm.VoutModeKind.LINEAR
    assert pm.decode_vout(word, vout_mode) == pytest.approx(volts, abs=1e-6)
    assert pm.encode_vout(volts, vout_mode) == word
    assert vout_mode.encode() == mode


def test_wire_bytes_of_read_vout_are_lsb_first() -> None:
    assert from_le(b"\x00\x18") == 0x1800


def test_vout_mode_flags_other_formats() -> None:
    assert pm.decode_vout_mode(0x20).kind is pm.VoutModeKind.VID
    assert pm.decode_vout_mode(0x40).kind is pm.VoutModeKind.DIRECT
    assert pm.decode_vout_mode(0x60).kind is pm.VoutModeKind.IEEE_HALF
    with pytest.raises(DeviceDecodeError):
        pm.decode_vout_mode(0x80)
    with pytest.raises(DeviceDecodeError):
        pm.decode_vout(0x1234, pm.decode_vout_mode(0x20))
    assert pm.decode_vout(0x4A00, pm.decode_vout_mode(0x60)) == 12.0
    coeff = DirectCoefficients(19199, 0, -2)
    assert pm.decode_vout(0x0900, pm.decode_vout_mode(0x40), coeff) == pytest.approx(12.0006, abs=1e-4)


def test_direct_adm1275() -> None:
    volts = DirectCoefficients(m=19199, b=0, R=-2)
    assert pm.encode_direct(12.0, volts) == 0x0900
    assert pm.decode_direct(0x0900, volts) == pytest.approx(12.0006, abs=1e-4)
    amps = DirectCoefficients(m=807, b=20475, R=-1)  # 1 mΩ sense
    assert pm.encode_direct(10.0, amps) == 2855  # 2854.5 rounds away from zero
    assert pm.decode_direct(2855, amps) == pytest.approx(10.006, abs=1e-3)
    assert pm.encode_direct(0.0, amps) == 2048  # b is an offset: 0 A is not 0
    with pytest.raises(ValueError):
        DirectCoefficients(0, 0, 0)


@given(st.floats(-100, 100, allow_nan=False))
def test_direct_round_trip(value: float) -> None:
    coeff = DirectCoefficients(m=19199, b=0, R=-2)
    assert abs(pm.decode_direct(pm.encode_direct(value, coeff), coeff) - value) <= 0.5 / 191.99 + 1e-9


@given(st.integers(-16, 15), st.floats(0, 1e6, allow_nan=False))
def test_linear16_round_trip(exponent: int, value: float) -> None:
    try:
        word = pm.encode_linear16(value, exponent)
    except ValueError:
        assert value / 2.0**exponent > 0xFFFF
        return
    assert abs(pm.decode_linear16(word, exponent) - value) <= 2.0**exponent / 2


def test_status_word_bits_and_absent() -> None:
    # the AC-loss row of §2.7: INPUT + VIN_UV + OFF + POWER_GOOD#
    word = pm.decode_status_word(0x2848)
    assert word == StatusWord.INPUT | StatusWord.VIN_UV_FAULT | StatusWord.OFF | StatusWord.POWER_GOOD_N
    assert pm.flag_names(word) == {"INPUT", "VIN_UV_FAULT", "OFF", "POWER_GOOD_N"}
    assert pm.decode_status_word(0xFFFF) is None
    assert pm.decode_status_byte(0xFF) is None
    assert pm.decode_status_byte(0x02) == StatusWord.CML


@pytest.mark.parametrize(
    ("flags", "value", "names"),
    [
        (pm.StatusVout, 0x90, {"OV_FAULT", "UV_FAULT"}),
        (pm.StatusIout, 0x81, {"OC_FAULT", "POUT_OP_WARNING"}),
        (pm.StatusInput, 0x18, {"UV_FAULT", "UNIT_OFF_LOW_INPUT"}),
        (pm.StatusTemperature, 0xC1, {"OT_FAULT", "OT_WARNING", "BIT0"}),
        (pm.StatusCml, 0xA0, {"INVALID_COMMAND", "PEC_FAILED"}),
        (pm.StatusFans12, 0x82, {"FAN1_FAULT", "AIRFLOW_FAULT"}),
    ],
)
def test_status_registers(flags: type, value: int, names: set) -> None:
    assert pm.flag_names(pm.decode_status(flags, value)) == names


def test_block_strings_and_identification() -> None:
    assert pm.decode_block_string(b"ACME\x00\x00") == "ACME"
    assert pm.decode_block_string(b"DPS-750XB \xff") == "DPS-750XB"
    with pytest.raises(DeviceDecodeError):
        pm.decode_block_string(b"\xe9t\xe9")
    with pytest.raises(DeviceDecodeError):
        pm.decode_block_string(b"A\x07B")
    assert pm.decode_capability(0x90) == pm.Capability(pec=True, max_bus_speed=0, smbalert=True)
    assert pm.decode_revision(0x22) == ("1.2", "1.2")


def test_command_kinds() -> None:
    assert pm.command_kind(Cmd.READ_PIN) is pm.Kind.LINEAR11
    assert pm.command_kind(Cmd.READ_VOUT) is pm.Kind.VOUT
    assert pm.command_kind(Cmd.MFR_VOUT_MAX) is pm.Kind.VOUT
    assert pm.command_kind(Cmd.MFR_SERIAL) is pm.Kind.BLOCK
    assert pm.command_kind(Cmd.STATUS_WORD) is pm.Kind.WORD
    assert pm.command_kind(0xD0) is pm.Kind.BYTE


def test_pec_worked_examples() -> None:
    assert pec(bytes([0xB0, 0x97, 0xB1, 0xCF, 0xFB])) == 0xB5
    assert pec(bytes([0xB0, 0x20, 0xB1, 0x17])) == 0xE4


_any = st.one_of(st.integers(), st.none(), st.booleans(), st.text(max_size=3))


@given(_any, _any)
def test_fuzz_decoders_raise_only_decode_error(a: object, b: object) -> None:
    calls = [
        lambda: pm.decode_linear11(a), lambda: pm.decode_linear16(a, b), lambda: pm.decode_vout_mode(a),
        lambda: pm.decode_status_word(a), lambda: pm.decode_status_byte(a), lambda: pm.decode_capability(a),
        lambda: pm.decode_revision(a), lambda: pm.decode_ieee_half(a),
        lambda: pm.decode_direct(a, DirectCoefficients(1, 0, 0)),
        lambda: pm.decode_status(pm.StatusCml, a),
    ]
    for call in calls:
        try:
            call()
        except DeviceDecodeError:
            pass


@given(st.binary(max_size=300), st.integers(0, 0xFFFF), st.integers(0, 0xFF))
def test_fuzz_bytes(data: bytes, word: int, mode: int) -> None:
    for call in (lambda: pm.decode_block_string(data),
                 lambda: pm.decode_vout(word, pm.decode_vout_mode(mode))):
        try:
            call()
        except DeviceDecodeError:
            pass
