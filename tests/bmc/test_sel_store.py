"""SEL store: IDs, timestamps, reads, reservations, clear, capacity, persistence."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chassisctl.bmc.sel_store import SelStore
from chassisctl.errors import StateError
from chassisctl.ipmi.codes import CompletionCode as CC
from chassisctl.ipmi.sel_cmds import ClearAction, ClearSelProgress, ClearSelRequest, SelSupport
from chassisctl.ipmi.storage import LAST_RECORD, NO_TIMESTAMP, RecordChunk, RecordRead

NOW = 1_767_225_600.0  # 2026-01-01 UTC, FakeClock's start
# A system event record: type 02h, generator 20h, EvM rev 04, temperature sensor 01h,
# threshold event UC going high (IDs and timestamp are the BMC's to fill in).
EVENT = bytes.fromhex("00 00 02 00 00 00 00 20 00 04 01 01 01 59 90 8A")
OEM_NO_TS = bytes.fromhex("00 00 E0") + bytes(range(13))
ROOM = 29


def test_add_assigns_ids_and_timestamps() -> None:
    sel = SelStore()
    assert sel.add(EVENT, NOW) == 1
    assert sel.add(EVENT, NOW + 5) == 2
    assert sel.add(OEM_NO_TS, NOW + 6) == 3
    first, second, oem = sel.entries
    assert first[:2] == b"\x01\x00" and int.from_bytes(first[3:7], "little") == int(NOW)
    assert int.from_bytes(second[3:7], "little") == int(NOW) + 5
    assert first[7:] == EVENT[7:]
    assert oem == b"\x03\x00" + OEM_NO_TS[2:]  # non-timestamped OEM keeps its bytes
    info = sel.info()
    assert (info.count, info.last_addition, info.last_erase) == (3, int(NOW) + 6, NO_TIMESTAMP)
    assert info.free_space == (512 - 3) * 16 and info.support == SelSupport.RESERVE


def test_get_entry_first_last_chain_and_partial() -> None:
    sel = SelStore()
    ids = [sel.add(EVENT, NOW + i) for i in range(3)]
    first = sel.get(RecordRead(0, 0x0000), max_response_data=ROOM)
    assert isinstance(first, RecordChunk) and first.next_record_id == ids[1] and len(first.data) == 16
    last = sel.get(RecordRead(0, LAST_RECORD), max_response_data=ROOM)
    assert isinstance(last, RecordChunk) and last.next_record_id == LAST_RECORD
    assert last.data[:2] == ids[2].to_bytes(2, "little")
    assert sel.get(RecordRead(0, 99), max_response_data=ROOM) == CC.NOT_PRESENT
    assert sel.get(RecordRead(0, ids[1], 8, 4), max_response_data=ROOM) == CC.RESERVATION_CANCELLED
    resv = sel.reserve()
    part = sel.get(RecordRead(resv, ids[1], 8, 4), max_response_data=ROOM)
    assert part == RecordChunk(ids[2], sel.entries[1][8:12])
    assert sel.get(RecordRead(resv, ids[1], 16, 1), max_response_data=ROOM) == CC.PARAMETER_OUT_OF_RANGE
    assert sel.get(RecordRead(0, 0), max_response_data=17) == CC.CANNOT_RETURN_REQUESTED_BYTES


def test_empty_sel() -> None:
    sel = SelStore()
    assert sel.info().count == 0
    assert sel.get(RecordRead(0, 0), max_response_data=ROOM) == CC.NOT_PRESENT


def test_clear_needs_reservation() -> None:
    sel = SelStore()
    sel.add(EVENT, NOW)
    assert sel.clear(ClearSelRequest(0x1234), NOW) == CC.RESERVATION_CANCELLED
    resv = sel.reserve()
    assert sel.clear(ClearSelRequest(resv), NOW + 10) == ClearSelProgress(True)
    assert len(sel) == 0 and sel.info().last_erase == int(NOW) + 10
    # The erase cancelled the reservation, but a status poll still gets an answer.
    assert sel.clear(ClearSelRequest(resv, ClearAction.GET_STATUS), NOW) == ClearSelProgress(True)
    assert sel.clear(ClearSelRequest(resv), NOW) == CC.RESERVATION_CANCELLED
    # IDs are not reused after a clear.
    assert sel.add(EVENT, NOW) == 2


def test_adding_does_not_cancel_reservation() -> None:
    sel = SelStore()
    resv = sel.reserve()
    sel.add(EVENT, NOW)
    assert sel.reservation_ok(resv)
    assert sel.reserve() != resv and not sel.reservation_ok(resv)


def test_capacity_and_overflow() -> None:
    sel = SelStore(capacity=2)
    assert sel.add(EVENT, NOW) and sel.add(EVENT, NOW)
    assert sel.add(EVENT, NOW) is None
    info = sel.info()
    assert info.overflow and info.free_space == 0 and info.count == 2
    sel.clear(ClearSelRequest(sel.reserve()), NOW)
    assert not sel.info().overflow
    with pytest.raises(ValueError):
        SelStore(capacity=0)
    with pytest.raises(ValueError):
        sel.add(EVENT[:15], NOW)


def test_sel_time_offset() -> None:
    sel = SelStore()
    assert sel.time(NOW) == int(NOW)
    sel.set_time(1000, NOW)
    assert sel.time(NOW + 5) == 1005
    sel.add(EVENT, NOW + 5)
    assert int.from_bytes(sel.entries[0][3:7], "little") == 1005


def test_persistence_round_trip_through_json() -> None:
    sel = SelStore(capacity=8)
    for i in range(3):
        sel.add(EVENT, NOW + i)
    sel.set_time(5000, NOW)
    sel.reserve()
    state = json.loads(json.dumps(sel.to_dict()))
    back = SelStore.from_dict(state)
    assert back.to_dict() == sel.to_dict()
    assert back.entries == sel.entries and back.info() == sel.info()
    assert back.add(EVENT, NOW) == 4


@pytest.mark.parametrize("mutate", [
    lambda s: s.pop("records"),
    lambda s: s.update(format=2),
    lambda s: s.update(records=["00"]),
    lambda s: s.update(records=["zz" * 16]),
    lambda s: s.update(records=[s["records"][0]] * 2),
    lambda s: s.update(next_id=0),
    lambda s: s.update(next_id="1"),
    lambda s: s.update(capacity=0),
    lambda s: s.update(capacity=1),
    lambda s: s.update(time_offset="nan"),
    lambda s: s.update(last_erase=-1),
])
def test_corrupt_state_raises_state_error(mutate) -> None:
    sel = SelStore()
    sel.add(EVENT, NOW)
    sel.add(EVENT, NOW)
    state = sel.to_dict()
    mutate(state)
    with pytest.raises(StateError):
        SelStore.from_dict(state)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.binary(min_size=16, max_size=16), max_size=20), st.integers(1, 10))
def test_chain_visits_every_entry(records: list[bytes], capacity: int) -> None:
    sel = SelStore(capacity=capacity)
    added = [sel.add(r, NOW) for r in records]
    assert sum(a is not None for a in added) == min(len(records), capacity)
    assert sel.info().overflow == (len(records) > capacity)
    seen, rid = [], 0
    while len(sel) and rid != LAST_RECORD:
        chunk = sel.get(RecordRead(0, rid), max_response_data=ROOM)
        assert isinstance(chunk, RecordChunk)
        seen.append(chunk.data)
        rid = chunk.next_record_id
    assert seen == list(sel.entries)
    assert SelStore.from_dict(sel.to_dict()).to_dict() == sel.to_dict()
