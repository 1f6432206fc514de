"""SEL record codec: byte layout, descriptions, timestamps, fuzz and round trips."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chassisctl.ipmi import DecodeError
from chassisctl.ipmi import sel
from chassisctl.ipmi.sel import (
    OemRecord,
    OemTimestampedRecord,
    SystemEventRecord,
    UnknownRecord,
    decode,
    describe,
    format_timestamp,
    system_event,
    timestamp_kind,
)

T_2024_03_15_NOON = 1_710_504_000

# Record 0001h, system event, 2024-03-15 12:00:00 UTC (65F43840h), generator 0020h (BMC),
# EvM 04h, temperature sensor 30h, threshold assertion, data1 59h = trigger reading and
# threshold present + offset 9 (upper critical going high), reading 5Fh, threshold 5Ah.
UPPER_CRITICAL = bytes.fromhex("0100 02 4038f465 2000 04 01 30 01 59 5f 5a")


def test_system_event_layout() -> None:
    rec = decode(UPPER_CRITICAL)
    assert rec == SystemEventRecord(
        record_id=1, timestamp=T_2024_03_15_NOON, generator_id=0x0020, evm_revision=4,
        sensor_type=0x01, sensor_number=0x30, event_type=0x01, deassertion=False,
        event_data=b"\x59\x5f\x5a",
    )
    assert rec.offset == 9 and rec.record_type == 0x02
    assert rec.encode() == UPPER_CRITICAL
    built = system_event(0x01, 0x30, 0x01, 0x09, timestamp=T_2024_03_15_NOON,
                         data2=0x5F, data3=0x5A, record_id=1)
    assert built.encode() == UPPER_CRITICAL


def test_builder_defaults_and_flags() -> None:
    rec = system_event(0x08, 0x51, 0x6F, 0x00, timestamp=5)
    assert rec.encode() == bytes.fromhex("0000 02 05000000 2000 04 08 51 6f 00 ff ff")
    off = system_event(0x08, 0x51, 0x6F, 0x00, timestamp=5, deassertion=True,
                       generator_id=0x0041, data2=0x07)
    assert off.encode()[7:9] == b"\x41\x00"
    assert off.encode()[12] == 0xEF and off.event_data == b"\xc0\x07\xff"
    assert system_event(0x0F, 1, 0x6F, 2, timestamp=0, data2=0x13, data1_flags=0).event_data[0] == 0x02


@pytest.mark.parametrize("kwargs", [
    {"offset": 16}, {"event_type": 0x80}, {"sensor_type": 256}, {"data2": 256},
    {"timestamp": -1}, {"timestamp": 1 << 32}, {"generator_id": 0x10000}, {"data1_flags": 16},
])
def test_builder_refuses_out_of_range(kwargs: dict[str, int]) -> None:
    args = {"sensor_type": 1, "sensor_number": 1, "event_type": 1, "offset": 0, "timestamp": 0}
    args.update(kwargs)
    with pytest.raises(ValueError):
        system_event(**args)


# -- descriptions ---------------------------------------------------------------


@pytest.mark.parametrize(("stype", "etype", "offset", "deassert", "text"), [
    (0x01, 0x01, 0x09, False, "Temperature #0x30 | Upper Critical going high | Asserted"),
    (0x01, 0x01, 0x00, False, "Temperature #0x30 | Lower Non-critical going low | Asserted"),
    (0x02, 0x01, 0x0B, True, "Voltage #0x30 | Upper Non-recoverable going high | Deasserted"),
    (0x08, 0x6F, 0x00, False, "Power Supply #0x30 | Presence detected | Asserted"),
    (0x08, 0x6F, 0x03, False, "Power Supply #0x30 | Power Supply AC lost | Asserted"),
    (0x09, 0x6F, 0x04, False, "Power Unit #0x30 | AC lost | Asserted"),
    (0x05, 0x6F, 0x00, False, "Physical Security #0x30 | General Chassis intrusion | Asserted"),
    (0x10, 0x6F, 0x02, False, "Event Logging Disabled #0x30 | Log Area Reset/Cleared | Asserted"),
    (0x12, 0x6F, 0x05, False, "System Event #0x30 | Timestamp Clock Sync | Asserted"),
    (0x1D, 0x6F, 0x00, False, "System Boot / Restart Initiated #0x30 | Initiated by power up | Asserted"),
    (0x25, 0x6F, 0x01, False, "Entity Presence #0x30 | Entity Absent | Asserted"),
    (0x0F, 0x6F, 0x02, False, "System Firmware Progress #0x30 | System Firmware Progress | Asserted"),
    (0x04, 0x08, 0x01, False, "Fan #0x30 | Device Present | Asserted"),
    (0x0A, 0x07, 0x02, False, "Cooling Device #0x30 | Transition to Critical from less severe | Asserted"),
    (0x09, 0x0B, 0x01, False, "Power Unit #0x30 | Redundancy Lost | Asserted"),
    (0x22, 0x0C, 0x03, False, "System ACPI Power State #0x30 | D3 Power State | Asserted"),
    (0x01, 0x01, 0x0C, False, "Temperature #0x30 | Reserved offset 0x0c | Asserted"),
    (0x09, 0x6F, 0x0F, False, "Power Unit #0x30 | Reserved offset 0x0f | Asserted"),
    (0x07, 0x6F, 0x01, False, "Processor #0x30 | Thermal Trip | Asserted"),  # names.py's table
    (0x06, 0x6F, 0x01, False, "Platform Security #0x30 | Sensor-specific offset 0x01 | Asserted"),
    (0xC0, 0x70, 0x03, False, "OEM (C0h) #0x30 | OEM event type 0x70, offset 0x03 | Asserted"),
    (0x2D, 0x00, 0x00, False, "reserved (2Dh) #0x30 | Event type 0x00, offset 0x00 | Asserted"),
])
def test_describe(stype: int, etype: int, offset: int, deassert: bool, text: str) -> None:
    assert describe(system_event(stype, 0x30, etype, offset, deassertion=deassert, timestamp=0)) == text


def test_power_unit_offsets() -> None:
    texts = [describe(system_event(0x09, 1, 0x6F, o, timestamp=0)).split(" | ")[1] for o in range(8)]
    assert texts == ["Power Off / Power Down", "Power Cycle", "240VA Power Down",
                     "Interlock Power Down", "AC lost", "Soft Power Control Failure",
                     "Power Unit Failure detected", "Predictive Failure"]


def test_firmware_progress_shows_the_extension_code() -> None:
    rec = system_event(0x0F, 1, 0x6F, 0x02, timestamp=0, data2=0x13)
    assert describe(rec) == "System Firmware Progress #0x01 | System Firmware Progress (code 0x13) | Asserted"


def test_oem_and_unknown_records() -> None:
    ts = decode(bytes.fromhex("0200 c1 4038f465 573400 010203040506"))
    assert ts == OemTimestampedRecord(2, 0xC1, T_2024_03_15_NOON, 0x3457, b"\x01\x02\x03\x04\x05\x06")
    assert describe(ts) == "OEM record 0xc1 | manufacturer 13399 | 01 02 03 04 05 06"
    oem = decode(bytes.fromhex("0300 e0") + bytes(range(13)))
    assert isinstance(oem, OemRecord) and oem.data == bytes(range(13))
    assert describe(oem).startswith("OEM record 0xe0 | 00 01 02")
    for kind in (0x00, 0x01, 0x03, 0x10, 0xBF):
        raw = bytes([4, 0, kind]) + b"\xaa" * 13
        rec = decode(raw)
        assert isinstance(rec, UnknownRecord) and rec.encode() == raw
        assert describe(rec).startswith(f"Record type {kind:#04x} | aa aa")
    with pytest.raises(ValueError):
        OemRecord(1, 0x10, bytes(13))
    with pytest.raises(ValueError):
        UnknownRecord(1, 0xE0, bytes(13))
    with pytest.raises(ValueError):
        OemTimestampedRecord(1, 0xE0, 0, 0, bytes(6))


# -- timestamps -------------------------------------------------------------------


@pytest.mark.parametrize(("ts", "kind", "text"), [
    (0, "pre-init", "pre-init +0s"),
    (0x20000000, "pre-init", "pre-init +536870912s"),
    (0x20000001, "absolute", "1987-01-05T18:48:33Z"),
    (T_2024_03_15_NOON, "absolute", "2024-03-15T12:00:00Z"),
    (0xFFFFFFFF, "unspecified", "unspecified"),
])
def test_timestamps(ts: int, kind: str, text: str) -> None:
    assert timestamp_kind(ts) == kind and format_timestamp(ts) == text
    d = system_event(1, 1, 1, 0, timestamp=ts).to_dict()
    assert d["timestamp_raw"] == ts and d["timestamp_kind"] == kind
    assert d["timestamp"] == (text if kind == "absolute" else None)


# -- to_dict ------------------------------------------------------------------------


def test_to_dict() -> None:
    d = decode(UPPER_CRITICAL).to_dict()
    assert d == {
        "id": 1, "record_type": 2, "type": "system", "timestamp": "2024-03-15T12:00:00Z",
        "timestamp_raw": T_2024_03_15_NOON, "timestamp_kind": "absolute", "generator_id": 0x20,
        "evm_revision": 4, "sensor_type": 1, "sensor_type_name": "Temperature",
        "sensor_number": 0x30, "event_type": 1, "direction": "assertion", "offset": 9,
        "manufacturer_id": None, "data": "595f5a",
        "description": "Temperature #0x30 | Upper Critical going high | Asserted",
        "raw": UPPER_CRITICAL.hex(),
    }


def test_to_dict_keys_are_the_same_for_every_record_type() -> None:
    keys = set(decode(UPPER_CRITICAL).to_dict())
    for kind in (0x10, 0xC0, 0xE0):
        d = decode(bytes([1, 0, kind]) + bytes(13)).to_dict()
        assert set(d) == keys
        json.dumps(d)


# -- fuzz and round trips -------------------------------------------------------------


@settings(max_examples=500)
@given(st.binary(max_size=40))
def test_arbitrary_bytes_raise_only_decode_error(data: bytes) -> None:
    try:
        decode(data)
    except DecodeError:
        assert len(data) != sel.RECORD_SIZE
    else:
        assert len(data) == sel.RECORD_SIZE


@settings(max_examples=2000)
@given(st.binary(min_size=16, max_size=16))
def test_every_record_decodes_describes_and_reencodes(data: bytes) -> None:
    rec = decode(data)
    assert rec.encode() == data and sel.encode(rec) == data
    assert describe(rec)
    json.dumps(rec.to_dict())


@given(
    st.integers(0, 255), st.integers(0, 255), st.integers(0, 0x7F), st.integers(0, 15),
    st.integers(0, 0xFFFFFFFF), st.booleans(), st.integers(0, 0xFFFF), st.integers(0, 255),
    st.integers(0, 255), st.integers(0, 0xFFFF),
)
def test_builder_round_trip(stype: int, snum: int, etype: int, offset: int, ts: int,
                            deassert: bool, gen: int, d2: int, d3: int, rid: int) -> None:
    rec = system_event(stype, snum, etype, offset, timestamp=ts, deassertion=deassert,
                       generator_id=gen, data2=d2, data3=d3, record_id=rid)
    back = decode(rec.encode())
    assert back == rec and isinstance(back, SystemEventRecord)
    assert (back.offset, back.deassertion, back.event_data[1:]) == (offset, deassert, bytes([d2, d3]))
