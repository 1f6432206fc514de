"""Byte-order and rounding helpers shared by the device codecs.

SMBus words are sent LSB first (SMBus 3.0 §6.5.5, Read Word), but LM75/TMP75,
INA2xx and the EMC2305 tach send MSB first; ``smbus2.read_word_data`` on
them returns the bytes swapped, the most common mistake with these parts,
so the conversions live here once, with names that say which order they mean.
(PEC lives in :mod:`chassisctl.ipmi.pec`, shared with the simulated bus.)
"""

from __future__ import annotations

from chassisctl.devices.register_error import DeviceDecodeError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from fractions import Fraction


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


def round_half_away(x: float | Fraction | Ratio) -> int:
    """Round to nearest, ties away from zero (datasheet arithmetic, not banker's).

    Exact on the binary value given, so 2854.5 rounds to 2855 as ADM1275's
    worked example expects, where ``round()`` would give 2854.  Anything with
    ``as_integer_ratio()`` (int, float, Fraction, :class:`Ratio`) is taken
    exactly; the arithmetic is on integers, so :mod:`fractions` (and the
    :mod:`decimal` it imports, ~2 ms) stays off every command's start-up.
    """
    num, den = x.as_integer_ratio()
    return round_ratio(num, den)


def round_ratio(num: int, den: int) -> int:
    """``num / den`` (``den`` > 0) rounded to nearest, ties away from zero, exactly."""
    r = (2 * abs(num) + den) // (2 * den)
    return r if num >= 0 else -r


def decimal_ratio(x: float) -> Ratio:
    """The exact value of the shortest decimal that round-trips ``x`` (``0.002`` -> 2/1000).

    What ``Fraction(str(x))`` gives, for a finite int or float, without
    :mod:`fractions`: datasheet constants such as a 2 mΩ shunt mean the
    decimal, not the binary float nearest to it.
    """
    mantissa, _, exp = repr(x).partition("e")
    whole, _, frac = mantissa.partition(".")
    num = int(whole + frac)
    shift = (int(exp) if exp else 0) - len(frac)
    return Ratio(num * 10**shift, 1) if shift >= 0 else Ratio(num, 10**-shift)


class Ratio:
    """An exact rational ``num / den`` (``den`` > 0) for codec constants, without :mod:`fractions`.

    Only what the codecs need: ``float()`` (correctly rounded: Python's
    int / int true division, the same as ``float(Fraction)``) and
    ``as_integer_ratio()`` so the exact helpers above accept it like a
    Fraction.  Not normalised; equality compares the value.
    """

    __slots__ = ("num", "den")

    def __init__(self, num: int, den: int) -> None:
        if den <= 0:
            raise ValueError("Ratio denominator must be positive")
        self.num = num
        self.den = den

    def as_integer_ratio(self) -> tuple[int, int]:
        return self.num, self.den

    def __float__(self) -> float:
        return self.num / self.den

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Ratio):
            return self.num * other.den == other.num * self.den
        return NotImplemented

    def __hash__(self) -> int:
        return hash(float(self))

    def __repr__(self) -> str:
        return f"Ratio({self.num}, {self.den})"
