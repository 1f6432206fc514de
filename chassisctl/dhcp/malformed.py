"""The one exception family the DHCP decoders raise on bad bytes.

:class:`DecodeError` subclasses :class:`chassisctl.errors.ProtocolError`, so a
malformed packet that ever reached the CLI maps to the protocol exit code
(65); in the relay it is caught and counted as a drop under its
:attr:`~DecodeError.reason`, the key of the per-interface drop counters.
"""

from chassisctl.errors import ProtocolError


class DecodeError(ProtocolError):
    """Bytes that are not a valid encoding of what the caller expected."""

    #: The drop-counter key for a packet rejected with this error.
    reason: str = "malformed"


class TruncatedError(DecodeError):
    """The bytes end inside a header, an option or a sub-option."""

    reason = "truncated"


class ChecksumError(DecodeError):
    """An IPv4 header or UDP checksum that does not verify."""

    reason = "bad_checksum"
