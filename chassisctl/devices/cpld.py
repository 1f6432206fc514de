"""CPLD register bit fields with declared access types and polarity.

A CPLD register often mixes read/write controls, read-only status and
write-1-to-clear latches.  Writing such a register back verbatim clears every
latch that happened to be set, so a write is computed from the declaration of
every field in the register: other rw bits keep their current value, and
w1c, self-clearing and write-only bits of other fields are written 0.
Bits nobody declared are treated as reserved and written 0.

A field's value is logical: ``extract`` applies ``active_low`` (and the PDDF
masked compare ``(reg & mask) == cmpval`` when ``cmpval`` is given, returning
1 or 0), ``encode`` does the inverse.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from chassisctl.namedtuple import NamedTuple

from chassisctl.devices.smbus import check_byte

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Access(enum.Enum):
    RO = "ro"
    RW = "rw"
    W1C = "w1c"  # latched; writing 1 clears
    SC = "sc"  # self-clearing trigger: write 1, hardware returns it to 0
    PULSE = "pulse"  # rw output that software asserts for a width, then deasserts
    WO = "wo"  # write-only (magic-value triggers); reads mean nothing

    @property
    def writable(self) -> bool:
        return self is not Access.RO


#: Bits whose current value a read-modify-write of another field carries over.
PRESERVED = (Access.RW, Access.PULSE)


def _bits(mask: int) -> list[int]:
    return [n for n in range(8) if mask & (1 << n)]


def _pext(value: int, mask: int) -> int:
    """Gather the bits of ``value`` selected by ``mask`` into the low bits."""
    return sum(((value >> bit) & 1) << i for i, bit in enumerate(_bits(mask)))


def _pdep(value: int, mask: int) -> int:
    """Scatter the low bits of ``value`` into the positions of ``mask``."""
    return sum(((value >> i) & 1) << bit for i, bit in enumerate(_bits(mask)))


class _FieldFields(NamedTuple):
    name: str
    register: int
    mask: int
    access: Access = Access.RO
    active_low: bool = False
    cmpval: int | None = None
    pulse_width_s: float | None = None
    verify: bool = False  # read back after writing


class Field(_FieldFields):
    """One declared bit field: where it is, how it may be accessed, what 'on' means."""

    __slots__ = ()

    def __new__(cls, *args: Any, **kwargs: Any) -> Field:
        self = super().__new__(cls, *args, **kwargs)
        if not 0 <= self.register <= 0xFF:
            raise ValueError(f"{self.name}: register {self.register!r} is not 00h..FFh")
        if not 0 < self.mask <= 0xFF:
            raise ValueError(f"{self.name}: mask {self.mask!r} must be 01h..FFh")
        if self.cmpval is not None:
            if self.cmpval & ~self.mask:
                raise ValueError(f"{self.name}: cmpval {self.cmpval:02X}h has bits outside mask {self.mask:02X}h")
            if self.active_low:
                raise ValueError(f"{self.name}: cmpval already encodes polarity; drop active_low")
        if self.pulse_width_s is not None and not self.pulse_width_s > 0:
            raise ValueError(f"{self.name}: pulse width must be positive")
        return self

    @property
    def width(self) -> int:
        return bin(self.mask).count("1")

    @property
    def max_value(self) -> int:
        return 1 if self.cmpval is not None else (1 << self.width) - 1


def extract(field: Field, raw: int) -> int:
    """Logical value of ``field`` in a register byte."""
    check_byte(raw)
    if field.cmpval is not None:
        return int((raw & field.mask) == field.cmpval)
    value = _pext(raw, field.mask)
    return value ^ field.max_value if field.active_low else value


def encode(field: Field, value: int) -> int:
    """Register bits (within ``field.mask``) that represent logical ``value``."""
    if not isinstance(value, int) or not 0 <= value <= field.max_value:
        raise ValueError(f"{field.name}: value {value!r} outside 0..{field.max_value}")
    if field.cmpval is not None:
        return field.cmpval if value else field.cmpval ^ field.mask
    if field.active_low:
        value ^= field.max_value
    return _pdep(value, field.mask)


class _RegisterFields(NamedTuple):
    address: int
    fields: tuple[Field, ...]


class Register(_RegisterFields):
    """Every declared field of one register address, so writes can be made safe."""

    __slots__ = ()

    def __new__(cls, *args: Any, **kwargs: Any) -> Register:
        self = super().__new__(cls, *args, **kwargs)
        seen = 0
        for f in self.fields:
            if f.register != self.address:
                raise ValueError(f"{f.name} is in register {f.register:02X}h, not {self.address:02X}h")
            if seen & f.mask:
                raise ValueError(f"{f.name} overlaps another field of register {self.address:02X}h")
            seen |= f.mask
        return self

    def mask_of(self, *access: Access) -> int:
        mask = 0
        for f in self.fields:
            if f.access in access:
                mask |= f.mask
        return mask

    @property
    def undeclared(self) -> int:
        """Bits no field claims (written 0, like reserved bits)."""
        mask = 0
        for f in self.fields:
            mask |= f.mask
        return ~mask & 0xFF


def registers(fields: Iterable[Field]) -> dict[int, Register]:
    """Group fields by register address (raises on overlaps)."""
    grouped: dict[int, list[Field]] = {}
    for f in fields:
        grouped.setdefault(f.register, []).append(f)
    return {addr: Register(addr, tuple(fs)) for addr, fs in sorted(grouped.items())}


def apply(register: Register, field: Field, current: int, value: int) -> int:
    """The byte to write so that ``field`` takes ``value`` and nothing else changes.

    ``current`` is the register as just read.  For a w1c field, ``value`` 1
    means "clear the latch" (its bits are written 1) and 0 writes nothing.
    Other fields' rw bits keep their current value; all w1c, self-clearing,
    write-only, read-only and undeclared bits are written 0.
    """
    check_byte(current)
    if field not in register.fields:
        raise ValueError(f"{field.name} is not declared in register {register.address:02X}h")
    if not field.access.writable:
        raise ValueError(f"{field.name} is read-only")
    keep = current & register.mask_of(*PRESERVED) & ~field.mask
    if field.access is Access.W1C:
        if not isinstance(value, int) or value not in (0, 1):
            raise ValueError(f"{field.name}: w1c takes 1 (clear) or 0, not {value!r}")
        bits = field.mask if value else 0
    else:
        bits = encode(field, value)
    return keep | bits

