"""LM75/TMP75-class temperature sensor driver."""

from __future__ import annotations

from chassisctl.devices import lm75
from chassisctl.platform.drivers._base import Bus, I2cDevice
from chassisctl.i2c_errors import bus_io

TYPE_CHECKING = False

if TYPE_CHECKING:
    from chassisctl.platform.description import DeviceDecl
    from chassisctl.platform.readers import Hardware


class Lm75(I2cDevice):
    """``resolution`` is the part's (9 LM75, 11 LM75B/DS75, 12 TMP75 as the kernel sets it)."""

    family = "lm75"

    def __init__(self, bus: Bus, addr: int, resolution: int = 12) -> None:
        super().__init__(bus, addr)
        if resolution not in lm75.RESOLUTIONS:
            raise ValueError(f"LM75 resolution must be 9..12, not {resolution}")
        self.resolution = resolution

    def read_celsius(self) -> float:
        """The temperature register (pointer 00h), MSB first on the wire."""
        with bus_io(self._what("read temperature")):
            word = self._read_be_word(lm75.RegInt.TEMP)
        return lm75.decode_celsius(word, self.resolution)

    def read_config(self) -> lm75.Config:
        with bus_io(self._what("read configuration")):
            value = self.bus.read_byte_data(self.addr, lm75.RegInt.CONFIG)
        return lm75.decode_config(value)

    def read_limits(self) -> tuple[float, float]:
        """(T_HYST, T_OS) in °C."""
        with bus_io(self._what("read limits")):
            hyst = self._read_be_word(lm75.RegInt.T_HYST)
            t_os = self._read_be_word(lm75.RegInt.T_OS)
        return lm75.decode_celsius(hyst, self.resolution), lm75.decode_celsius(t_os, self.resolution)

    # -- DriverHooks -------------------------------------------------------------------
    @classmethod
    def for_device(cls, dev: DeviceDecl, hw: Hardware) -> Lm75:
        return cls(hw.bus, dev.address, dev.option("resolution"))

    def sample(self, hw: Hardware, dev: DeviceDecl, reading: str) -> float | None:
        return self.read_celsius()

    def probe(self, hw: Hardware, dev: DeviceDecl, regs: dict[str, str]) -> str:
        return f"{self.read_celsius():g} °C"
