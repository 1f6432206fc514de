"""Byte-level helpers every IPMI codec module shares.

Why a module of its own: the app, chassis, storage, sensor, DCMI, SDR, SEL
and FRU codecs (and the BMC responder) all check request sizes, range-check
fields before packing them and read little-endian integers.  Kept here, with
no dependencies beyond :mod:`chassisctl.ipmi.decode_errors`, any codec can import
them without importing another netFn's codecs, and there is one range check
and one length check rather than one per module.

Conventions: encoders call :func:`check_field` / :func:`le` so a bad value
fails loudly (ValueError, a programming error) instead of spilling into a
neighbouring field; decoders call :func:`expect_length` /
:func:`expect_min_length`, which raise :class:`DataLengthError` so a
responder can answer C7h (length) rather than CCh (field).
"""

from __future__ import annotations

from chassisctl.ipmi.decode_errors import DataLengthError

__all__ = ["bcd", "check_field", "expect_length", "expect_min_length", "le", "u16", "u32"]


def expect_length(data: bytes, *sizes: int, what: str) -> None:
    """Raise :class:`DataLengthError` unless ``len(data)`` is one of ``sizes``."""
    if len(data) not in sizes:
        want = " or ".join(str(s) for s in sizes)
        raise DataLengthError(f"{what}: {len(data)} data bytes, expected {want}")


def expect_min_length(data: bytes, size: int, *, what: str) -> None:
    if len(data) < size:
        raise DataLengthError(f"{what}: {len(data)} data bytes, expected at least {size}")


def check_field(value: int, bits: int, name: str) -> int:
    """``value`` if it fits in ``bits`` unsigned bits, else ValueError (encoder misuse)."""
    if not 0 <= value < (1 << bits):
        raise ValueError(f"{name}={value!r} does not fit in {bits} bits")
    return value


def le(value: int, size: int, name: str) -> bytes:
    """Little-endian unsigned encoding with a range check."""
    return check_field(value, 8 * size, name).to_bytes(size, "little")


def u16(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 2], "little")


def u32(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 4], "little")


def bcd(value: int) -> int:
    """0..99 as one BCD byte (9 -> 09h, 10 -> 10h), for firmware minor revisions."""
    if not 0 <= value <= 99:
        raise ValueError(f"{value} is not a two-digit BCD value")
    return (value // 10) << 4 | value % 10
