"""The byte-level contract between the simulated bus and the devices on it.

It mirrors the Linux I2C slave backend events (``i2c_slave_event``:
WRITE_REQUESTED, WRITE_RECEIVED, READ_REQUESTED/PROCESSED, STOP), which is
also how the kernel's ``ssif_bmc`` and ``i2c-slave-eeprom`` are written.  A
device sees exactly the bytes a real one would, so PEC, pointer registers,
multi-part SSIF reads and mux switching are modelled at the wire level rather
than per smbus2 call.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol
else:
    Protocol = object  # the classes below only describe interfaces to the type checker



class I2cSlave(Protocol):
    def start(self, read: bool) -> bool:
        """Address phase of a START or repeated START; return False to NAK."""

    def write_byte(self, value: int) -> bool:
        """A byte written by the master; return False to NAK it."""

    def read_byte(self) -> int:
        """The next byte the master clocks in (the master ACKs or NAKs it)."""

    def stop(self) -> None:
        """STOP condition: the transaction is over."""


class Segment:
    """One electrical bus segment: the devices that see the same SDA/SCL.

    The root adapter is a segment; each channel of a simulated PCA954x is
    another, reachable only while the switch connects it.
    """

    def __init__(self, name: str = "root") -> None:
        self.name = name
        self.devices: dict[int, I2cSlave] = {}

    def attach(self, addr: int, device: I2cSlave) -> None:
        if not 0x03 <= addr <= 0x77:
            raise ValueError(f"7-bit address {addr:#04x} is reserved")
        self.devices[addr] = device

    def detach(self, addr: int) -> None:
        self.devices.pop(addr, None)


class MuxSlave(I2cSlave, Protocol):
    """A device that connects child segments (PCA954x switches and muxes)."""

    def downstream(self) -> list[Segment]:
        """The child segments connected right now (several for a switch)."""
