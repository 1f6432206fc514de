"""SMBus Packet Error Code: CRC-8, polynomial x^8+x^2+x+1 (0x07), init 0.

PEC covers every byte on the wire, address bytes with their R/W bit
included, so both the simulated bus (which must produce the bytes a real
adapter would check) and the SSIF transport's ``i2c_rdwr`` read path (where
no adapter checks PEC for us) compute it here.  A 256-entry table keeps the
per-byte cost to one lookup: a full SDR walk checks thousands of bytes.
"""

from __future__ import annotations

from collections.abc import Iterable

from chassisctl.ipmi.decode_errors import DecodeError

POLYNOMIAL = 0x07


def _make_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = ((crc << 1) ^ POLYNOMIAL) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
        table.append(crc)
    return tuple(table)


_TABLE = _make_table()


def crc8(data: Iterable[int], crc: int = 0) -> int:
    """CRC-8/SMBus of ``data``; pass a previous result as ``crc`` to continue it."""
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF]
    return crc


def append_pec(data: bytes) -> bytes:
    """``data`` followed by its PEC byte."""
    return bytes(data) + bytes((crc8(data),))


def strip_pec(data: bytes) -> bytes:
    """Check and remove the trailing PEC byte of ``data``.

    Raises :class:`DecodeError` when the last byte is not the CRC of the rest,
    which is how a corrupted transfer shows up.
    """
    if len(data) < 2:
        raise DecodeError(f"{len(data)} byte(s) cannot carry a PEC")
    body, pec = bytes(data[:-1]), data[-1]
    expected = crc8(body)
    if pec != expected:
        raise DecodeError(f"PEC mismatch: got {pec:02X}h, expected {expected:02X}h")
    return body
