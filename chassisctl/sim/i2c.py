"""The byte-level contract between the simulated bus and the devices on it.

It mirrors the Linux I2C slave backend events (``i2c_slave_event``:
WRITE_REQUESTED, WRITE_RECEIVED, READ_REQUESTED/PROCESSED, STOP), which is
also how the kernel's ``ssif_bmc`` and ``i2c-slave-eeprom`` are written.  A
device sees exactly the bytes a real one would, so PEC, pointer registers,
multi-part SSIF reads and mux switching are modelled at the wire level rather
than per smbus2 call.
"""

from __future__ import annotations

from typing import Protocol


class I2cSlave(Protocol):
    def start(self, read: bool) -> bool:
        """Address phase of a START or repeated START; return False to NAK."""

    def write_byte(self, value: int) -> bool:
        """A byte written by the master; return False to NAK it."""

    def read_byte(self) -> int:
        """The next byte the master clocks in (the master ACKs or NAKs it)."""

    def stop(self) -> None:
        """STOP condition: the transaction is over."""
