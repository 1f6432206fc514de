"""CPLD model: declared bit fields with access types, driven by an injected clock.

Registers behave as the declaration says: rw and pulse bits store what is
written, ro bits are inputs the test or physical model sets, w1c latches clear
only where a 1 is written, self-clearing and write-only bits fire a trigger
(magic values such as "DEh = power cycle") and read back 0.  Power domains
tie the bits together: power good rises ``pg_delay_s`` after a level enable or
a short button press; a button held ``force_off_s`` (4 s, the ACPI override)
or longer forces the domain off.  Time is only read from the clock, at bus
events, so tests with a FakeClock decide exactly when things happen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from chassisctl.namedtuple import NamedTuple

from chassisctl.clock import Clock
from chassisctl.devices.cpld import Access, Field, encode, extract, registers
from chassisctl.sim.devices._register import PointerSlave
from chassisctl.sim.devices._twin import DeclaredDevice, Twin, TwinWorld

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

FORCE_OFF_S = 4.0


class PowerDomain(NamedTuple):
    """Which fields make up one node's (or the chassis') power control."""

    name: str
    power_good: str
    enable: str | None = None  # level enable (rw)
    button: str | None = None  # momentary power button (pulse)
    reset: str | None = None  # reset line (pulse)
    pg_delay_s: float = 0.5
    force_off_s: float = FORCE_OFF_S


class Pulse(NamedTuple):
    """A completed assertion of a pulse field, and what the model made of it."""

    field: str
    seconds: float
    outcome: str  # "toggle", "forced-off", "reset"


class _DomainState:
    def __init__(self) -> None:
        self.on = False
        self.on_since = 0.0
        self.enable_seen = 0
        self.pressed_at: float | None = None
        self.reset_at: float | None = None
        self.no_pg = False


class CpldSim(PointerSlave, Twin):
    """A CPLD answering at one address with byte registers (reads auto-increment)."""

    auto_increment = True

    def __init__(self, clock: Clock, fields: Iterable[Field], *, initial: dict[int, int] | None = None,
                 domains: Iterable[PowerDomain] = ()) -> None:
        super().__init__()
        self.clock = clock
        self.fields = {f.name: f for f in fields}
        self.layout = registers(self.fields.values())
        #: The registers the fields use, in order (a snapshot is taken after every request).
        self._regs = sorted({f.register for f in self.fields.values()})
        self.raw = dict.fromkeys(range(256), 0)
        self.raw.update(initial or {})
        self.latched = dict.fromkeys(range(256), 0)
        self.stuck: dict[str, int] = {}
        self.triggers: list[tuple[str, int]] = []
        self.pulses: list[Pulse] = []
        self._callbacks: dict[str, list[Callable[[int], None]]] = {}
        self.domains = {d.name: d for d in domains}
        self._state = {name: _DomainState() for name in self.domains}
        self._tick()

    # -- the model's side --------------------------------------------------------------
    def set_input(self, name: str, value: int) -> None:
        """Drive a read-only field (presence, AC-OK, board ID...)."""
        f = self.fields[name]
        self.raw[f.register] = (self.raw[f.register] & ~f.mask) | encode(f, value)

    def latch(self, name: str) -> None:
        """Set a w1c latch, as the hardware does when the event happens."""
        f = self.fields[name]
        self.latched[f.register] |= f.mask

    def value(self, name: str) -> int:
        """Logical value of any field as a read would show it now."""
        self._tick()
        f = self.fields[name]
        return extract(f, self._read_byte(f.register))

    def stick(self, name: str, value: int) -> None:
        """Stuck-bit fault: the field reads ``value`` and ignores writes."""
        self.stuck[name] = value
        f = self.fields[name]
        self.raw[f.register] = (self.raw[f.register] & ~f.mask) | encode(f, value)

    def on_trigger(self, name: str, callback: Callable[[int], None]) -> None:
        """Call ``callback(value)`` when a self-clearing/write-only field is written non-zero."""
        self._callbacks.setdefault(name, []).append(callback)

    def power_on(self, domain: str) -> bool:
        self._tick()
        return self._state[domain].on

    def set_power(self, domain: str, on: bool) -> None:
        """Initial or externally caused power state (e.g. the host powered itself off)."""
        state = self._state[domain]
        state.on, state.on_since = on, self.clock.monotonic() - (self.domains[domain].pg_delay_s if on else 0)
        self._tick()

    def fail_power_good(self, domain: str, failed: bool = True) -> None:
        """No-PG fault: the domain turns on but power good never rises."""
        self._state[domain].no_pg = failed
        self._tick()

    # -- registers -----------------------------------------------------------------------
    def _read_byte(self, reg: int) -> int:
        layout = self.layout.get(reg)
        if layout is None:
            return self.raw[reg]
        hidden = layout.mask_of(Access.W1C, Access.SC, Access.WO)
        return (self.raw[reg] & ~hidden) | (self.latched[reg] & layout.mask_of(Access.W1C))

    def read_register(self, reg: int) -> bytes:
        self._tick()
        return bytes([self._read_byte(reg)])

    def write_register(self, reg: int, data: bytes) -> None:
        for offset, value in enumerate(data):
            self._write((reg + offset) & 0xFF, value)
        self._tick()

    def _write(self, reg: int, value: int) -> None:
        layout = self.layout.get(reg)
        if layout is None:
            return
        stored = layout.mask_of(Access.RW, Access.PULSE)
        for name in self.stuck:
            if self.fields[name].register == reg:
                stored &= ~self.fields[name].mask
        self.raw[reg] = (self.raw[reg] & ~stored) | (value & stored)
        self.latched[reg] &= ~(value & layout.mask_of(Access.W1C))
        for f in layout.fields:
            if f.access in (Access.SC, Access.WO) and f.name not in self.stuck:
                v = extract(f, value)
                if v:
                    self.triggers.append((f.name, v))
                    for callback in self._callbacks.get(f.name, []):
                        callback(v)

    # -- power sequencing ----------------------------------------------------------------
    def _tick(self) -> None:
        now = self.clock.monotonic()
        for name, d in self.domains.items():
            s = self._state[name]
            if d.enable is not None:
                enable = self._field(d.enable)
                if enable != s.enable_seen:
                    s.enable_seen = enable
                    s.on, s.on_since = bool(enable), now
            if d.button is not None:
                self._button(d, s, now)
            if d.reset is not None:
                held = bool(self._field(d.reset))
                if held and s.reset_at is None:
                    s.reset_at = now
                elif not held and s.reset_at is not None:
                    self.pulses.append(Pulse(d.reset, now - s.reset_at, "reset"))
                    s.reset_at = None
            pg = s.on and not s.no_pg and now >= s.on_since + d.pg_delay_s and s.reset_at is None
            f = self.fields[d.power_good]
            if d.power_good not in self.stuck:
                self.raw[f.register] = (self.raw[f.register] & ~f.mask) | encode(f, int(pg))

    def _field(self, name: str) -> int:
        f = self.fields[name]
        return extract(f, self.raw[f.register])

    def _button(self, d: PowerDomain, s: _DomainState, now: float) -> None:
        assert d.button is not None
        pressed = bool(self._field(d.button))
        if pressed and s.pressed_at is None:
            s.pressed_at = now
        elif s.pressed_at is not None:
            held = now - s.pressed_at
            if held >= d.force_off_s and s.on:
                s.on = False  # the override fires while the button is still held
            if not pressed:
                if held >= d.force_off_s:
                    outcome = "forced-off"
                else:
                    outcome = "toggle"
                    s.on, s.on_since = not s.on, now
                self.pulses.append(Pulse(d.button, held, outcome))
                s.pressed_at = None

    # -- Twin ----------------------------------------------------------------------------
    @classmethod
    def for_device(cls, dev: DeclaredDevice, world: TwinWorld) -> CpldSim:
        """The declared fields, one power domain per node whose ``[node.power]`` names this CPLD.

        Outputs start idle and inputs at their logical 0; the nodes start with
        the power the ``power`` seed gives (on by default).
        """
        nodes = [n for n in world.platform.nodes if n.power is not None and n.power.device == dev.name]
        domains = [PowerDomain(n.name, n.power.power_good, enable=n.power.enable, button=n.power.button,
                               reset=n.power.reset, pg_delay_s=float(dev.sim.get("pg_delay_ms", 500)) / 1000)
                   for n in nodes if n.power.power_good is not None]
        initial: dict[int, int] = {}
        for f in dev.fields:
            if f.access in (Access.PULSE, Access.RW, Access.RO):
                initial[f.register] = (initial.get(f.register, 0) & ~f.mask) | encode(f, 0)
        twin = cls(world.clock, dev.fields, initial=initial, domains=domains)
        on = dev.sim.get("power", "on") == "on"
        for node in nodes:
            twin.power_node(node, on)
        return twin

    def power_node(self, node: Any, on: bool) -> None:
        """A node's power set from outside (seed or ``sim set``): its enable field follows."""
        power = node.power
        if power.enable is not None:
            f = self.fields[power.enable]
            value = power.on_value if on else power.off_value
            self.raw[f.register] = (self.raw[f.register] & ~f.mask) | encode(f, value)
            self.value(power.enable)  # let the domain see the enable before forcing its state
        if node.name in self.domains:
            self.set_power(node.name, on)

    def apply(self, key: str, value: Any, dev: DeclaredDevice, world: TwinWorld) -> None:
        """``no_power_good``, ``power`` (every node it powers) and its ro fields as inputs."""
        if key == "no_power_good":
            for d in list(self.domains):
                self.fail_power_good(d, bool(value))
        elif key == "power":
            for node in world.platform.nodes:
                if node.power is not None and node.power.device == dev.name:
                    self.power_node(node, value == "on")
        elif key in self.fields:
            self.set_input(key, int(value))

    def snapshot(self, dev: DeclaredDevice, epoch: float) -> dict[str, Any] | None:
        """Registers, latches and power domains; domain times as wall clock (``epoch``)."""
        regs = self._regs
        wall = lambda t: None if t is None else round(t + epoch, 6)  # noqa: E731 - a local conversion
        return {"raw": {str(r): self.raw[r] for r in regs},
                "latched": {str(r): self.latched[r] for r in regs if self.latched[r]},
                "domains": {d: {"on": s.on, "since": wall(s.on_since), "enable_seen": s.enable_seen,
                                "pressed": wall(s.pressed_at), "reset": wall(s.reset_at), "no_pg": s.no_pg}
                            for d, s in self._state.items()}}

    def restore(self, snapshot: Mapping[str, Any], dev: DeclaredDevice, epoch: float) -> None:
        mono = lambda t: None if t is None else float(t) - epoch  # noqa: E731 - a local conversion
        for r, v in snapshot.get("raw", {}).items():
            self.raw[int(r)] = int(v)
        for r in {f.register for f in self.fields.values()}:
            self.latched[r] = int(snapshot.get("latched", {}).get(str(r), 0))
        for d, doc in snapshot.get("domains", {}).items():
            state = self._state.get(d)
            if state is None:
                continue
            state.on = bool(doc["on"])
            state.on_since = mono(doc["since"]) or 0.0
            state.enable_seen = int(doc["enable_seen"])
            state.pressed_at = mono(doc.get("pressed"))
            state.reset_at = mono(doc.get("reset"))
            state.no_pg = bool(doc.get("no_pg", False))
