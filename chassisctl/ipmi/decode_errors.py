"""What the IPMI codecs raise: bad bytes in, or a value that cannot go out.

:class:`DecodeError` subclasses :class:`chassisctl.errors.ProtocolError`, so
bytes that do not parse end in the "protocol error" exit status (65) with no
translation layer, and a fuzz test can assert that nothing else escapes a
decoder.  :class:`DataLengthError` is the one refinement: data of the wrong
size, which a responder answers with C7h instead of CCh.

:class:`EncodeError` is the other direction: the caller asked for something
the encoding cannot carry (a request longer than the BMC accepts).  Only the
caller can change that, so it ends in the usage exit status (2).
"""

from chassisctl.errors import ChassisError, ExitCode, ProtocolError


class DecodeError(ProtocolError):
    """Bytes that are not a valid encoding of what the caller expected."""


class DataLengthError(DecodeError):
    """Data of the wrong size: a responder answers C7h instead of CCh."""


class EncodeError(ChassisError):
    """A value the encoding cannot carry; the caller must change what it asks for."""

    exit_code = ExitCode.USAGE
    code = "usage"
