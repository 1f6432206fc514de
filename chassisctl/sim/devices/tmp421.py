"""TMP421/422/423 model: byte registers per channel, RANGE bit, OPEN flag."""

from __future__ import annotations

from typing import Any

from chassisctl.devices import tmp421
from chassisctl.sim.devices._register import PointerSlave
from chassisctl.sim.devices._twin import DeclaredDevice, Twin, TwinWorld


class Tmp421Sim(PointerSlave, Twin):
    """Temperatures are physical values, encoded at read time for the current RANGE.

    The high and low bytes are separate registers, read in two transactions
    as the kernel does; ``set_open(channel)`` flags an open remote diode.
    """

    def __init__(self, chip: str = "tmp421", *, extended: bool = False) -> None:
        super().__init__()
        self.chip = tmp421.CHIPS[chip]
        self.celsius = [25.0] * self.chip.channels
        self.open = [False] * self.chip.channels
        self.config1 = tmp421.Config1.RANGE_EXTENDED if extended else 0
        self.conversion_rate = 0x07
        self.status = 0x00

    def set_celsius(self, channel: int, celsius: float) -> None:
        self.celsius[channel] = celsius

    def set_open(self, channel: int, is_open: bool = True) -> None:
        if channel == 0:
            raise ValueError("the local channel has no diode to open")
        self.open[channel] = is_open

    def _channel_bytes(self, channel: int) -> tuple[int, int]:
        return tmp421.encode_channel(
            self.celsius[channel], extended=bool(self.config1 & tmp421.Config1.RANGE_EXTENDED),
            open_diode=self.open[channel],
        )

    def accepts_pointer(self, reg: int) -> bool:
        return reg in self._registers()

    def _registers(self) -> set[int]:
        regs: set[int] = {tmp421.Reg.STATUS, tmp421.Reg.CONFIG1, tmp421.Reg.CONFIG2, tmp421.Reg.CONVERSION_RATE,
                tmp421.Reg.MANUFACTURER_ID, tmp421.Reg.DEVICE_ID}
        for ch in range(self.chip.channels):
            regs |= {tmp421.high_reg(ch), tmp421.low_reg(ch)}
        return regs

    def read_register(self, reg: int) -> bytes:
        for ch in range(self.chip.channels):
            if reg in (tmp421.high_reg(ch), tmp421.low_reg(ch)):
                high, low = self._channel_bytes(ch)
                return bytes([high if reg == tmp421.high_reg(ch) else low])
        registers: dict[int, int] = {
            tmp421.Reg.STATUS: self.status,
            tmp421.Reg.CONFIG1: self.config1,
            tmp421.Reg.CONFIG2: 0x1C,
            tmp421.Reg.CONVERSION_RATE: self.conversion_rate,
            tmp421.Reg.MANUFACTURER_ID: tmp421.MANUFACTURER_TI,
            tmp421.Reg.DEVICE_ID: self.chip.device_id,
        }
        return bytes([registers.get(reg, 0xFF)])

    def write_register(self, reg: int, data: bytes) -> None:
        if reg == tmp421.Reg.CONFIG1:
            self.config1 = data[0] & (tmp421.Config1.RANGE_EXTENDED | tmp421.Config1.SHUTDOWN)
        elif reg == tmp421.Reg.CONVERSION_RATE:
            self.conversion_rate = data[0] & 0x07

    # -- Twin ----------------------------------------------------------------------------
    @classmethod
    def for_device(cls, dev: DeclaredDevice, world: TwinWorld) -> Tmp421Sim:
        return cls(dev.option("chip"), extended=bool(dev.sim.get("extended", False)))

    def apply(self, key: str, value: Any, dev: DeclaredDevice, world: TwinWorld) -> None:
        """``local``, ``remoteN`` (°C) and ``remoteN_open``."""
        channel, _, flag = key.partition("_")
        index = 0 if channel == "local" else int(channel.removeprefix("remote"))
        if flag == "open":
            self.set_open(index, bool(value))
        else:
            self.set_celsius(index, float(value))
