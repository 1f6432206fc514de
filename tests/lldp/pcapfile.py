"""Frames of the classic-libpcap fixtures, read with ``struct`` (no scapy in unit tests)."""

from __future__ import annotations

import struct
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "lldp"


def frames(name: str) -> list[bytes]:
    data = (DATA / name).read_bytes()
    assert data[:4] == b"\xd4\xc3\xb2\xa1", "little-endian classic pcap expected"
    out, i = [], 24
    while i < len(data):
        _, _, caplen, _ = struct.unpack_from("<IIII", data, i)
        out.append(data[i + 16:i + 16 + caplen])
        i += 16 + caplen
    return out
