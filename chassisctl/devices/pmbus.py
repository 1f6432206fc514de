"""PMBus power supplies and hot-swap controllers: commands, formats, status bits.

Everything here is sans-I/O: numeric formats (LINEAR11, LINEAR16 with
VOUT_MODE, DIRECT, IEEE half), the STATUS_* registers as named flag sets,
block strings and the capability byte.  SMBus words are **LSB first** on the
wire; the functions below take the 16-bit value ``smbus2.read_word_data``
returns.  An all-ones status means a floating bus, not "every fault", and
decodes to ``None``.

The command codes and status bits are plain ints here (:class:`Code`,
:class:`WordBit`, ...), which is what the driver and the simulated PSU use on
every transaction; the IntEnum/IntFlag views of the same tables (:class:`Cmd`,
:class:`StatusWord`, ... in :mod:`chassisctl.devices._pmbus_enums`) are built
on first use, because building eleven enum classes cost every platform
command ~1.3 ms before it sent a byte.  ``pmbus.Cmd`` and the rest still
resolve as before (a module ``__getattr__``).
"""

from __future__ import annotations

import math
from chassisctl.namedtuple import NamedTuple

from chassisctl.devices.register_error import DeviceDecodeError
from chassisctl.devices.smbus import as_bytes, check_byte, check_int, check_word, round_ratio, sign_extend

TYPE_CHECKING = False
if TYPE_CHECKING:
    import enum
    from typing import Any

    # Re-exported: ``pmbus.Cmd`` etc. (built on first use by ``__getattr__`` below).
    from chassisctl.devices._pmbus_enums import SUMMARY_REGISTERS as SUMMARY_REGISTERS
    from chassisctl.devices._pmbus_enums import Cmd as Cmd
    from chassisctl.devices._pmbus_enums import Kind as Kind
    from chassisctl.devices._pmbus_enums import StatusCml as StatusCml
    from chassisctl.devices._pmbus_enums import StatusFans12 as StatusFans12
    from chassisctl.devices._pmbus_enums import StatusInput as StatusInput
    from chassisctl.devices._pmbus_enums import StatusIout as StatusIout
    from chassisctl.devices._pmbus_enums import StatusTemperature as StatusTemperature
    from chassisctl.devices._pmbus_enums import StatusVout as StatusVout
    from chassisctl.devices._pmbus_enums import StatusWord as StatusWord
    from chassisctl.devices._pmbus_enums import VoutModeKind as VoutModeKind

#: Built on first use by :mod:`chassisctl.devices._pmbus_enums` (see the module docstring).
_LAZY = frozenset({"Cmd", "Kind", "VoutModeKind", "StatusWord", "StatusVout", "StatusIout", "StatusInput",
                   "StatusTemperature", "StatusCml", "StatusFans12", "SUMMARY_REGISTERS"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from chassisctl.devices import _pmbus_enums

        value = getattr(_pmbus_enums, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _enums() -> Any:
    from chassisctl.devices import _pmbus_enums

    return _pmbus_enums


class Code:
    """PMBus command codes as plain ints (:class:`Cmd` is the IntEnum of this table)."""

    PAGE = 0x00
    OPERATION = 0x01
    ON_OFF_CONFIG = 0x02
    CLEAR_FAULTS = 0x03
    CAPABILITY = 0x19
    VOUT_MODE = 0x20
    VOUT_COMMAND = 0x21
    COEFFICIENTS = 0x30
    STATUS_BYTE = 0x78
    STATUS_WORD = 0x79
    STATUS_VOUT = 0x7A
    STATUS_IOUT = 0x7B
    STATUS_INPUT = 0x7C
    STATUS_TEMPERATURE = 0x7D
    STATUS_CML = 0x7E
    STATUS_OTHER = 0x7F
    STATUS_MFR_SPECIFIC = 0x80
    STATUS_FANS_1_2 = 0x81
    STATUS_FANS_3_4 = 0x82
    READ_VIN = 0x88
    READ_IIN = 0x89
    READ_VOUT = 0x8B
    READ_IOUT = 0x8C
    READ_TEMPERATURE_1 = 0x8D
    READ_TEMPERATURE_2 = 0x8E
    READ_TEMPERATURE_3 = 0x8F
    READ_FAN_SPEED_1 = 0x90
    READ_FAN_SPEED_2 = 0x91
    READ_FAN_SPEED_3 = 0x92
    READ_FAN_SPEED_4 = 0x93
    READ_POUT = 0x96
    READ_PIN = 0x97
    PMBUS_REVISION = 0x98
    MFR_ID = 0x99
    MFR_MODEL = 0x9A
    MFR_REVISION = 0x9B
    MFR_LOCATION = 0x9C
    MFR_DATE = 0x9D
    MFR_SERIAL = 0x9E
    MFR_VIN_MIN = 0xA0
    MFR_VIN_MAX = 0xA1
    MFR_IIN_MAX = 0xA2
    MFR_PIN_MAX = 0xA3
    MFR_VOUT_MIN = 0xA4
    MFR_VOUT_MAX = 0xA5
    MFR_IOUT_MAX = 0xA6
    MFR_POUT_MAX = 0xA7


#: Command codes by name and names by code (what ``Cmd[name]`` and ``Cmd(code).name`` give).
CODES: dict[str, int] = {k: v for k, v in vars(Code).items() if not k.startswith("_")}
NAMES: dict[int, str] = {v: k for k, v in CODES.items()}


class KindName:
    """How a command moves on the wire and what its data means (the values of :class:`Kind`)."""

    SEND = "send"  # Send Byte, no data
    BYTE = "byte"  # Read/Write Byte, raw
    WORD = "word"  # Read/Write Word, raw
    LINEAR11 = "linear11"
    VOUT = "vout"  # LINEAR16/DIRECT/... as VOUT_MODE says
    BLOCK = "block"  # Block Read, ASCII


_KINDS: dict[int, str] = {c: KindName.LINEAR11 for c in NAMES if 0x88 <= c <= 0x97 or 0xA0 <= c <= 0xA7}
_KINDS.update({c: KindName.BLOCK for c in NAMES if 0x99 <= c <= 0x9E})
_KINDS.update({
    Code.CLEAR_FAULTS: KindName.SEND,
    Code.STATUS_WORD: KindName.WORD,
    Code.VOUT_COMMAND: KindName.VOUT,
    Code.READ_VOUT: KindName.VOUT,
    Code.MFR_VOUT_MIN: KindName.VOUT,
    Code.MFR_VOUT_MAX: KindName.VOUT,
    Code.COEFFICIENTS: KindName.BLOCK,
})


def kind_of(cmd: int) -> str:
    """:func:`command_kind` as its value string (``"byte"`` when not listed), building no enum."""
    return _KINDS.get(cmd, KindName.BYTE)


def command_kind(cmd: int) -> Kind:
    """Wire shape and format of a standard command (``BYTE`` when not listed)."""
    return _enums().Kind(kind_of(cmd))


# --- LINEAR11 ------------------------------------------------------------------

LINEAR11_Y_MAX = 1023


def decode_linear11(word: int) -> float:
    """X = Y * 2^N with N = word[15:11], Y = word[10:0], both two's complement.

    Encodings need not be normalised: every (N, Y) pair is accepted.
    """
    check_word(word)
    exponent = sign_extend(word >> 11, 5)
    mantissa = sign_extend(word & 0x7FF, 11)
    return math.ldexp(mantissa, exponent)


def encode_linear11(value: float) -> int:
    """The encoding with the smallest exponent N whose rounded |Y| fits 1023.

    That keeps the most resolution (487.5 -> N=-1, Y=975 -> FBCFh); positive
    exponents lose it (8450 -> 8448).  Zero encodes as 0000h.
    """
    if not math.isfinite(value):
        raise ValueError(f"LINEAR11 cannot encode {value!r}")
    num, den = value.as_integer_ratio()  # exact, in integers: no fractions import
    for exponent in range(-16, 16):
        mantissa = round_ratio(num << -exponent, den) if exponent < 0 else round_ratio(num, den << exponent)
        if abs(mantissa) <= LINEAR11_Y_MAX:
            if mantissa == 0:
                return 0x0000
            return ((exponent & 0x1F) << 11) | (mantissa & 0x7FF)
    raise ValueError(f"{value!r} is beyond LINEAR11 range (±1023 × 2^15)")


# --- VOUT_MODE, LINEAR16, IEEE half ----------------------------------------------


class VoutModeCode:
    """VOUT_MODE bits 7:5 as plain ints (:class:`VoutModeKind` is the IntEnum)."""

    LINEAR = 0
    VID = 1
    DIRECT = 2
    IEEE_HALF = 3


class VoutMode(NamedTuple):
    """VOUT_MODE: bits 7:5 mode, bits 4:0 parameter (an exponent in linear mode)."""

    kind: VoutModeKind
    parameter: int

    @property
    def exponent(self) -> int:
        """The 5-bit two's complement exponent N of linear mode."""
        return sign_extend(self.parameter, 5)

    def encode(self) -> int:
        return (self.kind << 5) | (self.parameter & 0x1F)


def check_vout_mode(value: int) -> int:
    """``value`` if it is a VOUT_MODE byte with a defined mode, else a decode error."""
    check_byte(value)
    mode = value >> 5
    if mode > VoutModeCode.IEEE_HALF:
        raise DeviceDecodeError(f"VOUT_MODE {value:02X}h: reserved mode {mode}")
    return value


def decode_vout_mode(value: int) -> VoutMode:
    check_vout_mode(value)
    return VoutMode(_enums().VoutModeKind(value >> 5), value & 0x1F)


def linear_vout_mode(exponent: int) -> VoutMode:
    if not -16 <= exponent <= 15:
        raise ValueError(f"LINEAR16 exponent must be -16..15, not {exponent}")
    return VoutMode(_enums().VoutModeKind.LINEAR, exponent & 0x1F)


def decode_linear16(word: int, exponent: int) -> float:
    """Unsigned 16-bit mantissa × 2^exponent."""
    check_word(word)
    check_int(exponent, -16, 15, "LINEAR16 exponent")
    return math.ldexp(word, exponent)


def encode_linear16(value: float, exponent: int) -> int:
    if not -16 <= exponent <= 15:
        raise ValueError(f"LINEAR16 exponent must be -16..15, not {exponent}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"LINEAR16 cannot encode {value!r} (unsigned)")
    num, den = value.as_integer_ratio()
    mantissa = round_ratio(num << -exponent, den) if exponent < 0 else round_ratio(num, den << exponent)
    if mantissa > 0xFFFF:
        raise ValueError(f"{value!r} overflows LINEAR16 with exponent {exponent}")
    return mantissa


def decode_ieee_half(word: int) -> float:
    import struct  # only IEEE-half PSUs: _struct is a shared library to load

    check_word(word)
    value: float = struct.unpack("<e", word.to_bytes(2, "little"))[0]
    return value


def encode_ieee_half(value: float) -> int:
    import struct

    try:
        return int.from_bytes(struct.pack("<e", value), "little")
    except OverflowError as exc:
        raise ValueError(f"{value!r} overflows IEEE half") from exc


# --- DIRECT --------------------------------------------------------------------


class _DirectCoefficientsFields(NamedTuple):
    m: int
    b: int
    R: int


class DirectCoefficients(_DirectCoefficientsFields):
    """X = (Y × 10^-R − b) / m; from the datasheet (or COEFFICIENTS 30h)."""

    __slots__ = ()

    def __new__(cls, *args: Any, **kwargs: Any) -> DirectCoefficients:
        self = super().__new__(cls, *args, **kwargs)
        for name, value in (("m", self.m), ("b", self.b), ("R", self.R)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"DIRECT coefficient {name} must be an integer, not {value!r}")
        if self.m == 0 or not -(2**31) <= self.m < 2**31 or not -(2**31) <= self.b < 2**31:
            raise ValueError(f"DIRECT coefficients out of range: m={self.m}, b={self.b}")
        if not -128 <= self.R <= 127:
            raise ValueError(f"DIRECT exponent R must be -128..127, not {self.R}")
        return self


def decode_direct(word: int, coefficients: DirectCoefficients) -> float:
    """Real value of a DIRECT word (Y is signed 16 bit)."""
    check_word(word)
    y = sign_extend(word, 16)
    m, b, r = coefficients
    # One int / int true division of the exact quotient: correctly rounded, as float(Fraction)
    # is; the sign goes on the numerator as Fraction keeps it (0 / -1 is 0.0, not -0.0).
    num, den = (y * 10**-r - b, m) if r <= 0 else (y - b * 10**r, m * 10**r)
    return num / den if den > 0 else -num / -den


def encode_direct(value: float, coefficients: DirectCoefficients) -> int:
    """Y = (m·X + b) × 10^R rounded half away from zero, as a 16-bit word."""
    if not math.isfinite(value):
        raise ValueError(f"DIRECT cannot encode {value!r}")
    m, b, r = coefficients
    num, den = value.as_integer_ratio()
    num = m * num + b * den  # (m·X + b) = num / den exactly
    y = round_ratio(num * 10**r, den) if r >= 0 else round_ratio(num, den * 10**-r)
    if not -0x8000 <= y <= 0x7FFF:
        raise ValueError(f"{value!r} overflows DIRECT with {coefficients}")
    return y & 0xFFFF


def decode_vout(
    word: int, mode: VoutMode, direct: DirectCoefficients | None = None
) -> float:
    """READ_VOUT-class value as VOUT_MODE says; VID needs a per-device table."""
    if mode.kind == VoutModeCode.LINEAR:
        return decode_linear16(word, mode.exponent)
    if mode.kind == VoutModeCode.IEEE_HALF:
        return decode_ieee_half(word)
    if mode.kind == VoutModeCode.DIRECT and direct is not None:
        return decode_direct(word, direct)
    raise DeviceDecodeError(f"VOUT_MODE {mode.kind.name} needs per-device coefficients or a VID table")


def encode_vout(value: float, mode: VoutMode, direct: DirectCoefficients | None = None) -> int:
    if mode.kind == VoutModeCode.LINEAR:
        return encode_linear16(value, mode.exponent)
    if mode.kind == VoutModeCode.IEEE_HALF:
        return encode_ieee_half(value)
    if mode.kind == VoutModeCode.DIRECT and direct is not None:
        return encode_direct(value, direct)
    raise ValueError(f"VOUT_MODE {mode.kind.name} needs per-device coefficients or a VID table")


# --- status registers ----------------------------------------------------------


class WordBit:
    """STATUS_WORD bits as plain ints (:class:`StatusWord` is the IntFlag); the low byte is STATUS_BYTE."""

    NONE_OF_THE_ABOVE = 1 << 0
    CML = 1 << 1
    TEMPERATURE = 1 << 2
    VIN_UV_FAULT = 1 << 3
    IOUT_OC_FAULT = 1 << 4
    VOUT_OV_FAULT = 1 << 5
    OFF = 1 << 6
    BUSY = 1 << 7
    UNKNOWN = 1 << 8
    OTHER = 1 << 9
    FANS = 1 << 10
    POWER_GOOD_N = 1 << 11  # set = power NOT good
    MFR_SPECIFIC = 1 << 12
    INPUT = 1 << 13
    IOUT_POUT = 1 << 14
    VOUT = 1 << 15


class VoutBit:
    """StatusVout bits as plain ints."""

    OV_FAULT = 1 << 7
    OV_WARNING = 1 << 6
    UV_WARNING = 1 << 5
    UV_FAULT = 1 << 4
    MAX_WARNING = 1 << 3
    TON_MAX_FAULT = 1 << 2
    TOFF_MAX_WARNING = 1 << 1
    POWER_ON_TRACKING_ERROR = 1 << 0


class IoutBit:
    """StatusIout bits as plain ints."""

    OC_FAULT = 1 << 7
    OC_LV_FAULT = 1 << 6
    OC_WARNING = 1 << 5
    UC_FAULT = 1 << 4
    CURRENT_SHARE_FAULT = 1 << 3
    POWER_LIMITING = 1 << 2
    POUT_OP_FAULT = 1 << 1
    POUT_OP_WARNING = 1 << 0


class InputBit:
    """StatusInput bits as plain ints."""

    OV_FAULT = 1 << 7
    OV_WARNING = 1 << 6
    UV_WARNING = 1 << 5
    UV_FAULT = 1 << 4
    UNIT_OFF_LOW_INPUT = 1 << 3
    IIN_OC_FAULT = 1 << 2
    IIN_OC_WARNING = 1 << 1
    PIN_OP_WARNING = 1 << 0


class TemperatureBit:
    """StatusTemperature bits as plain ints."""

    OT_FAULT = 1 << 7
    OT_WARNING = 1 << 6
    UT_WARNING = 1 << 5
    UT_FAULT = 1 << 4


class CmlBit:
    """StatusCml bits as plain ints."""

    INVALID_COMMAND = 1 << 7
    INVALID_DATA = 1 << 6
    PEC_FAILED = 1 << 5
    MEMORY_FAULT = 1 << 4
    PROCESSOR_FAULT = 1 << 3
    OTHER_COMMUNICATION_FAULT = 1 << 1
    OTHER_MEMORY_LOGIC_FAULT = 1 << 0


class Fans12Bit:
    """StatusFans12 bits as plain ints."""

    FAN1_FAULT = 1 << 7
    FAN2_FAULT = 1 << 6
    FAN1_WARNING = 1 << 5
    FAN2_WARNING = 1 << 4
    FAN1_SPEED_OVERRIDE = 1 << 3
    FAN2_SPEED_OVERRIDE = 1 << 2
    AIRFLOW_FAULT = 1 << 1
    AIRFLOW_WARNING = 1 << 0


#: The STATUS_x register each STATUS_WORD summary bit points at, and its flag class's name
#: (:data:`SUMMARY_REGISTERS` is the same table with the enum classes).
SUMMARY: tuple[tuple[int, int, str], ...] = (
    (WordBit.VOUT, Code.STATUS_VOUT, "StatusVout"),
    (WordBit.IOUT_POUT, Code.STATUS_IOUT, "StatusIout"),
    (WordBit.INPUT, Code.STATUS_INPUT, "StatusInput"),
    (WordBit.TEMPERATURE, Code.STATUS_TEMPERATURE, "StatusTemperature"),
    (WordBit.CML, Code.STATUS_CML, "StatusCml"),
    (WordBit.FANS, Code.STATUS_FANS_1_2, "StatusFans12"),
)


def decode_status_word(word: int) -> StatusWord | None:
    """Flags of STATUS_WORD, or ``None`` for FFFFh (floating bus: no device drove it)."""
    check_word(word)
    return None if word == 0xFFFF else _enums().StatusWord(word)


def decode_status_byte(value: int) -> StatusWord | None:
    """STATUS_BYTE as the low half of :class:`StatusWord`; ``None`` for FFh."""
    check_byte(value)
    return None if value == 0xFF else _enums().StatusWord(value)


def decode_status(flags: type[enum.IntFlag], value: int) -> enum.IntFlag:
    """One of the STATUS_x byte registers as its flag class."""
    check_byte(value)
    return flags(value)


def flag_names(flags: enum.IntFlag) -> frozenset[str]:
    """The set names of a flag value (unnamed bits appear as ``BIT<n>``)."""
    names = {member.name for member in type(flags) if member in flags and member.name}
    known = 0
    for member in type(flags):
        known |= member.value
    names.update(f"BIT{n}" for n in range(16) if int(flags) & ~known & (1 << n))
    return frozenset(names)


# --- identification ------------------------------------------------------------


class Capability(NamedTuple):
    pec: bool
    max_bus_speed: int  # 0 = 100 kHz, 1 = 400 kHz, 2 = 1 MHz
    smbalert: bool


def decode_capability(value: int) -> Capability:
    check_byte(value)
    return Capability(bool(value & 0x80), (value >> 5) & 0x3, bool(value & 0x10))


def decode_revision(value: int) -> tuple[str, str]:
    """PMBUS_REVISION as ("1.x", "1.y") for Part I and Part II (0 = 1.0 ... 3 = 1.3)."""
    check_byte(value)
    return f"1.{value >> 4}", f"1.{value & 0xF}"


def decode_block_string(data: bytes | bytearray | list[int]) -> str:
    """MFR_* block data (count byte already removed) as text.

    Trailing NUL, FFh and space padding is dropped; anything non-ASCII left is
    a decode error rather than silently replaced.
    """
    raw = as_bytes(data)
    if len(raw) > 255:
        raise DeviceDecodeError("block longer than 255 bytes")
    text = raw.rstrip(b"\x00\xff ")
    try:
        decoded = text.decode("ascii")
    except UnicodeDecodeError as exc:
        raise DeviceDecodeError(f"non-ASCII byte in PMBus string {raw!r}") from exc
    if not decoded.isprintable():
        raise DeviceDecodeError(f"control character in PMBus string {raw!r}")
    return decoded
