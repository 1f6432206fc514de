"""LM75/TMP75 model: pointer latch, MSB-first words, resolution, shutdown, OS pin."""

from __future__ import annotations


from chassisctl.devices import lm75
from chassisctl.sim.devices._register import PointerSlave
from chassisctl.sim.devices._twin import DeclaredDevice, Twin, TwinWorld

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Lm75Sim(PointerSlave, Twin):
    """A temperature sensor whose temperature the test or the model sets.

    ``resolution`` is fixed for LM75 (9) and LM75B/DS75 (11); with
    ``configurable=True`` (TMP75 class) configuration bits 6:5 select it.
    Bits below the resolution read 0; shutdown freezes the reading.
    """

    def __init__(self, celsius: float = 25.0, *, resolution: int = 9, configurable: bool = False) -> None:
        super().__init__()
        self.configurable = configurable
        self.fixed_resolution = resolution
        self.config = 0
        self.t_os = lm75.encode_celsius(80.0, 9)
        self.t_hyst = lm75.encode_celsius(75.0, 9)
        self.celsius = celsius
        self._temp_reg = lm75.encode_celsius(celsius, self.resolution)
        self.os_asserted = False
        self._update_os()

    @property
    def resolution(self) -> int:
        return lm75.decode_config(self.config).resolution if self.configurable else self.fixed_resolution

    def set_celsius(self, celsius: float) -> None:
        """New physical temperature; the register follows unless shut down."""
        self.celsius = celsius
        if not self.config & lm75.ConfigBitInt.SHUTDOWN:
            self._temp_reg = lm75.encode_celsius(celsius, self.resolution)
            self._update_os()

    def _update_os(self) -> None:
        temp = lm75.decode_celsius(self._temp_reg, 12)
        if temp > lm75.decode_celsius(self.t_os, 12):
            self.os_asserted = True
        elif temp < lm75.decode_celsius(self.t_hyst, 12):
            self.os_asserted = False

    def _mask(self, word: int) -> int:
        return word & (0xFFFF << (16 - self.resolution)) & 0xFFFF

    def read_register(self, reg: int) -> bytes:
        reg &= 0x03  # the pointer has two bits; the rest are ignored
        if reg == lm75.RegInt.CONFIG:
            return bytes([self.config])
        words: dict[int, int] = {lm75.RegInt.TEMP: self._temp_reg, lm75.RegInt.T_HYST: self.t_hyst,
                                 lm75.RegInt.T_OS: self.t_os}
        word = words[reg]
        return self._mask(word).to_bytes(2, "big")

    def write_register(self, reg: int, data: bytes) -> None:
        reg &= 0x03
        if reg == lm75.RegInt.CONFIG:
            self.config = data[0] if self.configurable else data[0] & 0x1F
            self.set_celsius(self.celsius)
        elif reg in (lm75.RegInt.T_HYST, lm75.RegInt.T_OS) and len(data) >= 2:
            word = self._mask(int.from_bytes(data[:2], "big"))
            if reg == lm75.RegInt.T_OS:
                self.t_os = word
            else:
                self.t_hyst = word
            self._update_os()

    # -- Twin ----------------------------------------------------------------------------
    @classmethod
    def for_device(cls, dev: DeclaredDevice, world: TwinWorld) -> Lm75Sim:
        """An LM75 at its fixed resolution, or a TMP75 configured to it (as firmware or the kernel does)."""
        resolution = dev.option("resolution")
        tmp75 = dev.kind == "tmp75"
        twin = cls(float(dev.sim.get("temperature", 25.0)), resolution=resolution, configurable=tmp75)
        if tmp75:
            twin.config = (resolution - 9) << 5
            twin.set_celsius(twin.celsius)
        return twin

    def apply(self, key: str, value: Any, dev: DeclaredDevice, world: TwinWorld) -> None:
        self.set_celsius(float(value))  # "temperature", its one key
