"""IPMI FRU inventory images (Platform Management FRU Information Storage
Definition v1.0 rev 1.3): parse what an AT24 EEPROM or Read FRU Data
returns, and build images for the simulator and platform descriptions.

Two parsing modes, because the two callers want different things:

* ``parse(image)`` (strict, the default) raises :class:`DecodeError` at the
  first problem: bad header version or checksum, an area outside the image,
  a bad area checksum, a field running past its area, a missing C1h marker,
  missing fixed fields, bad multirecord checksums.  Anything that writes,
  compares or trusts an image uses this.
* ``parse(image, strict=False)`` (lenient) reads everything it still can
  and lists the problems in :attr:`FruInventory.problems`, so an operator
  listing a slightly broken FRU still sees the serial number and is told
  what is wrong.  It raises only when the header is unusable: fewer than 8
  bytes, or a format version other than 1 (a blank or foreign EEPROM).

Neither mode repairs anything: no checksum is recomputed, no field is
trimmed, and an out-of-bounds area is read only up to the image end.
8-bit fields are decoded as Latin-1 whatever the area's language code: the
spec's 16-bit Unicode for non-English areas is not implemented, because the
language byte is unreliable in real images and a wrong guess garbles text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime

from chassisctl.ipmi.decode_errors import DecodeError
from chassisctl.ipmi.fru_fields import (
    EMPTY,
    END_OF_FIELDS,
    FieldType,
    FruField,
    Problems,
    date_to_minutes,
    minutes_to_date,
    read_fields,
    zero_checksum,
)
from chassisctl.ipmi.fru_multirecord import (
    DcOutput,
    MultiRecord,
    PowerSupplyInfo,
    encode_area,
    parse_area,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "BoardInfo", "ChassisInfo", "DcOutput", "FieldType", "FruField", "FruInventory",
    "MultiRecord", "PowerSupplyInfo", "ProductInfo", "build", "parse",
]

#: Bits 3:0 of the common header and of every info area's first byte.
FORMAT_VERSION = 0x01
_HEADER_SIZE = 8

#: SMBIOS system enclosure types (chassis info area byte 2).
CHASSIS_TYPES = (
    "Other", "Unknown", "Desktop", "Low Profile Desktop", "Pizza Box", "Mini Tower", "Tower",
    "Portable", "Laptop", "Notebook", "Hand Held", "Docking Station", "All in One",
    "Sub Notebook", "Space-saving", "Lunch Box", "Main Server Chassis", "Expansion Chassis",
    "SubChassis", "Bus Expansion Chassis", "Peripheral Chassis", "RAID Chassis",
    "Rack Mount Chassis", "Sealed-case PC", "Multi-system Chassis", "Compact PCI",
    "Advanced TCA", "Blade", "Blade Enclosure", "Tablet", "Convertible", "Detachable",
    "IoT Gateway", "Embedded PC", "Mini PC", "Stick PC",
)


def chassis_type_name(code: int) -> str:
    return CHASSIS_TYPES[code - 1] if 1 <= code <= len(CHASSIS_TYPES) else f"Type {code:#04x}"


@dataclass(frozen=True, slots=True)
class ChassisInfo:
    chassis_type: int = 0x02
    part_number: FruField = EMPTY
    serial: FruField = EMPTY
    custom: tuple[FruField, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "chassis_type": self.chassis_type,
            "chassis_type_name": chassis_type_name(self.chassis_type),
            "part_number": self.part_number.value,
            "serial": self.serial.value,
            "custom": [f.value for f in self.custom],
        }


@dataclass(frozen=True, slots=True)
class BoardInfo:
    language: int = 0
    #: UTC, whole minutes; None when the image says 0 ("unspecified").
    mfg_date: datetime | None = None
    manufacturer: FruField = EMPTY
    product_name: FruField = EMPTY
    serial: FruField = EMPTY
    part_number: FruField = EMPTY
    fru_file_id: FruField = EMPTY
    custom: tuple[FruField, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "mfg_date": None if self.mfg_date is None else f"{self.mfg_date:%Y-%m-%dT%H:%M:%SZ}",
            **_fixed_dict(self, _BOARD_FIELDS),
        }


@dataclass(frozen=True, slots=True)
class ProductInfo:
    language: int = 0
    manufacturer: FruField = EMPTY
    product_name: FruField = EMPTY
    #: "Product Part/Model Number".
    part_number: FruField = EMPTY
    version: FruField = EMPTY
    serial: FruField = EMPTY
    asset_tag: FruField = EMPTY
    fru_file_id: FruField = EMPTY
    custom: tuple[FruField, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"language": self.language, **_fixed_dict(self, _PRODUCT_FIELDS)}


#: Fixed fields of each area in image order; custom fields follow.
_CHASSIS_FIELDS = ("part_number", "serial")
_BOARD_FIELDS = ("manufacturer", "product_name", "serial", "part_number", "fru_file_id")
_PRODUCT_FIELDS = ("manufacturer", "product_name", "part_number", "version", "serial",
                   "asset_tag", "fru_file_id")


def _fixed_dict(area: BoardInfo | ProductInfo, names: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {name: getattr(area, name).value for name in names}
    out["custom"] = [f.value for f in area.custom]
    return out


@dataclass(frozen=True, slots=True)
class FruInventory:
    """Everything in one FRU image.  Absent areas are None (or empty)."""

    #: Raw internal-use area, version byte included, up to the next area.
    internal_use: bytes | None = None
    chassis: ChassisInfo | None = None
    board: BoardInfo | None = None
    product: ProductInfo | None = None
    multirecords: tuple[MultiRecord, ...] = ()
    #: What lenient parsing found wrong; always empty after a strict parse.
    problems: tuple[str, ...] = ()

    def encode(self) -> bytes:
        """A valid image: header, areas in spec order, 8-byte aligned, checksummed.

        Raises ValueError for values that cannot be stored so they read back
        the same (see :meth:`FruField.encode`) or an image over 2 KiB worth
        of offsets.  The internal-use area is zero-padded to 8 bytes, and a
        re-parse returns it with that padding.
        """
        if self.internal_use is not None and not self.internal_use:
            raise ValueError("the internal-use area holds at least its format version byte")
        areas: list[bytes | None] = [
            None if self.internal_use is None else _pad8(self.internal_use),
            None if self.chassis is None else _encode_chassis(self.chassis),
            None if self.board is None else _encode_board(self.board),
            None if self.product is None else _encode_product(self.product),
            encode_area(self.multirecords) if self.multirecords else None,
        ]
        offsets, body, pos = [], b"", _HEADER_SIZE
        for area in areas:
            if area is None:
                offsets.append(0)
                continue
            if pos // 8 > 0xFF:
                raise ValueError("FRU image too large: area offsets stop at 255 x 8 bytes")
            offsets.append(pos // 8)
            body += area
            pos += len(area)
        header = bytes([FORMAT_VERSION, *offsets, 0])
        return header + bytes([zero_checksum(header)]) + body

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly view with the same keys whatever the image holds."""
        return {
            "internal_use": None if self.internal_use is None else self.internal_use.hex(),
            "chassis": None if self.chassis is None else self.chassis.to_dict(),
            "board": None if self.board is None else self.board.to_dict(),
            "product": None if self.product is None else self.product.to_dict(),
            "multirecords": [r.to_dict() for r in self.multirecords],
            "problems": list(self.problems),
        }


# -- encoding ---------------------------------------------------------------


def _pad8(data: bytes) -> bytes:
    return data + bytes(-len(data) % 8)


def _encode_area(head: bytes, area_fields: Sequence[FruField]) -> bytes:
    body = bytearray([FORMAT_VERSION, 0, *head])
    for f in area_fields:
        body += f.encode()
    body.append(END_OF_FIELDS)
    body += bytes(-(len(body) + 1) % 8)
    if (len(body) + 1) // 8 > 0xFF:
        raise ValueError("FRU info area too large: at most 255 x 8 bytes")
    body[1] = (len(body) + 1) // 8
    return bytes(body) + bytes([zero_checksum(bytes(body))])


def _byte(value: int, what: str) -> int:
    if not 0 <= value <= 0xFF:
        raise ValueError(f"{what} {value} is not a byte")
    return value


def _encode_chassis(a: ChassisInfo) -> bytes:
    head = bytes([_byte(a.chassis_type, "chassis type")])
    return _encode_area(head, [a.part_number, a.serial, *a.custom])


def _encode_board(a: BoardInfo) -> bytes:
    head = bytes([_byte(a.language, "language")]) + date_to_minutes(a.mfg_date).to_bytes(3, "little")
    return _encode_area(head, [getattr(a, n) for n in _BOARD_FIELDS] + list(a.custom))


def _encode_product(a: ProductInfo) -> bytes:
    head = bytes([_byte(a.language, "language")])
    return _encode_area(head, [getattr(a, n) for n in _PRODUCT_FIELDS] + list(a.custom))


def _as_field(value: object, what: str) -> FruField:
    if isinstance(value, FruField):
        return value
    if isinstance(value, str):
        return FruField(value)
    raise ValueError(f"{what} must be a str or FruField, not {type(value).__name__}")


def _coerce(cls: type, names: tuple[str, ...], value: object) -> Any:
    """An area from a dataclass or a plain mapping (what a TOML table gives)."""
    if value is None or isinstance(value, cls):
        return value
    if not isinstance(value, Mapping):
        raise ValueError(f"{cls.__name__} must be given as a mapping, not {type(value).__name__}")
    unknown = set(value) - {f.name for f in fields(cls)}
    if unknown:
        raise ValueError(f"unknown {cls.__name__} keys: {', '.join(sorted(unknown))}")
    kw = dict(value)
    for name in names:
        if name in kw:
            kw[name] = _as_field(kw[name], name)
    kw["custom"] = tuple(_as_field(v, "custom field") for v in kw.get("custom", ()))
    return cls(**kw)


def build(
    *,
    board: BoardInfo | Mapping[str, Any] | None = None,
    product: ProductInfo | Mapping[str, Any] | None = None,
    chassis: ChassisInfo | Mapping[str, Any] | None = None,
    internal_use: bytes | None = None,
    multirecords: Sequence[MultiRecord] = (),
) -> bytes:
    """An image from a few fields, e.g. ``build(board={"manufacturer": "ACME",
    "serial": FruField("1234-5", FieldType.BCD_PLUS)})``.

    Strings are stored as 8-bit ASCII; pass a :class:`FruField` for 6-bit,
    BCD plus or binary.  Unset fields are empty (C0h).  ValueError on
    anything that cannot be stored exactly.
    """
    return FruInventory(
        internal_use=None if internal_use is None else bytes(internal_use),
        chassis=_coerce(ChassisInfo, _CHASSIS_FIELDS, chassis),
        board=_coerce(BoardInfo, _BOARD_FIELDS, board),
        product=_coerce(ProductInfo, _PRODUCT_FIELDS, product),
        multirecords=tuple(multirecords),
    ).encode()


# -- parsing ----------------------------------------------------------------


def parse(image: bytes, *, strict: bool = True) -> FruInventory:
    """Decode a FRU image (see the module docstring for the two modes)."""
    image = bytes(image)
    if len(image) < _HEADER_SIZE:
        raise DecodeError(f"FRU image of {len(image)} bytes is shorter than the 8-byte common header")
    if image[0] & 0x0F != FORMAT_VERSION:
        raise DecodeError(f"not a FRU image: common header format version {image[0]:#04x}, expected 01h")
    problems = Problems(strict)
    if sum(image[:_HEADER_SIZE]) & 0xFF:
        problems.add(f"common header checksum {image[7]:#04x} does not sum to zero")
    offsets = [b * 8 for b in image[1:6]]

    internal = None
    if offsets[0]:
        if offsets[0] >= len(image):
            problems.add(f"internal-use area offset {offsets[0]:#x} is past the image end")
        else:
            ends = [o for o in offsets if o > offsets[0]]
            internal = image[offsets[0] : min(ends, default=len(image))]

    chassis = board = product = None
    if area := _area(image, offsets[1], "chassis area", 3, _CHASSIS_FIELDS, problems):
        head, fixed, custom = area
        part_number, serial = fixed
        chassis = ChassisInfo(head[0], part_number, serial, custom)
    if area := _area(image, offsets[2], "board area", 6, _BOARD_FIELDS, problems):
        head, fixed, custom = area
        date = minutes_to_date(int.from_bytes(head[1:4], "little"))
        manufacturer, name, serial, part_number, file_id = fixed
        board = BoardInfo(head[0], date, manufacturer, name, serial, part_number, file_id, custom)
    if area := _area(image, offsets[3], "product area", 3, _PRODUCT_FIELDS, problems):
        head, fixed, custom = area
        manufacturer, name, part_number, version, serial, asset_tag, file_id = fixed
        product = ProductInfo(head[0], manufacturer, name, part_number, version, serial, asset_tag, file_id, custom)

    records: list[MultiRecord] = []
    if offsets[4]:
        records = parse_area(image, offsets[4], problems)
    return FruInventory(internal, chassis, board, product, tuple(records), tuple(problems.items))


def _area(
    image: bytes, start: int, where: str, head_size: int, names: tuple[str, ...], problems: Problems
) -> tuple[bytes, list[FruField], tuple[FruField, ...]] | None:
    """(bytes after version/length, fixed fields, custom fields) of one info area.

    Returns None when the area is absent or has nothing readable.
    """
    if not start:
        return None
    if start + head_size > len(image):
        problems.add(f"{where} at offset {start:#x} is past the image end ({len(image):#x})")
        return None
    if image[start] & 0x0F != FORMAT_VERSION:
        problems.add(f"{where}: format version {image[start]:#04x}, expected 01h")
    length = image[start + 1] * 8
    if length == 0:
        problems.add(f"{where} at offset {start:#x} declares a length of 0")
        return None
    end = start + length
    if end > len(image):
        problems.add(f"{where} ({start:#x}..{end:#x}) runs past the image end ({len(image):#x})")
        end = len(image) + 1  # read fields up to the image end; no checksum to check
    elif sum(image[start:end]) & 0xFF:
        problems.add(f"{where}: checksum {image[end - 1]:#04x} does not sum to zero")
    found = read_fields(image, start + head_size, max(end - 1, start + head_size), where, problems)
    if len(found) < len(names):
        problems.add(f"{where}: only {len(found)} of its {len(names)} fixed fields are present")
        found += [EMPTY] * (len(names) - len(found))
    return image[start + 2 : start + head_size], found[: len(names)], tuple(found[len(names) :])
