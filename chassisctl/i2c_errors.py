"""I2C errnos -> operator-facing errors: the one translation every bus edge uses.

The kernel reports every bus failure as an errno, and the same number means
different things depending on the adapter: i801 says EIO where designware
says EREMOTEIO for the same NAK (``Documentation/i2c/fault-codes.rst`` in the
kernel lists what each code means for I2C).  The SSIF and IPMB transports,
the bus opener, the platform drivers and the simulated bus all classify
errnos through the sets and the table below, so one failure always reads the
same and is mapped to the same exit status.

Two voices share the table:

* :func:`map_os_error` speaks for a BMC transport ("BMC at 0x10 on
  /dev/i2c-1 did not acknowledge (ENXIO)");
* :func:`translate` / :func:`bus_io` speak for a device driver, where a NAK
  is :class:`NotAnswering` — which presence logic reads as "absent" — and a
  timeout or a busy bus is a *bus* fault, never to be mistaken for an empty
  PSU bay.

This module sits at the bottom floor beside :mod:`chassisctl.errors`: it
imports nothing else of chassisctl.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from chassisctl.errors import (BusIOError, ChassisError, PermissionDenied, ProtocolError, TimeoutFailure,
                               UnreachableError)

#: A NAK of the address or a byte, as different adapters report it.
NAK_ERRNOS = frozenset({errno.ENXIO, errno.EREMOTEIO, errno.EIO})
#: Worth retrying the same transfer: a NAK, or arbitration lost.
RETRYABLE_WRITE_ERRNOS = NAK_ERRNOS | {errno.EAGAIN}
#: On an SSIF read: "no response yet", poll again.
NOT_READY_ERRNOS = NAK_ERRNOS | {errno.EPROTO, errno.EAGAIN}
#: Bus-level trouble that may clear: keep trying until the deadline.
TRANSIENT_ERRNOS = frozenset({errno.ETIMEDOUT, errno.EBUSY})
PERMISSION_ERRNOS = frozenset({errno.EACCES, errno.EPERM})

_RECOVERY = ("if it repeats, unbind and rebind the adapter driver or reset the BMC "
             "(a slave may be holding SDA low)")

#: errno -> (error class, what happened, hint)
_TABLE: dict[int, tuple[type[ChassisError], str, str | None]] = {
    errno.ENXIO: (UnreachableError, "did not acknowledge (ENXIO)", "wrong address, or BMC not running"),
    errno.EREMOTEIO: (UnreachableError, "did not acknowledge (EREMOTEIO)", "wrong address, or BMC not running"),
    errno.EIO: (UnreachableError, "I/O error (EIO; this adapter reports NAKs this way)",
                "wrong address, or BMC not running"),
    errno.ETIMEDOUT: (TimeoutFailure, "SMBus timeout (ETIMEDOUT): a device held the clock too long", _RECOVERY),
    errno.EAGAIN: (BusIOError, "lost arbitration (EAGAIN): another master is using the bus",
                   "retry later; the BMC may be mastering IPMB on the same wires"),
    errno.EBUSY: (BusIOError, "bus busy (EBUSY)", _RECOVERY),
    errno.EPROTO: (ProtocolError, "sent an invalid SMBus block count (EPROTO)", None),
    errno.EBADMSG: (ProtocolError, "PEC mismatch (EBADMSG): the bytes were corrupted on the wire",
                    "check wiring and pull-ups, or use --pec off"),
    errno.EOPNOTSUPP: (BusIOError, "the adapter cannot do this transfer (EOPNOTSUPP)",
                       "see `chassisctl bus info` for what it supports"),
    errno.EACCES: (PermissionDenied, "permission denied (EACCES)", "needs root or the i2c group"),
    errno.EPERM: (PermissionDenied, "operation not permitted (EPERM)", "needs root or the i2c group"),
    errno.ENODEV: (UnreachableError, "adapter is gone (ENODEV)", "was the driver unloaded?"),
    errno.ENOENT: (UnreachableError, "does not exist (ENOENT)", "is i2c-dev loaded? ls /dev/i2c-*"),
    errno.EBADF: (BusIOError, "bus is closed (EBADF)", None),
}


def errno_name(code: int | None) -> str:
    return errno.errorcode.get(code or 0, f"errno {code}")


def describe_errno(code: int | None) -> str:
    """Short meaning of an I2C errno, for traces and messages."""
    if code is None:
        return "no answer"
    entry = _TABLE.get(code or 0)
    return entry[1] if entry else f"{errno_name(code)}"


# --- a BMC transport's voice --------------------------------------------------------------


def map_os_error(exc: OSError, *, subject: str,
                 fallback: Callable[[str], ChassisError] | None = None) -> ChassisError:
    """The :class:`ChassisError` for ``exc``; ``subject`` says who ("BMC at 0x10 on /dev/i2c-1")."""
    entry = _TABLE.get(exc.errno or 0)
    if entry is None:
        message = f"{subject}: I/O error ({errno_name(exc.errno)}: {exc.strerror or exc})"
        return fallback(message) if fallback else BusIOError(message)
    cls, what, hint = entry
    error = cls(f"{subject} {what}", hint=hint)
    error.__cause__ = exc
    return error


def open_error(exc: OSError, path: str) -> ChassisError:
    """Why ``/dev/i2c-N`` could not be opened (the ``open()`` itself, before any transfer)."""
    if isinstance(exc, FileNotFoundError):
        error: ChassisError = UnreachableError(f"no such bus {path}", hint="is i2c-dev loaded? ls /dev/i2c-*")
    elif isinstance(exc, PermissionError):
        error = PermissionDenied(f"cannot open {path}: permission denied", hint="needs root or the i2c group")
    elif exc.errno in (errno.ENODEV, errno.ENXIO):
        error = UnreachableError(f"bus {path} has no adapter behind it ({errno.errorcode[exc.errno]})",
                                 hint="was the adapter driver unloaded?")
    else:
        error = BusIOError(f"cannot open {path}: {exc.strerror or exc}")
    return error


# --- a device driver's voice ----------------------------------------------------------------


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
