"""EMC2301/2/3/5 PWM fan controllers.

Per fan n (0-based) the registers sit 10h apart.  The tach reading is a
13-bit COUNT of 32.768 kHz clocks per revolution window, stored **MSB first**
across two byte registers (COUNT = word >> 3); high counts mean slow fans and
COUNT 1FFFh is a stall.  RPM follows the kernel's integer order of operations
(divide, then multiply by the range multiplier), so 931 decodes to 8446.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from chassisctl.devices.register_error import DeviceDecodeError
from chassisctl.devices.smbus import check_byte, check_word

TACH_CONSTANT = 3_932_160
#: The kernel's fixed range multiplier (RANGE = 01b, 1000 RPM minimum).
DEFAULT_MULTIPLIER = 2
#: ``TACH_CONSTANT // COUNT`` at or below this is reported as a stall (0 RPM).
STALL_LIMIT = 480
COUNT_MAX = 0x1FFF
VENDOR_SMSC = 0x5D


class Reg(enum.IntEnum):
    STATUS = 0x24
    STALL_STATUS = 0x25
    SPIN_STATUS = 0x26
    DRIVE_FAIL_STATUS = 0x27
    PRODUCT_ID = 0xFD
    VENDOR_ID = 0xFE


class FanReg(enum.IntEnum):
    """Offsets of the per-fan block; add ``0x10 * fan``."""

    DRIVE = 0x30
    CONFIG1 = 0x32
    MIN_DRIVE = 0x38
    TACH_HIGH = 0x3E
    TACH_LOW = 0x3F


@dataclass(frozen=True, slots=True)
class Chip:
    name: str
    product_id: int
    fans: int


CHIPS: dict[str, Chip] = {
    c.name: c
    for c in (Chip("emc2305", 0x34, 5), Chip("emc2303", 0x35, 3), Chip("emc2302", 0x36, 2), Chip("emc2301", 0x37, 1))
}


def fan_reg(reg: FanReg, fan: int) -> int:
    if not 0 <= fan <= 4:
        raise ValueError(f"EMC2305 fan index must be 0..4, not {fan}")
    return reg + 0x10 * fan


def count_from_tach(high: int, low: int) -> int:
    """13-bit COUNT from the two tach bytes (high register first)."""
    return ((check_byte(high) << 8) | check_byte(low)) >> 3


def tach_from_count(count: int) -> tuple[int, int]:
    """(high, low) tach bytes for a COUNT; the low 3 bits read 0."""
    if not 0 <= count <= COUNT_MAX:
        raise ValueError(f"COUNT must be 0..1FFFh, not {count}")
    word = count << 3
    return word >> 8, word & 0xFF


def rpm_from_count(count: int, multiplier: int = DEFAULT_MULTIPLIER) -> int:
    """RPM as the kernel computes it; 0 for a stall (including COUNT 1FFFh)."""
    check_word(count)
    if count > COUNT_MAX:
        raise DeviceDecodeError(f"tach COUNT {count:#x} exceeds 13 bits")
    if multiplier not in (1, 2, 4, 8):
        raise DeviceDecodeError(f"range multiplier must be 1, 2, 4 or 8, not {multiplier!r}")
    if count == 0:
        raise DeviceDecodeError("tach COUNT 0 is not a measurement")
    per_window = TACH_CONSTANT // count
    return 0 if per_window <= STALL_LIMIT else per_window * multiplier


def count_from_rpm(rpm: float, multiplier: int = DEFAULT_MULTIPLIER) -> int:
    """The COUNT a fan at ``rpm`` produces, clamped to 1..1FFFh (0 RPM = 1FFFh)."""
    if math.isnan(rpm):
        raise ValueError("rpm is NaN")
    if rpm <= 0:
        return COUNT_MAX
    count = math.floor(TACH_CONSTANT * multiplier / rpm + 0.5)
    return max(1, min(COUNT_MAX, count))


def range_multiplier(config1: int) -> int:
    """Multiplier from fan configuration 1 bits 6:5 (00 -> 1 ... 11 -> 8; unverified)."""
    return 1 << ((check_byte(config1) >> 5) & 0x3)


def duty_percent(drive: int) -> float:
    """PWM duty from the drive register: 99h = 153/255 = 60 %."""
    return check_byte(drive) * 100 / 255


def drive_from_percent(percent: float) -> int:
    if math.isnan(percent) or not 0 <= percent <= 100:
        raise ValueError(f"duty must be 0..100 %, not {percent!r}")
    return math.floor(percent * 255 / 100 + 0.5)


def fans_in(status: int, chip_fans: int = 5) -> frozenset[int]:
    """Fan indices whose bit is set in a stall/spin/drive-fail status byte."""
    check_byte(status)
    return frozenset(n for n in range(chip_fans) if status & (1 << n))


def decode_ids(product: int, vendor: int) -> Chip:
    check_byte(product)
    check_byte(vendor)
    if vendor != VENDOR_SMSC:
        raise DeviceDecodeError(f"vendor ID {vendor:02X}h is not SMSC/Microchip (5Dh)")
    for chip in CHIPS.values():
        if chip.product_id == product:
            return chip
    raise DeviceDecodeError(f"unknown EMC230x product ID {product:02X}h")
