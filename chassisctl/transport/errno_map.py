"""I2C errnos -> operator-facing errors, in one table (design note §3).

The kernel reports every bus failure as an errno, and the same number means
different things to an operator depending on the adapter (i801 says EIO
where designware says EREMOTEIO for the same NAK).  Both transports and the
bus opener translate through here so a given failure always reads the same.
"""

from __future__ import annotations

import errno
from typing import Callable

from chassisctl.errors import (BusIOError, ChassisError, PermissionDenied, ProtocolError,
                               TimeoutFailure, UnreachableError)

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
