"""What every driver shares: the bus, the address, how it names itself in errors.

Bus errnos become errors through :mod:`chassisctl.i2c_errors` (``bus_io``);
the errors below are the drivers' own, about what a device did or may do
rather than what the bus reported.
"""

from __future__ import annotations

from typing import Any, Protocol

from chassisctl.devices.smbus import swap16
from chassisctl.errors import BusIOError, ConfigError


class VerifyFailed(BusIOError):
    """A value read back after a write is not what was written."""

    code = "verify"


class DeassertFailed(BusIOError):
    """A pulsed output could not be released: the line may still be asserted."""

    code = "deassert-failed"


class NotOwned(ConfigError):
    """A state-changing operation on a device the description does not declare owned."""

    code = "not-owned"


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
