"""Sensor unit codes (IPMI v2.0 table 43-15) and how a listing prints them.

A Full or Compact SDR names its unit with three codes: a base unit, an
optional modifier unit related to it by division or multiplication, and a
rate (per second, per hour ...), plus a "percentage" flag.  The tables are
data indexed by code so the CLI, ``serve`` and the simulator print the same
words; :func:`unit_string` is the one place that joins them.

Long names follow the spec's wording, which is also what ipmitool prints
("degrees C", "Volts", "RPM"), so scripts parsing either output agree.
"""

from __future__ import annotations

from chassisctl.lazy_enum import enum_getattr



class UnitInt:
    """The unit codes a synthesised SDR uses; any 0..92 code is valid."""

    UNSPECIFIED = 0
    DEGREES_C = 1
    DEGREES_F = 2
    DEGREES_K = 3
    VOLTS = 4
    AMPS = 5
    WATTS = 6
    JOULES = 7
    CFM = 17
    RPM = 18
    HZ = 19
    SECOND = 22
    BYTE = 70
    ERROR = 88
    CORRECTABLE_ERROR = 89
    UNCORRECTABLE_ERROR = 90


class ModifierRelationInt:
    """Units 1 bits 2:1: how the modifier unit combines with the base unit."""

    NONE = 0
    DIVIDE = 1  # base / modifier
    MULTIPLY = 2  # base * modifier


class RateUnitInt:
    """Units 1 bits 5:3."""

    NONE = 0
    PER_MICROSECOND = 1
    PER_MILLISECOND = 2
    PER_SECOND = 3
    PER_MINUTE = 4
    PER_HOUR = 5
    PER_DAY = 6


#: (long name, short symbol) by unit code.  Code 59 is reserved in the spec.
_UNITS: tuple[tuple[str, str], ...] = (
    ("unspecified", ""),
    ("degrees C", "°C"),
    ("degrees F", "°F"),
    ("degrees K", "K"),
    ("Volts", "V"),
    ("Amps", "A"),
    ("Watts", "W"),
    ("Joules", "J"),
    ("Coulombs", "C"),
    ("VA", "VA"),
    ("Nits", "nt"),
    ("lumen", "lm"),
    ("lux", "lx"),
    ("Candela", "cd"),
    ("kPa", "kPa"),
    ("PSI", "psi"),
    ("Newton", "N"),
    ("CFM", "CFM"),
    ("RPM", "RPM"),
    ("Hz", "Hz"),
    ("microsecond", "µs"),
    ("millisecond", "ms"),
    ("second", "s"),
    ("minute", "min"),
    ("hour", "h"),
    ("day", "d"),
    ("week", "wk"),
    ("mil", "mil"),
    ("inches", "in"),
    ("feet", "ft"),
    ("cu in", "in³"),
    ("cu feet", "ft³"),
    ("mm", "mm"),
    ("cm", "cm"),
    ("m", "m"),
    ("cu cm", "cm³"),
    ("cu m", "m³"),
    ("liters", "L"),
    ("fluid ounce", "fl oz"),
    ("radians", "rad"),
    ("steradians", "sr"),
    ("revolutions", "rev"),
    ("cycles", "cycles"),
    ("gravities", "gn"),
    ("ounce", "oz"),
    ("pound", "lb"),
    ("ft-lb", "ft·lb"),
    ("oz-in", "oz·in"),
    ("gauss", "Gs"),
    ("gilberts", "Gb"),
    ("henry", "H"),
    ("millihenry", "mH"),
    ("farad", "F"),
    ("microfarad", "µF"),
    ("ohms", "Ω"),
    ("siemens", "S"),
    ("mole", "mol"),
    ("becquerel", "Bq"),
    ("PPM", "ppm"),
    ("reserved", ""),
    ("Decibels", "dB"),
    ("DbA", "dBA"),
    ("DbC", "dBC"),
    ("gray", "Gy"),
    ("sievert", "Sv"),
    ("color temp deg K", "K"),
    ("bit", "bit"),
    ("kilobit", "kbit"),
    ("megabit", "Mbit"),
    ("gigabit", "Gbit"),
    ("byte", "B"),
    ("kilobyte", "kB"),
    ("megabyte", "MB"),
    ("gigabyte", "GB"),
    ("word", "word"),
    ("dword", "dword"),
    ("qword", "qword"),
    ("line", "line"),
    ("hit", "hit"),
    ("miss", "miss"),
    ("retry", "retry"),
    ("reset", "reset"),
    ("overrun/overflow", "overrun"),
    ("underrun", "underrun"),
    ("collision", "collision"),
    ("packets", "packets"),
    ("messages", "messages"),
    ("characters", "characters"),
    ("error", "error"),
    ("correctable error", "correctable error"),
    ("uncorrectable error", "uncorrectable error"),
    ("fatal error", "fatal error"),
    ("grams", "g"),
)

#: Highest defined unit code.
MAX_UNIT = len(_UNITS) - 1

_RATES_LONG = ("", "per microsecond", "per millisecond", "per second", "per minute", "per hour", "per day", "")
_RATES_SHORT = ("", "/µs", "/ms", "/s", "/min", "/h", "/d", "")


def unit_name(code: int, *, short: bool = False) -> str:
    """Name of one unit code; codes past the table print as ``unit <n>``."""
    if 0 <= code <= MAX_UNIT:
        return _UNITS[code][1 if short else 0]
    return f"unit {code}"


def unit_string(
    base: int,
    modifier: int = 0,
    relation: int = ModifierRelationInt.NONE,
    percentage: bool = False,
    rate: int = RateUnitInt.NONE,
    *,
    short: bool = False,
) -> str:
    """The unit column of a sensor listing, e.g. ``"Volts"``, ``"% RPM"``.

    ``base`` 0 ("unspecified") prints as nothing, so a percentage sensor
    with no base unit reads ``"percent"`` (``"%"`` short), not
    ``"% unspecified"``.  Relation 3 is reserved and ignored.
    """
    text = unit_name(base, short=short) if base else ""
    if relation in (ModifierRelationInt.DIVIDE, ModifierRelationInt.MULTIPLY) and modifier:
        sep = "/" if relation == ModifierRelationInt.DIVIDE else ("·" if short else "*")
        text = f"{text or '1'}{sep}{unit_name(modifier, short=short)}"
    if 0 <= rate < len(_RATES_LONG) and _RATES_LONG[rate]:
        text = f"{text}{_RATES_SHORT[rate]}" if short else f"{text} {_RATES_LONG[rate]}".strip()
    if percentage:
        text = f"% {text}" if text else ("%" if short else "percent")
    return text


TYPE_CHECKING = False
if TYPE_CHECKING:
    import enum

    # What mypy sees; at run time each enum is built from its plain-int
    # table on first use (chassisctl.lazy_enum).
    class Unit(UnitInt, enum.IntEnum): ...

    class ModifierRelation(ModifierRelationInt, enum.IntEnum): ...

    class RateUnit(RateUnitInt, enum.IntEnum): ...


__getattr__ = enum_getattr(__name__, globals(), {
    "Unit": ("IntEnum", UnitInt, UnitInt.__doc__),
    "ModifierRelation": ("IntEnum", ModifierRelationInt, ModifierRelationInt.__doc__),
    "RateUnit": ("IntEnum", RateUnitInt, RateUnitInt.__doc__),
})
