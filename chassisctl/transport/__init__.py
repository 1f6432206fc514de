"""Backends by name, imported only when opened (python-can's ``BACKENDS`` table).

:data:`BACKENDS` maps a backend name to ``(module, class)``: ``ssif`` and
``ipmb`` (the names ``--transport`` accepts, :data:`chassisctl.config.TRANSPORTS`)
and ``platform`` (a platform description answered by translation, chosen by
``--platform``).  :func:`open_transport` imports only the chosen one and asks
its class to open the bus named by the settings; the list of names is known
without importing any backend.

The simulator is not imported here.  A caller that accepts ``sim[:NAME]``
buses (the CLI, ``serve``) hands in a :class:`Simulator` — a function that
builds the simulated chassis for a name — and the backend reaches it through
the very same code as hardware.  Without one, a simulated bus is refused.
"""

from __future__ import annotations


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol
else:
    Protocol = object  # the classes below only describe interfaces to the type checker
if TYPE_CHECKING:
    from typing import Any

if TYPE_CHECKING:
    from chassisctl.clock import Clock
    from chassisctl.config import BmcSettings
    from chassisctl.transport.base import Tracer, Transport

#: Backend name -> (module, class), imported on first use.
BACKENDS: dict[str, tuple[str, str]] = {
    "ssif": ("chassisctl.transport.ssif", "SsifTransport"),
    "ipmb": ("chassisctl.transport.ipmb", "IpmbTransport"),
    "platform": ("chassisctl.platform.backend", "PlatformTransport"),
}


class SimulatedBus(Protocol):
    """What a :class:`Simulator` returns: the bus, and for IPMB the host's ``/dev/ipmb-N`` twin."""

    bus: Any
    ipmb_device: Any


class Simulator(Protocol):
    """Builds the simulated chassis named ``name`` for the backend ``transport``."""

    def __call__(self, name: str, *, transport: str, clock: Clock, ipmb_my_addr: int) -> SimulatedBus: ...


def backend(name: str) -> type[Transport]:
    """The backend class registered as ``name`` (its module imported now)."""
    import sys

    module, cls = BACKENDS[name]
    __import__(module)  # not importlib.import_module: importlib and warnings are ~0.7 ms more
    found: type[Transport] = getattr(sys.modules[module], cls)
    return found


def open_transport(settings: BmcSettings, *, clock: Clock, tracer: Tracer | None = None,
                   simulator: Simulator | None = None) -> Transport:
    """Open the bus named by ``settings`` and wrap it in the chosen backend."""
    from chassisctl.transport.bus import parse_bus_spec

    spec = parse_bus_spec(settings.bus)
    name = "platform" if settings.platform else settings.transport
    return backend(name).open(settings, spec, clock=clock, tracer=tracer, simulator=simulator)
