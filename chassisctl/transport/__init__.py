"""Backends by name, imported only when opened (python-can's lazy ``BACKENDS`` idea).

:func:`open_transport` imports only the chosen backend (``ssif``, ``ipmb``
— the names are :data:`chassisctl.config.TRANSPORTS` — or the translating
``platform`` one), opens the bus (a real ``/dev/i2c-N`` through smbus2, or
the simulated chassis for ``sim[:NAME]``) and hands it over.  The simulator
is reached through the very same SSIF/IPMB backends as hardware.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chassisctl.clock import Clock
    from chassisctl.config import BmcSettings
    from chassisctl.transport.base import Tracer, Transport

def open_transport(settings: "BmcSettings", *, clock: "Clock", tracer: "Tracer | None" = None) -> "Transport":
    """Open the bus named by ``settings`` and wrap it in the chosen backend."""
    from chassisctl.transport.bus import open_bus, parse_bus_spec

    spec = parse_bus_spec(settings.bus)
    if settings.platform:
        from chassisctl.platform.backend import open_platform

        return open_platform(settings, spec, clock=clock, tracer=tracer)

    if spec.simulated:
        from chassisctl.sim.chassis import open_simulated

        world = open_simulated(spec.sim, transport=settings.transport, clock=clock,
                               ipmb_my_addr=settings.ipmb_my_addr)
        bus, describe = world.bus, spec.path
    else:
        world, bus, describe = None, open_bus(spec), spec.path
    try:
        if settings.transport == "ipmb":
            from chassisctl.transport.ipmb import IpmbTransport

            device = world.ipmb_device if world else _open_ipmb_device(settings)
            transport = IpmbTransport(device, bus=bus, bmc_addr=settings.addr << 1,
                                      my_addr=settings.ipmb_my_addr << 1, clock=clock, tracer=tracer,
                                      describe=describe)
        else:
            from chassisctl.transport.ssif import SsifTransport

            transport = SsifTransport(bus, settings.addr, pec=settings.pec, clock=clock,
                                      timeout=settings.timeout, tracer=tracer,
                                      describe=describe)
    except BaseException:
        bus.close()
        raise
    return transport  # simulated: the backends read it off the SimulatedSMBus


def _open_ipmb_device(settings: "BmcSettings"):
    """The kernel's /dev/ipmb-N slave device, which receives the BMC's replies."""
    import errno

    from chassisctl.errors import PermissionDenied, UnreachableError, UsageError

    if not settings.ipmb_device:
        raise UsageError("--transport ipmb on a real bus needs the ipmb_device setting "
                         "(CHASSISCTL_IPMB_DEVICE=/dev/ipmb-N, from the ipmb_dev_int driver)")
    try:
        return open(settings.ipmb_device, "r+b", buffering=0)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise PermissionDenied(f"{settings.ipmb_device}: permission denied (needs root)") from None
        raise UnreachableError(f"{settings.ipmb_device}: {exc.strerror}",
                               hint="is ipmb_dev_int bound to this bus?") from None
