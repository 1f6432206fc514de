"""The embedded simulated chassis: a simulated I2C bus and what sits on it.

``SimulatedSMBus`` offers smbus2's method signatures over byte-level slave
models (an SSIF BMC, an IPMB responder, register devices), so production
transports run unchanged against it.  The BMC's physical model takes an
injected clock and persists its state between CLI invocations.

:func:`simulator` is what the CLI and ``serve`` hand to
:func:`chassisctl.transport.open_transport` so that ``--bus sim[:NAME]``
works; it imports the chassis only when such a bus is opened.
"""

from __future__ import annotations


TYPE_CHECKING = False

if TYPE_CHECKING:
    from chassisctl.clock import Clock
    from chassisctl.sim.chassis import SimulatedWorld


def simulator(name: str, *, transport: str, clock: Clock, ipmb_my_addr: int) -> SimulatedWorld:
    """The simulated chassis ``name``, its BMC speaking ``transport``: a :class:`~chassisctl.transport.Simulator`."""
    from chassisctl.sim.chassis import open_simulated

    return open_simulated(name, transport=transport, clock=clock, ipmb_my_addr=ipmb_my_addr)
