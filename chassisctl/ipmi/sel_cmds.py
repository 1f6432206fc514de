"""SEL commands (Storage netFn 0Ah; IPMI v2.0 §31): info, reserve, entries, add, clear, time.

Split from :mod:`chassisctl.ipmi.storage` (which re-exports every name) so
that commands that never read the SEL do not build these classes.  The
record layout itself is :mod:`chassisctl.ipmi.sel`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from chassisctl.namedtuple import NamedTuple

from chassisctl.ipmi._bytes import expect_length, le, u16, u32
from chassisctl.ipmi.codes import NetFnInt, StorageCmdInt
from chassisctl.ipmi.decode_errors import DecodeError
from chassisctl.ipmi.message import Request
from chassisctl.ipmi.storage import (NO_TIMESTAMP, READ_ALL, SEL_RECORD_SIZE, STORAGE_VERSION, RecordRead,
                                     _RepositoryInfo)


class SelSupport(enum.IntFlag):
    """Get SEL Info operation support byte."""

    ALLOCATION_INFO = 0x01
    RESERVE = 0x02
    PARTIAL_ADD = 0x04
    DELETE = 0x08
    OVERFLOW = 0x80


class _SelInfoFields(NamedTuple):
    count: int  # type: ignore[assignment] # the IPMI field name; shadows tuple.count, never called on these
    free_space: int
    last_addition: int = NO_TIMESTAMP
    last_erase: int = NO_TIMESTAMP
    support: SelSupport = SelSupport.RESERVE
    version: int = STORAGE_VERSION


class SelInfo(_RepositoryInfo, _SelInfoFields):
    """``count`` = entries; ``free_space`` in bytes."""

    __slots__ = ()

    @property
    def overflow(self) -> bool:
        return bool(self.support & SelSupport.OVERFLOW)

    @classmethod
    def decode(cls, data: bytes) -> SelInfo:
        count, free, add, erase, support, version = cls._unpack(data, "Get SEL Info")
        return cls(count, free, add, erase, SelSupport(support), version)


def get_sel_info() -> Request:
    return Request(NetFnInt.STORAGE, StorageCmdInt.GET_SEL_INFO)


def reserve_sel() -> Request:
    return Request(NetFnInt.STORAGE, StorageCmdInt.RESERVE_SEL)


def get_sel_entry(reservation: int, record_id: int, offset: int = 0, count: int = READ_ALL) -> Request:
    return Request(NetFnInt.STORAGE, StorageCmdInt.GET_SEL_ENTRY,
                   RecordRead(reservation, record_id, offset, count).encode())


# --------------------------------------------------------------------------
# Add SEL Entry (44h), Clear SEL (47h), Get/Set SEL Time (48h/49h)
# (SEL_RECORD_SIZE: 16, from storage_ids)


def add_sel_entry(record: bytes) -> Request:
    expect_length(record, SEL_RECORD_SIZE, what="SEL record")
    return Request(NetFnInt.STORAGE, StorageCmdInt.ADD_SEL_ENTRY, bytes(record))


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
    return Request(NetFnInt.STORAGE, StorageCmdInt.CLEAR_SEL, ClearSelRequest(reservation, action).encode())


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
    return Request(NetFnInt.STORAGE, StorageCmdInt.GET_SEL_TIME)


def set_sel_time(seconds: int) -> Request:
    return Request(NetFnInt.STORAGE, StorageCmdInt.SET_SEL_TIME, SelTime(seconds).encode())
