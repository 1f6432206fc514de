"""TMP421/422/423 remote-diode temperature sensor driver."""

from __future__ import annotations

from typing import TYPE_CHECKING
from chassisctl.devices import tmp421
from chassisctl.platform.drivers._base import Bus, I2cDevice
from chassisctl.i2c_errors import bus_io

if TYPE_CHECKING:
    from chassisctl.platform.description import DeviceDecl
    from chassisctl.platform.readers import Hardware


class Tmp421(I2cDevice):
    family = "tmp421"

    def __init__(self, bus: Bus, addr: int, chip: str = "tmp421") -> None:
        super().__init__(bus, addr)
        if chip not in tmp421.CHIPS:
            raise ValueError(f"unknown chip {chip!r}; known: {', '.join(tmp421.CHIPS)}")
        self.chip = tmp421.CHIPS[chip]

    def identify(self) -> tmp421.Chip:
        """The chip the ID registers name (a decode error if it is not a TMP42x)."""
        with bus_io(self._what("read IDs")):
            manufacturer = self.bus.read_byte_data(self.addr, tmp421.Reg.MANUFACTURER_ID)
            device = self.bus.read_byte_data(self.addr, tmp421.Reg.DEVICE_ID)
        return tmp421.decode_ids(manufacturer, device)

    def read_channel(self, channel: int) -> float | None:
        """°C of channel 0 (local) .. n, or ``None`` when the remote diode is open.

        RANGE is read first every time: the same bytes mean 64 °C apart in the
        two ranges, and someone else may have changed it.
        """
        if not 0 <= channel < self.chip.channels:
            raise ValueError(f"{self.chip.name} has channels 0..{self.chip.channels - 1}")
        with bus_io(self._what(f"read channel {channel}")):
            config = self.bus.read_byte_data(self.addr, tmp421.Reg.CONFIG1)
            high = self.bus.read_byte_data(self.addr, tmp421.high_reg(channel))
            low = self.bus.read_byte_data(self.addr, tmp421.low_reg(channel))
        reading = tmp421.decode_channel(high, low, extended=tmp421.is_extended(config), remote=channel > 0)
        return None if reading.open else reading.celsius

    # -- DriverHooks -------------------------------------------------------------------
    @classmethod
    def for_device(cls, dev: DeviceDecl, hw: Hardware) -> Tmp421:
        return cls(hw.bus, dev.address, dev.option("chip"))

    def sample(self, hw: Hardware, dev: DeviceDecl, reading: str) -> float | None:
        from chassisctl.platform.kinds import tmp421_channels

        return self.read_channel(tmp421_channels(dev.options).index(reading))

    def probe(self, hw: Hardware, dev: DeviceDecl, regs: dict[str, str]) -> str:
        return f"identifies as {self.identify().name}"
