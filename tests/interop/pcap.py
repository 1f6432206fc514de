"""A stdlib reader of the classic pcap files ``tcpdump -w`` writes.

Enough for the relay tests: the global header (either byte order,
micro- or nanosecond timestamps), then records of (timestamp, frame).
"""

from __future__ import annotations

import struct
from pathlib import Path

LINKTYPE_ETHERNET = 1
LINKTYPE_LINUX_SLL = 113


def read(path: str | Path) -> tuple[int, list[tuple[float, bytes]]]:
    """(link type, [(seconds, frame bytes)]) of a pcap file."""
    data = Path(path).read_bytes()
    if len(data) < 24:
        return LINKTYPE_ETHERNET, []
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        order = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        order = ">"
    else:
        raise ValueError(f"{path}: not a pcap file")
    scale = 1e-9 if magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d") else 1e-6
    linktype = struct.unpack_from(order + "I", data, 20)[0]
    records = []
    offset = 24
    while offset + 16 <= len(data):
        sec, frac, caplen, _origlen = struct.unpack_from(order + "IIII", data, offset)
        offset += 16
        if offset + caplen > len(data):
            break  # the capture was cut while writing this record
        records.append((sec + frac * scale, data[offset:offset + caplen]))
        offset += caplen
    return linktype, records
