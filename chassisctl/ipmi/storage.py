"""Storage netFn (0Ah) codecs: SDR repository, SEL and FRU inventory commands.

Records travel as raw bytes here; :mod:`chassisctl.ipmi.sdr`, ``fru`` and
``sel`` parse them.  Conventions as in :mod:`chassisctl.ipmi.app`.

Timestamps are IPMI timestamps: seconds since 1970-01-01 UTC as LE32, with
FFFFFFFFh meaning "unspecified" (:data:`NO_TIMESTAMP`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from chassisctl.ipmi._bytes import expect_length, expect_min_length, le, u16, u32
from chassisctl.ipmi.codes import NetFn, StorageCmd
from chassisctl.ipmi.errors import DecodeError
from chassisctl.ipmi.message import Request
from chassisctl.ipmi.storage_ids import (FIRST_RECORD, LAST_RECORD, NO_TIMESTAMP, READ_ALL,  # noqa: F401
                                         SEL_RECORD_SIZE, STORAGE_VERSION)


class SdrRepoSupport(enum.IntFlag):
    """Get SDR Repository Info operation support byte."""

    ALLOCATION_INFO = 0x01
    RESERVE = 0x02
    PARTIAL_ADD = 0x04
    DELETE = 0x08
    NON_MODAL_UPDATE = 0x20
    MODAL_UPDATE = 0x40
    OVERFLOW = 0x80


class SelSupport(enum.IntFlag):
    """Get SEL Info operation support byte."""

    ALLOCATION_INFO = 0x01
    RESERVE = 0x02
    PARTIAL_ADD = 0x04
    DELETE = 0x08
    OVERFLOW = 0x80


@dataclass(frozen=True, slots=True)
class _RepositoryInfo:
    """Shared layout of Get SDR Repository Info and Get SEL Info (14 bytes)."""

    count: int
    free_space: int
    last_addition: int = NO_TIMESTAMP
    last_erase: int = NO_TIMESTAMP
    support: int = 0
    version: int = STORAGE_VERSION

    def encode(self) -> bytes:
        return (
            le(self.version, 1, "version")
            + le(self.count, 2, "count")
            + le(self.free_space, 2, "free_space")
            + le(self.last_addition, 4, "last_addition")
            + le(self.last_erase, 4, "last_erase")
            + le(int(self.support), 1, "support")
        )

    @classmethod
    def _fields(cls, data: bytes, what: str) -> tuple[int, int, int, int, int, int]:
        expect_length(data, 14, what=what)
        return u16(data, 1), u16(data, 3), u32(data, 5), u32(data, 9), data[13], data[0]


@dataclass(frozen=True, slots=True)
class SdrRepositoryInfo(_RepositoryInfo):
    """``count`` = record count; ``free_space`` in bytes (FFFFh unspecified)."""

    support: SdrRepoSupport = SdrRepoSupport.RESERVE

    @classmethod
    def decode(cls, data: bytes) -> SdrRepositoryInfo:
        count, free, add, erase, support, version = cls._fields(data, "Get SDR Repository Info")
        return cls(count, free, add, erase, SdrRepoSupport(support), version)


@dataclass(frozen=True, slots=True)
class SelInfo(_RepositoryInfo):
    """``count`` = entries; ``free_space`` in bytes."""

    support: SelSupport = SelSupport.RESERVE

    @property
    def overflow(self) -> bool:
        return bool(self.support & SelSupport.OVERFLOW)

    @classmethod
    def decode(cls, data: bytes) -> SelInfo:
        count, free, add, erase, support, version = cls._fields(data, "Get SEL Info")
        return cls(count, free, add, erase, SelSupport(support), version)


def get_sdr_repository_info() -> Request:
    return Request(NetFn.STORAGE, StorageCmd.GET_SDR_REPOSITORY_INFO)


def get_sel_info() -> Request:
    return Request(NetFn.STORAGE, StorageCmd.GET_SEL_INFO)


# --------------------------------------------------------------------------
# Reservations (Reserve SDR Repository 22h, Reserve SEL 42h)


@dataclass(frozen=True, slots=True)
class Reservation:
    reservation: int

    def encode(self) -> bytes:
        return le(self.reservation, 2, "reservation")

    @classmethod
    def decode(cls, data: bytes) -> Reservation:
        expect_length(data, 2, what="reservation")
        return cls(u16(data, 0))


def reserve_sdr_repository() -> Request:
    return Request(NetFn.STORAGE, StorageCmd.RESERVE_SDR_REPOSITORY)


def reserve_sel() -> Request:
    return Request(NetFn.STORAGE, StorageCmd.RESERVE_SEL)


# --------------------------------------------------------------------------
# Get SDR (23h) / Get SEL Entry (43h): identical request and reply layouts


@dataclass(frozen=True, slots=True)
class RecordRead:
    """Request: reservation, record ID, offset into record, bytes to read.

    The reservation is only checked for reads with a non-zero offset;
    0000h is fine otherwise.  ``count`` FFh reads to the end of the record.
    """

    reservation: int
    record_id: int
    offset: int = 0
    count: int = READ_ALL

    def encode(self) -> bytes:
        return (
            le(self.reservation, 2, "reservation")
            + le(self.record_id, 2, "record_id")
            + le(self.offset, 1, "offset")
            + le(self.count, 1, "count")
        )

    @classmethod
    def decode(cls, data: bytes) -> RecordRead:
        expect_length(data, 6, what="record read request")
        return cls(u16(data, 0), u16(data, 2), data[4], data[5])


@dataclass(frozen=True, slots=True)
class RecordChunk:
    """Reply: next record ID (FFFFh after the last) + the bytes read."""

    next_record_id: int
    data: bytes

    def encode(self) -> bytes:
        return le(self.next_record_id, 2, "next_record_id") + bytes(self.data)

    @classmethod
    def decode(cls, data: bytes) -> RecordChunk:
        expect_min_length(data, 2, what="record read reply")
        return cls(u16(data, 0), bytes(data[2:]))


#: Spelled per command for readers who search by command name.
GetSdrRequest = GetSelEntryRequest = RecordRead
GetSdrResponse = GetSelEntryResponse = RecordChunk


def get_sdr(reservation: int, record_id: int, offset: int = 0, count: int = READ_ALL) -> Request:
    return Request(NetFn.STORAGE, StorageCmd.GET_SDR, RecordRead(reservation, record_id, offset, count).encode())


def get_sel_entry(reservation: int, record_id: int, offset: int = 0, count: int = READ_ALL) -> Request:
    return Request(NetFn.STORAGE, StorageCmd.GET_SEL_ENTRY, RecordRead(reservation, record_id, offset, count).encode())


# --------------------------------------------------------------------------
# Add SEL Entry (44h), Clear SEL (47h), Get/Set SEL Time (48h/49h)
# (SEL_RECORD_SIZE: 16, from storage_ids)


def add_sel_entry(record: bytes) -> Request:
    expect_length(record, SEL_RECORD_SIZE, what="SEL record")
    return Request(NetFn.STORAGE, StorageCmd.ADD_SEL_ENTRY, bytes(record))


def parse_add_sel_entry(data: bytes) -> bytes:
    expect_length(data, SEL_RECORD_SIZE, what="Add SEL Entry request")
    return bytes(data)


@dataclass(frozen=True, slots=True)
class RecordId:
    """Add SEL Entry reply: the record ID the BMC assigned."""

    record_id: int

    def encode(self) -> bytes:
        return le(self.record_id, 2, "record_id")

    @classmethod
    def decode(cls, data: bytes) -> RecordId:
        expect_length(data, 2, what="record ID")
        return cls(u16(data, 0))


class ClearAction(enum.IntEnum):
    GET_STATUS = 0x00
    INITIATE = 0xAA


_CLR = b"CLR"


@dataclass(frozen=True, slots=True)
class ClearSelRequest:
    reservation: int
    action: ClearAction = ClearAction.INITIATE

    def encode(self) -> bytes:
        return le(self.reservation, 2, "reservation") + _CLR + bytes([ClearAction(self.action)])

    @classmethod
    def decode(cls, data: bytes) -> ClearSelRequest:
        expect_length(data, 6, what="Clear SEL request")
        if bytes(data[2:5]) != _CLR:
            raise DecodeError("Clear SEL request without 'CLR'")
        try:
            action = ClearAction(data[5])
        except ValueError:
            raise DecodeError(f"Clear SEL action {data[5]:02X}h") from None
        return cls(u16(data, 0), action)


@dataclass(frozen=True, slots=True)
class ClearSelProgress:
    """Clear SEL reply: bits 3:0, 0 = erasure in progress, 1 = completed."""

    completed: bool

    def encode(self) -> bytes:
        return bytes([1 if self.completed else 0])

    @classmethod
    def decode(cls, data: bytes) -> ClearSelProgress:
        expect_length(data, 1, what="Clear SEL reply")
        return cls((data[0] & 0x0F) == 1)


def clear_sel(reservation: int, action: ClearAction = ClearAction.INITIATE) -> Request:
    return Request(NetFn.STORAGE, StorageCmd.CLEAR_SEL, ClearSelRequest(reservation, action).encode())


@dataclass(frozen=True, slots=True)
class SelTime:
    """Get SEL Time reply and Set SEL Time request body: LE32 seconds."""

    seconds: int

    def encode(self) -> bytes:
        return le(self.seconds, 4, "seconds")

    @classmethod
    def decode(cls, data: bytes) -> SelTime:
        expect_length(data, 4, what="SEL time")
        return cls(u32(data, 0))


def get_sel_time() -> Request:
    return Request(NetFn.STORAGE, StorageCmd.GET_SEL_TIME)


def set_sel_time(seconds: int) -> Request:
    return Request(NetFn.STORAGE, StorageCmd.SET_SEL_TIME, SelTime(seconds).encode())


# --------------------------------------------------------------------------
# Get FRU Inventory Area Info (10h), Read FRU Data (11h)


def parse_fru_id(data: bytes) -> int:
    """Get FRU Inventory Area Info request: the FRU device ID."""
    expect_length(data, 1, what="FRU device ID")
    return data[0]


def get_fru_inventory_area_info(fru_id: int = 0) -> Request:
    return Request(NetFn.STORAGE, StorageCmd.GET_FRU_INVENTORY_AREA_INFO, le(fru_id, 1, "fru_id"))


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
    return Request(NetFn.STORAGE, StorageCmd.READ_FRU_DATA, ReadFruRequest(fru_id, offset, count).encode())


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

