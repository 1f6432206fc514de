"""The Internet checksum (RFC 1071) for IPv4 headers and UDP datagrams.

The one's complement sum of 16-bit words equals the big-endian integer the
bytes spell modulo 0xffff (2**16 is 1 modulo 0xffff), with the one exception
that a nonzero sum that is a multiple of 0xffff is 0xffff, not 0.  Python's
big integers do that arithmetic in C, so one ``int.from_bytes`` and one
modulo replace a loop over words: this runs for every relayed packet.
"""

from __future__ import annotations


def ones_sum(data: bytes | bytearray | memoryview) -> int:
    """The 16-bit one's complement sum of ``data`` (zero-padded to even length)."""
    if len(data) & 1:
        data = bytes(data) + b"\0"
    value = int.from_bytes(data, "big")
    rest = value % 0xFFFF
    return rest if rest or not value else 0xFFFF


def fold(*sums: int) -> int:
    """Combine partial one's complement sums of even-length pieces."""
    total = sum(sums)
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def checksum(data: bytes | bytearray | memoryview) -> int:
    """The checksum to store in a header whose checksum field is zero in ``data``."""
    return ~ones_sum(data) & 0xFFFF
