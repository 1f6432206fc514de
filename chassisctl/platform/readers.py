"""Reading a declared sensor through its kind's driver.

:class:`Hardware` owns the bus, the :class:`TopologyManager` that routes it
along mux paths, and one driver instance per device, made by the driver class
its kind's table entry names (:mod:`chassisctl.platform.kinds`; drivers cache
what never changes: VOUT_MODE, a fan's range multiplier).  :meth:`Hardware.sample`
turns a sensor into a :class:`Sample`: an engineering value, a discrete
state, or "unavailable" with the reason — never an exception and never a
made-up value, so one dead device cannot stop a sensor walk.

A sensor read costs one bus transaction where the device allows it (an
LM75 word, a PMBus READ_x word, one INA register): the SDR walk reads
sensors in topology order and the mux is switched only when the next
device sits on another channel.  Facts needed to scale a reading that do
not change from one read to the next are checked once and then every
:data:`RECHECK_S` seconds (the INA CAL register of a chip chassisctl does
not own, the PMBus VOUT_MODE); an owned INA holds the CAL chassisctl
programs, and a reading of exactly 0 — what a reset chip reads too — is
confirmed against the CAL register before it is reported.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from chassisctl.namedtuple import NamedTuple

from chassisctl.clock import Clock
from chassisctl.errors import ChassisError
from chassisctl.platform.description import DeviceDecl, Platform, SensorDecl
from chassisctl.i2c_errors import PecMismatch
from chassisctl.platform.drivers.topology import TopologyManager

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: Re-read scaling facts (INA CAL) after this many seconds.
RECHECK_S = 60.0
#: A PEC mismatch is retried this many times before the reading is unavailable.
PEC_RETRIES = 1


class Sample(NamedTuple):
    """One reading: ``value`` (analog) or ``state`` (discrete bits), or ``error``."""

    value: float | None = None
    state: int | None = None
    error: str | None = None

    @property
    def available(self) -> bool:
        return self.error is None


class CountingBus:
    """An smbus2-like bus that counts transactions (any method call that moves bytes)."""

    _CALLS = frozenset({"read_byte", "write_byte", "read_byte_data", "write_byte_data", "read_word_data",
                        "write_word_data", "read_block_data", "write_block_data", "read_i2c_block_data",
                        "write_i2c_block_data", "i2c_rdwr", "write_quick", "process_call",
                        "block_process_call"})

    def __init__(self, bus: Any) -> None:
        object.__setattr__(self, "inner", bus)
        object.__setattr__(self, "transactions", 0)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if name in self._CALLS:
            def counted(*args: Any, **kwargs: Any) -> Any:
                object.__setattr__(self, "transactions", self.transactions + 1)
                return attr(*args, **kwargs)
            return counted
        return attr

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.inner, name, value)


class Hardware:
    """The bus, its muxes and one driver per device."""

    def __init__(self, platform: Platform, bus: Any, clock: Clock, *, sysfs_root: str = "/sys",
                 root_bus: int = 0, tracer: Callable[[str], None] | None = None) -> None:
        self.platform = platform
        self.bus = CountingBus(bus)
        self.clock = clock
        self.sysfs_root = sysfs_root
        self.root_bus = root_bus
        self.tracer = tracer
        self.topology = TopologyManager(self.bus)
        self._drivers: dict[str, Any] = {}
        self._checked: dict[str, tuple[float, Any]] = {}

    # -- plumbing ------------------------------------------------------------------------
    @contextmanager
    def at(self, dev: DeviceDecl) -> Iterator[None]:
        """Route the bus to ``dev`` (muxes switched only when needed)."""
        with self.topology.select(dev.path):
            yield

    def driver(self, dev: DeviceDecl) -> Any:
        """The driver of ``dev``: its kind's driver class, made once (it caches what never changes)."""
        drv = self._drivers.get(dev.name)
        if drv is None:
            drv = self._drivers[dev.name] = dev.kind_entry.driver_class().for_device(dev, self)
        return drv

    def trace(self, text: str) -> None:
        if self.tracer is not None:
            self.tracer(text)

    def fact(self, key: str, fetch: Callable[[], Any], assume: Any = None) -> Any:
        """A slow-changing fact, fetched again after RECHECK_S (``assume``: trusted at first)."""
        now = self.clock.monotonic()
        known = self._checked.get(key)
        if known is not None and now - known[0] < RECHECK_S:
            return known[1]
        value = assume if known is None and assume is not None else fetch()
        self._checked[key] = (now, value)
        return value

    def remember(self, key: str, value: Any) -> None:
        """A fact just read outside :meth:`fact` (it restarts the RECHECK_S period)."""
        self._checked[key] = (self.clock.monotonic(), value)

    def reset_caches(self, sysfs_root: str | None = None) -> None:
        """Forget every driver, cached fact and mux state (the devices were replaced)."""
        self._drivers.clear()
        self._checked.clear()
        self.topology.invalidate()
        if sysfs_root is not None:
            self.sysfs_root = sysfs_root

    def forget(self, dev: DeviceDecl) -> None:
        """Drop cached facts of ``dev`` (after a failure: it may have been reset)."""
        self._checked = {k: v for k, v in self._checked.items() if not k.startswith(dev.name + ":")}
        drv = self._drivers.get(dev.name)
        if drv is not None:
            drv.forget()

    # -- sensors -------------------------------------------------------------------------
    def sample(self, sensor: SensorDecl) -> Sample:
        dev = self.platform.devices[sensor.device]
        for attempt in range(PEC_RETRIES + 1):
            try:
                drv = self.driver(dev)
                if sensor.discrete:
                    return Sample(state=drv.state(self, dev, sensor.reading))
                with self.at(dev):
                    value = drv.sample(self, dev, sensor.reading)
            except PecMismatch as exc:
                if attempt < PEC_RETRIES:
                    continue
                return self._failed(dev, exc)
            except ChassisError as exc:
                return self._failed(dev, exc)
            if value is None:
                return Sample(error=f"{dev.name}: {sensor.reading} {drv.unavailable}")
            return Sample(value=value * sensor.scale)
        raise AssertionError("unreachable")

    def _failed(self, dev: DeviceDecl, exc: ChassisError) -> Sample:
        self.forget(dev)
        self.trace(f"platform: {exc}")
        return Sample(error=_owner_hint(self, dev, exc))

    # -- presence ----------------------------------------------------------------------------
    def present_field(self, dev: DeviceDecl) -> bool | None:
        """The CPLD presence bit of ``dev`` (None when the description gives none)."""
        ref = dev.options.get("present")
        if not ref:
            return None
        cpld_name, _, fname = ref.partition(".")
        cpld = self.platform.devices[cpld_name]
        with self.at(cpld):
            return bool(self.driver(cpld).read_field(cpld.field(fname)))


def _owner_hint(hw: Hardware, dev: DeviceDecl, exc: ChassisError) -> str:
    """EBUSY on a real bus means a kernel driver owns the address: say which."""
    cause = exc.__cause__
    if isinstance(cause, OSError) and cause.errno == errno.EBUSY and hw.root_bus is not None:
        from chassisctl.transport.bus import address_owner

        owner = address_owner(f"/dev/i2c-{hw.root_bus}", dev.address, hw.sysfs_root)
        if owner:
            return (f"{dev.name}: address {dev.address:#04x} is owned by kernel driver {owner}; "
                    "declare it kind = \"hwmon\" (chassisctl never forces an address)")
    return str(exc)
