"""Byte-order and rounding helpers shared by the device codecs.

SMBus words are sent LSB first (SMBus 3.0 §6.5.5, Read Word), but LM75/TMP75,
INA2xx and the EMC2305 tach send MSB first; ``smbus2.read_word_data`` on
them returns the bytes swapped, the most common mistake with these parts,
so the conversions live here once, with names that say which order they mean.
(PEC lives in :mod:`chassisctl.ipmi.pec`, shared with the simulated bus.)
"""

from __future__ import annotations

from fractions import Fraction

from chassisctl.devices.register_error import DeviceDecodeError


def check_int(value: int, lo: int, hi: int, what: str) -> int:
    """Return ``value`` if it is an int in ``lo..hi``, else raise a decode error."""
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise DeviceDecodeError(f"{what} must be an integer {lo}..{hi}, not {value!r}")
    return value


def check_word(word: int) -> int:
    """Return ``word`` if it is a 16-bit unsigned value, else raise."""
    if not isinstance(word, int) or isinstance(word, bool) or not 0 <= word <= 0xFFFF:
        raise DeviceDecodeError(f"not a 16-bit register value: {word!r}")
    return word


def check_byte(value: int) -> int:
    """Return ``value`` if it is an 8-bit unsigned value, else raise."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 0xFF:
        raise DeviceDecodeError(f"not an 8-bit register value: {value!r}")
    return value


def as_bytes(data: bytes | bytearray | list[int]) -> bytes:
    """Wire bytes from bytes or a list of ints (as smbus2 returns), else a decode error."""
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    if not isinstance(data, (list, tuple)):
        raise DeviceDecodeError(f"expected bytes or a list of byte values, not {type(data).__name__}")
    return bytes(check_byte(b) for b in data)


def swap16(word: int) -> int:
    """Swap the bytes of a 16-bit word.

    ``smbus2.read_word_data`` assembles the first wire byte as the low byte;
    for an MSB-first register this turns its result into the register value
    (and the other way round for ``write_word_data``).
    """
    check_word(word)
    return ((word & 0xFF) << 8) | (word >> 8)


def from_be(data: bytes | bytearray | list[int]) -> int:
    """Register value from two wire bytes sent MSB first."""
    raw = as_bytes(data)
    if len(raw) != 2:
        raise DeviceDecodeError(f"expected 2 bytes, got {len(raw)}")
    return int.from_bytes(raw, "big")


def from_le(data: bytes | bytearray | list[int]) -> int:
    """Register value from two wire bytes sent LSB first (SMBus words)."""
    raw = as_bytes(data)
    if len(raw) != 2:
        raise DeviceDecodeError(f"expected 2 bytes, got {len(raw)}")
    return int.from_bytes(raw, "little")


def to_be(word: int) -> bytes:
    """Wire bytes, MSB first."""
    return check_word(word).to_bytes(2, "big")


def to_le(word: int) -> bytes:
    """Wire bytes, LSB first."""
    return check_word(word).to_bytes(2, "little")


def sign_extend(value: int, bits: int) -> int:
    """Interpret the low ``bits`` of ``value`` as two's complement."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if value & (1 << (bits - 1)) else value


def to_twos(value: int, bits: int) -> int:
    """Two's complement bit pattern of ``value`` in ``bits`` bits (no range check)."""
    return value & ((1 << bits) - 1)


def round_half_away(x: float | Fraction) -> int:
    """Round to nearest, ties away from zero (datasheet arithmetic, not banker's).

    Exact on the binary value given, so 2854.5 rounds to 2855 as ADM1275's
    worked example expects, where ``round()`` would give 2854.
    """
    f = Fraction(x)
    n = abs(f)
    r = int(n + Fraction(1, 2))
    return r if f >= 0 else -r
