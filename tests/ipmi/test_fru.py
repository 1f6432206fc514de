"""FRU codec: worked images, strict/lenient behaviour, fuzz, round trips."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chassisctl.ipmi import DecodeError
from chassisctl.ipmi.fru import (
    BoardInfo,
    ChassisInfo,
    DcOutput,
    FieldType,
    FruField,
    FruInventory,
    MultiRecord,
    PowerSupplyInfo,
    ProductInfo,
    build,
    parse,
)
from chassisctl.ipmi.fru_fields import (
    FRU_DATE_MAX,
    FRU_EPOCH,
    date_to_minutes,
    decode_value,
    minutes_to_date,
)

# A board area only (FRU spec v1.0 §11), checksums verified by hand.
WORKED_40 = bytes.fromhex(
    "01 00 00 01 00 00 00 FE"
    "01 04 00 F0 59 E2"
    "C4 41 43 4D 45"
    "83 33 5B 92"
    "43 12 34 B5"
    "C2 50 31"
    "C0"
    "C1 00 00 00 00 00 00 00"
    "51"
)

# A product area at offset 8 (FRU spec v1.0 §12).  The C1h marker falls on byte 55,
# so there are no pad bytes before the C9h checksum.
LAN_56 = bytes.fromhex(
    "01 00 00 00 01 00 00 fe"
    "01 06 00"
    "ca" + b"chassisctl".hex() + "cb" + b"FakeChassis".hex() + "c7" + b"PN-0001".hex()
    + "c2" + b"v1".hex() + "c6" + b"SN0001".hex() + "c0 c0 c1 c9"
)

MARCH_15 = datetime(2024, 3, 15, 12, 0, tzinfo=UTC)


def with_byte(image: bytes, offset: int, value: int) -> bytes:
    return image[:offset] + bytes([value]) + image[offset + 1 :]


# -- worked vectors -----------------------------------------------------------


def test_worked_board_image_parses() -> None:
    assert len(WORKED_40) == 40
    inv = parse(WORKED_40)
    board = inv.board
    assert board is not None and inv.chassis is None and inv.product is None
    assert board.mfg_date == MARCH_15
    assert board.manufacturer == FruField("ACME")
    assert board.product_name == FruField("SLED", FieldType.ASCII_6BIT)
    assert board.serial == FruField("1234-5", FieldType.BCD_PLUS)
    assert board.part_number == FruField("P1")
    assert board.fru_file_id == FruField("")
    assert board.custom == () and inv.problems == ()


def test_worked_board_image_is_rebuilt_byte_for_byte() -> None:
    assert parse(WORKED_40).encode() == WORKED_40
    image = build(board={
        "mfg_date": MARCH_15,
        "manufacturer": "ACME",
        "product_name": FruField("SLED", FieldType.ASCII_6BIT),
        "serial": FruField("1234-5", FieldType.BCD_PLUS),
        "part_number": "P1",
    })
    assert image == WORKED_40


def test_lan_product_example() -> None:
    assert len(LAN_56) == 56
    inv = parse(LAN_56)
    assert inv.product is not None
    assert inv.product.to_dict() == {
        "language": 0, "manufacturer": "chassisctl", "product_name": "FakeChassis",
        "part_number": "PN-0001", "version": "v1", "serial": "SN0001", "asset_tag": "",
        "fru_file_id": "", "custom": [],
    }
    assert build(product={"manufacturer": "chassisctl", "product_name": "FakeChassis",
                          "part_number": "PN-0001", "version": "v1", "serial": "SN0001"}) == LAN_56


def test_to_dict_shape_is_stable_and_json() -> None:
    d = parse(WORKED_40).to_dict()
    assert list(d) == ["internal_use", "chassis", "board", "product", "multirecords", "problems"]
    assert d["board"] == {
        "language": 0, "mfg_date": "2024-03-15T12:00:00Z", "manufacturer": "ACME",
        "product_name": "SLED", "serial": "1234-5", "part_number": "P1", "fru_file_id": "",
        "custom": [],
    }
    assert d["chassis"] is None and d["product"] is None
    json.dumps(d)


# -- dates --------------------------------------------------------------------


def test_epoch_is_1996_utc_not_the_hour_off_variant() -> None:
    assert FRU_EPOCH.timestamp() == 820_454_400
    assert minutes_to_date(1) == datetime(1996, 1, 1, 0, 1, tzinfo=UTC)
    assert minutes_to_date(14_834_160) == MARCH_15


def test_date_zero_is_unspecified() -> None:
    image = build(board={"manufacturer": "ACME"})
    assert image[11:14] == b"\0\0\0"
    board = parse(image).board
    assert board is not None and board.mfg_date is None
    assert parse(image).to_dict()["board"]["mfg_date"] is None


def test_date_limits() -> None:
    assert date_to_minutes(FRU_DATE_MAX) == 0xFFFFFF
    assert date_to_minutes(MARCH_15.astimezone(timezone(timedelta(hours=2)))) == 14_834_160
    for bad in (FRU_EPOCH, FRU_DATE_MAX + timedelta(minutes=1), MARCH_15.replace(tzinfo=None),
                MARCH_15 + timedelta(seconds=30), datetime(1990, 1, 1, tzinfo=UTC)):
        with pytest.raises(ValueError):
            date_to_minutes(bad)


# -- field encodings ------------------------------------------------------------


def test_field_encodings() -> None:
    assert FruField("SLED", FieldType.ASCII_6BIT).encode() == bytes.fromhex("83335b92")
    assert FruField("1234-5", FieldType.BCD_PLUS).encode() == bytes.fromhex("431234b5")
    assert FruField.binary(b"\x01\xff").encode() == bytes.fromhex("0201ff")
    assert FruField("").encode() == b"\xc0"
    assert FruField("", FieldType.BINARY).encode() == b"\x00"
    # A lone 8-bit character would read as C1h: stored as 6-bit instead.
    assert FruField("A").encode() == bytes([0x81, 0x21])
    assert decode_value(FieldType.ASCII_6BIT, bytes([0x21]))[0] == "A"


@pytest.mark.parametrize("bad", [
    FruField("a"),                                  # lone lower-case 8-bit char
    FruField("x" * 64),                             # 64 bytes > 63
    FruField("\u20ac uro"),                         # not Latin-1
    FruField("ABC", FieldType.ASCII_6BIT),          # reads back as "ABC "
    FruField("lower", FieldType.ASCII_6BIT),
    FruField("123", FieldType.BCD_PLUS),            # odd length
    FruField("12a4", FieldType.BCD_PLUS),
    FruField("abc", FieldType.BINARY),
    FruField("ab cd", FieldType.BINARY),
])
def test_unrepresentable_fields_are_refused(bad: FruField) -> None:
    with pytest.raises(ValueError):
        bad.encode()


def test_six_bit_decodes_every_packed_character() -> None:
    # 3 bytes always hold 4 characters: the padding one comes back as a space.
    assert decode_value(FieldType.ASCII_6BIT, FruField("ABC ", FieldType.ASCII_6BIT).encode()[1:])[0] == "ABC "


def test_reserved_bcd_digit() -> None:
    image = build(board={"serial": FruField("12", FieldType.BCD_PLUS)})
    pos = image.index(bytes([0x41, 0x12]))
    image = with_byte(image, pos + 1, 0x1D)
    image = with_byte(image, len(image) - 1, (image[-1] - 0x1D + 0x12) & 0xFF)
    with pytest.raises(DecodeError, match="reserved BCD"):
        parse(image)
    inv = parse(image, strict=False)
    assert inv.board is not None and inv.board.serial.value == "1:"
    assert any("reserved BCD" in p for p in inv.problems)


# -- strict and lenient -----------------------------------------------------------

SERIAL_IMAGE = build(board={"manufacturer": "ACME", "serial": "SN-42"},
                     product={"product_name": "Sled", "serial": "PSN-7"})


def _corrupt(name: str) -> bytes:
    board_at = SERIAL_IMAGE[3] * 8
    product_at = SERIAL_IMAGE[4] * 8
    if name == "header checksum":
        return with_byte(SERIAL_IMAGE, 7, SERIAL_IMAGE[7] ^ 0x01)
    if name == "board checksum":
        return with_byte(SERIAL_IMAGE, product_at - 1, SERIAL_IMAGE[product_at - 1] ^ 0x01)
    if name == "board version":
        return with_byte(SERIAL_IMAGE, board_at, 0x02)
    if name == "product truncated":
        return SERIAL_IMAGE[:-4]
    if name == "product past end":
        image = with_byte(SERIAL_IMAGE, 4, 0xF0)
        return with_byte(image, 7, -sum(image[:7]) & 0xFF)
    raise AssertionError(name)


@pytest.mark.parametrize("name", ["header checksum", "board checksum", "board version",
                                  "product truncated", "product past end"])
def test_strict_refuses_lenient_reports(name: str) -> None:
    image = _corrupt(name)
    with pytest.raises(DecodeError):
        parse(image)
    inv = parse(image, strict=False)
    assert inv.problems
    assert inv.board is not None and inv.board.serial.value == "SN-42"
    if name == "product truncated":
        assert inv.product is not None and inv.product.serial.value == "PSN-7"


def _board_area_with(fields: bytes) -> bytes:
    """A hand-made image whose board area holds ``fields`` (checksums valid)."""
    body = bytes([0x01, 0x00, 0x00, 0, 0, 0]) + fields
    body += bytes(-(len(body) + 1) % 8)
    body = body[:1] + bytes([(len(body) + 1) // 8]) + body[2:]
    area = body + bytes([-sum(body) & 0xFF])
    header = bytes([1, 0, 0, 1, 0, 0, 0])
    return header + bytes([-sum(header) & 0xFF]) + area


def test_missing_end_marker() -> None:
    image = _board_area_with(b"\xc2AB" * 5 + b"\xc0\xc0")  # 7 fields fill the area, no C1h
    assert b"\xc1" not in image[8:]
    with pytest.raises(DecodeError, match="C1h"):
        parse(image)
    inv = parse(image, strict=False)
    assert inv.board is not None and inv.board.serial.value == "AB"


def test_field_overrunning_the_area() -> None:
    image = _board_area_with(b"\xc2AB\xc2CD\xfe")  # 62-byte field in a small area
    with pytest.raises(DecodeError, match="runs past"):
        parse(image)
    inv = parse(image, strict=False)
    assert inv.board is not None and inv.board.product_name.value == "CD"
    assert inv.board.serial.value == ""


def test_missing_fixed_fields() -> None:
    image = _board_area_with(b"\xc4ACME\xc1")
    with pytest.raises(DecodeError, match="fixed fields"):
        parse(image)
    inv = parse(image, strict=False)
    assert inv.board is not None and inv.board.manufacturer.value == "ACME"


def test_unusable_header_raises_even_when_lenient() -> None:
    for image in (b"", b"\x01\x00", b"\xff" * 256, b"\x00" * 256):
        for strict in (True, False):
            with pytest.raises(DecodeError):
                parse(image, strict=strict)


def test_trailing_eeprom_bytes_are_ignored() -> None:
    assert parse(WORKED_40 + b"\xff" * 216) == parse(WORKED_40)


# -- other areas ----------------------------------------------------------------


def test_chassis_area_and_custom_fields() -> None:
    chassis = ChassisInfo(0x17, FruField("CH-1"), FruField("CSN"),
                          (FruField.binary(b"\xde\xad"), FruField("extra")))
    inv = parse(FruInventory(chassis=chassis).encode())
    assert inv.chassis == chassis
    d = inv.to_dict()["chassis"]
    assert d["chassis_type_name"] == "Rack Mount Chassis" and d["custom"] == ["dead", "extra"]


def test_internal_use_area_is_bounded_by_the_next_area() -> None:
    image = build(internal_use=b"\x01\xaa\xbb", board={"manufacturer": "ACME"})
    inv = parse(image)
    assert inv.internal_use == b"\x01\xaa\xbb" + bytes(5)
    assert inv.board is not None and inv.board.manufacturer.value == "ACME"
    with pytest.raises(ValueError):
        build(internal_use=b"")


def test_multirecords() -> None:
    psu = PowerSupplyInfo(capacity_w=800, peak_va=None, inrush_current_a=30, inrush_interval_ms=5,
                          input_voltage_1_mv=(90_000, 264_000), input_frequency_hz=(47, 63),
                          ac_dropout_tolerance_ms=20, flags=0x0E, peak_wattage_w=900,
                          holdup_time_s=2, combined_voltages=(0, 2), combined_wattage_w=750,
                          tach_lower_threshold_rps=10)
    dc = DcOutput(output_number=1, standby=True, nominal_mv=12_000, max_negative_deviation_mv=-600,
                  max_positive_deviation_mv=600, ripple_noise_mv=120, min_current_ma=0,
                  max_current_ma=50_000)
    oem = MultiRecord(0xC0, b"\x57\x01\x00hello")
    image = build(product={"product_name": "PSU"},
                  multirecords=[MultiRecord.of(psu), MultiRecord.of(dc), oem])
    inv = parse(image)
    assert [r.end_of_list for r in inv.multirecords] == [False, False, True]
    assert inv.multirecords[0].decode() == psu and psu.hot_swap and psu.autoswitch
    assert inv.multirecords[1].decode() == dc
    assert inv.multirecords[2].decode() is None and inv.multirecords[2].data == oem.data
    d = inv.to_dict()["multirecords"]
    assert d[0]["type_name"] == "Power Supply Information"
    assert d[0]["decoded"]["input_voltage_1_mv"] == [90_000, 264_000]
    assert d[1]["decoded"]["max_negative_deviation_mv"] == -600
    json.dumps(inv.to_dict())
    assert inv.encode() == image


def test_multirecord_checksums() -> None:
    image = build(multirecords=[MultiRecord(0xC0, b"abc"), MultiRecord(0xC1, b"def")])
    start = image[5] * 8
    bad_data = with_byte(image, start + 5, ord("x"))
    with pytest.raises(DecodeError, match="data checksum"):
        parse(bad_data)
    assert len(parse(bad_data, strict=False).multirecords) == 2
    bad_header = with_byte(image, start + 8 + 2, 0x40)  # second record's length byte
    with pytest.raises(DecodeError, match="header checksum"):
        parse(bad_header)
    inv = parse(bad_header, strict=False)
    assert [r.data for r in inv.multirecords] == [b"abc"]


def test_build_refuses_unknown_keys_and_bad_values() -> None:
    with pytest.raises(ValueError, match="unknown"):
        build(board={"serial_number": "x"})
    with pytest.raises(ValueError):
        build(board={"serial": 42})
    with pytest.raises(ValueError):
        build(chassis={"chassis_type": 256})
    with pytest.raises(ValueError):
        MultiRecord.of(DcOutput(output_number=0, nominal_mv=12_005)).encode(last=True)


# -- fuzz -------------------------------------------------------------------------


@settings(max_examples=500)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_decode_error(image: bytes) -> None:
    try:
        parse(image)
    except DecodeError:
        pass
    try:
        inv = parse(image, strict=False)
    except DecodeError:
        assert len(image) < 8 or image[0] & 0x0F != 1
    else:
        json.dumps(inv.to_dict())


def _valid_images() -> list[bytes]:
    return [WORKED_40, LAN_56, SERIAL_IMAGE,
            build(internal_use=b"\x01xyz", chassis={"serial": "C"*9},
                  multirecords=[MultiRecord.of(DcOutput(output_number=2)), MultiRecord(0xC0, b"q")])]


@settings(max_examples=1000)
@given(st.sampled_from(_valid_images()),
       st.lists(st.tuples(st.integers(0, 299), st.integers(0, 255)), min_size=1, max_size=4),
       st.integers(0, 300))
def test_mutated_images_raise_only_decode_error(image: bytes, edits: list[tuple[int, int]],
                                                 cut: int) -> None:
    for offset, value in edits:
        if offset < len(image):
            image = with_byte(image, offset, value)
    image = image[: max(cut, 8)]
    try:
        parse(image)
    except DecodeError:
        pass
    try:
        inv = parse(image, strict=False)
    except DecodeError:
        assert image[0] & 0x0F != 1
    else:
        json.dumps(inv.to_dict())


# -- round trips -------------------------------------------------------------------

_text = st.text(st.characters(max_codepoint=0xFF), max_size=63).filter(
    lambda s: len(s) != 1 or 0x20 <= ord(s) <= 0x5F)
_six_bit = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x5F), max_size=84).filter(
    lambda s: len(s) % 4 != 3)
_bcd = st.lists(st.sampled_from("0123456789 -."), max_size=63).map(lambda c: "".join(c * 2))
_fields = st.one_of(
    _text.map(FruField),
    _six_bit.map(lambda s: FruField(s, FieldType.ASCII_6BIT)),
    _bcd.map(lambda s: FruField(s, FieldType.BCD_PLUS)),
    st.binary(max_size=63).map(FruField.binary),
)
_custom = st.lists(_fields, max_size=3).map(tuple)
_dates = st.one_of(st.none(), st.integers(1, 0xFFFFFF).map(minutes_to_date))
_boards = st.builds(BoardInfo, st.integers(0, 255), _dates, _fields, _fields, _fields, _fields,
                    _fields, _custom)
_products = st.builds(ProductInfo, st.integers(0, 255), _fields, _fields, _fields, _fields,
                      _fields, _fields, _fields, _custom)
_chassis = st.builds(ChassisInfo, st.integers(0, 255), _fields, _fields, _custom)
_records = st.lists(st.builds(MultiRecord, st.integers(0, 255), st.binary(max_size=64)),
                    max_size=3).map(tuple)
_inventories = st.builds(
    FruInventory,
    internal_use=st.one_of(st.none(), st.binary(min_size=1, max_size=32).map(lambda b: b + bytes(-len(b) % 8))),
    chassis=st.one_of(st.none(), _chassis),
    board=st.one_of(st.none(), _boards),
    product=st.one_of(st.none(), _products),
    multirecords=_records,
)


def _normalise(inv: FruInventory) -> FruInventory:
    """What parse gives back: lone 8-bit characters become 6-bit, EOL bits by position."""
    from dataclasses import fields as dc_fields, replace

    def fix(f: object) -> object:
        if isinstance(f, FruField) and f.type == FieldType.TEXT and len(f.value) == 1:
            return FruField(f.value, FieldType.ASCII_6BIT)
        if isinstance(f, tuple):
            return tuple(fix(x) for x in f)
        return f

    areas = {}
    for name in ("chassis", "board", "product"):
        area = getattr(inv, name)
        if area is not None:
            area = replace(area, **{f.name: fix(getattr(area, f.name)) for f in dc_fields(area)})
        areas[name] = area
    records = tuple(replace(r, end_of_list=i == len(inv.multirecords) - 1)
                    for i, r in enumerate(inv.multirecords))
    return replace(inv, multirecords=records, **areas)


@settings(max_examples=300)
@given(_inventories)
def test_encode_parse_round_trip(inv: FruInventory) -> None:
    image = inv.encode()
    assert len(image) >= 8 and sum(image[:8]) % 256 == 0
    for offset in image[2:5]:  # chassis, board, product areas each sum to zero
        if offset:
            start = offset * 8
            assert sum(image[start : start + image[start + 1] * 8]) % 256 == 0
    back = parse(image)
    assert back == _normalise(inv)
    assert back.encode() == image
