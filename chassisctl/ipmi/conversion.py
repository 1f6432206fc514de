"""Raw sensor bytes <-> engineering values (IPMI v2.0 §36.3).

    y = L[(M·x + B·10^K1) · 10^K2]

``x`` is the reading byte read as unsigned, one's or two's complement
(SDR units 1 bits 7:6), ``L`` one of the linearisation functions of SDR
byte 24.  Reading a value only needs integer arithmetic and ``math``; the
reverse direction and :func:`choose_factors` work on exact fractions
(imported when first needed) so that 13.2 V at 60 mV per count lands on
raw 220, not 219 because ``13.2 / 0.06`` is 219.99999999999997 in floats.

A BMC compares thresholds against raw readings, so the reverse direction
takes a rounding direction: an upper threshold rounds towards lower values
and a lower threshold towards higher ones, so the alarm fires no later
than the operator asked for (thresholds are compared in raw counts, IPMI
v2.0 §36.3, so one that falls between two counts must be rounded).
"""

from __future__ import annotations

from chassisctl.lazy_enum import enum_getattr

import enum
import math
from collections.abc import Callable
from chassisctl.namedtuple import NamedTuple

from chassisctl.ipmi.decode_errors import DecodeError

TYPE_CHECKING = False

if TYPE_CHECKING:  # both cost milliseconds to import; only the reverse direction needs them
    from decimal import Decimal
    from fractions import Fraction

    Number = int | float | Decimal | Fraction


class AnalogFormatInt:
    """SDR units 1 bits 7:6: how the reading byte encodes ``x``."""

    UNSIGNED = 0
    ONES_COMPLEMENT = 1
    TWOS_COMPLEMENT = 2
    #: No analog reading: the sensor is discrete or the value is meaningless.
    NONE = 3


class LinearizationInt:
    """SDR byte 24; 70h-7Fh are non-linear, with factors per reading."""

    LINEAR = 0x00
    LN = 0x01
    LOG10 = 0x02
    LOG2 = 0x03
    E = 0x04
    EXP10 = 0x05
    EXP2 = 0x06
    RECIPROCAL = 0x07
    SQR = 0x08
    CUBE = 0x09
    SQRT = 0x0A
    CUBE_ROOT = 0x0B


#: Linearisation codes whose M, B, K1, K2 come from Get Sensor Reading Factors.
NON_LINEAR = range(0x70, 0x80)


class Round(enum.Enum):
    """Which raw to pick when a value falls between two steps."""

    NEAREST = "nearest"
    #: The decoded value is <= the requested one (upper thresholds).
    DOWN = "down"
    #: The decoded value is >= the requested one (lower thresholds).
    UP = "up"


def sign_extend(value: int, bits: int) -> int:
    """Two's complement ``bits``-wide field to a Python int."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


class Factors(NamedTuple):
    """M, B and the two exponents, plus the accuracy fields packed with them.

    They travel as the six bytes of SDR bytes 25-30 and of the Get Sensor
    Reading Factors reply (:class:`chassisctl.ipmi.sensor_cmds.SensorReadingFactors`);
    :meth:`pack` / :meth:`unpack` own that layout.
    """

    m: int = 1
    b: int = 0
    #: B exponent (K1), -8..7.
    k1: int = 0
    #: Result exponent (K2, "R"), -8..7.
    k2: int = 0
    #: In +/- half raw counts, 0..63.
    tolerance: int = 0
    #: In 1/100 percent scaled by 10**accuracy_exp, 0..1023.
    accuracy: int = 0
    accuracy_exp: int = 0

    def pack(self, direction: int = 0) -> bytes:
        """Six bytes; ``direction`` (SDR byte 29 bits 1:0) shares a byte with accuracy."""
        _check("m", self.m, -512, 511)
        _check("b", self.b, -512, 511)
        _check("k1", self.k1, -8, 7)
        _check("k2", self.k2, -8, 7)
        _check("tolerance", self.tolerance, 0, 63)
        _check("accuracy", self.accuracy, 0, 1023)
        _check("accuracy_exp", self.accuracy_exp, 0, 3)
        _check("direction", direction, 0, 3)
        m, b = self.m & 0x3FF, self.b & 0x3FF
        return bytes(
            (
                m & 0xFF,
                (m >> 8) << 6 | self.tolerance,
                b & 0xFF,
                (b >> 8) << 6 | (self.accuracy & 0x3F),
                (self.accuracy >> 6) << 4 | self.accuracy_exp << 2 | direction,
                (self.k2 & 0xF) << 4 | (self.k1 & 0xF),
            )
        )

    @classmethod
    def unpack(cls, data: bytes) -> Factors:
        """Inverse of :meth:`pack` (the direction bits are not part of the result)."""
        if len(data) != 6:
            raise DecodeError(f"reading factors: need 6 bytes, got {len(data)}")
        return cls(
            m=sign_extend(data[0] | (data[1] >> 6) << 8, 10),
            b=sign_extend(data[2] | (data[3] >> 6) << 8, 10),
            k1=sign_extend(data[5], 4),
            k2=sign_extend(data[5] >> 4, 4),
            tolerance=data[1] & 0x3F,
            accuracy=(data[3] & 0x3F) | (data[4] >> 4) << 6,
            accuracy_exp=(data[4] >> 2) & 3,
        )

    @property
    def step(self) -> float:
        """Engineering units per raw count (linear sensors)."""
        return _scale(abs(self.m), self.k2)

    @property
    def accuracy_percent(self) -> float:
        return self.accuracy * 10.0**self.accuracy_exp / 100


def _check(name: str, value: int, lo: int, hi: int) -> None:
    if not lo <= value <= hi:
        raise ValueError(f"{name}={value} outside {lo}..{hi}")


def _scale(n: int, exp: int) -> float:
    """``n * 10**exp`` rounded once (int / int division is correctly rounded)."""
    return float(n * 10**exp) if exp >= 0 else n / 10**-exp


def _linear(f: Factors, x: int) -> float:
    e = min(f.k1, 0)
    scaled = f.m * x * 10**-e + f.b * 10 ** (f.k1 - e)  # (M·x + B·10^K1) · 10^-e
    return _scale(scaled, f.k2 + e)


_FUNCS: dict[int, Callable[[float], float]] = {
    LinearizationInt.LINEAR: lambda y: y,
    LinearizationInt.LN: math.log,
    LinearizationInt.LOG10: math.log10,
    LinearizationInt.LOG2: math.log2,
    LinearizationInt.E: math.exp,
    LinearizationInt.EXP10: lambda y: 10.0**y,
    LinearizationInt.EXP2: lambda y: 2.0**y,
    LinearizationInt.RECIPROCAL: lambda y: 1.0 / y,
    LinearizationInt.SQR: lambda y: y * y,
    LinearizationInt.CUBE: lambda y: y * y * y,
    LinearizationInt.SQRT: math.sqrt,
    LinearizationInt.CUBE_ROOT: math.cbrt,
}

_X_RANGE = {
    AnalogFormatInt.UNSIGNED: (0, 255),
    AnalogFormatInt.ONES_COMPLEMENT: (-127, 127),
    AnalogFormatInt.TWOS_COMPLEMENT: (-128, 127),
}


class Conversion(NamedTuple):
    """Everything needed to turn a reading byte into a value and back."""

    factors: Factors = Factors()
    analog_format: int = AnalogFormatInt.UNSIGNED
    linearization: int = LinearizationInt.LINEAR

    @property
    def convertible(self) -> bool:
        """False for "no analog reading" and unknown linearisation codes."""
        lin = self.linearization & 0x7F
        return self.analog_format in _X_RANGE and (lin in _FUNCS or lin in NON_LINEAR)

    @property
    def step(self) -> float:
        return self.factors.step

    def x(self, raw: int) -> int | None:
        """The reading byte as the signed integer the formula takes."""
        raw &= 0xFF
        if self.analog_format == AnalogFormatInt.ONES_COMPLEMENT:
            return raw - 255 if raw & 0x80 else raw
        if self.analog_format == AnalogFormatInt.TWOS_COMPLEMENT:
            return raw - 256 if raw & 0x80 else raw
        if self.analog_format == AnalogFormatInt.UNSIGNED:
            return raw
        return None

    def raw(self, x: int) -> int:
        """Inverse of :meth:`x`: the byte that carries ``x`` (clamped)."""
        lo, hi = _X_RANGE.get(self.analog_format & 3, (0, 255))
        x = min(max(x, lo), hi)
        if x >= 0:
            return x
        return 255 + x if self.analog_format == AnalogFormatInt.ONES_COMPLEMENT else 256 + x

    def _function(self, factors: Factors | None) -> tuple[Factors, Callable[[float], float]] | None:
        lin = self.linearization & 0x7F
        if lin in NON_LINEAR:
            # The SDR's own factors are not valid for non-linear sensors.
            return (factors, _FUNCS[LinearizationInt.LINEAR]) if factors is not None else None
        func = _FUNCS.get(lin)
        return (factors or self.factors, func) if func is not None else None

    def to_value(self, raw: int, factors: Factors | None = None) -> float | None:
        """Engineering value of a reading byte, or None when it has none.

        ``factors`` overrides the SDR's (Get Sensor Reading Factors, needed
        for linearisation 70h-7Fh).  Math domain errors (ln 0, 1/0) give
        None rather than an exception: a listing shows "na" for them.
        """
        picked = self._function(factors)
        x = self.x(raw)
        if picked is None or x is None:
            return None
        f, func = picked
        try:
            y = func(_linear(f, x))
        except (ValueError, ZeroDivisionError, OverflowError):
            return None
        return y if math.isfinite(y) else None

    def hysteresis(self, counts: int, factors: Factors | None = None) -> float:
        """Hysteresis is kept in raw counts; in linear units it is counts·step."""
        return counts * (factors or self.factors).step

    def value_range(self) -> tuple[float, float] | None:
        """Lowest and highest value any reading byte decodes to."""
        values = [v for v in map(self.to_value, range(256)) if v is not None]
        return (min(values), max(values)) if values else None

    def to_raw(self, value: Number, direction: Round = Round.NEAREST, factors: Factors | None = None) -> int:
        """The reading byte for ``value``, clamped to the representable range.

        Linear sensors are solved exactly; other linearisations search the
        256 bytes for the best one in ``direction``.  Raises ValueError when
        no byte has a value (format 3, unknown linearisation).
        """
        picked = self._function(factors)
        if picked is None or self.analog_format not in _X_RANGE:
            raise ValueError("sensor has no convertible analog reading")
        f, func = picked
        if func is _FUNCS[LinearizationInt.LINEAR]:
            return self.raw(_solve_linear(f, value, direction))
        return self._search(float(exact(value)), direction, factors)

    def _search(self, target: float, direction: Round, factors: Factors | None) -> int:
        values = [(v, raw) for raw in range(256) if (v := self.to_value(raw, factors)) is not None]
        if not values:
            raise ValueError("no reading byte has a value")
        eps = 1e-12 * max(1.0, abs(target))
        if direction is Round.DOWN:
            below = [p for p in values if p[0] <= target + eps]
            return max(below)[1] if below else min(values)[1]
        if direction is Round.UP:
            above = [p for p in values if p[0] >= target - eps]
            return min(above)[1] if above else max(values)[1]
        return min(values, key=lambda p: abs(p[0] - target))[1]


def exact(value: Number) -> Fraction:
    """A decimal-exact fraction: 15.3 means 153/10, not the nearest double."""
    from fractions import Fraction

    try:
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError
            return Fraction(repr(value))
        return Fraction(value)
    except (ValueError, OverflowError):
        raise ValueError(f"not a finite number: {value}") from None


def _solve_linear(f: Factors, value: Number, direction: Round) -> int:
    """x for y = (M·x + B·10^K1)·10^K2, as an integer in ``direction``."""
    if f.m == 0:
        return 0  # every byte reads the same value
    quick = _solve_linear_float(f, value, direction)
    if quick is not None:
        return quick
    if isinstance(value, (int, float)) and type(value) in (int, float):
        return _solve_linear_int(f, value, direction)
    from fractions import Fraction

    x = (exact(value) / Fraction(10) ** f.k2 - f.b * Fraction(10) ** f.k1) / f.m
    if direction is Round.NEAREST:
        return math.floor(x + Fraction(1, 2))
    # Rounding x down lowers the value only when M is positive.
    lower = (direction is Round.DOWN) == (f.m > 0)
    return math.floor(x) if lower else math.ceil(x)


def _solve_linear_int(f: Factors, value: int | float, direction: Round) -> int:
    """:func:`_solve_linear`'s exact answer in integers, for a plain int or float.

    A reading on a half count (40.5 degrees at 1 degree a count) is exactly
    where the float path gives up; this gives the same answer as the
    Fraction arithmetic (tested against it) without importing
    :mod:`fractions` and :mod:`decimal` (~2 ms) on every platform command.
    """
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {value}")
        p, q = _decimal_ratio(value)
    else:
        p, q = value, 1
    # x = (p/q / 10^k2 - b·10^k1) / m = num / den
    a, c = (p * 10**-f.k2, q) if f.k2 <= 0 else (p, q * 10**f.k2)
    e, g = (f.b * 10**f.k1, 1) if f.k1 >= 0 else (f.b, 10**-f.k1)
    num, den = a * g - e * c, c * g * f.m
    if den < 0:
        num, den = -num, -den
    if direction is Round.NEAREST:
        return (2 * num + den) // (2 * den)
    lower = (direction is Round.DOWN) == (f.m > 0)
    return num // den if lower else -(-num // den)


def _decimal_ratio(value: float) -> tuple[int, int]:
    """``Fraction(repr(value))`` as (numerator, denominator) for a finite float: 15.3 is 153/10."""
    mantissa, _, exp = repr(value).partition("e")
    whole, _, frac = mantissa.partition(".")
    num = int(whole + frac)
    shift = (int(exp) if exp else 0) - len(frac)
    return (num * 10**shift, 1) if shift >= 0 else (num, 10**-shift)


def _solve_linear_float(f: Factors, value: Number, direction: Round) -> int | None:
    """:func:`_solve_linear` in floats, or None when floats cannot be trusted to agree.

    Every live reading goes through here (the simulator and the platform
    backend turn each measured value into its raw byte), and exact fractions
    cost ~30 us a reading plus the ``fractions`` import.  The float result is
    the exact one unless ``x`` lies within rounding error of the point where
    the answer changes (a whole or half count, 13.2 V at 60 mV per count);
    then, and for anything but a plain int or float, this gives up and the
    caller solves exactly.
    """
    if type(value) not in (int, float) or not math.isfinite(value):
        return None
    scaled = value * 10**-f.k2 if f.k2 < 0 else value / 10**f.k2
    offset = f.b * 10**f.k1 if f.k1 >= 0 else f.b / 10**-f.k1
    x = (scaled - offset) / f.m
    if not math.isfinite(x) or abs(x) > 1e12:
        return None
    tolerance = 1e-9 * (abs(scaled) + abs(offset) + abs(x)) + 1e-12
    if direction is Round.NEAREST:
        x += 0.5
        floor = math.floor(x)
        return None if min(x - floor, floor + 1 - x) < tolerance else floor
    floor = math.floor(x)
    if min(x - floor, floor + 1 - x) < tolerance:
        return None
    lower = (direction is Round.DOWN) == (f.m > 0)
    return floor if lower else floor + 1


def choose_factors(
    lo: Number,
    hi: Number,
    *,
    resolution: Number | None = None,
    signed: bool | None = None,
    slack: float = 0.05,
) -> Conversion:
    """Linear factors covering ``lo..hi`` with the finest sensible step.

    The step must be at least ``(hi - lo) / 255`` (and ``resolution`` when
    given, e.g. 1 for a sensor that only reports whole degrees).  Among
    steps M·10^K2 (1 <= M <= 511) within ``slack`` of the finest one, the
    one with the smallest ``|K2|`` wins: 8 W rather than 7.9 W, 60 mV
    rather than 60.0 mV spelt M=60, K2=-3.  The offset B·10^K1 is ``lo``
    (or 0 when that still covers the range), raising K1 until
    ``|B| <= 511``; when ``lo`` has more digits than B can hold, the
    nearest representable offset below it is used and M grows until the
    range is still covered.

    ``signed=None`` also tries two's complement readings when ``lo < 0``
    and keeps them only if the step is strictly finer; True or False
    forces the choice.  Raises ValueError for an empty or unrepresentable
    range.
    """
    from fractions import Fraction

    flo, fhi = exact(lo), exact(hi)
    if not fhi > flo:
        raise ValueError(f"empty range {lo}..{hi}")
    need = max((fhi - flo) / 255, exact(resolution) if resolution is not None else Fraction(0))
    formats = []
    if signed is not True:
        formats.append(AnalogFormatInt.UNSIGNED)
    if signed is True or (signed is None and flo < 0):
        formats.append(AnalogFormatInt.TWOS_COMPLEMENT)
    fits = [c for fmt in formats if (c := _fit(flo, fhi, need, slack, fmt)) is not None]
    if not fits:
        raise ValueError(f"range {lo}..{hi} cannot be represented by M, B, K1, K2")
    return min(fits, key=lambda c: _step_exact(c.factors))  # stable: unsigned wins ties


def _step_exact(f: Factors) -> Fraction:
    from fractions import Fraction

    return abs(f.m) * Fraction(10) ** f.k2


def _fit(lo: Fraction, hi: Fraction, need: Fraction, slack: float, fmt: int) -> Conversion | None:
    from fractions import Fraction

    xmin, xmax = _X_RANGE[fmt]
    candidates = []
    for k2 in range(-8, 8):
        unit = Fraction(10) ** k2
        m = max(1, math.ceil(need / unit))
        # Grow M until an offset B·10^K1 (a coarse grid: |B| <= 511) fits.
        while m <= 511:
            low, high = (hi - xmax * m * unit) / unit, (lo - xmin * m * unit) / unit
            offset = _offset(low, high)
            if offset is None:
                break
            b, k1, value = offset
            if value >= low:
                candidates.append((m * unit, k2, m, b, k1))
                break
            m = max(m + 1, math.ceil((hi / unit - value) / xmax))
    if not candidates:
        return None
    limit = min(c[0] for c in candidates) * (1 + exact(slack))
    # Fewest decimal places among the near-finest steps, else the finest.
    _, k2, m, b, k1 = min(candidates, key=lambda c: (c[0] > limit, abs(c[1]) if c[0] <= limit else c[0], c[1]))
    return Conversion(Factors(m=m, b=b, k1=k1, k2=k2), fmt)


def _offset(low: Fraction, high: Fraction) -> tuple[int, int, Fraction] | None:
    """B, K1 and B·10^K1: 0 if within low..high, else the largest value <= high."""
    from fractions import Fraction

    if low <= 0 <= high:
        return 0, 0, Fraction(0)
    best: tuple[Fraction, int, int, int] | None = None
    for k1 in range(-8, 8):
        unit = Fraction(10) ** k1
        b = math.floor(high / unit)
        if abs(b) > 511:
            continue
        key = (b * unit, -abs(k1), b, k1)
        if best is None or key > best:
            best = key
    return (best[2], best[3], best[0]) if best is not None else None


if TYPE_CHECKING:
    import enum

    # What mypy sees; at run time each enum is built from its plain-int
    # table on first use (chassisctl.lazy_enum).
    class AnalogFormat(AnalogFormatInt, enum.IntEnum): ...

    class Linearization(LinearizationInt, enum.IntEnum): ...


__getattr__ = enum_getattr(__name__, globals(), {
    "AnalogFormat": ("IntEnum", AnalogFormatInt, AnalogFormatInt.__doc__),
    "Linearization": ("IntEnum", LinearizationInt, LinearizationInt.__doc__),
})
