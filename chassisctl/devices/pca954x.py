"""PCA954x I2C switches and multiplexers: the control byte <-> connected channels.

The chip has a single control register and no command byte.  A *switch*
(PCA9548/9546/9545/9543) connects every channel whose bit is set; a *mux*
(PCA9544/9547) connects at most one, named by a channel number plus an enable
bit.  00h isolates everything (the power-on state).  Some parts report
interrupts in the upper bits, which decoding ignores.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from chassisctl.namedtuple import NamedTuple

from chassisctl.devices.register_error import DeviceDecodeError
from chassisctl.devices.smbus import check_byte

ADDRESSES = range(0x70, 0x78)


class KindSpec(NamedTuple):
    name: str
    channels: int
    is_mux: bool
    enable_bit: int = 0  # muxes only
    interrupt_mask: int = 0  # read-only interrupt bits


class Kind(enum.Enum):
    PCA9548 = KindSpec("pca9548", 8, False)
    PCA9546 = KindSpec("pca9546", 4, False)
    PCA9545 = KindSpec("pca9545", 4, False, interrupt_mask=0xF0)
    PCA9543 = KindSpec("pca9543", 2, False, interrupt_mask=0x30)
    PCA9544 = KindSpec("pca9544", 4, True, enable_bit=0x04, interrupt_mask=0xF0)
    PCA9547 = KindSpec("pca9547", 8, True, enable_bit=0x08)

    @property
    def spec(self) -> KindSpec:
        return self.value

    @classmethod
    def from_name(cls, name: str) -> Kind:
        for kind in cls:
            if kind.spec.name == name.lower():
                return kind
        raise ValueError(f"unknown PCA954x kind {name!r}")


def encode_channels(kind: Kind, channels: Iterable[int]) -> int:
    """Control byte connecting exactly ``channels`` (empty = 00h, all isolated)."""
    wanted = sorted(set(channels))
    spec = kind.spec
    for channel in wanted:
        if not 0 <= channel < spec.channels:
            raise ValueError(f"{spec.name} has channels 0..{spec.channels - 1}, not {channel}")
    if spec.is_mux:
        if len(wanted) > 1:
            raise ValueError(f"{spec.name} is a mux: one channel at a time, not {wanted}")
        return spec.enable_bit | wanted[0] if wanted else 0x00
    value = 0
    for channel in wanted:
        value |= 1 << channel
    return value


def decode_channels(kind: Kind, control: int) -> frozenset[int]:
    """Channels the control byte connects; bits the part cannot set are an error."""
    check_byte(control)
    spec = kind.spec
    value = control & ~spec.interrupt_mask
    if spec.is_mux:
        if value & ~(spec.enable_bit | (spec.enable_bit - 1)):
            raise DeviceDecodeError(f"{spec.name} control {control:02X}h has reserved bits set")
        return frozenset({value & (spec.enable_bit - 1)}) if value & spec.enable_bit else frozenset()
    if value >> spec.channels:
        raise DeviceDecodeError(f"{spec.name} control {control:02X}h selects a channel it lacks")
    return frozenset(n for n in range(spec.channels) if value & (1 << n))


def decode_interrupts(kind: Kind, control: int) -> frozenset[int]:
    """Channels reporting an interrupt (PCA9543/9544/9545)."""
    check_byte(control)
    mask = kind.spec.interrupt_mask
    if not mask:
        return frozenset()
    shift = (mask & -mask).bit_length() - 1
    return frozenset(n for n in range(kind.spec.channels) if (control & mask) >> shift & (1 << n))
