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
