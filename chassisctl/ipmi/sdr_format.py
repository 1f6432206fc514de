"""Pieces every SDR shares: the 5-byte header, framing, and ID strings.

Header: record ID (2 bytes, LS first), SDR version (51h), record type,
length of the body that follows.  ID strings (§43.15): bits 7:6 of the
type/length byte pick the encoding, bits 4:0 count the bytes that follow
(what BMCs and clients do, although the spec says "characters").  Decoding
an ID string never raises, since a garbled sensor name must not hide the
sensor.  Packed encodings cannot tell a trailing space from padding, so
decoding strips trailing spaces and encoding drops them: re-encoding a
decoded name gives the same bytes.
"""

from __future__ import annotations

from chassisctl.lazy_enum import enum_getattr

from chassisctl.namedtuple import NamedTuple

from chassisctl.ipmi._bytes import le
from chassisctl.ipmi.decode_errors import DecodeError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: SDR version byte for IPMI 1.5 / 2.0 records.
SDR_VERSION = 0x51


class RecordTypeInt:
    """RecordType as plain ints (:class:`RecordType` is the IntEnum of this table)."""

    FULL_SENSOR = 0x01
    COMPACT_SENSOR = 0x02
    EVENT_ONLY = 0x03
    ENTITY_ASSOCIATION = 0x08
    DEVICE_RELATIVE_ENTITY_ASSOCIATION = 0x09
    GENERIC_DEVICE_LOCATOR = 0x10
    FRU_DEVICE_LOCATOR = 0x11
    MC_DEVICE_LOCATOR = 0x12
    MC_CONFIRMATION = 0x13
    BMC_MESSAGE_CHANNEL_INFO = 0x14
    OEM = 0xC0


class SdrHeader(NamedTuple):
    record_id: int
    version: int
    record_type: int
    #: Bytes following the 5-byte header.
    length: int


def parse_header(data: bytes) -> SdrHeader:
    """The 5-byte record header (extra bytes after it are ignored)."""
    if len(data) < 5:
        raise DecodeError(f"SDR header: need 5 bytes, got {len(data)}")
    return SdrHeader(data[0] | data[1] << 8, data[2], data[3], data[4])


def frame(record_id: int, version: int, record_type: int, body: bytes) -> bytes:
    """Header + body; the length byte is computed, never declared."""
    if len(body) > 255:
        raise ValueError(f"SDR body of {len(body)} bytes exceeds 255")
    return le(record_id, 2, "record_id") + bytes((version, record_type, len(body))) + body


class IdTypeInt:
    """IdType as plain ints (:class:`IdType` is the IntEnum of this table)."""

    #: The spec says "Unicode" without naming an encoding; in practice the
    #: bytes are ASCII, so they are read (and written back) as Latin-1.
    UNICODE = 0
    BCD_PLUS = 1
    ASCII6 = 2
    #: 8-bit ASCII + Latin-1: what every BMC uses.
    ASCII8 = 3


#: Longest ID string an SDR may carry, in bytes.
MAX_ID_BYTES = 16

_BCD_PLUS = "0123456789 -.:,_"


def decode_id_string(type_length: int, data: bytes) -> tuple[int, str]:
    """``(type, text)`` for a type/length byte and the bytes after it.

    ``type`` is a plain int (every 2-bit value is an :class:`IdType` value):
    a warm ``sensors`` decodes every cached record and prints none of them.
    """
    kind = type_length >> 6 & 3
    if kind == IdTypeInt.BCD_PLUS:
        text = "".join(_BCD_PLUS[b >> 4] + _BCD_PLUS[b & 0xF] for b in data).rstrip(" ")
    elif kind == IdTypeInt.ASCII6:
        packed = int.from_bytes(data, "little")
        text = "".join(chr(0x20 + (packed >> 6 * i & 0x3F)) for i in range(len(data) * 8 // 6)).rstrip(" ")
    else:
        text = bytes(data).decode("latin-1").rstrip("\x00")
    return kind, text


def encode_id_string(text: str, kind: int = IdTypeInt.ASCII8) -> bytes:
    """Type/length byte plus packed bytes; ValueError if ``text`` does not fit."""
    if kind == IdTypeInt.BCD_PLUS:
        text = text.rstrip(" ")
        if any(c not in _BCD_PLUS for c in text):
            raise ValueError(f"{text!r}: BCD plus holds only {_BCD_PLUS!r}")
        digits = [_BCD_PLUS.index(c) for c in text] + ([0xA] if len(text) % 2 else [])
        data = bytes(hi << 4 | lo for hi, lo in zip(digits[::2], digits[1::2], strict=True))
    elif kind == IdTypeInt.ASCII6:
        text = text.rstrip(" ")
        if any(not 0x20 <= ord(c) <= 0x5F for c in text):
            raise ValueError(f"{text!r}: 6-bit ASCII holds only upper case, digits and punctuation")
        packed = sum((ord(c) - 0x20) << 6 * i for i, c in enumerate(text))
        data = packed.to_bytes((len(text) * 6 + 7) // 8, "little")
    else:
        if text.endswith("\x00"):
            raise ValueError(f"{text!r}: trailing NUL is read back as padding")
        try:
            data = text.encode("latin-1")
        except UnicodeEncodeError as e:
            raise ValueError(f"{text!r}: not Latin-1") from e
    if len(data) > MAX_ID_BYTES:
        raise ValueError(f"{text!r}: ID string is {len(data)} bytes, at most {MAX_ID_BYTES}")
    return bytes((kind << 6 | len(data),)) + data


def id_fields(body: bytes, at: int) -> dict[str, Any]:
    """Decoder helper: the ID string whose type/length byte is ``body[at]``."""
    id_type, text = decode_id_string(body[at], body[at + 1 : at + 1 + (body[at] & 0x1F)])
    return {"id_type": id_type, "id_string": text}


class EntityMixin:
    """Entity instance byte helpers: bit 7 is "logical container entity"."""

    __slots__ = ()
    entity_instance: int

    @property
    def instance_number(self) -> int:
        return self.entity_instance & 0x7F

    @property
    def logical_entity(self) -> bool:
        return bool(self.entity_instance & 0x80)


if TYPE_CHECKING:
    import enum

    # What mypy sees; at run time each enum is built from its plain-int
    # table on first use (chassisctl.lazy_enum).
    class RecordType(RecordTypeInt, enum.IntEnum): ...

    class IdType(IdTypeInt, enum.IntEnum): ...


__getattr__ = enum_getattr(__name__, globals(), {
    "RecordType": ("IntEnum", RecordTypeInt, None),
    "IdType": ("IntEnum", IdTypeInt, None),
})
