"""``platform probe``: which declared devices answer — reading only what is safe.

Each device is visited in topology order and asked only for registers that
cannot change anything: the ones the description lists in ``probe = [...]``
(byte reads), else an identification or status register of its kind
(LM75 temperature, TMP421 and EMC2305 IDs, PMBus STATUS_WORD, INA226
manufacturer ID, the FRU header of an EEPROM, a CPLD's declared ro/rw
registers, a mux's control byte).  The only writes are the mux control
registers needed to reach a channel, and every mux is returned to 00h at
the end.  Kernel-owned devices are checked through sysfs only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from chassisctl.devices.cpld import Access
from chassisctl.errors import ChassisError
from chassisctl.platform.description import DeviceDecl
from chassisctl.i2c_errors import NotAnswering, bus_io


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
                if dev.family == "hwmon":
                    found = hw.hwmon(dev)
                    result.detail = f"{found.path.name}: {found.name}, driver {found.driver or 'none'}"
                else:
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


def _byte(hw: Any, dev: DeviceDecl, reg: int, regs: dict[str, str]) -> int:
    with bus_io(f"{dev.name}: read register {reg:02X}h"):
        value = int(hw.bus.read_byte_data(dev.address, reg))
    regs[f"{reg:02X}h"] = f"{value:02X}h"
    return value


def _probe(hw: Any, dev: DeviceDecl, regs: dict[str, str]) -> str:
    if dev.probe is not None and dev.family not in ("mux", "eeprom"):
        for reg in dev.probe:
            _byte(hw, dev, reg, regs)
        return f"{len(dev.probe)} declared register(s) read"
    drv = hw.driver(dev)
    if dev.family == "mux":
        value = drv.read_control()
        regs["control"] = f"{value:02X}h"
        return f"control {value:02X}h"
    if dev.family == "cpld":
        readable = sorted({f.register for f in dev.fields if f.access in (Access.RO, Access.RW, Access.PULSE)})
        for reg in readable:
            _byte(hw, dev, reg, regs)
        return f"{len(readable)} register(s) read"
    if dev.kind in ("lm75", "tmp75"):
        return f"{drv.read_celsius():g} °C"
    if dev.kind == "tmp421":
        return f"identifies as {drv.identify().name}"
    if dev.family == "fan":
        from chassisctl.devices import emc2305

        product = _byte(hw, dev, emc2305.Reg.PRODUCT_ID, regs)
        vendor = _byte(hw, dev, emc2305.Reg.VENDOR_ID, regs)
        return f"identifies as {emc2305.decode_ids(product, vendor).name}"
    if dev.family == "pmbus":
        from chassisctl.devices.pmbus import Cmd, flag_names

        word = drv.read_word(Cmd.STATUS_WORD)
        regs["STATUS_WORD"] = f"{word:04X}h"
        from chassisctl.devices.pmbus import decode_status_word

        flags = decode_status_word(word)
        return "STATUS_WORD " + (", ".join(sorted(flag_names(flags))) or "clear") if flags is not None \
            else "STATUS_WORD FFFFh (floating bus?)"
    if dev.family == "ina":
        from chassisctl.devices.ina2xx import Reg
        from chassisctl.devices.smbus import swap16

        reg = Reg.MANUFACTURER_ID if dev.kind == "ina226" else Reg.CONFIG
        with bus_io(f"{dev.name}: read {reg.name}"):
            value = swap16(hw.bus.read_word_data(dev.address, reg))
        regs[reg.name] = f"{value:04X}h"
        if dev.kind == "ina226" and value != 0x5449:
            raise ChassisError(f"{dev.name}: manufacturer ID {value:04X}h is not TI (5449h): another chip?")
        return f"{reg.name} {value:04X}h"
    if dev.family == "eeprom":
        from chassisctl.platform.backend import fru_extent, fru_problems

        header = drv.read(0, 8)
        regs["header"] = header.hex()
        end = fru_extent(header, drv.read, drv.part.size)
        image = header + drv.read(8, end - 8) if end > 8 else header
        problems = fru_problems(image)
        return "FRU image ok" if not problems else "FRU image: " + "; ".join(problems)
    raise ChassisError(f"{dev.kind}: nothing to probe")
