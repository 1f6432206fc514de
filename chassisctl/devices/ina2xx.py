"""INA219 / INA226 shunt power monitors.

All registers are 16 bit, **MSB first**.  Current and power registers are
computed by the chip from the shunt voltage, the bus voltage and the
calibration register with integer arithmetic; a CAL of 0 (chip reset) makes
both read 0, which is "not calibrated", never "0 A".  The helpers below do
that arithmetic the chip's way so the simulator and the tests agree with it.
"""

from __future__ import annotations

import enum
import math
from chassisctl.namedtuple import NamedTuple

from chassisctl.devices.register_error import DeviceDecodeError
from chassisctl.devices.smbus import Ratio, check_word, decimal_ratio, round_ratio, sign_extend
from chassisctl.lazy_enum import enum_getattr

TYPE_CHECKING = False
if TYPE_CHECKING:
    from fractions import Fraction


class RegInt:
    """Register pointers (``Reg``, the IntEnum, is built from this table on first use)."""

    CONFIG = 0x00
    SHUNT_VOLTAGE = 0x01
    BUS_VOLTAGE = 0x02
    POWER = 0x03
    CURRENT = 0x04
    CALIBRATION = 0x05
    MASK_ENABLE = 0x06  # INA226
    ALERT_LIMIT = 0x07  # INA226
    MANUFACTURER_ID = 0xFE  # INA226
    DIE_ID = 0xFF  # INA226


class ChipSpec(NamedTuple):
    """The constants that distinguish the two chips (datasheet, ina2xx.c).

    The LSBs are exact :class:`~chassisctl.devices.smbus.Ratio` values and
    every conversion below is integer arithmetic with one final int / int
    division, bit-identical to the exact fractions it replaces (tested) without
    importing :mod:`fractions` and :mod:`decimal` on every platform command.
    """

    name: str
    shunt_lsb: Ratio  # V per count
    bus_lsb: Ratio  # V per count of the bus value (after ``bus_shift``)
    bus_shift: int
    power_lsb_factor: int  # power LSB = factor × current LSB
    cal_constant: Ratio  # CAL = constant / (current LSB × R_shunt)
    current_divisor: int  # current = shunt × CAL / divisor
    power_divisor: int  # power = current × bus / divisor
    default_config: int
    cal_max: int


class Chip(enum.Enum):
    INA219 = ChipSpec(
        "ina219", Ratio(10, 10**6), Ratio(4, 1000), 3, 20, Ratio(4096, 10**5), 4096, 5000, 0x399F, 0xFFFE
    )
    INA226 = ChipSpec(
        "ina226", Ratio(25, 10**7), Ratio(125, 10**5), 0, 25, Ratio(512, 10**5), 2048, 20000, 0x4527, 0x7FFF
    )

    @property
    def spec(self) -> ChipSpec:
        return self.value


SHUNT_MIN_OHMS = 1e-9
SHUNT_MAX_OHMS = 1e6
#: INA219 bus register flags below the 13-bit value (unverified).
INA219_BUS_CNVR = 0x02
INA219_BUS_OVF = 0x01


class Reading(NamedTuple):
    """Engineering values; current and power are ``None`` while CAL is 0."""

    shunt_volts: float
    bus_volts: float
    current_amps: float | None
    power_watts: float | None


def _exact(x: float) -> Ratio:
    # str() gives the shortest decimal that round-trips: 0.002 means 2 mΩ exactly.
    return decimal_ratio(x)


def calibration(chip: Chip, shunt_ohms: float, current_lsb_amps: float = 0.001) -> int:
    """CAL = constant / (Current_LSB × R_shunt), truncated as the driver does.

    The default 1 mA Current_LSB is the kernel's; 2 mΩ on an INA226 gives 2560.
    """
    if not (shunt_ohms > 0 and current_lsb_amps > 0) or not math.isfinite(shunt_ohms * current_lsb_amps):
        raise ValueError("shunt resistance and current LSB must be positive")
    c, lsb, shunt = chip.spec.cal_constant, _exact(current_lsb_amps), _exact(shunt_ohms)
    cal = (c.num * lsb.den * shunt.den) // (c.den * lsb.num * shunt.num)  # floor; all positive
    if not 1 <= cal <= chip.spec.cal_max:
        raise ValueError(f"calibration {cal} out of range for {chip.spec.name}: choose another current LSB")
    return cal & ~1 if chip is Chip.INA219 else cal  # INA219 CAL bit 0 is read-only 0


def current_lsb_for(chip: Chip, cal: int, shunt_ohms: float) -> Ratio:
    """The Current_LSB a given CAL implies: robust when someone else programmed CAL."""
    if cal <= 0:
        raise DeviceDecodeError("CAL is 0: the chip is not calibrated")
    c, shunt = chip.spec.cal_constant, _exact(shunt_ohms)
    return Ratio(c.num * shunt.den, c.den * cal * shunt.num)


def _trunc_div(num: int, den: int) -> int:
    q = abs(num) // den
    return q if num >= 0 else -q


def current_register(chip: Chip, shunt_reg: int, cal: int) -> int:
    """What the chip puts in CURRENT: shunt × CAL / divisor, truncated, 16-bit."""
    check_word(shunt_reg)
    check_word(cal)
    raw = _trunc_div(sign_extend(shunt_reg, 16) * cal, chip.spec.current_divisor)
    return max(-0x8000, min(0x7FFF, raw)) & 0xFFFF


def power_register(chip: Chip, current_reg: int, bus_reg: int) -> int:
    """What the chip puts in POWER: |current| × bus / divisor (unsigned; sign assumed dropped)."""
    check_word(current_reg)
    bus = bus_value(chip, bus_reg)
    raw = abs(sign_extend(current_reg, 16)) * bus // chip.spec.power_divisor
    return min(0xFFFF, raw)


def bus_value(chip: Chip, bus_reg: int) -> int:
    """Bus voltage count (INA219 drops the CNVR/OVF bits 2:0)."""
    check_word(bus_reg)
    return bus_reg >> chip.spec.bus_shift


def shunt_volts(chip: Chip, shunt_reg: int) -> float:
    check_word(shunt_reg)
    lsb = chip.spec.shunt_lsb
    return sign_extend(shunt_reg, 16) * lsb.num / lsb.den


def bus_volts(chip: Chip, bus_reg: int) -> float:
    lsb = chip.spec.bus_lsb
    return bus_value(chip, bus_reg) * lsb.num / lsb.den


def current_amps(current_reg: int, current_lsb: Ratio | Fraction | float) -> float:
    check_word(current_reg)
    num, den = current_lsb.as_integer_ratio()
    return sign_extend(current_reg, 16) * num / den


def power_watts(chip: Chip, power_reg: int, current_lsb: Ratio | Fraction | float) -> float:
    check_word(power_reg)
    num, den = current_lsb.as_integer_ratio()
    return power_reg * chip.spec.power_lsb_factor * num / den


def decode(chip: Chip, shunt_reg: int, bus_reg: int, current_reg: int, power_reg: int,
           cal: int, shunt_ohms: float) -> Reading:
    """All four measurements; current and power unavailable while CAL is 0."""
    check_word(cal)
    if cal == 0:
        return Reading(shunt_volts(chip, shunt_reg), bus_volts(chip, bus_reg), None, None)
    if not (isinstance(shunt_ohms, (int, float)) and SHUNT_MIN_OHMS <= shunt_ohms <= SHUNT_MAX_OHMS):
        raise DeviceDecodeError(f"shunt resistance {shunt_ohms!r} is not a plausible shunt (1 nΩ..1 MΩ)")
    lsb = current_lsb_for(chip, cal, shunt_ohms)
    return Reading(
        shunt_volts(chip, shunt_reg),
        bus_volts(chip, bus_reg),
        current_amps(current_reg, lsb),
        power_watts(chip, power_reg, lsb),
    )


def encode_shunt(chip: Chip, volts: float) -> int:
    """SHUNT_VOLTAGE register for ``volts``, rounded and saturated at ±full scale."""
    if not math.isfinite(volts):
        raise ValueError(f"cannot encode {volts!r}")
    num, den = volts.as_integer_ratio()
    lsb = chip.spec.shunt_lsb
    count = round_ratio(num * lsb.den, den * lsb.num)
    return max(-0x8000, min(0x7FFF, count)) & 0xFFFF


def encode_bus(chip: Chip, volts: float) -> int:
    """BUS_VOLTAGE register for ``volts`` (INA219: value in bits 15:3, flags clear)."""
    if not math.isfinite(volts) or volts < 0:
        raise ValueError(f"cannot encode bus voltage {volts!r}")
    num, den = volts.as_integer_ratio()
    lsb = chip.spec.bus_lsb
    count = round_ratio(num * lsb.den, den * lsb.num)
    limit = 0xFFFF >> chip.spec.bus_shift if chip is Chip.INA219 else 0x7FFF
    return min(limit, count) << chip.spec.bus_shift


if TYPE_CHECKING:
    # What mypy sees; at run time the enum is built from its plain-int table
    # on first use (chassisctl.lazy_enum).
    class Reg(RegInt, enum.IntEnum): ...


__getattr__ = enum_getattr(__name__, globals(), {"Reg": ("IntEnum", RegInt, None)})
