"""Driver-level errors: what an errno from the bus means for a device.

A NAK (ENXIO, EREMOTEIO, or EIO from adapters such as i801 that report NAKs
that way) becomes :class:`NotAnswering`, which presence logic reads as
"absent / not responding"; a timeout or a busy bus is a *bus* problem and must
never be mistaken for an empty PSU bay, so it gets its own classes.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager

from chassisctl.errors import (
    BusIOError,
    ChassisError,
    ConfigError,
    ProtocolError,
    TimeoutFailure,
    UnreachableError,
)
from chassisctl.transport.errno_map import NAK_ERRNOS


class NotAnswering(UnreachableError):
    """The device did not acknowledge: absent, unpowered, or at another address."""

    code = "no-ack"


class BusTimeout(TimeoutFailure):
    """The bus timed out (a slave held SCL or SDA): a bus fault, not an absent device."""

    code = "bus-timeout"


class PecMismatch(ProtocolError):
    """The PEC byte of a read did not match (EBADMSG): noise or a confused device."""

    code = "pec"


class BusError(BusIOError):
    """Any other errno (arbitration lost, busy adapter, unsupported transfer...)."""

    code = "bus"


class VerifyFailed(BusIOError):
    """A value read back after a write is not what was written."""

    code = "verify"


class DeassertFailed(BusIOError):
    """A pulsed output could not be released: the line may still be asserted."""

    code = "deassert-failed"


class NotOwned(ConfigError):
    """A state-changing operation on a device the description does not declare owned."""

    code = "not-owned"


def translate(exc: OSError, what: str) -> ChassisError:
    """The driver error for an ``OSError`` raised while doing ``what``."""
    code = exc.errno
    name = errno.errorcode.get(code or 0, str(code))
    if code in NAK_ERRNOS:
        return NotAnswering(f"{what}: no acknowledge ({name})", hint="device absent, unpowered or wrong address")
    if code == errno.ETIMEDOUT:
        return BusTimeout(f"{what}: bus timeout ({name})", hint="a device may be holding the bus")
    if code == errno.EBADMSG:
        return PecMismatch(f"{what}: PEC mismatch ({name})")
    hint = "bus stuck or adapter busy" if code in (errno.EBUSY, errno.EAGAIN) else None
    return BusError(f"{what}: {exc.strerror or exc} ({name})", hint=hint)


@contextmanager
def bus_io(what: str) -> Iterator[None]:
    """Run a block of bus calls, translating any ``OSError`` (chained, not hidden)."""
    try:
        yield
    except OSError as exc:
        raise translate(exc, what) from exc
