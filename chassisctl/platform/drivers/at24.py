"""AT24-class EEPROM driver (FRU storage behind us).

Reads send the word address on every chunk (another master may have moved
the pointer) with a repeated START, through ``i2c_rdwr``; 16-bit parts need
that plain-I2C path, 8-bit parts may use SMBus I2C-block reads instead
(``smbus=True``) on adapters without raw I2C.  Writes never cross a page.
While a part programs a page it NAKs its address; like the kernel driver,
every transfer retries a NAK for ``write_timeout_s`` of the injected clock.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from smbus2 import i2c_msg

from chassisctl.clock import Clock, SystemClock
from chassisctl.devices import at24
from chassisctl.platform.drivers._base import Bus, I2cDevice
from chassisctl.i2c_errors import NotAnswering, bus_io

if TYPE_CHECKING:
    from chassisctl.platform.description import DeviceDecl
    from chassisctl.platform.readers import Hardware

T = TypeVar("T")
SMBUS_BLOCK = 32
RETRY_SLEEP_S = 0.001


class At24(I2cDevice):
    family = "at24"

    def __init__(self, bus: Bus, addr: int, part: str | at24.Part, *, clock: Clock | None = None,
                 write_timeout_s: float = at24.WRITE_TIMEOUT_S, smbus: bool = False) -> None:
        super().__init__(bus, addr)
        self.part = at24.part(part) if isinstance(part, str) else part
        at24.check_base(self.part, addr)
        if smbus and self.part.addr_width != 1:
            raise ValueError(f"{self.part.name} has 16-bit word addresses: it needs plain I2C, not SMBus")
        self.clock = clock if clock is not None else SystemClock()
        self.write_timeout_s = write_timeout_s
        self.smbus = smbus

    def _retrying(self, what: str, transfer: Callable[[], T]) -> T:
        """Run ``transfer``; retry NAKs (a write cycle in progress) until the timeout."""
        deadline = self.clock.monotonic() + self.write_timeout_s
        while True:
            try:
                with bus_io(self._what(what)):
                    return transfer()
            except NotAnswering:
                if self.clock.monotonic() >= deadline:
                    raise
                self.clock.sleep(RETRY_SLEEP_S)

    def read(self, offset: int, length: int) -> bytes:
        max_chunk = SMBUS_BLOCK if self.smbus else at24.IO_LIMIT
        out = bytearray()
        for chunk in at24.plan_read(self.part, self.addr, offset, length, max_chunk):
            out += self._retrying(f"read {chunk.length} bytes at {chunk.offset:#06x}", partial(self._read, chunk))
        return bytes(out)

    def _read(self, chunk: at24.Chunk) -> bytes:
        if self.smbus:
            return bytes(self.bus.read_i2c_block_data(chunk.i2c_addr, chunk.word_addr[0], chunk.length))
        write = i2c_msg.write(chunk.i2c_addr, chunk.word_addr)
        read = i2c_msg.read(chunk.i2c_addr, chunk.length)
        self.bus.i2c_rdwr(write, read)
        return bytes(read)

    def write(self, offset: int, data: bytes) -> None:
        """Write ``data`` page by page, each page retried through the previous write cycle."""
        max_chunk = SMBUS_BLOCK if self.smbus else None
        for chunk in at24.plan_write(self.part, self.addr, offset, len(data), max_chunk):
            payload = data[chunk.offset - offset:chunk.offset - offset + chunk.length]
            self._retrying(f"write {chunk.length} bytes at {chunk.offset:#06x}", partial(self._write, chunk, payload))

    def _write(self, chunk: at24.Chunk, payload: bytes) -> None:
        if self.smbus:
            self.bus.write_i2c_block_data(chunk.i2c_addr, chunk.word_addr[0], list(payload))
        else:
            self.bus.i2c_rdwr(i2c_msg.write(chunk.i2c_addr, chunk.word_addr + payload))

    # -- DriverHooks -------------------------------------------------------------------
    @classmethod
    def for_device(cls, dev: DeviceDecl, hw: Hardware) -> At24:
        return cls(hw.bus, dev.address, dev.option("part"), clock=hw.clock, smbus=bool(dev.option("smbus")))

    def probe(self, hw: Hardware, dev: DeviceDecl, regs: dict[str, str]) -> str:
        """The FRU common header, then the image it describes, checked (never repaired)."""
        from chassisctl.platform.fru_eeprom import fru_extent, fru_problems

        header = self.read(0, 8)
        regs["header"] = header.hex()
        end = fru_extent(header, self.read, self.part.size)
        image = header + self.read(8, end - 8) if end > 8 else header
        problems = fru_problems(image)
        return "FRU image ok" if not problems else "FRU image: " + "; ".join(problems)
