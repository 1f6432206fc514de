"""The one exception IPMI decoders raise on bad bytes.

It subclasses :class:`chassisctl.errors.ProtocolError` so the CLI maps it to
the "protocol error" exit code without a translation layer.
"""

from chassisctl.errors import ProtocolError


class DecodeError(ProtocolError):
    """Bytes that are not a valid encoding of what the caller expected."""
