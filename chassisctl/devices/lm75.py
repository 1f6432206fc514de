"""LM75 / TMP75 class temperature sensors (also LM75B, DS75, TMP100/105/175/275, ADT75).

The temperature and limit registers are 16-bit, **MSB first**, left-justified
two's complement with 9 to 12 significant bits depending on the part and its
configured resolution; the bits below the resolution carry no information.
A read without a preceding pointer write returns the last pointed register.
"""

from __future__ import annotations

import math
from chassisctl.namedtuple import NamedTuple
from chassisctl.lazy_enum import enum_getattr

from chassisctl.devices.register_error import DeviceDecodeError
from chassisctl.devices.smbus import check_byte, check_word, sign_extend

RESOLUTIONS = (9, 10, 11, 12)
#: Range the kernel driver clamps limit registers to.
LIMIT_MIN_C = -55.0
LIMIT_MAX_C = 125.0


class RegInt:
    """Register pointers (``Reg``, the IntEnum, is built from this table on first use)."""

    TEMP = 0x00
    CONFIG = 0x01
    T_HYST = 0x02  # T_LOW on TMP75
    T_OS = 0x03  # T_HIGH on TMP75


class ConfigBitInt:
    """Configuration register bits (``ConfigBit``, the IntFlag, is built on first use)."""

    SHUTDOWN = 0x01
    INTERRUPT_MODE = 0x02
    POLARITY = 0x04
    ONE_SHOT = 0x80


_FAULT_QUEUE = (1, 2, 4, 6)


class Config(NamedTuple):
    """The configuration register (TMP75 layout; plain LM75 defines bits 4:0 only)."""

    shutdown: bool = False
    interrupt_mode: bool = False
    active_high: bool = False
    fault_queue: int = 1
    resolution: int = 9
    one_shot: bool = False


def _check_resolution(resolution: int) -> int:
    if resolution not in RESOLUTIONS:
        raise DeviceDecodeError(f"LM75 resolution must be 9..12 bits, not {resolution!r}")
    return resolution


def decode_celsius(word: int, resolution: int = 12) -> float:
    """Degrees Celsius from a temperature or limit register value (MSB<<8 | LSB).

    Exact: the result is a multiple of 2^-(resolution-8).
    """
    check_word(word)
    _check_resolution(resolution)
    count = sign_extend(word, 16) >> (16 - resolution)
    return count / (1 << (resolution - 8))


def decode_millicelsius(word: int, resolution: int = 12) -> int:
    """The kernel's integer arithmetic: what ``temp1_input`` would show."""
    check_word(word)
    _check_resolution(resolution)
    count = sign_extend(word, 16) >> (16 - resolution)
    return (count * 1000) >> (resolution - 8)


def encode_celsius(celsius: float, resolution: int = 12) -> int:
    """Register value for ``celsius``, rounded to the resolution step.

    Values beyond the 16-bit format saturate; limit writers should clamp to
    ``LIMIT_MIN_C..LIMIT_MAX_C`` first, as the kernel does.
    """
    if resolution not in RESOLUTIONS:
        raise ValueError(f"LM75 resolution must be 9..12 bits, not {resolution!r}")
    if math.isnan(celsius):
        raise ValueError("temperature is NaN")
    steps = 1 << (resolution - 8)
    lo, hi = -(1 << (resolution - 1)), (1 << (resolution - 1)) - 1
    if math.isinf(celsius):
        count = hi if celsius > 0 else lo
    else:
        count = max(lo, min(hi, math.floor(celsius * steps + 0.5)))
    return (count << (16 - resolution)) & 0xFFFF


def decode_config(value: int) -> Config:
    check_byte(value)
    return Config(
        shutdown=bool(value & ConfigBitInt.SHUTDOWN),
        interrupt_mode=bool(value & ConfigBitInt.INTERRUPT_MODE),
        active_high=bool(value & ConfigBitInt.POLARITY),
        fault_queue=_FAULT_QUEUE[(value >> 3) & 0x3],
        resolution=9 + ((value >> 5) & 0x3),
        one_shot=bool(value & ConfigBitInt.ONE_SHOT),
    )


def encode_config(config: Config) -> int:
    if config.resolution not in RESOLUTIONS:
        raise ValueError(f"LM75 resolution must be 9..12 bits, not {config.resolution!r}")
    if config.fault_queue not in _FAULT_QUEUE:
        raise ValueError(f"fault queue must be one of {_FAULT_QUEUE}")
    return (
        (ConfigBitInt.SHUTDOWN if config.shutdown else 0)
        | (ConfigBitInt.INTERRUPT_MODE if config.interrupt_mode else 0)
        | (ConfigBitInt.POLARITY if config.active_high else 0)
        | (_FAULT_QUEUE.index(config.fault_queue) << 3)
        | ((config.resolution - 9) << 5)
        | (ConfigBitInt.ONE_SHOT if config.one_shot else 0)
    )


TYPE_CHECKING = False
if TYPE_CHECKING:
    import enum

    # What mypy sees; at run time each enum is built from its plain-int
    # table on first use (chassisctl.lazy_enum).
    class Reg(RegInt, enum.IntEnum): ...

    class ConfigBit(ConfigBitInt, enum.IntFlag): ...


__getattr__ = enum_getattr(__name__, globals(), {
    "Reg": ("IntEnum", RegInt, None),
    "ConfigBit": ("IntFlag", ConfigBitInt, None),
})
