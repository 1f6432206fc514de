"""The System Event Log a responder serves: 16-byte records in log order.

Time is always an argument: ``now`` is wall-clock seconds from the caller's
clock; the SEL clock is ``now`` plus an offset that Set SEL Time adjusts.
:meth:`SelStore.to_dict` / :meth:`SelStore.from_dict` give a JSON-friendly
form the simulator persists between CLI invocations.

Reservations follow the spec: a new reservation and a clear cancel the old
one; adding an entry does not (so event logging never breaks a reader).
"""

from __future__ import annotations

import math

from chassisctl.errors import StateError
from chassisctl.ipmi.codes import CompletionCodeInt as CC
from chassisctl.ipmi.storage_ids import FIRST_RECORD, LAST_RECORD, NO_TIMESTAMP, SEL_RECORD_SIZE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

if TYPE_CHECKING:
    from chassisctl.ipmi.sel_cmds import ClearSelProgress, ClearSelRequest, SelInfo
    from chassisctl.ipmi.storage import RecordChunk, RecordRead

# The reply codecs load in the methods that answer requests: loading and
# saving the SEL (the simulator does on every request) needs none of them.

STATE_FORMAT = 1


def _timestamped(record_type: int) -> bool:
    """System event records (02h) and OEM timestamped ones (C0h-DFh) get the
    BMC's timestamp in bytes 3-6; OEM non-timestamped (E0h-FFh) keep theirs."""
    return record_type == 0x02 or 0xC0 <= record_type <= 0xDF


class SelStore:
    def __init__(self, capacity: int = 512) -> None:
        if not 1 <= capacity <= 0xFFFE:
            raise ValueError("SEL capacity must be 1..65534 records")
        self.capacity = capacity
        self._records: dict[int, bytes] = {}
        self._next_id = 1
        self._reservation = 0
        self._reservation_valid = False
        self.overflow = False
        self.last_addition = NO_TIMESTAMP
        self.last_erase = NO_TIMESTAMP
        #: SEL time minus the caller's clock, in seconds (Set SEL Time).
        self.time_offset = 0.0

    # -- clock ----------------------------------------------------------
    def time(self, now: float) -> int:
        return min(max(int(now + self.time_offset), 0), NO_TIMESTAMP - 1)

    def set_time(self, seconds: int, now: float) -> None:
        self.time_offset = seconds - now

    # -- contents -------------------------------------------------------
    def __len__(self) -> int:
        return len(self._records)

    @property
    def entries(self) -> tuple[bytes, ...]:
        return tuple(self._records.values())

    def _allocate_id(self) -> int:
        rid = self._next_id
        while rid in self._records:
            rid = rid % 0xFFFE + 1
        self._next_id = rid % 0xFFFE + 1
        return rid

    def add(self, record: bytes, now: float) -> int | None:
        """Log ``record`` (16 bytes; its ID bytes are overwritten, and its
        timestamp when the type calls for one).  Returns the record ID, or
        None when the log is full (the overflow flag is then set)."""
        if len(record) != SEL_RECORD_SIZE:
            raise ValueError("a SEL record is 16 bytes")
        if len(self._records) >= self.capacity:
            self.overflow = True
            return None
        rid = self._allocate_id()
        ts = self.time(now)
        body = bytearray(record)
        body[0:2] = rid.to_bytes(2, "little")
        if _timestamped(body[2]):
            body[3:7] = ts.to_bytes(4, "little")
        self._records[rid] = bytes(body)
        self.last_addition = ts
        return rid

    def info(self) -> SelInfo:
        from chassisctl.ipmi.sel_cmds import SelInfo, SelSupport

        free = min((self.capacity - len(self._records)) * SEL_RECORD_SIZE, 0xFFFE)
        support = SelSupport.RESERVE | (SelSupport.OVERFLOW if self.overflow else 0)
        return SelInfo(len(self._records), free, self.last_addition, self.last_erase, support)

    # -- reservations and reads -----------------------------------------
    def reserve(self) -> int:
        self._reservation = self._reservation % 0xFFFF + 1
        self._reservation_valid = True
        return self._reservation

    def reservation_ok(self, reservation: int) -> bool:
        return self._reservation_valid and reservation == self._reservation

    def get(self, request: RecordRead, *, max_response_data: int) -> RecordChunk | int:
        """Get SEL Entry: 0000h = first, FFFFh = last; partial reads as Get SDR."""
        from chassisctl.bmc.sdr_repository import read_chunk

        if request.offset and not self.reservation_ok(request.reservation):
            return CC.RESERVATION_CANCELLED
        ids = list(self._records)
        if not ids:
            return CC.NOT_PRESENT
        if request.record_id == FIRST_RECORD:
            pos = 0
        elif request.record_id == LAST_RECORD:
            pos = len(ids) - 1
        elif request.record_id in self._records:
            pos = ids.index(request.record_id)
        else:
            return CC.NOT_PRESENT
        next_id = ids[pos + 1] if pos + 1 < len(ids) else LAST_RECORD
        return read_chunk(self._records[ids[pos]], next_id, request, max_response_data - 2)

    def clear(self, request: ClearSelRequest, now: float) -> ClearSelProgress | int:
        """Clear SEL.  Erasure is immediate, so the reply is always
        "completed"; a status query is answered without checking the
        reservation, because the erase itself cancelled it."""
        from chassisctl.ipmi.sel_cmds import ClearAction, ClearSelProgress

        if request.action == ClearAction.GET_STATUS:
            return ClearSelProgress(completed=True)
        if not self.reservation_ok(request.reservation):
            return CC.RESERVATION_CANCELLED
        self._records.clear()
        self.overflow = False
        self.last_erase = self.time(now)
        self._reservation_valid = False
        return ClearSelProgress(completed=True)

    # -- persistence ----------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": STATE_FORMAT,
            "capacity": self.capacity,
            "next_id": self._next_id,
            "reservation": self._reservation,
            "overflow": self.overflow,
            "last_addition": self.last_addition,
            "last_erase": self.last_erase,
            "time_offset": self.time_offset,
            "records": [r.hex() for r in self._records.values()],
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> SelStore:
        """Rebuild a store; :class:`StateError` when ``state`` is not one
        :meth:`to_dict` could have written."""
        try:
            if state["format"] != STATE_FORMAT:
                raise StateError(f"SEL state format {state['format']!r} is not {STATE_FORMAT}")
            store = cls(int(state["capacity"]))
            records = [bytes.fromhex(r) for r in state["records"]]
            if len(records) > store.capacity or any(len(r) != SEL_RECORD_SIZE for r in records):
                raise StateError("SEL state holds malformed or too many records")
            for r in records:
                rid = int.from_bytes(r[:2], "little")
                if rid in store._records or rid in (FIRST_RECORD, LAST_RECORD):
                    raise StateError(f"SEL state repeats or misuses record ID {rid:04X}h")
                store._records[rid] = r
            store._next_id = _in_range(state["next_id"], 1, 0xFFFE)
            store._reservation = _in_range(state["reservation"], 0, 0xFFFF)
            store.overflow = bool(state["overflow"])
            store.last_addition = _in_range(state["last_addition"], 0, NO_TIMESTAMP)
            store.last_erase = _in_range(state["last_erase"], 0, NO_TIMESTAMP)
            store.time_offset = float(state["time_offset"])
            if not math.isfinite(store.time_offset):
                raise StateError("SEL state time offset is not finite")
        except StateError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateError(f"SEL state unreadable: {exc!r}") from None
        return store


def _in_range(value: Any, lo: int, hi: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise StateError(f"SEL state value {value!r} outside {lo}..{hi}")
    return value
