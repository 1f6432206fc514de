"""Operator-facing failures and the exit code each one maps to.

Every failure a user can cause or meet (bad flags, a missing bus, a BMC that
answers with an error completion code, a corrupt state file) is raised as a
subclass of :class:`ChassisError`.  The CLI catches that one base class and
prints ``chassisctl: <message>`` (or a JSON error object) and exits with
``exit_code``: the mapping lives here, in one place, and is documented in
``chassisctl(8)`` EXIT STATUS.  Anything else reaching the CLI is a bug (70).

Codes follow sysexits(3) where one fits, so scripts can tell "retry later"
(75) from "fix the address" (69) from "ask for root" (77).
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    FAILURE = 1
    USAGE = 2
    #: ``power status --quiet`` only: the chassis is off (LSB "not running").
    POWER_OFF = 3
    #: Malformed or unexpected bytes from the bus or the BMC (checksum, PEC,
    #: framing, a response that does not match its request).
    PROTOCOL = 65
    #: A file named on the command line does not exist.
    NO_INPUT = 66
    #: No such bus, or nothing acknowledges at the address (never answered).
    #: A BMC that stops answering in the middle of an exchange is 75.
    UNAVAILABLE = 69
    #: A bug in chassisctl.
    SOFTWARE = 70
    #: I/O error: an I2C errno that is not "no answer", or stored state
    #: (simulator state, SDR cache) that cannot be read or written.
    IO = 74
    #: Timed out, or the outcome of a non-idempotent request is unknown.
    TEMPFAIL = 75
    #: The BMC answered with an error completion code.
    COMPLETION_CODE = 76
    #: Permission denied (``/dev/i2c-N`` access, root, capabilities).
    NO_PERMISSION = 77
    #: Bad configuration file, simulator profile or platform description.
    #: (A bad value in a flag or a CHASSISCTL_* variable is a usage error, 2.)
    CONFIG = 78


class ChassisError(Exception):
    """Base of every error meant for the operator: one line, one exit code.

    ``code`` is a short stable machine name used in ``--json`` error objects;
    ``hint`` names what to check, and is appended to the one-line message.
    """

    exit_code: ExitCode = ExitCode.FAILURE
    code: str = "failure"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(ChassisError):
    exit_code = ExitCode.USAGE
    code = "usage"


class ConfigError(ChassisError):
    exit_code = ExitCode.CONFIG
    code = "config"


class NoInputError(ChassisError):
    exit_code = ExitCode.NO_INPUT
    code = "no-input"


class UnreachableError(ChassisError):
    """The bus does not exist, or nothing acknowledges at the address."""

    exit_code = ExitCode.UNAVAILABLE
    code = "unreachable"


class BusIOError(ChassisError):
    exit_code = ExitCode.IO
    code = "io"


class StateError(ChassisError):
    """Stored state (simulator state file, SDR cache) cannot be used as is.

    Raised instead of overwriting: nothing already stored is ever lost.
    """

    exit_code = ExitCode.IO
    code = "state"


class ProtocolError(ChassisError):
    """Bytes from the BMC that do not parse or do not match the request."""

    exit_code = ExitCode.PROTOCOL
    code = "protocol"


class TimeoutFailure(ChassisError):
    exit_code = ExitCode.TEMPFAIL
    code = "timeout"


class OutcomeUnknown(TimeoutFailure):
    """A non-idempotent request was accepted by the bus but never answered.

    SSIF has no sequence numbers, so re-sending could execute it twice: the
    caller is told to verify (e.g. ``power status``) instead.
    """

    code = "outcome-unknown"


class PermissionDenied(ChassisError):
    exit_code = ExitCode.NO_PERMISSION
    code = "permission"

