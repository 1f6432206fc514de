"""The exceptions IPMI decoders raise on bad bytes.

:class:`DecodeError` subclasses :class:`chassisctl.errors.ProtocolError` so
the CLI maps it to the "protocol error" exit code without a translation
layer.  :class:`DataLengthError` is the one refinement: data of the wrong
size, which a responder answers with C7h instead of CCh.
"""

from chassisctl.errors import ProtocolError


class DecodeError(ProtocolError):
    """Bytes that are not a valid encoding of what the caller expected."""


class DataLengthError(DecodeError):
    """Data of the wrong size: a responder answers C7h instead of CCh."""
