"""FRU inventory commands (Storage netFn 0Ah; IPMI v2.0 §34): area info, read.

Split from :mod:`chassisctl.ipmi.storage` (which re-exports every name) so
that commands that never read a FRU do not build these classes.  The image
layout itself is :mod:`chassisctl.ipmi.fru`.
"""

from __future__ import annotations

from dataclasses import dataclass

from chassisctl.ipmi._bytes import expect_length, expect_min_length, le, u16
from chassisctl.ipmi.codes import NetFnInt, StorageCmdInt
from chassisctl.ipmi.decode_errors import DecodeError
from chassisctl.ipmi.message import Request


# --------------------------------------------------------------------------
# Get FRU Inventory Area Info (10h), Read FRU Data (11h)


def parse_fru_id(data: bytes) -> int:
    """Get FRU Inventory Area Info request: the FRU device ID."""
    expect_length(data, 1, what="FRU device ID")
    return data[0]


def get_fru_inventory_area_info(fru_id: int = 0) -> Request:
    return Request(NetFnInt.STORAGE, StorageCmdInt.GET_FRU_INVENTORY_AREA_INFO, le(fru_id, 1, "fru_id"))


@dataclass(frozen=True, slots=True)
class FruAreaInfo:
    size: int
    #: Access byte bit 0: the device is accessed in words (counts are words).
    word_access: bool = False

    def encode(self) -> bytes:
        return le(self.size, 2, "size") + bytes([1 if self.word_access else 0])

    @classmethod
    def decode(cls, data: bytes) -> FruAreaInfo:
        expect_length(data, 3, what="Get FRU Inventory Area Info")
        return cls(u16(data, 0), bool(data[2] & 0x01))


@dataclass(frozen=True, slots=True)
class ReadFruRequest:
    fru_id: int
    offset: int
    count: int

    def encode(self) -> bytes:
        return le(self.fru_id, 1, "fru_id") + le(self.offset, 2, "offset") + le(self.count, 1, "count")

    @classmethod
    def decode(cls, data: bytes) -> ReadFruRequest:
        expect_length(data, 4, what="Read FRU Data request")
        return cls(data[0], u16(data, 1), data[3])


def read_fru_data(fru_id: int, offset: int, count: int) -> Request:
    return Request(NetFnInt.STORAGE, StorageCmdInt.READ_FRU_DATA, ReadFruRequest(fru_id, offset, count).encode())


@dataclass(frozen=True, slots=True)
class FruData:
    """Read FRU Data reply: count returned + data (may be fewer than asked)."""

    data: bytes

    def encode(self) -> bytes:
        return le(len(self.data), 1, "count") + bytes(self.data)

    @classmethod
    def decode(cls, data: bytes) -> FruData:
        expect_min_length(data, 1, what="Read FRU Data reply")
        if data[0] > len(data) - 1:
            raise DecodeError(f"Read FRU Data: count {data[0]} but {len(data) - 1} bytes follow")
        return cls(bytes(data[1 : 1 + data[0]]))
