"""EMC2301/2/3/5 model: drive registers, RPM from a PWM curve, stall and drive-fail."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chassisctl.devices import emc2305
from chassisctl.devices.emc2305 import FanReg, Reg
from chassisctl.sim.devices._register import PointerSlave
from chassisctl.sim.devices._twin import DeclaredDevice, Twin, TwinWorld

#: Fan configuration 1 power-on value: RANGE = 01b (multiplier 2), EDGES = 01b (2-pole).
CONFIG1_DEFAULT = 0x2B


class Emc2305Sim(PointerSlave, Twin):
    """Fan speed follows the drive duty linearly up to ``max_rpm`` unless a test
    pins it with :meth:`set_rpm`; :meth:`stall` forces COUNT 1FFFh and the
    stall bit.  Reads auto-increment, so the two tach bytes can be read in one
    block read too."""

    auto_increment = True

    def __init__(self, chip: str = "emc2305", *, max_rpm: float = 16000.0) -> None:
        super().__init__()
        self.chip = emc2305.CHIPS[chip]
        self.max_rpm = max_rpm
        n = self.chip.fans
        self.drive = [0xFF] * n
        self.min_drive = [0x80] * n
        self.config1 = [CONFIG1_DEFAULT] * n
        self.pinned_rpm: list[float | None] = [None] * n
        self.stalled = [False] * n
        self.drive_fail = [False] * n

    def set_rpm(self, fan: int, rpm: float | None) -> None:
        """Pin a fan's speed (``None``: follow the drive again)."""
        self.pinned_rpm[fan] = rpm

    def stall(self, fan: int, stalled: bool = True) -> None:
        self.stalled[fan] = stalled

    def rpm(self, fan: int) -> float:
        if self.stalled[fan]:
            return 0.0
        pinned = self.pinned_rpm[fan]
        return pinned if pinned is not None else self.max_rpm * self.drive[fan] / 255

    def _count(self, fan: int) -> int:
        multiplier = emc2305.range_multiplier(self.config1[fan])
        return emc2305.count_from_rpm(self.rpm(fan), multiplier)

    def _status_bits(self, flags: list[bool]) -> int:
        return sum(1 << n for n, f in enumerate(flags) if f)

    def _fan_of(self, reg: int) -> tuple[int, int] | None:
        if 0x30 <= reg < 0x30 + 0x10 * self.chip.fans:
            return (reg - 0x30) // 0x10, 0x30 + (reg & 0x0F)
        return None

    def read_register(self, reg: int) -> bytes:
        located = self._fan_of(reg)
        if located is not None:
            fan, kind = located
            high, low = emc2305.tach_from_count(self._count(fan))
            per_fan: dict[int, int] = {FanReg.DRIVE: self.drive[fan], FanReg.CONFIG1: self.config1[fan],
                                       FanReg.MIN_DRIVE: self.min_drive[fan], FanReg.TACH_HIGH: high,
                                       FanReg.TACH_LOW: low}
            return bytes([per_fan.get(kind, 0)])
        stall = self._status_bits(self.stalled)
        fail = self._status_bits(self.drive_fail)
        chip: dict[int, int] = {
            Reg.STATUS: (0x01 if stall else 0) | (0x04 if fail else 0),
            Reg.STALL_STATUS: stall,
            Reg.SPIN_STATUS: 0,
            Reg.DRIVE_FAIL_STATUS: fail,
            Reg.PRODUCT_ID: self.chip.product_id,
            Reg.VENDOR_ID: emc2305.VENDOR_SMSC,
        }
        return bytes([chip.get(reg, 0)])

    def write_register(self, reg: int, data: bytes) -> None:
        for offset, value in enumerate(data):
            located = self._fan_of(reg + offset)
            if located is None:
                continue
            fan, kind = located
            if kind == FanReg.DRIVE:
                self.drive[fan] = value
            elif kind == FanReg.CONFIG1:
                self.config1[fan] = value
            elif kind == FanReg.MIN_DRIVE:
                self.min_drive[fan] = value

    # -- Twin ----------------------------------------------------------------------------
    @classmethod
    def for_device(cls, dev: DeclaredDevice, world: TwinWorld) -> Emc2305Sim:
        return cls(dev.option("chip"))

    def apply(self, key: str, value: Any, dev: DeclaredDevice, world: TwinWorld) -> None:
        """``fanN`` (RPM) and ``fanN_stall``."""
        if key.endswith("_stall"):
            self.stall(int(key[3:-6]) - 1, bool(value))
        else:
            self.set_rpm(int(key[3:]) - 1, float(value))

    def snapshot(self, dev: DeclaredDevice, epoch: float) -> dict[str, Any] | None:
        return {"drive": list(self.drive)}

    def restore(self, snapshot: Mapping[str, Any], dev: DeclaredDevice, epoch: float) -> None:
        self.drive[:] = [int(v) for v in snapshot["drive"]][:len(self.drive)]
