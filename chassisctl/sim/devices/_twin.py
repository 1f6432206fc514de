"""How a simulated device stands in for a declared one: the hooks a device kind's twin implements.

A platform description's device kind names its twin (``twin =
"module:Class"`` in :mod:`chassisctl.platform.kinds`); the simulated world
(:mod:`chassisctl.platform.sim`) builds every twin with :meth:`Twin.for_device`,
puts it on the simulated bus with :meth:`Twin.place`, drives it with the
``[device.sim]`` seeds and ``chassisctl sim set`` keys through
:meth:`Twin.apply`, and carries the state the bus changes between processes
with :meth:`Twin.snapshot` / :meth:`Twin.restore`.

The simulator sits below the platform package, so the declared device and
the world arrive as the duck types :class:`DeclaredDevice` and
:class:`TwinWorld` describe, never as imports from it.
"""

from __future__ import annotations

from collections.abc import Mapping

from chassisctl.clock import Clock
from chassisctl.sim.i2c import Segment

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol
else:
    Protocol = object  # the classes below only describe interfaces to the type checker
if TYPE_CHECKING:
    from typing import Any


class DeclaredDevice(Protocol):
    """What a twin reads of a device declaration (``platform.description.DeviceDecl``)."""

    name: str
    kind: str
    address: int
    options: Mapping[str, Any]
    sim: Mapping[str, Any]
    fields: tuple[Any, ...]

    def option(self, key: str) -> Any: ...


class TwinWorld(Protocol):
    """What a twin may use of the simulated world it lives in (``platform.sim.SimWorld``)."""

    platform: Any
    clock: Clock
    #: Kernel bus number of the simulated root adapter (for sysfs paths).
    root_bus: int

    def fake_sysfs(self) -> Any: ...


class Twin:
    """The defaults: attach at the address, no snapshot; subclasses implement :meth:`apply`."""

    present: bool

    @classmethod
    def for_device(cls, dev: DeclaredDevice, world: TwinWorld) -> Twin:
        """The twin of ``dev``, seeded from its options and ``[device.sim]`` seeds."""
        raise NotImplementedError(f"{cls.__name__} cannot stand in for a declared device")

    def place(self, segment: Segment, address: int) -> None:
        """Put the twin on the simulated bus segment its mux path leads to."""
        segment.attach(address, self)  # type: ignore[arg-type] # every twin on a bus is an I2cSlave

    def apply(self, key: str, value: Any, dev: DeclaredDevice, world: TwinWorld) -> None:
        """One simulator key, from a seed or ``chassisctl sim set`` (checked against the kind's keys)."""
        raise KeyError(key)

    def snapshot(self, dev: DeclaredDevice, epoch: float) -> dict[str, Any] | None:
        """State the bus changes, as JSON (None: nothing beyond the seeds and overrides)."""
        return None

    def restore(self, snapshot: Mapping[str, Any], dev: DeclaredDevice, epoch: float) -> None:
        """Put a :meth:`snapshot` back (``epoch``: wall minus monotonic time of this process)."""
