"""The one exception device decoders raise on bytes they cannot interpret.

A subclass of :class:`chassisctl.errors.ProtocolError`, so the CLI maps an
undecodable register to the "protocol" exit code with no translation layer,
and a fuzz test can assert that nothing else escapes a decoder.
"""

from __future__ import annotations

from chassisctl.errors import ProtocolError


class DeviceDecodeError(ProtocolError):
    """Register bytes that are not a valid encoding of what the caller expected."""

    code = "device-decode"
