"""FRU images on AT24 EEPROMs: how far an image spans, reading it as stored, what is wrong with it.

A FRU device is read exactly as stored: the common header (IPMI Platform
Management FRU Information Storage Definition v1.0 §8) gives each area's
offset, each area its length, and the MultiRecord area ends at the record
with end-of-list set (§16), so only those bytes are read.  Checksum and
layout problems are reported, never repaired: the BMC serves what the part
holds.
"""

from __future__ import annotations

from typing import Any


def fru_extent(header: bytes, read: Any, size: int) -> int:
    """How many bytes the FRU image spans, from its header and area lengths (never past ``size``)."""
    if len(header) < 8 or header[0] & 0x0F != 1 or sum(header[:8]) & 0xFF:
        return size  # not a valid header: serve the whole part, as stored
    end = 8
    offsets = [b * 8 for b in header[1:6]]
    for offset in offsets[1:4]:
        if offset and offset + 2 <= size:
            end = max(end, offset + read(offset, 2)[1] * 8)
    if offsets[0]:
        end = max(end, min([o for o in offsets if o > offsets[0]] or [offsets[0] + 8]))
    if offsets[4]:
        pos = offsets[4]
        for _ in range(64):
            if pos + 5 > size:
                break
            rec = read(pos, 5)
            pos += 5 + rec[2]
            if rec[1] & 0x80:
                break
        end = max(end, pos)
    return min(end, size)


def read_fru(hw: Any, dev: Any, *, trace: Any = None) -> bytes | None:
    """The FRU image of an AT24 device, exactly as stored (None when it does not answer)."""
    from chassisctl.errors import ChassisError

    drv = hw.driver(dev)
    try:
        with hw.at(dev):
            header = drv.read(0, 8)
            end = fru_extent(header, drv.read, drv.part.size)
            image = header + drv.read(8, end - 8) if end > 8 else header[:end]
    except ChassisError as exc:
        if trace:
            trace(f"platform: FRU {dev.name}: {exc}")
        return None
    return image


def fru_problems(image: bytes) -> list[str]:
    """What is wrong with an image (checksums, layout): reported, never repaired."""
    from chassisctl.ipmi.decode_errors import DecodeError
    from chassisctl.ipmi.fru import parse

    try:
        return list(parse(image, strict=False).problems)
    except DecodeError as exc:
        return [str(exc)]
