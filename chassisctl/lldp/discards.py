"""The one exception LLDP decoders raise, with a stable reason for counting.

802.1AB discards a malformed LLDPDU and counts it (statsFramesDiscardedTotal,
statsFramesInErrorsTotal, §9.2.7.7); the agent also counts *why*, so
``lldp statistics`` can say "3 truncated, 1 missing-ttl" instead of a bare
number.  :class:`DecodeError` subclasses the CLI's protocol error (exit 65),
as the IPMI decoders' does.
"""

from chassisctl.errors import ProtocolError

#: Every reason a frame is discarded, in the order the checks run.
REASONS = (
    "truncated",            # fewer bytes than a TLV header or the Ethernet header needs
    "tlv-overrun",          # a TLV's length runs past the end of the frame
    "missing-chassis-id",   # the first TLV is not Chassis ID
    "missing-port-id",      # the second TLV is not Port ID
    "missing-ttl",          # the third TLV is not Time To Live
    "bad-chassis-id",       # Chassis ID length outside 2..256
    "bad-port-id",          # Port ID length outside 2..256
    "bad-ttl",              # Time To Live TLV not 2 bytes
    "duplicate-mandatory",  # a second Chassis ID, Port ID or TTL later in the frame
    "not-lldp",             # not ethertype 0x88cc (CDP, anything else)
)


class DecodeError(ProtocolError):
    """Bytes that are not a valid LLDPDU (or LLDP frame); ``reason`` is one of :data:`REASONS`."""

    code = "lldp-decode"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class EncodeError(ValueError):
    """A value that cannot be put on the wire (a TLV over 511 bytes, an id over 255)."""
