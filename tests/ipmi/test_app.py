"""App codecs: Get Device ID, GUIDs, self test, system interface capabilities."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassisctl.ipmi import _bytes, app
from chassisctl.ipmi.app import (
    DeviceId,
    DeviceSupport,
    Guid,
    GuidOrder,
    KcsCapabilities,
    SelfTestResult,
)
from chassisctl.ipmi.codes import AppCmd, NetFn
from chassisctl.ipmi.ssif import SsifCapabilities, TransactionSupport
from chassisctl.ipmi.decode_errors import DataLengthError, DecodeError

from _fuzz import only_decode_errors

# Get Device ID response as an IPMB frame (seq 5, requester 81h), checksums worked by hand.
IPMB_DEVICE_ID_RESPONSE = bytes.fromhex("81 1C 63 20 14 01 00 20 81 03 09 02 BF 57 01 00 00 01 00 00 00 00 04")


def _ipmb_data(frame: bytes) -> bytes:
    """Hand-parse an IPMB response frame: check both checksums, return data after CC."""
    assert (frame[0] + frame[1] + frame[2]) % 256 == 0
    assert sum(frame[3:]) % 256 == 0
    assert frame[1] >> 2 == NetFn.APP | 1 and frame[5] == AppCmd.GET_DEVICE_ID and frame[6] == 0
    return frame[7:-1]


def test_worked_ipmb_device_id_decodes() -> None:
    data = _ipmb_data(IPMB_DEVICE_ID_RESPONSE)
    assert len(data) == 15
    dev = DeviceId.decode(data)
    assert dev.device_id == 0x20
    assert dev.device_revision == 1 and dev.provides_device_sdrs
    assert dev.firmware_major == 3 and dev.firmware_minor == 0x09 and not dev.update_in_progress
    assert dev.firmware_version == "3.09"
    assert dev.ipmi_version_text == "2.0"
    assert dev.additional_support == 0xBF
    assert DeviceSupport.SDR_REPOSITORY in dev.additional_support
    assert DeviceSupport.BRIDGE not in dev.additional_support
    assert dev.manufacturer_id == 0x000157
    assert dev.product_id == 0x0100
    assert dev.aux_firmware == bytes(4)
    assert dev.encode() == data


def test_eleven_byte_device_id_has_no_aux() -> None:
    data = _ipmb_data(IPMB_DEVICE_ID_RESPONSE)[:11]
    dev = DeviceId.decode(data)
    assert dev.aux_firmware is None
    assert dev.encode() == data


@pytest.mark.parametrize("version, text", [(0x02, "2.0"), (0x51, "1.5"), (0x01, "1.0")])
def test_ipmi_version_nibbles(version: int, text: str) -> None:
    data = bytearray(_ipmb_data(IPMB_DEVICE_ID_RESPONSE)[:11])
    data[4] = version
    assert DeviceId.decode(bytes(data)).ipmi_version_text == text


def test_update_in_progress_bit_and_bcd_minor() -> None:
    data = bytearray(_ipmb_data(IPMB_DEVICE_ID_RESPONSE)[:11])
    data[2], data[3] = 0x81, 0x42
    dev = DeviceId.decode(bytes(data))
    assert dev.update_in_progress and dev.firmware_major == 1 and dev.firmware_version == "1.42"
    assert _bytes.bcd(9) == 0x09 and _bytes.bcd(42) == 0x42
    with pytest.raises(ValueError):
        _bytes.bcd(100)


@pytest.mark.parametrize("order", list(GuidOrder))
def test_guid_text_detects_the_order_like_ipmitool(order: GuidOrder) -> None:
    v4 = uuid.UUID("7c9e6679-7425-40de-944b-e07fc1f90ae7")  # version 4, RFC 4122 variant
    assert Guid.from_uuid(v4, order).text == str(v4)


@pytest.mark.parametrize("size", [0, 10, 12, 13, 14])
def test_device_id_sizes_other_than_11_or_15_are_refused(size: int) -> None:
    # 14 is pyghmi's Bmc (4-byte manufacturer/product): FreeIPMI refuses it too.
    with pytest.raises(DataLengthError):
        DeviceId.decode(bytes(size))


def test_device_id_encoder_range_checks() -> None:
    good = DeviceId.decode(_ipmb_data(IPMB_DEVICE_ID_RESPONSE))
    from dataclasses import replace

    for bad in (replace(good, firmware_major=128), replace(good, manufacturer_id=1 << 20),
                replace(good, device_revision=16), replace(good, aux_firmware=b"\x00")):
        with pytest.raises(ValueError):
            bad.encode()


def test_request_builders() -> None:
    assert app.get_device_id() == app.get_device_id()
    r = app.get_device_id()
    assert (r.netfn, r.cmd, r.data) == (NetFn.APP, 0x01, b"")
    assert (app.get_device_guid().cmd, app.get_system_guid().cmd) == (0x08, 0x37)
    assert app.get_self_test_results().cmd == 0x04
    # §1.10: Get Sys Intf Caps for SSIF is "18 57 00".
    caps = app.get_system_interface_capabilities()
    assert bytes([caps.netfn << 2, caps.cmd]) + caps.data == bytes.fromhex("18 57 00")


# -- GUID -------------------------------------------------------------------

TEXT = "00112233-4455-6677-8899-aabbccddeeff"


def test_guid_orders() -> None:
    smbios = bytes.fromhex("33221100 5544 7766 8899 aabbccddeeff")
    ipmi = bytes.fromhex("ffeeddccbbaa 9988 7766 5544 33221100")  # all 16 reversed
    rfc = bytes.fromhex("00112233 4455 6677 8899 aabbccddeeff")
    assert Guid.from_uuid(TEXT).raw == ipmi  # default: the spec's order, what ipmitool expects
    assert Guid.from_uuid(TEXT, GuidOrder.SMBIOS).raw == smbios
    assert Guid.from_uuid(uuid.UUID(TEXT), GuidOrder.RFC4122).raw == rfc
    assert str(Guid(smbios).uuid(GuidOrder.SMBIOS)) == TEXT
    assert str(Guid(ipmi).uuid(GuidOrder.IPMI)) == TEXT
    assert str(Guid(rfc).uuid(GuidOrder.RFC4122)) == TEXT
    assert Guid.decode(smbios).encode() == smbios


@pytest.mark.parametrize("size", [0, 15, 17])
def test_guid_must_be_16_bytes(size: int) -> None:
    with pytest.raises(DataLengthError):
        Guid.decode(bytes(size))


@given(st.binary(min_size=16, max_size=16), st.sampled_from(list(GuidOrder)))
def test_guid_round_trip(raw: bytes, order: GuidOrder) -> None:
    assert Guid.from_uuid(Guid(raw).uuid(order), order).raw == raw


# -- Self test --------------------------------------------------------------


def test_self_test_texts() -> None:
    assert SelfTestResult.decode(b"\x55\x00").passed
    assert SelfTestResult.decode(b"\x55\x00").text == "passed"
    assert "not implemented" in SelfTestResult(0x56).text
    r = SelfTestResult.decode(b"\x57\xc0")
    assert not r.passed
    assert r.faults == app.SelfTestFault.CANNOT_ACCESS_SEL | app.SelfTestFault.CANNOT_ACCESS_SDR
    assert r.text == "corrupted or inaccessible: cannot access SEL device, cannot access SDR repository"
    assert "fatal" in SelfTestResult(0x58, 0x12).text and "12h" in SelfTestResult(0x58, 0x12).text
    assert "device-specific" in SelfTestResult(0x80, 1).text
    assert SelfTestResult(0x58, 3).faults == 0


# -- System interface capabilities -------------------------------------------


def test_ssif_capabilities_qemu_answer() -> None:
    # QEMU answers CC 00 then "00 80 FF FF": n-part reads/writes, 255/255, no PEC.
    caps = SsifCapabilities.decode(bytes.fromhex("00 80 FF FF"))
    assert caps == SsifCapabilities(TransactionSupport.START_MIDDLE_END, False, 0, 255, 255)
    assert caps.encode() == bytes.fromhex("00 80 FF FF")
    assert SsifCapabilities(1, True, 1, 63, 62).encode() == bytes.fromhex("00 49 3F 3E")


def test_system_interface_request_parser() -> None:
    assert app.parse_system_interface_capabilities(b"\x00") == app.SystemInterface.SSIF
    assert app.parse_system_interface_capabilities(b"\x01") == app.SystemInterface.KCS
    with pytest.raises(DataLengthError):
        app.parse_system_interface_capabilities(b"")
    with pytest.raises(DecodeError) as info:
        app.parse_system_interface_capabilities(b"\x10")
    assert not isinstance(info.value, DataLengthError)


def test_kcs_capabilities() -> None:
    assert KcsCapabilities.decode(b"\x00\x01\x40") == KcsCapabilities(1, 0x40)
    assert KcsCapabilities(1, 0x40).encode() == b"\x00\x01\x40"


# -- Properties -------------------------------------------------------------

device_ids = st.builds(
    DeviceId,
    device_id=st.integers(0, 255),
    device_revision=st.integers(0, 15),
    provides_device_sdrs=st.booleans(),
    firmware_major=st.integers(0, 127),
    firmware_minor=st.integers(0, 255),
    ipmi_version=st.integers(0, 255),
    additional_support=st.integers(0, 255).map(DeviceSupport),
    manufacturer_id=st.integers(0, (1 << 20) - 1),
    product_id=st.integers(0, 0xFFFF),
    aux_firmware=st.none() | st.binary(min_size=4, max_size=4),
    update_in_progress=st.booleans(),
)

ssif_caps = st.builds(SsifCapabilities, st.integers(0, 3), st.booleans(), st.integers(0, 7),
                      st.integers(0, 255), st.integers(0, 255))


@given(device_ids)
def test_device_id_round_trip(dev: DeviceId) -> None:
    data = dev.encode()
    assert len(data) in (11, 15)
    assert DeviceId.decode(data) == dev


@given(ssif_caps)
def test_ssif_caps_round_trip(caps: SsifCapabilities) -> None:
    assert SsifCapabilities.decode(caps.encode()) == caps


@given(st.integers(0, 255), st.integers(0, 255))
def test_self_test_round_trip(code: int, detail: int) -> None:
    assert SelfTestResult.decode(SelfTestResult(code, detail).encode()) == SelfTestResult(code, detail)


DECODERS = [DeviceId.decode, Guid.decode, SelfTestResult.decode, SsifCapabilities.decode,
            KcsCapabilities.decode, app.parse_system_interface_capabilities]


test_decoders_raise_only_decode_error = only_decode_errors(DECODERS, max_size=24)
