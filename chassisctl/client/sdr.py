"""Reading the SDR repository with the fewest round trips the BMC allows.

ipmitool starts every walk at FFh bytes per Get SDR, halves on CAh, and on a
lost reservation (C5h) sleeps 0-3 s — every run.  This walker starts from the
chunk size the BMC is known to accept (from the cache, or from its SSIF
capabilities), asks for whole records when it can, shrinks on CAh and
remembers the size that worked, and on C5h re-reserves at once, a bounded
number of times.  A repository whose ID chain loops or never ends is a
protocol error, not an infinite loop.
"""

from __future__ import annotations

from collections.abc import Callable

from chassisctl.client.call import call
from chassisctl.errors import ProtocolError
from chassisctl.ipmi.codes import CompletionCodeError
from chassisctl.ipmi.storage import (FIRST_RECORD, LAST_RECORD, READ_ALL, RecordChunk, Reservation,
                                     SdrRepositoryInfo, get_sdr, get_sdr_repository_info,
                                     reserve_sdr_repository)
from chassisctl.transport.base import Transport

HEADER = 5
#: Bytes of a Get SDR reply that are not record data: netFn, cmd, CC, next ID (2).
REPLY_OVERHEAD = 5
MIN_CHUNK = 8
MAX_RECORDS = 4096
MAX_RESERVATION_RETRIES = 5


class WalkStats:
    """Counters of one walk (a plain class: no dataclass build at import)."""

    __slots__ = ("round_trips", "shrinks", "reservations")

    def __init__(self, round_trips: int = 0, shrinks: int = 0, reservations: int = 0) -> None:
        self.round_trips = round_trips
        self.shrinks = shrinks
        self.reservations = reservations

    def __repr__(self) -> str:
        return f"WalkStats(round_trips={self.round_trips}, shrinks={self.shrinks}, reservations={self.reservations})"


class SdrWalker:
    """Reads every record of one BMC's SDR repository."""

    def __init__(self, transport: Transport, *, node: str | int | None = None,
                 chunk: int | None = None) -> None:
        self.transport = transport
        self.node = node
        #: Record bytes asked per Get SDR; READ_ALL means "whole record".
        #: None until the walk starts: then from the SSIF capabilities.
        self.chunk = chunk
        self.stats = WalkStats()
        self._reservation = 0

    def info(self) -> SdrRepositoryInfo:
        self.stats.round_trips += 1
        return call(self.transport, get_sdr_repository_info(), SdrRepositoryInfo.decode, node=self.node)

    def _reserve(self) -> int:
        self.stats.round_trips += 1
        self.stats.reservations += 1
        self._reservation = call(self.transport, reserve_sdr_repository(), Reservation.decode,
                                 node=self.node).reservation
        return self._reservation

    def _get(self, record_id: int, offset: int, count: int) -> RecordChunk:
        self.stats.round_trips += 1
        return call(self.transport, get_sdr(self._reservation, record_id, offset, count),
                    RecordChunk.decode, node=self.node)

    @property
    def chunk_size(self) -> int:
        """Record bytes asked per Get SDR now (READ_ALL: whole records), decided at first use."""
        if self.chunk is None:
            self.chunk = self._initial_chunk()
        return self.chunk

    def _initial_chunk(self) -> int:
        """What one Get SDR reply can carry, from the SSIF capabilities (asked once
        per transport anyway); other transports start with whole records."""
        capabilities = getattr(self.transport, "capabilities", None)
        if not callable(capabilities):
            return READ_ALL
        caps = capabilities()
        max_response = caps.max_response if caps.multipart_read else 32
        return READ_ALL if max_response >= 255 else max(MIN_CHUNK, max_response - REPLY_OVERHEAD)

    def read_all(self, progress: Callable[[int, int], None] | None = None, total: int = 0) -> list[bytes]:
        """Every record in chain order; ``progress(records read, total)`` after each
        (``total`` is the repository's record count, 0 when unknown)."""
        records: list[bytes] = []
        seen: set[int] = set()
        record_id = FIRST_RECORD
        retries = 0
        while record_id != LAST_RECORD:
            if record_id in seen or len(records) >= MAX_RECORDS:
                raise ProtocolError(f"SDR repository record chain loops at ID {record_id:04X}h")
            try:
                next_id, record = self._read_record(record_id)
            except CompletionCodeError as exc:
                if exc.cc != 0xC5 or retries >= MAX_RESERVATION_RETRIES:
                    raise
                retries += 1
                self._reserve()  # lost reservation: re-reserve now, re-read this record
                continue
            seen.add(record_id)
            records.append(record)
            record_id = next_id
            if progress is not None:
                progress(len(records), total)
        return records

    def _read_record(self, record_id: int) -> tuple[int, bytes]:
        if self.chunk_size == READ_ALL:
            try:
                chunk = self._get(record_id, 0, READ_ALL)
                if len(chunk.data) >= HEADER and len(chunk.data) == HEADER + chunk.data[4]:
                    return chunk.next_record_id, chunk.data
                size = HEADER + chunk.data[4] if len(chunk.data) >= HEADER else "?"
                raise ProtocolError(f"Get SDR {record_id:04X}h: whole-record read returned "
                                    f"{len(chunk.data)} bytes for a record of {size}")
            except CompletionCodeError as exc:
                if exc.cc not in (0xCA, 0xC7, 0xC8, 0xCC):
                    raise
                self._shrink(None)
        header = self._get(record_id, 0, HEADER)
        if len(header.data) != HEADER:
            raise ProtocolError(f"Get SDR {record_id:04X}h: header read returned {len(header.data)} bytes")
        body_len = header.data[4]
        data = bytearray(header.data)
        if body_len and not self._reservation:
            self._reserve()
        offset = HEADER
        while offset < HEADER + body_len:
            count = min(self.chunk_size, HEADER + body_len - offset)
            try:
                part = self._get(record_id, offset, count)
            except CompletionCodeError as exc:
                if exc.cc == 0xCA and self.chunk_size > MIN_CHUNK:
                    self._shrink(count)
                    continue
                raise
            if not part.data or len(part.data) > count:
                raise ProtocolError(f"Get SDR {record_id:04X}h at offset {offset}: "
                                    f"{len(part.data)} bytes for {count} asked")
            data += part.data
            offset += len(part.data)
        return header.next_record_id, bytes(data)

    def _shrink(self, tried: int | None) -> None:
        """CAh: ask for less; the first step goes to the SSIF single-part size."""
        self.stats.shrinks += 1
        if tried is None or self.chunk == READ_ALL:
            self.chunk = 27  # 32-byte SMBus block minus reply overhead
        else:
            self.chunk = max(MIN_CHUNK, min(self.chunk_size, tried) // 2)
