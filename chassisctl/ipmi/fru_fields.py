"""FRU type/length fields, checksums and the 1996 date epoch.

The four field encodings (binary, BCD plus, 6-bit packed ASCII, 8-bit
ASCII + Latin-1) are what make FRU strings awkward; keeping them here lets
:mod:`chassisctl.ipmi.fru` read as a description of the areas only.

Decoding is faithful rather than pretty: a 6-bit field of 3 bytes holds four
characters and the fourth is whatever was packed there (often a space), so it
is returned; nothing is stripped or guessed.  Encoding refuses values that
would not decode back to exactly the same string, so ``encode -> parse`` is
exact on every field it accepts.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chassisctl.ipmi.decode_errors import DecodeError

#: Type/length byte that ends the field list of an area.
END_OF_FIELDS = 0xC1
#: Most data bytes a type/length byte can announce (bits 5:0).
MAX_FIELD_BYTES = 0x3F
#: Manufacturing dates count minutes from here; 0 means "unspecified".
FRU_EPOCH = datetime(1996, 1, 1, tzinfo=UTC)
#: Largest date a 3-byte minute counter holds (late 2027).
FRU_DATE_MAX = FRU_EPOCH + timedelta(minutes=0xFFFFFF)

_BCD_CHARS = "0123456789 -."
#: D-F are reserved; shown the way operators already see them in ipmitool.
_BCD_RESERVED = ":,_"
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})*")


class FieldType(enum.IntEnum):
    """Bits 7:6 of a type/length byte."""

    BINARY = 0
    BCD_PLUS = 1
    ASCII_6BIT = 2
    #: 8-bit ASCII + Latin-1 (the default; what nearly every FRU uses).
    TEXT = 3


@dataclass(frozen=True, slots=True)
class FruField:
    """One field: its decoded text and the encoding it was (or will be) stored in.

    ``value`` is the text; for :attr:`FieldType.BINARY` it is the bytes as a
    lower-case hex string, so every field is a JSON-friendly ``str``.
    Keeping the encoding next to the text is what lets a parsed inventory
    be written back byte for byte.
    """

    value: str = ""
    type: FieldType = FieldType.TEXT

    def __str__(self) -> str:
        return self.value

    @classmethod
    def binary(cls, data: bytes) -> FruField:
        return cls(bytes(data).hex(), FieldType.BINARY)

    def encode(self) -> bytes:
        """Type/length byte + data.  Raises ValueError for unrepresentable values.

        A one-character 8-bit field would read as the C1h end marker (the
        spec requires two bytes or more), so it is stored as 6-bit ASCII when
        the character allows it, and refused otherwise.
        """
        kind = FieldType(self.type)
        if kind is FieldType.TEXT and len(self.value) == 1 and _is_6bit(self.value):
            kind = FieldType.ASCII_6BIT
        data = encode_value(kind, self.value)
        if len(data) > MAX_FIELD_BYTES:
            raise ValueError(f"FRU field {self.value!r} needs {len(data)} bytes; at most 63 fit")
        return bytes([kind << 6 | len(data)]) + data


EMPTY = FruField()


def _is_6bit(text: str) -> bool:
    return all(0x20 <= ord(c) <= 0x5F for c in text)


def decode_value(kind: FieldType, data: bytes) -> tuple[str, str | None]:
    """Text of a field's data bytes, and a problem description or None.

    The only problem possible is a reserved BCD-plus digit (Dh-Fh); the text
    then shows it as ``:``, ``,`` or ``_`` so a lenient listing can still
    print the field.
    """
    if kind == FieldType.BINARY:
        return data.hex(), None
    if kind == FieldType.BCD_PLUS:
        alphabet = _BCD_CHARS + _BCD_RESERVED
        text = "".join(alphabet[b >> 4] + alphabet[b & 0x0F] for b in data)
        bad = any(c in _BCD_RESERVED for c in text)
        return text, ("reserved BCD-plus digit (Dh-Fh)" if bad else None)
    if kind == FieldType.ASCII_6BIT:
        bits = int.from_bytes(data, "little")
        count = len(data) * 8 // 6
        return "".join(chr((bits >> (6 * i) & 0x3F) + 0x20) for i in range(count)), None
    return data.decode("latin-1"), None


def encode_value(kind: FieldType, text: str) -> bytes:
    """Data bytes for ``text`` in encoding ``kind``; ValueError if it cannot round-trip."""
    if kind == FieldType.BINARY:
        if not _HEX.fullmatch(text):
            raise ValueError(f"binary FRU field must be an even-length hex string, got {text!r}")
        return bytes.fromhex(text)
    if kind == FieldType.BCD_PLUS:
        if any(c not in _BCD_CHARS for c in text):
            raise ValueError(f"BCD plus holds only digits, space, '-' and '.': {text!r}")
        if len(text) % 2:
            raise ValueError(f"BCD plus packs two characters a byte; pad {text!r} to an even length")
        digits = [_BCD_CHARS.index(c) for c in text]
        return bytes(hi << 4 | lo for hi, lo in zip(digits[::2], digits[1::2], strict=True))
    if kind == FieldType.ASCII_6BIT:
        if not _is_6bit(text):
            raise ValueError(f"6-bit ASCII holds only characters 20h-5Fh (no lower case): {text!r}")
        size = (len(text) * 6 + 7) // 8
        if size * 8 // 6 != len(text):
            raise ValueError(
                f"6-bit ASCII {text!r} would read back with an extra trailing character; "
                "append a space or pick another length"
            )
        bits = sum((ord(c) - 0x20) << (6 * i) for i, c in enumerate(text))
        return bits.to_bytes(size, "little")
    if len(text) == 1:
        raise ValueError(f"one-character 8-bit FRU field {text!r} would read as the C1h end marker")
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(f"8-bit FRU fields hold Latin-1 only: {text!r}") from None


def zero_checksum(data: bytes) -> int:
    """The byte that makes ``data`` + itself sum to 0 mod 256."""
    return -sum(data) & 0xFF


def minutes_to_date(minutes: int) -> datetime | None:
    """Board manufacturing date; 0 is "unspecified" (rev 1.3), not 1996-01-01."""
    return None if minutes == 0 else FRU_EPOCH + timedelta(minutes=minutes)


def date_to_minutes(date: datetime | None) -> int:
    """Inverse of :func:`minutes_to_date`; refuses what would not read back the same."""
    if date is None:
        return 0
    if date.tzinfo is None:
        raise ValueError("FRU manufacturing date must be timezone-aware (it is stored in UTC)")
    delta = date - FRU_EPOCH
    minutes, rest = divmod(delta, timedelta(minutes=1))
    if rest:
        raise ValueError(f"FRU manufacturing date {date.isoformat()} is not on a whole minute")
    if not 1 <= minutes <= 0xFFFFFF:
        raise ValueError(
            f"FRU manufacturing date {date.isoformat()} is outside "
            f"1996-01-01T00:01Z..{FRU_DATE_MAX:%Y-%m-%dT%H:%MZ} (0 means unspecified)"
        )
    return minutes


class Problems:
    """Where a parse records what is wrong with an image.

    Strict parsing raises :class:`DecodeError` at the first problem; lenient
    parsing keeps the message and carries on with what can still be read, so
    an operator with a slightly broken EEPROM still gets the serial number.
    """

    __slots__ = ("strict", "items")

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.items: list[str] = []

    def add(self, message: str) -> None:
        if self.strict:
            raise DecodeError(message)
        self.items.append(message)


def read_fields(image: bytes, start: int, end: int, where: str, problems: Problems) -> list[FruField]:
    """Fields from ``image[start:end]`` up to the C1h end marker.

    ``end`` excludes the area checksum byte, so no field may run into it.
    Offsets in messages are absolute image offsets, which is what someone
    holding a hex dump needs.
    """
    fields: list[FruField] = []
    pos = start
    while pos < end:
        tl = image[pos]
        if tl == END_OF_FIELDS:
            return fields
        size = tl & MAX_FIELD_BYTES
        if pos + 1 + size > end:
            problems.add(f"{where}: field at offset {pos:#x} ({size} bytes) runs past the area end {end:#x}")
            return fields
        text, problem = decode_value(FieldType(tl >> 6), image[pos + 1 : pos + 1 + size])
        if problem:
            problems.add(f"{where}: field at offset {pos:#x}: {problem}")
        fields.append(FruField(text, FieldType(tl >> 6)))
        pos += 1 + size
    problems.add(f"{where}: no C1h end-of-fields marker before offset {end:#x}")
    return fields
