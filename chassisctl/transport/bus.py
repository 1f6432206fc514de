"""Which bus (``--bus``) and opening it: real ``/dev/i2c-N`` or the simulator.

A real-bus failure must never fall back to the simulator silently: an
operator who typed ``--bus 1`` and got simulated answers would power-cycle
the wrong thing in their head.  So the two kinds are separate functions:
:func:`open_bus` for adapters, :func:`simulate` for the simulated chassis,
which comes from the :class:`~chassisctl.transport.Simulator` the caller
hands in (it lives in a package above this one and is heavy to import).  Completion lists buses with ``os``
only, so TAB stays fast.
"""

from __future__ import annotations

import os
from chassisctl.namedtuple import NamedTuple

from chassisctl.errors import UsageError
from chassisctl.i2c_errors import open_error

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

if TYPE_CHECKING:
    from chassisctl.clock import Clock
    from chassisctl.config import BmcSettings
    from chassisctl.transport import SimulatedBus, Simulator

DEFAULT_SIM = "default"
# Names and device paths are checked with str methods, not regexes: every
# command parses its --bus, and compiling a pattern is ~0.1 ms a process.
_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_SIM_NAME_CHARS = _ALNUM | frozenset("_.-")


def _sim_name_ok(name: str) -> bool:
    """``[A-Za-z0-9][A-Za-z0-9_.-]{0,63}``, the whole string."""
    return 1 <= len(name) <= 64 and name[0] in _ALNUM and _SIM_NAME_CHARS.issuperset(name)


def _dev_number(text: str) -> int | None:
    """N of ``i2c-N`` or ``/dev/i2c-N`` (1-4 decimal digits, as the pattern ``\\d`` took them), else None."""
    rest = text.removeprefix("/dev/")
    if not rest.startswith("i2c-"):
        return None
    digits = rest[4:]
    return int(digits) if 1 <= len(digits) <= 4 and digits.isdecimal() else None


class BusSpec(NamedTuple):
    """A parsed ``--bus`` value: a real adapter number or a named simulation."""

    number: int | None = None
    sim: str | None = None

    @property
    def simulated(self) -> bool:
        return self.sim is not None

    @property
    def path(self) -> str:
        return f"sim:{self.sim}" if self.sim is not None else f"/dev/i2c-{self.number}"

    def __str__(self) -> str:
        return self.path


def parse_bus_spec(text: str) -> BusSpec:
    """``/dev/i2c-N``, ``i2c-N``, ``N``, ``sim`` or ``sim:NAME``; else :class:`UsageError`."""
    value = str(text).strip()
    if value == "sim":
        return BusSpec(sim=DEFAULT_SIM)
    if value.startswith("sim:"):
        name = value[4:]
        if _sim_name_ok(name):
            return BusSpec(sim=name)
        raise UsageError(f"invalid simulated bus name {name!r}: use letters, digits, '_', '.', '-'")
    if value.isdigit() and len(value) <= 4:
        return BusSpec(number=int(value))
    number = _dev_number(value)
    if number is not None:
        return BusSpec(number=number)
    raise UsageError(f"invalid bus {value!r}: expected /dev/i2c-N, N, sim or sim:NAME")


def open_bus(spec: BusSpec | str) -> Any:
    """``smbus2.SMBus`` for the real adapter ``spec`` names.

    Opened with ``smbus2.SMBus(path)``, never ``force=True``: forcing an
    address a kernel driver owns corrupts its SSIF state.  A simulated bus is
    refused here; it comes from :func:`simulate`.
    """
    if isinstance(spec, str):
        spec = parse_bus_spec(spec)
    if spec.sim is not None:
        raise UsageError(f"{spec.path}: a simulated bus is opened through the simulator, not as an adapter")
    import smbus2

    path = spec.path
    try:
        return smbus2.SMBus(path)
    except OSError as exc:
        raise open_error(exc, path) from exc


def simulate(spec: BusSpec, settings: BmcSettings, clock: Clock, simulator: Simulator | None) -> SimulatedBus:
    """The simulated chassis behind a ``sim[:NAME]`` bus, from the simulator the caller handed in."""
    if simulator is None or spec.sim is None:
        raise UsageError(f"{spec.path}: no simulator is available in this context")
    return simulator(spec.sim, transport=settings.transport, clock=clock, ipmb_my_addr=settings.ipmb_my_addr)


def address_owner(bus_path: str, addr: int, sysfs: str = "/sys") -> str | None:
    """The kernel driver bound to ``addr`` on ``bus_path``, if any (e.g. ``ipmi_ssif``).

    ``I2C_SLAVE`` fails with EBUSY when a driver owns the address; forcing it
    would interleave our transfers with the driver's, so callers report the
    owner instead.  Only ``/dev/i2c-N`` paths have a sysfs entry.
    """
    number = _dev_number(bus_path)
    if number is None:
        return None
    link = os.path.join(sysfs, "bus", "i2c", "devices", f"{number}-{addr:04x}", "driver")
    try:
        return os.path.basename(os.readlink(link))
    except OSError:
        return None


def list_buses(dev_dir: str = "/dev") -> list[str]:
    """Candidate ``--bus`` values for completion: ``/dev/i2c-*`` by number, then ``sim``."""
    numbers = []
    try:
        names = os.listdir(dev_dir)
    except OSError:
        names = []
    for name in names:
        number = _dev_number(name)
        if number is not None:
            numbers.append(number)
    return [f"{dev_dir}/i2c-{n}" for n in sorted(numbers)] + ["sim"]
