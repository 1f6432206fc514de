"""INA219/INA226 model: MSB-first registers, CAL, chip-arithmetic current and power."""

from __future__ import annotations

from collections.abc import Mapping

from chassisctl.devices import ina2xx
from chassisctl.devices.ina2xx import Chip
from chassisctl.devices.ina2xx import RegInt
from chassisctl.sim.devices._register import PointerSlave
from chassisctl.sim.devices._twin import DeclaredDevice, Twin, TwinWorld

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_INA226_IDS: dict[int, int] = {RegInt.MANUFACTURER_ID: 0x5449, RegInt.DIE_ID: 0x2260}
_RESET = 0x8000


class Ina2xxSim(PointerSlave, Twin):
    """Shunt and bus voltages come from the test or model; current and power are
    derived from CAL with the chip's integer division, and read 0 while CAL is 0
    (power-on and after a reset through CONFIG bit 15)."""

    def __init__(self, chip: Chip, shunt_ohms: float = 0.01) -> None:
        super().__init__()
        self.chip = chip
        self.shunt_ohms = shunt_ohms
        self.shunt_reg = 0
        self.bus_reg = 0
        #: The load the simulator last set (``current`` and ``bus_voltage`` keys).
        self.amps = 0.0
        self.volts = 0.0
        self.reset()

    def reset(self) -> None:
        """Chip reset: default configuration, CAL = 0."""
        self.config = 0x399F if self.chip is Chip.INA219 else 0x4127
        self.cal = 0
        self.mask_enable = 0
        self.alert_limit = 0

    def set_voltages(self, shunt_volts: float, bus_volts: float) -> None:
        self.shunt_reg = ina2xx.encode_shunt(self.chip, shunt_volts)
        self.bus_reg = ina2xx.encode_bus(self.chip, bus_volts)

    def set_load(self, amps: float, bus_volts: float) -> None:
        """Current through the shunt (V = I·R) at a bus voltage."""
        self.set_voltages(amps * self.shunt_ohms, bus_volts)

    def current_reg(self) -> int:
        return ina2xx.current_register(self.chip, self.shunt_reg, self.cal)

    def power_reg(self) -> int:
        return ina2xx.power_register(self.chip, self.current_reg(), self.bus_reg)

    def accepts_pointer(self, reg: int) -> bool:
        return reg <= RegInt.CALIBRATION or (self.chip is Chip.INA226 and reg in (6, 7, 0xFE, 0xFF))

    def read_register(self, reg: int) -> bytes:
        registers: dict[int, int] = {
            RegInt.CONFIG: self.config,
            RegInt.SHUNT_VOLTAGE: self.shunt_reg,
            RegInt.BUS_VOLTAGE: self.bus_reg,
            RegInt.POWER: self.power_reg(),
            RegInt.CURRENT: self.current_reg(),
            RegInt.CALIBRATION: self.cal,
            RegInt.MASK_ENABLE: self.mask_enable,
            RegInt.ALERT_LIMIT: self.alert_limit,
        }
        return registers.get(reg, _INA226_IDS.get(reg, 0)).to_bytes(2, "big")

    def write_register(self, reg: int, data: bytes) -> None:
        if len(data) < 2:
            return
        value = int.from_bytes(data[:2], "big")
        if reg == RegInt.CONFIG:
            if value & _RESET:
                self.reset()
            else:
                self.config = value
        elif reg == RegInt.CALIBRATION:
            self.cal = value & (0xFFFE if self.chip is Chip.INA219 else 0x7FFF)
        elif reg == RegInt.MASK_ENABLE:
            self.mask_enable = value
        elif reg == RegInt.ALERT_LIMIT:
            self.alert_limit = value

    # -- Twin ----------------------------------------------------------------------------
    @classmethod
    def for_device(cls, dev: DeclaredDevice, world: TwinWorld) -> Ina2xxSim:
        """Calibrated as the description programs it (an owned chip, or firmware did)."""
        twin = cls(Chip[dev.kind.upper()], dev.options["shunt_ohms"])
        twin.cal = _calibration(dev)
        return twin

    def apply(self, key: str, value: Any, dev: DeclaredDevice, world: TwinWorld) -> None:
        """``calibrated`` (false: CAL reads 0, as after a reset), ``current`` (A) and ``bus_voltage`` (V)."""
        if key == "calibrated":
            self.cal = _calibration(dev) if value else 0
            return
        if key == "current":
            self.amps = float(value)
        else:
            self.volts = float(value)
        self.set_load(self.amps, self.volts)

    def snapshot(self, dev: DeclaredDevice, epoch: float) -> dict[str, Any] | None:
        return {"cal": self.cal, "config": self.config}

    def restore(self, snapshot: Mapping[str, Any], dev: DeclaredDevice, epoch: float) -> None:
        self.cal, self.config = int(snapshot["cal"]), int(snapshot["config"])


def _calibration(dev: DeclaredDevice) -> int:
    return ina2xx.calibration(Chip[dev.kind.upper()], dev.options["shunt_ohms"], dev.option("current_lsb"))
