"""PCA954x switch/mux driver: the control register, nothing more.

Switching policy (caching, deselect on failure) lives in
:mod:`chassisctl.platform.drivers.topology`; never use this on a mux the
kernel owns (its driver caches the channel and would be desynchronised).
"""

from __future__ import annotations

from collections.abc import Iterable

from chassisctl.devices import pca954x
from chassisctl.devices.pca954x import Kind
from chassisctl.platform.drivers._base import Bus, I2cDevice
from chassisctl.i2c_errors import bus_io

TYPE_CHECKING = False

if TYPE_CHECKING:
    from chassisctl.platform.description import DeviceDecl
    from chassisctl.platform.readers import Hardware


class Pca954x(I2cDevice):
    def __init__(self, bus: Bus, addr: int, kind: Kind = Kind.PCA9548) -> None:
        super().__init__(bus, addr)
        self.kind = kind
        self.family = kind.spec.name

    def read_control(self) -> int:
        """Receive Byte: the control register (there is no command byte)."""
        with bus_io(self._what("read control")):
            return int(self.bus.read_byte(self.addr))

    def write_control(self, value: int) -> None:
        """Send Byte: the control register."""
        with bus_io(self._what(f"write control {value:02X}h")):
            self.bus.write_byte(self.addr, value)

    def read_channels(self) -> frozenset[int]:
        return pca954x.decode_channels(self.kind, self.read_control())

    def select(self, channels: Iterable[int]) -> None:
        self.write_control(pca954x.encode_channels(self.kind, channels))

    def deselect(self) -> None:
        self.write_control(0x00)

    # -- DriverHooks -------------------------------------------------------------------
    @classmethod
    def for_device(cls, dev: DeviceDecl, hw: Hardware) -> Pca954x:
        return cls(hw.bus, dev.address, Kind.from_name(dev.kind))

    def probe(self, hw: Hardware, dev: DeviceDecl, regs: dict[str, str]) -> str:
        value = self.read_control()
        regs["control"] = f"{value:02X}h"
        return f"control {value:02X}h"
