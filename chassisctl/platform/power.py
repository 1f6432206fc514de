"""Node power through CPLD fields: IPMI Chassis Control (IPMI v2.0 §28.3) as register writes.

IPMI Chassis Control maps onto the fields a node's ``[node.power]`` table
names:

==============  ============================================================
00h power down  enable := off_value, else the button held ``force_off_ms``
01h power up    nothing if power good reads on twice (a toggle would turn it
                off); else enable := on_value, else a short button press
02h cycle       off now; the "on" step becomes due ``cycle_off_ms`` later
03h hard reset  a reset pulse (D5h when off, D6h without a reset field)
05h soft off    a short button press (D6h without a button)
04h NMI         D6h: no field models it
==============  ============================================================

Every write is a read-modify-write of the declared register (w1c latches are
never cleared by accident) and, with ``verify``, is read back.  Pulses always
end: the driver deasserts in a ``finally`` and retries a failed release.
Power good is then expected within ``pg_timeout_ms``; the model reports
"power control fault" in Get Chassis Status when it does not come — nothing
here sleeps waiting for it, so a request never blocks on a slow board.
"""

from __future__ import annotations
from chassisctl.namedtuple import NamedTuple

from chassisctl.clock import Clock
from chassisctl.platform.description import DeviceDecl, NodeDecl, PowerDecl
from chassisctl.platform.readers import Hardware


class Unsupported(Exception):
    """The description gives no field for this action."""


class PowerReading(NamedTuple):
    on: bool
    power_good: bool | None
    enable: int | None


class NodePower:
    def __init__(self, hw: Hardware, node: NodeDecl, clock: Clock) -> None:
        assert node.power is not None
        self.hw = hw
        self.node = node
        self.decl: PowerDecl = node.power
        self.clock = clock
        self.device: DeviceDecl = hw.platform.devices[self.decl.device]

    @property
    def cpld(self):
        return self.hw.driver(self.device)

    def _field(self, name: str | None):
        return None if name is None else self.device.field(name)

    def read(self) -> PowerReading:
        """Power good if declared (else the enable read back) — one register read each."""
        with self.hw.at(self.device):
            pg = self.cpld.read_field(self._field(self.decl.power_good)) if self.decl.power_good else None
            enable = None
            if pg is None and self.decl.enable:
                enable = self.cpld.read_field(self._field(self.decl.enable))
        on = bool(pg) if pg is not None else enable == self.decl.on_value
        return PowerReading(on, None if pg is None else bool(pg), enable)

    def is_on_debounced(self) -> bool:
        """Two agreeing samples before trusting "on" (idempotent power up)."""
        return self.read().on and self.read().on

    def on(self) -> None:
        """Level enable to on_value; if it already reads on (the node was turned off by
        its button, or a forced off), a short press, else an off-to-on edge."""
        d = self.decl
        with self.hw.at(self.device):
            if d.enable is not None:
                enable = self._field(d.enable)
                if self.cpld.read_field(enable) != d.on_value:
                    self.cpld.write_field(enable, d.on_value, verify=d.verify)
                elif d.button is not None:
                    self.cpld.pulse(self._field(d.button), d.button_s, self.clock)
                else:
                    self.cpld.write_field(enable, d.off_value, verify=d.verify)
                    self.cpld.write_field(enable, d.on_value, verify=d.verify)
            else:
                self.cpld.pulse(self._field(d.button), d.button_s, self.clock)

    def off(self) -> None:
        """Hard off: enable to off_value (an on-to-off edge if it already reads off),
        or without an enable the button held past the ACPI override."""
        d = self.decl
        with self.hw.at(self.device):
            if d.enable is not None:
                enable = self._field(d.enable)
                if self.cpld.read_field(enable) == d.off_value:
                    self.cpld.write_field(enable, d.on_value, verify=d.verify)
                self.cpld.write_field(enable, d.off_value, verify=d.verify)
            else:
                self.cpld.pulse(self._field(d.button), d.force_off_s, self.clock)

    def soft_off(self) -> None:
        if self.decl.button is None:
            raise Unsupported("no power button field")
        with self.hw.at(self.device):
            self.cpld.pulse(self._field(self.decl.button), self.decl.button_s, self.clock)

    def reset(self) -> None:
        if self.decl.reset is None:
            raise Unsupported("no reset field")
        with self.hw.at(self.device):
            self.cpld.pulse(self._field(self.decl.reset), self.decl.reset_s, self.clock)
