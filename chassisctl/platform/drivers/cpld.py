"""CPLD driver: declared bit fields, safe read-modify-write, pulses that always end.

Writes are computed from the declaration of the whole register (see
:func:`chassisctl.devices.cpld.apply`), so w1c latches are never cleared by
accident.  A pulse asserts, waits on the injected clock, and deasserts in a
``finally``: an exception, a deadline or a signal during the wait still
releases the line; a failing release is retried a bounded number of times and
then raised as :class:`DeassertFailed` — a power button left asserted past 4 s
becomes a forced off, a reset left asserted keeps a node down.
"""

from __future__ import annotations

from collections.abc import Iterable

from chassisctl.clock import Clock
from chassisctl.devices import cpld
from chassisctl.devices.cpld import Access, Field
from chassisctl.errors import ChassisError
from chassisctl.platform.drivers._base import Bus, DeassertFailed, I2cDevice, VerifyFailed, probe_byte
from chassisctl.i2c_errors import bus_io

TYPE_CHECKING = False

if TYPE_CHECKING:
    from chassisctl.platform.description import DeviceDecl
    from chassisctl.platform.readers import Hardware

DEASSERT_ATTEMPTS = 3
DEASSERT_RETRY_S = 0.01


class Cpld(I2cDevice):
    family = "cpld"

    def __init__(self, bus: Bus, addr: int, fields: Iterable[Field]) -> None:
        super().__init__(bus, addr)
        self.registers = cpld.registers(fields)

    def read_register(self, reg: int) -> int:
        with bus_io(self._what(f"read register {reg:02X}h")):
            return int(self.bus.read_byte_data(self.addr, reg))

    def read_field(self, field: Field) -> int:
        """Logical value (polarity and masked compare applied)."""
        return cpld.extract(field, self.read_register(field.register))

    def write_field(self, field: Field, value: int, *, verify: bool | None = None) -> None:
        """Read-modify-write touching only ``field`` (w1c: 1 clears the latch).

        With ``verify`` (default: the field's declaration) the register is read
        back: rw and pulse fields must hold ``value``, a cleared w1c latch must
        read 0.  Self-clearing and write-only fields cannot be verified.
        """
        register = self.registers.get(field.register)
        if register is None or field not in register.fields:
            raise ValueError(f"{field.name} is not declared for {self.label}")
        current = self.read_register(field.register)
        new = cpld.apply(register, field, current, value)
        with bus_io(self._what(f"write {field.name}")):
            self.bus.write_byte_data(self.addr, field.register, new)
        if (field.verify if verify is None else verify) and field.access in (Access.RW, Access.PULSE, Access.W1C):
            expected = 0 if field.access is Access.W1C else value
            got = self.read_field(field)
            if got != expected:
                raise VerifyFailed(self._what(f"{field.name} reads back {got} after writing {value}"))

    def pulse(self, field: Field, width_s: float | None, clock: Clock, *,
              attempts: int = DEASSERT_ATTEMPTS) -> None:
        """Assert ``field``, wait ``width_s`` (default: its declared width), deassert — always."""
        width = width_s if width_s is not None else field.pulse_width_s
        if width is None or not width > 0:
            raise ValueError(f"{field.name}: no pulse width given or declared")
        if field.access not in (Access.PULSE, Access.RW):
            raise ValueError(f"{field.name} is {field.access.value}, not a pulse or rw output")
        try:
            self.write_field(field, 1)
            clock.sleep(width)
        finally:
            self._deassert(field, clock, attempts)

    def _deassert(self, field: Field, clock: Clock, attempts: int) -> None:
        last: ChassisError | None = None
        for attempt in range(max(1, attempts)):
            try:
                self.write_field(field, 0, verify=True)
                return
            except ChassisError as exc:
                last = exc
                if attempt + 1 < attempts:
                    clock.sleep(DEASSERT_RETRY_S)
        raise DeassertFailed(
            self._what(f"{field.name} could not be released after {attempts} attempts: {last}"),
            hint="the line may still be asserted; check the node and the CPLD",
        ) from last

    # -- DriverHooks -------------------------------------------------------------------
    @classmethod
    def for_device(cls, dev: DeviceDecl, hw: Hardware) -> Cpld:
        return cls(hw.bus, dev.address, dev.fields)

    def probe(self, hw: Hardware, dev: DeviceDecl, regs: dict[str, str]) -> str:
        """Every register holding a readable field (never a write-only one)."""
        readable = sorted({f.register for f in dev.fields if f.access in (Access.RO, Access.RW, Access.PULSE)})
        for reg in readable:
            probe_byte(hw, dev, reg, regs)
        return f"{len(readable)} register(s) read"
