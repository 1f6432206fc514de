"""Unit, sensor type and entity tables, and the unit column text."""

from __future__ import annotations

import pytest

from chassisctl.ipmi.names import (
    GENERIC_OFFSETS,
    SENSOR_SPECIFIC_OFFSETS,
    entity_name,
    event_reading_type_name,
    offset_table,
    sensor_type_name,
    state_text,
    state_texts,
)
from chassisctl.ipmi.sel import THRESHOLD_OFFSETS
from chassisctl.ipmi.units import MAX_UNIT, ModifierRelation, RateUnit, Unit, unit_name, unit_string

# Spot checks across table 43-15, chosen where off-by-one errors would show:
# the start, the 59 "reserved" gap and the end (89/90 are easy to swap).
UNIT_CODES = {
    0: "unspecified",
    1: "degrees C",
    3: "degrees K",
    4: "Volts",
    5: "Amps",
    6: "Watts",
    17: "CFM",
    18: "RPM",
    19: "Hz",
    20: "microsecond",
    26: "week",
    37: "liters",
    43: "gravities",
    58: "PPM",
    59: "reserved",
    60: "Decibels",
    65: "color temp deg K",
    70: "byte",
    82: "overrun/overflow",
    88: "error",
    89: "correctable error",
    90: "uncorrectable error",
    91: "fatal error",
    92: "grams",
}


@pytest.mark.parametrize(("code", "name"), sorted(UNIT_CODES.items()))
def test_unit_codes(code: int, name: str) -> None:
    assert unit_name(code) == name


def test_unit_table_is_complete() -> None:
    assert MAX_UNIT == 92
    assert [unit_name(c) for c in range(93)].count("reserved") == 1
    assert unit_name(93) == "unit 93"


def test_unit_enum_matches_table() -> None:
    for unit in Unit:
        assert unit_name(unit)  # every named code resolves
    assert unit_name(Unit.RPM) == "RPM"
    assert unit_name(Unit.DEGREES_C, short=True) == "°C"


@pytest.mark.parametrize(
    ("args", "kwargs", "text"),
    [
        ((1,), {}, "degrees C"),
        ((4,), {}, "Volts"),
        ((18,), {}, "RPM"),
        ((6,), {}, "Watts"),
        ((4,), {"short": True}, "V"),
        ((0,), {}, ""),
        ((0, 0, 0, True), {}, "percent"),
        ((0, 0, 0, True), {"short": True}, "%"),
        ((18, 0, 0, True), {}, "% RPM"),
        ((6, 22, ModifierRelation.DIVIDE), {}, "Watts/second"),
        ((6, 24, ModifierRelation.MULTIPLY), {}, "Watts*hour"),
        ((6, 24, ModifierRelation.MULTIPLY), {"short": True}, "W·h"),
        ((17, 0, 0, False, RateUnit.PER_MINUTE), {"short": True}, "CFM/min"),
        ((7, 0, 0, False, RateUnit.PER_HOUR), {}, "Joules per hour"),
        ((1, 0, 3), {}, "degrees C"),  # reserved relation ignored
    ],
)
def test_unit_string(args: tuple, kwargs: dict, text: str) -> None:
    assert unit_string(*args, **kwargs) == text


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (0x01, "Temperature"),
        (0x02, "Voltage"),
        (0x03, "Current"),
        (0x04, "Fan"),
        (0x05, "Physical Security"),
        (0x06, "Platform Security"),
        (0x07, "Processor"),
        (0x08, "Power Supply"),
        (0x09, "Power Unit"),
        (0x0A, "Cooling Device"),
        (0x0B, "Other Units-based Sensor"),
        (0x0C, "Memory"),
        (0x0D, "Drive Slot / Bay"),  # ipmitool's wording
        (0x0F, "System Firmware Progress"),
        (0x1D, "System Boot / Restart Initiated"),
        (0x25, "Entity Presence"),
        (0x29, "Battery"),
        (0x2C, "FRU State"),
        (0x2D, "reserved (2Dh)"),
        (0xC0, "OEM (C0h)"),
    ],
)
def test_sensor_type_names(code: int, name: str) -> None:
    assert sensor_type_name(code) == name


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (0x03, "processor"),
        (0x07, "system board"),
        (0x0A, "power supply"),
        (0x17, "system chassis"),
        (0x1D, "fan / cooling device"),
        (0x20, "memory device"),
        (0x35, "real time clock"),
        (0x37, "air inlet"),
        (0x40, "air inlet"),
        (0x42, "baseboard"),
        (0x38, "reserved (38h)"),
        (0x91, "chassis-specific (91h)"),
        (0xB0, "board-set specific (B0h)"),
        (0xD0, "OEM (D0h)"),
    ],
)
def test_entity_names(code: int, name: str) -> None:
    assert entity_name(code) == name


def test_event_reading_type_names() -> None:
    assert event_reading_type_name(0x01) == "threshold"
    assert event_reading_type_name(0x03) == "generic discrete"
    assert event_reading_type_name(0x6F) == "sensor-specific"
    assert event_reading_type_name(0x70) == "OEM"
    assert event_reading_type_name(0x20) == "reserved (20h)"


@pytest.mark.parametrize(
    ("reading_type", "sensor_type", "offset", "text"),
    [
        (0x6F, 0x08, 0, "Presence detected"),
        (0x6F, 0x08, 1, "Failure detected"),
        (0x6F, 0x08, 2, "Predictive failure"),
        (0x6F, 0x08, 3, "Power Supply AC lost"),  # ipmitool's wording
        (0x6F, 0x08, 4, "AC lost or out-of-range"),
        (0x6F, 0x08, 5, "AC out-of-range, but present"),
        (0x6F, 0x08, 6, "Configuration error"),
        (0x6F, 0x08, 7, "Power Supply Inactive"),
        (0x6F, 0x09, 4, "AC lost"),
        (0x6F, 0x05, 0, "General Chassis intrusion"),
        (0x6F, 0x05, 6, "FAN area intrusion"),
        (0x6F, 0x10, 2, "Log Area Reset/Cleared"),  # tables that only the SEL decoder had
        (0x6F, 0x12, 5, "Timestamp Clock Sync"),
        (0x6F, 0x1D, 0, "Initiated by power up"),
        (0x6F, 0x0F, 2, "System Firmware Progress"),
        (0x6F, 0x25, 0, "Entity Present"),
        (0x6F, 0x25, 1, "Entity Absent"),
        (0x6F, 0x25, 2, "Entity Disabled"),
        (0x6F, 0x07, 0, "IERR"),
        (0x6F, 0x07, 7, "Presence detected"),
        (0x6F, 0x0C, 0, "Correctable ECC"),
        (0x6F, 0x0C, 1, "Uncorrectable ECC"),
        (0x03, 0x00, 0, "State Deasserted"),
        (0x03, 0x00, 1, "State Asserted"),
        (0x08, 0x00, 0, "Device Absent"),
        (0x08, 0x00, 1, "Device Present"),
        (0x0B, 0x00, 0, "Fully Redundant"),
        (0x0B, 0x00, 1, "Redundancy Lost"),
        # Threshold event offsets are event directions, not states: the SEL owns them.
        (0x01, 0x01, 9, None),
        (0x6F, 0x08, 8, None),
        (0x6F, 0x01, 0, None),
        (0x70, 0x08, 0, None),
    ],
)
def test_state_text(reading_type: int, sensor_type: int, offset: int, text: str | None) -> None:
    assert state_text(reading_type, sensor_type, offset) == text


def test_threshold_event_offsets_live_in_sel() -> None:
    assert THRESHOLD_OFFSETS[9] == "Upper Critical going high"
    assert THRESHOLD_OFFSETS[0] == "Lower Non-critical going low" and len(THRESHOLD_OFFSETS) == 12


def test_offset_tables() -> None:
    assert offset_table(0x6F, 0x08) is SENSOR_SPECIFIC_OFFSETS[0x08]
    assert offset_table(0x08, 0x6F) is GENERIC_OFFSETS[0x08]
    assert offset_table(0x6F, 0x06) is None and offset_table(0x01, 0x01) is None
    assert set(GENERIC_OFFSETS) == set(range(0x02, 0x0D))


def test_state_texts_lists_asserted_offsets() -> None:
    assert state_texts(0x6F, 0x08, 0b1001) == ["Presence detected", "Power Supply AC lost"]
    assert state_texts(0x6F, 0x08, 1 << 14) == ["state 14"]
    assert state_texts(0x6F, 0x08, 0) == []
