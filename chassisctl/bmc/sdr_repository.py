"""The SDR repository a responder serves: whole records, reservations, partial reads.

Records are stored whole (5-byte header included) as raw bytes; only the
header is looked at here (record ID LE16, SDR version, record type, length
of the body).  Clients cache the repository keyed on Get SDR Repository Info,
so the timestamps move only when the records really change, and each change
moves the addition timestamp forward by at least one second even when two
changes fall in the same second.
"""

from __future__ import annotations

from collections.abc import Iterable

from chassisctl.ipmi.codes import CompletionCodeInt as CC
from chassisctl.ipmi.storage import (
    FIRST_RECORD,
    LAST_RECORD,
    NO_TIMESTAMP,
    READ_ALL,
    RecordChunk,
    RecordRead,
    SdrRepoSupportInt,
    SdrRepositoryInfo,
)

SDR_HEADER_SIZE = 5


def _timestamp(now: float) -> int:
    return min(max(int(now), 0), NO_TIMESTAMP - 1)


def _checked(records: Iterable[bytes], renumber: bool) -> list[bytes]:
    out: list[bytes] = []
    seen: set[int] = set()
    for pos, rec in enumerate(records):
        rec = bytes(rec)
        if len(rec) < SDR_HEADER_SIZE or rec[4] != len(rec) - SDR_HEADER_SIZE:
            raise ValueError(f"SDR #{pos}: header length byte does not match the record")
        if renumber:
            rec = (pos + 1).to_bytes(2, "little") + rec[2:]
        rid = int.from_bytes(rec[:2], "little")
        if rid in seen or rid == LAST_RECORD or (rid == FIRST_RECORD and pos != 0):
            raise ValueError(f"SDR #{pos}: record ID {rid:04X}h is duplicate or reserved")
        seen.add(rid)
        out.append(rec)
    return out


class SdrRepository:
    """Records, the next-ID chain, reservations and Get SDR partial reads.

    ``renumber=True`` rewrites record IDs as 1..N; otherwise the IDs in the
    records are kept (unique, not FFFFh, 0000h only for the first record).

    ``shared_reservations=True`` is for a read-only mirror serving several
    LAN sessions at once (``serve``): a new reservation no longer cancels
    the others — only a change of the records does — so concurrent SDR walks
    do not knock each other into C5h and ipmitool's multi-second back-off.
    """

    def __init__(
        self,
        records: Iterable[bytes] = (),
        addition_ts: int = NO_TIMESTAMP,
        erase_ts: int = NO_TIMESTAMP,
        *,
        renumber: bool = False,
        free_space: int = 0,
        support: int = SdrRepoSupportInt.RESERVE,
        shared_reservations: bool = False,
    ) -> None:
        self._set(_checked(records, renumber))
        self.addition_ts = addition_ts
        self.erase_ts = erase_ts
        self.free_space = free_space
        self.support = support
        self._reservation = 0
        self._reservation_valid = False
        self._shared = shared_reservations
        #: With shared reservations: the first ID still valid (IDs below it are cancelled).
        self._valid_from = 1

    def _set(self, records: list[bytes]) -> None:
        self._records = records
        self._index = {int.from_bytes(r[:2], "little"): i for i, r in enumerate(records)}

    @property
    def records(self) -> tuple[bytes, ...]:
        return tuple(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def record(self, record_id: int) -> bytes | None:
        pos = self._position(record_id)
        return None if pos is None else self._records[pos]

    def replace(self, records: Iterable[bytes], now: float, *, renumber: bool = False) -> bool:
        """Swap in new records; True (and new timestamp, reservations
        cancelled) only when they differ from the current ones."""
        new = _checked(records, renumber)
        if new == self._records:
            return False
        self._set(new)
        ts = _timestamp(now)
        if self.addition_ts != NO_TIMESTAMP and ts <= self.addition_ts:
            ts = min(self.addition_ts + 1, NO_TIMESTAMP - 1)
        self.addition_ts = ts
        self._reservation_valid = False
        self._valid_from = self._reservation % 0xFFFF + 1
        return True

    def info(self) -> SdrRepositoryInfo:
        return SdrRepositoryInfo(len(self._records), self.free_space, self.addition_ts, self.erase_ts, self.support)

    def reserve(self) -> int:
        """A new reservation ID (never 0000h); it cancels the previous one."""
        self._reservation = self._reservation % 0xFFFF + 1
        self._reservation_valid = True
        return self._reservation

    def reservation_ok(self, reservation: int) -> bool:
        if self._shared:
            lo, hi = self._valid_from, self._reservation
            if not self._reservation_valid or reservation == 0:
                return False
            return lo <= reservation <= hi if lo <= hi else (reservation >= lo or reservation <= hi)
        return self._reservation_valid and reservation == self._reservation

    def _position(self, record_id: int) -> int | None:
        if record_id == FIRST_RECORD and self._records:
            return 0
        return self._index.get(record_id)

    def get(self, request: RecordRead, *, max_response_data: int) -> RecordChunk | int:
        """Answer Get SDR: the chunk, or a completion code.

        ``max_response_data`` is the room after the completion code in one
        response (29 for single-part SSIF), so the record bytes one reply
        can carry are ``max_response_data - 2``.
        """
        if request.offset and not self.reservation_ok(request.reservation):
            return CC.RESERVATION_CANCELLED
        pos = self._position(request.record_id)
        if pos is None:
            return CC.NOT_PRESENT
        record = self._records[pos]
        return read_chunk(record, self._next_id(pos), request, max_response_data - 2)

    def _next_id(self, pos: int) -> int:
        if pos + 1 < len(self._records):
            return int.from_bytes(self._records[pos + 1][:2], "little")
        return LAST_RECORD


def read_chunk(record: bytes, next_id: int, request: RecordRead, room: int) -> RecordChunk | int:
    """The partial-read rules Get SDR and Get SEL Entry share.

    Offset past the record: C9h.  ``count`` FFh reads to the end; a larger
    count than the record has left returns what is left.  CAh when that
    does not fit in ``room`` bytes, so the client asks for less.
    """
    if request.offset >= len(record):
        return CC.PARAMETER_OUT_OF_RANGE
    left = len(record) - request.offset
    n = left if request.count == READ_ALL else min(request.count, left)
    if n > room:
        return CC.CANNOT_RETURN_REQUESTED_BYTES
    return RecordChunk(next_id, record[request.offset : request.offset + n])
