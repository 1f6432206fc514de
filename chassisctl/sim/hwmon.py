"""A fake ``/sys`` tree with hwmon directories, for tests and the simulator.

It lays files out the way the kernel does for an I2C client with a bound
driver: ``bus/i2c/devices/<bus>-<addr:04x>/`` holding ``name``, a ``driver``
symlink into ``bus/i2c/drivers/<driver>`` and ``hwmon/hwmon<N>/`` with one
integer per ``*_input`` file.  A reading that should fail is created as a
directory: ``read()`` then raises ``IsADirectoryError`` (an ``OSError``), which
is what a driver's failed device read looks like to userspace, and it works
even when the tests run as root (where permission bits would not stop a read).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

FAIL = object()
"""Attribute value that makes reads of the file fail with an OSError."""


class FakeSysfs:
    """Builds hwmon devices under ``root`` (the directory standing for ``/sys``)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._next_hwmon = 0

    def device_dir(self, bus: int, addr: int) -> Path:
        return self.root / "bus" / "i2c" / "devices" / f"{bus}-{addr:04x}"

    def add_device(self, bus: int, addr: int, name: str, driver: str | None,
                   attrs: dict[str, object] | None = None, *, hwmon: bool = True) -> Path:
        """Create the client directory; return its hwmon directory (or the client dir)."""
        dev = self.device_dir(bus, addr)
        dev.mkdir(parents=True, exist_ok=True)
        (dev / "name").write_text(f"{name}\n")
        if driver is not None:
            drv = self.root / "bus" / "i2c" / "drivers" / driver
            drv.mkdir(parents=True, exist_ok=True)
            link = dev / "driver"
            if link.is_symlink():
                link.unlink()
            link.symlink_to(os.path.relpath(drv, dev))
        if not hwmon:
            return dev
        hw = dev / "hwmon" / f"hwmon{self._next_hwmon}"
        self._next_hwmon += 1
        hw.mkdir(parents=True)
        (hw / "name").write_text(f"{name}\n")
        for attr, value in (attrs or {}).items():
            self.set(hw, attr, value)
        return hw

    @staticmethod
    def set(hwmon_dir: Path, attr: str, value: object) -> None:
        """Write one attribute (``FAIL`` makes its reads fail)."""
        path = hwmon_dir / attr
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        if value is FAIL:
            path.mkdir()
        else:
            path.write_text(f"{value}\n")

    def unbind(self, bus: int, addr: int) -> None:
        """Remove the driver link and the hwmon directory, as ``unbind`` does."""
        dev = self.device_dir(bus, addr)
        link = dev / "driver"
        if link.is_symlink():
            link.unlink()
        shutil.rmtree(dev / "hwmon", ignore_errors=True)


class HwmonTwin:
    """The simulated twin of a ``kind = "hwmon"`` device: its directory in the world's fake sysfs.

    Not on the simulated bus: the kernel driver it stands for does the I/O,
    so the platform reads the files (:class:`chassisctl.platform.drivers.hwmon.HwmonReader`).
    """

    present = True

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def for_device(cls, dev: Any, world: Any) -> HwmonTwin:
        """A client directory at its bus and address, bound to its declared driver."""
        directory = world.fake_sysfs().add_device(dev.options.get("bus", world.root_bus), dev.address,
                                                  dev.options.get("chip", "hwmon"), dev.options.get("driver"))
        return cls(directory)

    def place(self, segment: Any, address: int) -> None:
        pass  # read through sysfs, never over the simulated bus

    def apply(self, key: str, value: Any, dev: Any, world: Any) -> None:
        """One attribute, in integer sysfs units; ``"fail"`` makes its reads fail."""
        FakeSysfs.set(self.directory, key, FAIL if value == "fail" else value)

    def snapshot(self, dev: Any, epoch: float) -> dict[str, Any] | None:
        return None

    def restore(self, snapshot: Any, dev: Any, epoch: float) -> None:
        pass
