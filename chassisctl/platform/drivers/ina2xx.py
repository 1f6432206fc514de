"""INA219/INA226 power monitor driver."""

from __future__ import annotations

from chassisctl.devices import ina2xx
from chassisctl.devices.ina2xx import Chip
from chassisctl.devices.ina2xx import RegInt
from chassisctl.devices.smbus import swap16
from chassisctl.platform.drivers._base import Bus, I2cDevice, NotOwned
from chassisctl.i2c_errors import bus_io

TYPE_CHECKING = False

if TYPE_CHECKING:
    from chassisctl.platform.description import DeviceDecl
    from chassisctl.platform.readers import Hardware


class Ina2xx(I2cDevice):
    """Reads shunt, bus, current and power; current and power use the CAL the chip holds.

    CAL = 0 means the chip was reset: if chassisctl owns the chip it programs
    the configuration and calibration (as the kernel driver re-initialises),
    otherwise current and power are reported unavailable (``None``), never 0.
    """

    family = "ina2xx"

    def __init__(self, bus: Bus, addr: int, chip: Chip | str, shunt_ohms: float, *,
                 current_lsb_amps: float = 0.001, owned: bool = False) -> None:
        super().__init__(bus, addr)
        if not isinstance(chip, Chip):
            try:
                chip = Chip[chip.upper()]
            except KeyError:
                raise ValueError(f"unknown INA2xx chip {chip!r}; known: ina219, ina226") from None
        self.chip = chip
        self.shunt_ohms = shunt_ohms
        self.cal = ina2xx.calibration(self.chip, shunt_ohms, current_lsb_amps)
        self.owned = owned

    def calibrate(self) -> None:
        """Write the default configuration and CAL (owned devices only)."""
        if not self.owned:
            raise NotOwned(self._what("calibration refused"), hint="declare the device owned to program it")
        with bus_io(self._what("program calibration")):
            self._write_be_word(RegInt.CONFIG, self.chip.spec.default_config)
            self._write_be_word(RegInt.CALIBRATION, self.cal)

    # -- one register per call: a sensor read is one bus transaction ----------------------
    def _register(self, reg: int, what: str) -> int:
        with bus_io(self._what(f"read {what}")):
            return self._read_be_word(reg)

    def read_calibration(self) -> int:
        return self._register(RegInt.CALIBRATION, "calibration")

    def read_shunt_volts(self) -> float:
        return ina2xx.shunt_volts(self.chip, self._register(RegInt.SHUNT_VOLTAGE, "shunt voltage"))

    def read_bus_volts(self) -> float:
        return ina2xx.bus_volts(self.chip, self._register(RegInt.BUS_VOLTAGE, "bus voltage"))

    def read_current(self, cal: int) -> float:
        """CURRENT in A, scaled by the CAL the chip holds (``cal``, read before; not 0)."""
        lsb = ina2xx.current_lsb_for(self.chip, cal, self.shunt_ohms)
        return ina2xx.current_amps(self._register(RegInt.CURRENT, "current"), lsb)

    def read_power(self, cal: int) -> float:
        """POWER in W, scaled by the CAL the chip holds (``cal``, read before; not 0)."""
        lsb = ina2xx.current_lsb_for(self.chip, cal, self.shunt_ohms)
        return ina2xx.power_watts(self.chip, self._register(RegInt.POWER, "power"), lsb)

    def read(self) -> ina2xx.Reading:
        with bus_io(self._what("read")):
            cal = self._read_be_word(RegInt.CALIBRATION)
        if cal == 0 and self.owned:
            self.calibrate()
            with bus_io(self._what("read")):
                cal = self._read_be_word(RegInt.CALIBRATION)
        with bus_io(self._what("read")):
            shunt = self._read_be_word(RegInt.SHUNT_VOLTAGE)
            bus = self._read_be_word(RegInt.BUS_VOLTAGE)
            current = self._read_be_word(RegInt.CURRENT) if cal else 0
            power = self._read_be_word(RegInt.POWER) if cal else 0
        return ina2xx.decode(self.chip, shunt, bus, current, power, cal, self.shunt_ohms)

    # -- DriverHooks -------------------------------------------------------------------
    @classmethod
    def for_device(cls, dev: DeviceDecl, hw: Hardware) -> Ina2xx:
        return cls(hw.bus, dev.address, dev.kind, dev.options["shunt_ohms"],
                   current_lsb_amps=dev.option("current_lsb"), owned=dev.owned)

    def sample(self, hw: Hardware, dev: DeviceDecl, reading: str) -> float | None:
        """Voltages directly; current and power scaled by the CAL the chip holds.

        An owned chip holds the CAL chassisctl programs (from the description):
        no read is needed to scale; anything else is read, and every CAL is
        re-checked after :data:`~chassisctl.platform.readers.RECHECK_S`.  A
        reading of exactly 0 — what a reset chip (CAL 0) reads too — is
        confirmed against the CAL register before it is reported.
        """
        if reading == "bus_voltage":
            return self.read_bus_volts()
        if reading == "shunt_voltage":
            return self.read_shunt_volts()
        key = f"{dev.name}:cal"
        cal = hw.fact(key, self._held_calibration, assume=self.cal if self.owned else None)
        read = self.read_current if reading == "current" else self.read_power
        value = read(cal) if cal else 0.0
        if value == 0.0:
            actual = self._held_calibration()
            hw.remember(key, actual)
            if not actual:
                return None  # not ours to program: current and power are unknown, not 0
            if actual != cal:
                value = read(actual)
        return value

    def _held_calibration(self) -> int:
        """The CAL register; an owned chip found reset (0) is programmed again first."""
        cal = self.read_calibration()
        if cal == 0 and self.owned:
            self.calibrate()
            cal = self.read_calibration()
        return cal

    def probe(self, hw: Hardware, dev: DeviceDecl, regs: dict[str, str]) -> str:
        """INA226: the manufacturer ID (TI, 5449h); INA219 has none, so its configuration."""
        from chassisctl.errors import ChassisError

        from chassisctl.devices.ina2xx import Reg  # the enum, for the register's name

        reg = Reg(RegInt.MANUFACTURER_ID if self.chip is Chip.INA226 else RegInt.CONFIG)
        with bus_io(f"{dev.name}: read {reg.name}"):
            value = swap16(hw.bus.read_word_data(dev.address, reg))
        regs[reg.name] = f"{value:04X}h"
        if self.chip is Chip.INA226 and value != 0x5449:
            raise ChassisError(f"{dev.name}: manufacturer ID {value:04X}h is not TI (5449h): another chip?")
        return f"{reg.name} {value:04X}h"
