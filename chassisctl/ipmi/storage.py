"""Storage netFn (0Ah) codecs: SDR repository commands, and what SEL shares with them.

The SEL and FRU inventory commands are :mod:`chassisctl.ipmi.sel_cmds` and
:mod:`chassisctl.ipmi.fru_cmds`, so a sensor listing never builds their
dataclasses.

Records travel as raw bytes here; :mod:`chassisctl.ipmi.sdr`, ``fru`` and
``sel`` parse them.  Conventions as in :mod:`chassisctl.ipmi.app`.

Timestamps are IPMI timestamps: seconds since 1970-01-01 UTC as LE32, with
FFFFFFFFh meaning "unspecified" (:data:`NO_TIMESTAMP`).
"""

from __future__ import annotations

from chassisctl.lazy_enum import enum_getattr

from chassisctl.namedtuple import NamedTuple

from chassisctl.ipmi._bytes import expect_length, expect_min_length, le, u16, u32
from chassisctl.ipmi.codes import NetFnInt, StorageCmdInt
from chassisctl.ipmi.message import Request
# The record IDs and sizes live in storage_ids (imported on the fast paths
# without this module); `X as X` marks them as this module's names too.
from chassisctl.ipmi.storage_ids import FIRST_RECORD as FIRST_RECORD
from chassisctl.ipmi.storage_ids import LAST_RECORD as LAST_RECORD
from chassisctl.ipmi.storage_ids import NO_TIMESTAMP as NO_TIMESTAMP
from chassisctl.ipmi.storage_ids import READ_ALL as READ_ALL
from chassisctl.ipmi.storage_ids import SEL_RECORD_SIZE as SEL_RECORD_SIZE
from chassisctl.ipmi.storage_ids import STORAGE_VERSION as STORAGE_VERSION

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol


class SdrRepoSupportInt:
    """Get SDR Repository Info operation support byte."""

    ALLOCATION_INFO = 0x01
    RESERVE = 0x02
    PARTIAL_ADD = 0x04
    DELETE = 0x08
    NON_MODAL_UPDATE = 0x20
    MODAL_UPDATE = 0x40
    OVERFLOW = 0x80



if TYPE_CHECKING:
    class _InfoFields(Protocol):
        """What :class:`_RepositoryInfo` needs of the NamedTuple it is mixed into."""

        @property
        def count(self) -> int: ...
        @property
        def free_space(self) -> int: ...
        @property
        def last_addition(self) -> int: ...
        @property
        def last_erase(self) -> int: ...
        @property
        def support(self) -> int: ...
        @property
        def version(self) -> int: ...


class _RepositoryInfo:
    """Shared layout of Get SDR Repository Info and Get SEL Info (14 bytes).

    A mixin for NamedTuples with the fields ``count``, ``free_space``,
    ``last_addition``, ``last_erase``, ``support`` and ``version``.
    """

    __slots__ = ()

    def encode(self: _InfoFields) -> bytes:
        return (
            le(self.version, 1, "version")
            + le(self.count, 2, "count")
            + le(self.free_space, 2, "free_space")
            + le(self.last_addition, 4, "last_addition")
            + le(self.last_erase, 4, "last_erase")
            + le(int(self.support), 1, "support")
        )

    @staticmethod
    def _unpack(data: bytes, what: str) -> tuple[int, int, int, int, int, int]:
        expect_length(data, 14, what=what)
        return u16(data, 1), u16(data, 3), u32(data, 5), u32(data, 9), data[13], data[0]


class _SdrRepositoryInfoFields(NamedTuple):
    count: int  # type: ignore[assignment] # the IPMI field name; shadows tuple.count, never called on these
    free_space: int
    last_addition: int = NO_TIMESTAMP
    last_erase: int = NO_TIMESTAMP
    support: int = SdrRepoSupportInt.RESERVE
    version: int = STORAGE_VERSION


class SdrRepositoryInfo(_RepositoryInfo, _SdrRepositoryInfoFields):
    """``count`` = record count; ``free_space`` in bytes (FFFFh unspecified)."""

    __slots__ = ()

    @classmethod
    def decode(cls, data: bytes) -> SdrRepositoryInfo:
        count, free, add, erase, support, version = cls._unpack(data, "Get SDR Repository Info")
        return cls(count, free, add, erase, __getattr__("SdrRepoSupport")(support), version)



def get_sdr_repository_info() -> Request:
    return Request(NetFnInt.STORAGE, StorageCmdInt.GET_SDR_REPOSITORY_INFO)



# --------------------------------------------------------------------------
# Reservations (Reserve SDR Repository 22h, Reserve SEL 42h)


class Reservation(NamedTuple):
    reservation: int

    def encode(self) -> bytes:
        return le(self.reservation, 2, "reservation")

    @classmethod
    def decode(cls, data: bytes) -> Reservation:
        expect_length(data, 2, what="reservation")
        return cls(u16(data, 0))


def reserve_sdr_repository() -> Request:
    return Request(NetFnInt.STORAGE, StorageCmdInt.RESERVE_SDR_REPOSITORY)



# --------------------------------------------------------------------------
# Get SDR (23h) / Get SEL Entry (43h): identical request and reply layouts


class RecordRead(NamedTuple):
    """Request: reservation, record ID, offset into record, bytes to read.

    The reservation is only checked for reads with a non-zero offset;
    0000h is fine otherwise.  ``count`` FFh reads to the end of the record.
    """

    reservation: int
    record_id: int
    offset: int = 0
    count: int = READ_ALL  # type: ignore[assignment] # the IPMI field name; shadows tuple.count, never called on these

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


class RecordChunk(NamedTuple):
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
    return Request(NetFnInt.STORAGE, StorageCmdInt.GET_SDR, RecordRead(reservation, record_id, offset, count).encode())


if TYPE_CHECKING:
    import enum

    # What mypy sees; at run time each enum is built from its plain-int
    # table on first use (chassisctl.lazy_enum).
    class SdrRepoSupport(SdrRepoSupportInt, enum.IntFlag): ...


__getattr__ = enum_getattr(__name__, globals(), {
    "SdrRepoSupport": ("IntFlag", SdrRepoSupportInt, SdrRepoSupportInt.__doc__),
})
