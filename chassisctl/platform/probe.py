"""``platform probe``: which declared devices answer — reading only what is safe.

Each device is visited in topology order and asked only for registers that
cannot change anything: the ones the description lists in ``probe = [...]``
(byte reads), else the signature its kind's table entry names and its
driver reads (LM75 temperature, TMP421 and EMC2305 IDs, PMBus STATUS_WORD,
INA226 manufacturer ID, the FRU header of an EEPROM, a CPLD's declared
ro/rw registers, a mux's control byte).  The only writes are the mux control
registers needed to reach a channel, and every mux is returned to 00h at
the end.  Kernel-owned devices are checked through sysfs only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any
from collections.abc import Callable

from chassisctl.errors import ChassisError
from chassisctl.i2c_errors import NotAnswering
from chassisctl.platform.description import DeviceDecl
from chassisctl.platform.drivers._base import probe_byte


@dataclass(slots=True)
class ProbeResult:
    device: str
    kind: str
    where: str
    status: str  # answered | absent | error
    detail: str = ""
    registers: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def probe(transport: Any, progress: Callable[[int, int, str], None] | None = None) -> list[ProbeResult]:
    """Every declared device, in topology order; ``progress(index, total, device)``
    is called before each one."""
    results = []
    with transport.exclusive() as hw:
        devices = hw.platform.topology_order()
        for index, dev in enumerate(devices):
            if progress is not None:
                progress(index, len(devices), dev.name)
            where = f"{dev.path}:{dev.address:02x}" if dev.hops else f"root:{dev.address:02x}"
            result = ProbeResult(dev.name, dev.kind, where, "answered")
            try:
                with hw.at(dev):
                    result.detail = _probe(hw, dev, result.registers)
            except NotAnswering as exc:
                result.status, result.detail = "absent", str(exc)
            except ChassisError as exc:
                result.status, result.detail = "error", str(exc)
            except Exception as exc:  # noqa: BLE001 - a decode error is a wrong chip, not a crash
                result.status, result.detail = "error", f"unexpected answer: {exc}"
            results.append(result)
    return results


def _probe(hw: Any, dev: DeviceDecl, regs: dict[str, str]) -> str:
    """The registers the description lists, else the signature its kind's driver reads."""
    if dev.probe is not None and dev.kind_entry.probe_registers:
        for reg in dev.probe:
            probe_byte(hw, dev, reg, regs)
        return f"{len(dev.probe)} declared register(s) read"
    return str(hw.driver(dev).probe(hw, dev, regs))
