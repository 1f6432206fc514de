"""What every driver shares: the bus, the address, how it names itself in errors.

Bus errnos become errors through :mod:`chassisctl.i2c_errors` (``bus_io``);
the errors below are the drivers' own, about what a device did or may do
rather than what the bus reported.

A driver named by a device kind's table entry (:mod:`chassisctl.platform.kinds`)
also implements :class:`DriverHooks`: how a declared device becomes a driver,
how a reading is taken, what ``platform probe`` reads.  :class:`I2cDevice`
gives the defaults.
"""

from __future__ import annotations


from chassisctl.devices.smbus import swap16
from chassisctl.errors import BusIOError, ChassisError, ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol
else:
    Protocol = object  # the classes below only describe interfaces to the type checker
if TYPE_CHECKING:
    from typing import Any

if TYPE_CHECKING:
    from chassisctl.platform.description import DeviceDecl
    from chassisctl.platform.readers import Hardware


class VerifyFailed(BusIOError):
    """A value read back after a write is not what was written."""

    code = "verify"


class DeassertFailed(BusIOError):
    """A pulsed output could not be released: the line may still be asserted."""

    code = "deassert-failed"


class NotOwned(ConfigError):
    """A state-changing operation on a device the description does not declare owned."""

    code = "not-owned"


class DriverHooks(Protocol):
    """What :class:`~chassisctl.platform.readers.Hardware` and ``platform probe`` ask of a kind's driver."""

    #: Said after the reading's name when a read gives no value ("unavailable", "read failed").
    unavailable: str

    @classmethod
    def for_device(cls, dev: DeviceDecl, hw: Hardware) -> DriverHooks:
        """The driver of a declared device, on ``hw``'s bus."""
        ...

    def sample(self, hw: Hardware, dev: DeviceDecl, reading: str) -> float | None:
        """An analog reading in engineering units; None when the device has no value now."""
        ...

    def state(self, hw: Hardware, dev: DeviceDecl, reading: str) -> int:
        """A discrete reading: the bits of its sensor-specific offsets."""
        ...

    def probe(self, hw: Hardware, dev: DeviceDecl, regs: dict[str, str]) -> str:
        """Read the kind's signature registers (safe reads only); record them in ``regs``; say what answered."""
        ...

    def forget(self) -> None:
        """Drop what was cached about the device (after a failure it may have been reset)."""
        ...


def probe_byte(hw: Hardware, dev: DeviceDecl, reg: int, regs: dict[str, str]) -> int:
    """One byte register read for ``platform probe``, recorded as ``{"00h": "1Fh"}``."""
    from chassisctl.i2c_errors import bus_io

    with bus_io(f"{dev.name}: read register {reg:02X}h"):
        value = int(hw.bus.read_byte_data(dev.address, reg))
    regs[f"{reg:02X}h"] = f"{value:02X}h"
    return value


class Bus(Protocol):
    """The part of ``smbus2.SMBus`` the drivers use (``SimulatedSMBus`` has it too).

    ``force`` is deliberately absent: I2C_SLAVE_FORCE would interleave our
    transactions with a kernel driver's.
    """

    pec: int

    def read_byte(self, i2c_addr: int) -> int: ...
    def write_byte(self, i2c_addr: int, value: int) -> None: ...
    def read_byte_data(self, i2c_addr: int, register: int) -> int: ...
    def write_byte_data(self, i2c_addr: int, register: int, value: int) -> None: ...
    def read_word_data(self, i2c_addr: int, register: int) -> int: ...
    def write_word_data(self, i2c_addr: int, register: int, value: int) -> None: ...
    def read_block_data(self, i2c_addr: int, register: int) -> list[int]: ...
    def read_i2c_block_data(self, i2c_addr: int, register: int, length: int) -> list[int]: ...
    def write_i2c_block_data(self, i2c_addr: int, register: int, data: list[int]) -> None: ...
    def i2c_rdwr(self, *i2c_msgs: Any) -> None: ...


class I2cDevice:
    """A device at a 7-bit address on an smbus2-like bus (never opened with force)."""

    family = "device"

    def __init__(self, bus: Bus, addr: int) -> None:
        if not 0x03 <= addr <= 0x77:
            raise ValueError(f"7-bit address {addr:#04x} is reserved or out of range")
        self.bus = bus
        self.addr = addr

    @property
    def label(self) -> str:
        return f"{self.family} at {self.addr:#04x}"

    def _what(self, action: str) -> str:
        return f"{self.label}: {action}"

    def _read_be_word(self, reg: int) -> int:
        """An MSB-first 16-bit register: SMBus Read Word assembles LSB first, so swap."""
        return swap16(self.bus.read_word_data(self.addr, reg))

    def _write_be_word(self, reg: int, value: int) -> None:
        self.bus.write_word_data(self.addr, reg, swap16(value))

    # -- DriverHooks defaults --------------------------------------------------------
    unavailable = "unavailable"

    def sample(self, hw: Hardware, dev: DeviceDecl, reading: str) -> float | None:
        raise ValueError(f"{dev.kind} has no reading {reading}")

    def state(self, hw: Hardware, dev: DeviceDecl, reading: str) -> int:
        raise ValueError(f"{dev.kind} has no discrete reading {reading}")

    def probe(self, hw: Hardware, dev: DeviceDecl, regs: dict[str, str]) -> str:
        raise ChassisError(f"{dev.kind}: nothing to probe")

    def forget(self) -> None:
        pass
