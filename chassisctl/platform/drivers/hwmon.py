"""Reading kernel-owned devices through hwmon sysfs, resolved from bus and address.

``hwmonN`` numbers follow probe order and ``name`` is not unique, so the
directory is found from the I2C client (``<bus>-<addr:04x>/hwmon/hwmon*``)
and checked against the expected chip name and bound driver.  Values are
integers in m°C, mV, mA, µW, µJ or RPM; they are returned in SI units.  A
failed read (the driver's errno surfaces as ``OSError``) is "reading
unavailable": ``None``, never 0.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from chassisctl.errors import ConfigError, UnreachableError

if TYPE_CHECKING:
    from chassisctl.platform.description import DeviceDecl
    from chassisctl.platform.readers import Hardware

#: Attribute prefix -> divisor to SI (°C, V, A, W, J, %RH; RPM and PWM as is).
SCALE = {"temp": 1000, "in": 1000, "curr": 1000, "power": 1_000_000, "energy": 1_000_000,
         "humidity": 1000, "fan": 1, "pwm": 1}
#: Suffixes that are flags or settings, not measurements.
UNSCALED = {"alarm", "fault", "enable", "type", "beep", "mode"}
_ATTR = re.compile(r"^(temp|in|curr|power|energy|humidity|fan|pwm)(\d+)(?:_(\w+))?$")


class HwmonNotFound(UnreachableError):
    code = "hwmon-missing"


class HwmonMismatch(ConfigError):
    code = "hwmon-mismatch"


@dataclass(frozen=True, slots=True)
class HwmonDevice:
    path: Path
    name: str
    driver: str | None

    @classmethod
    def find(cls, bus: int, addr: int, *, name: str | None = None, driver: str | None = None,
             sysfs_root: str | os.PathLike[str] = "/sys") -> HwmonDevice:
        """The hwmon directory of I2C client ``bus``-``addr``, checked against ``name``/``driver``."""
        client = Path(sysfs_root) / "bus" / "i2c" / "devices" / f"{bus}-{addr:04x}"
        if not client.is_dir():
            raise HwmonNotFound(f"no I2C client {client.name}", hint="driver not instantiated (new_device)")
        bound = os.path.basename(os.readlink(client / "driver")) if (client / "driver").is_symlink() else None
        if driver is not None and bound != driver:
            raise HwmonMismatch(f"{client.name} is bound to {bound or 'no driver'}, expected {driver}")
        candidates = sorted((client / "hwmon").glob("hwmon*"))
        if not candidates:
            raise HwmonNotFound(f"{client.name} has no hwmon directory yet", hint="probe may be pending; retry")
        path = candidates[0]
        try:
            chip = (path / "name").read_text().strip()
        except OSError as exc:
            raise HwmonNotFound(f"{path}/name unreadable: {exc}") from exc
        if name is not None and chip != name:
            raise HwmonMismatch(f"{path} is a {chip!r}, expected {name!r}")
        return cls(path, chip, bound)

    def read_raw(self, attr: str) -> int | None:
        """The integer in ``attr``; ``None`` if the read fails (reading unavailable)."""
        if "/" in attr or attr.startswith("."):
            raise ValueError(f"not an attribute name: {attr!r}")
        try:
            text = (self.path / attr).read_text()
        except OSError:
            return None
        try:
            return int(text.strip())
        except ValueError:
            return None

    def read(self, attr: str) -> float | None:
        """``attr`` in SI units (``temp1_input`` 25062 -> 25.062), ``None`` if unavailable."""
        raw = self.read_raw(attr)
        if raw is None:
            return None
        match = _ATTR.match(attr)
        if match is None or (match.group(3) or "").split("_")[-1] in UNSCALED:
            return float(raw)
        return raw / SCALE[match.group(1)]

    def label(self, attr_prefix: str) -> str | None:
        """``<prefix>_label`` text (e.g. pmbus ``in1`` -> ``vin``), if the driver provides one."""
        try:
            return (self.path / f"{attr_prefix}_label").read_text().strip()
        except OSError:
            return None


class HwmonReader:
    """The driver of a ``kind = "hwmon"`` device: its hwmon directory, found when first read.

    Not a bus driver: the kernel driver owns the device and does the I/O.  A
    failed lookup is forgotten with the device, so the next read looks again
    (the kernel may bind the driver later).
    """

    unavailable = "read failed"

    def __init__(self, bus: int, addr: int, *, chip: str | None, driver: str | None) -> None:
        self.bus = bus
        self.addr = addr
        self.chip = chip
        self.driver = driver
        self._found: HwmonDevice | None = None

    @classmethod
    def for_device(cls, dev: DeviceDecl, hw: Hardware) -> HwmonReader:
        return cls(dev.options.get("bus", hw.root_bus), dev.address, chip=dev.options.get("chip"),
                   driver=dev.options.get("driver"))

    def found(self, hw: Hardware) -> HwmonDevice:
        if self._found is None:
            self._found = HwmonDevice.find(self.bus, self.addr, name=self.chip, driver=self.driver,
                                           sysfs_root=hw.sysfs_root)
        return self._found

    def sample(self, hw: Hardware, dev: DeviceDecl, reading: str) -> float | None:
        return self.found(hw).read(reading)

    def state(self, hw: Hardware, dev: DeviceDecl, reading: str) -> int:
        raise ValueError(f"{dev.kind} has no discrete reading {reading}")

    def probe(self, hw: Hardware, dev: DeviceDecl, regs: dict[str, str]) -> str:
        found = self.found(hw)
        return f"{found.path.name}: {found.name}, driver {found.driver or 'none'}"

    def forget(self) -> None:
        self._found = None
