"""EMC2301/2/3/5 fan controller driver."""

from __future__ import annotations

from typing import TYPE_CHECKING
from dataclasses import dataclass

from chassisctl.devices import emc2305
from chassisctl.devices.emc2305 import FanReg, Reg
from chassisctl.platform.drivers._base import Bus, I2cDevice, NotOwned, probe_byte
from chassisctl.i2c_errors import bus_io

if TYPE_CHECKING:
    from chassisctl.platform.description import DeviceDecl
    from chassisctl.platform.readers import Hardware


@dataclass(frozen=True, slots=True)
class FanFaults:
    stalled: frozenset[int]
    spin_failed: frozenset[int]
    drive_failed: frozenset[int]


class Emc2305(I2cDevice):
    """RPM uses each fan's RANGE multiplier, read from its configuration once.

    Pass ``multiplier`` to skip that read (the kernel hard-codes 2).
    """

    family = "emc2305"

    def __init__(self, bus: Bus, addr: int, *, chip: str = "emc2305", multiplier: int | None = None,
                 owned: bool = False) -> None:
        super().__init__(bus, addr)
        if chip not in emc2305.CHIPS:
            raise ValueError(f"unknown chip {chip!r}; known: {', '.join(emc2305.CHIPS)}")
        self.chip = emc2305.CHIPS[chip]
        self.multiplier = multiplier
        self.owned = owned
        self._multipliers: dict[int, int] = {}

    def _fan(self, fan: int) -> int:
        if not 0 <= fan < self.chip.fans:
            raise ValueError(f"{self.chip.name} has fans 0..{self.chip.fans - 1}, not {fan}")
        return fan

    def _byte(self, reg: int, what: str) -> int:
        with bus_io(self._what(what)):
            return int(self.bus.read_byte_data(self.addr, reg))

    def _range(self, fan: int) -> int:
        if self.multiplier is not None:
            return self.multiplier
        if fan not in self._multipliers:
            config = self._byte(emc2305.fan_reg(FanReg.CONFIG1, fan), f"read fan {fan} configuration")
            self._multipliers[fan] = emc2305.range_multiplier(config)
        return self._multipliers[fan]

    def read_rpm(self, fan: int) -> int:
        """Fan speed; 0 means stalled (COUNT at or near 1FFFh)."""
        self._fan(fan)
        multiplier = self._range(fan)
        with bus_io(self._what(f"read fan {fan} tach")):  # high byte first: it latches the low byte
            high = self.bus.read_byte_data(self.addr, emc2305.fan_reg(FanReg.TACH_HIGH, fan))
            low = self.bus.read_byte_data(self.addr, emc2305.fan_reg(FanReg.TACH_LOW, fan))
        return emc2305.rpm_from_count(emc2305.count_from_tach(high, low), multiplier)

    def read_duty(self, fan: int) -> float:
        """Drive setting in percent."""
        return emc2305.duty_percent(self._byte(emc2305.fan_reg(FanReg.DRIVE, self._fan(fan)), f"read fan {fan} drive"))

    def set_duty(self, fan: int, percent: float) -> None:
        if not self.owned:
            raise NotOwned(self._what("fan drive change refused"), hint="declare the device owned to drive fans")
        drive = emc2305.drive_from_percent(percent)
        with bus_io(self._what(f"write fan {fan} drive")):
            self.bus.write_byte_data(self.addr, emc2305.fan_reg(FanReg.DRIVE, self._fan(fan)), drive)

    def faults(self) -> FanFaults:
        n = self.chip.fans
        return FanFaults(
            emc2305.fans_in(self._byte(Reg.STALL_STATUS, "read stall status"), n),
            emc2305.fans_in(self._byte(Reg.SPIN_STATUS, "read spin status"), n),
            emc2305.fans_in(self._byte(Reg.DRIVE_FAIL_STATUS, "read drive-fail status"), n),
        )

    # -- DriverHooks -------------------------------------------------------------------
    @classmethod
    def for_device(cls, dev: DeviceDecl, hw: Hardware) -> Emc2305:
        return cls(hw.bus, dev.address, chip=dev.option("chip"), multiplier=dev.option("multiplier"),
                   owned=dev.owned)

    def sample(self, hw: Hardware, dev: DeviceDecl, reading: str) -> float | None:
        return float(self.read_rpm(int(reading[3:]) - 1))

    def probe(self, hw: Hardware, dev: DeviceDecl, regs: dict[str, str]) -> str:
        product = probe_byte(hw, dev, Reg.PRODUCT_ID, regs)
        vendor = probe_byte(hw, dev, Reg.VENDOR_ID, regs)
        return f"identifies as {emc2305.decode_ids(product, vendor).name}"
