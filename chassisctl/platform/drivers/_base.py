"""What every driver shares: the bus, the address, and how it names itself in errors."""

from __future__ import annotations

from typing import Any

from chassisctl.devices.smbus import swap16

#: Anything with smbus2.SMBus's methods (smbus2.SMBus, SimulatedSMBus).
Bus = Any


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
