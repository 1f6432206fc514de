"""SDR repository: ID chain, reservations, partial reads, timestamps."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chassisctl.bmc.sdr_repository import SdrRepository
from chassisctl.ipmi.codes import CompletionCode as CC
from chassisctl.ipmi.storage import LAST_RECORD, NO_TIMESTAMP, READ_ALL, RecordChunk, RecordRead

# Byte-exact records (IPMI v2.0 §43.9, §43.2, §43.1) that ipmitool and pyghmi list correctly.
MC_LOCATOR = bytes.fromhex("01 00 51 12 0e 20 00 00 bf 00 00 00 06 01 00 c3") + b"BMC"
FULL = bytes.fromhex(
    "02 00 51 01 35 20 00 01 07 01 7f 68 01 01 80 0a 80 7a 38 38 00 01 00 00 01 00 00 00 00 00"
    " 07 28 50 10 ff 00 a0 90 70 00 00 00 02 02 00 00 00 ca") + b"Inlet Temp"
COMPACT = bytes.fromhex(
    "03 00 51 02 28 20 00 02 20 01 63 40 25 6f 03 00 03 00 03 00 00 00 00 00 00 00 00 00 00 00 00"
    " cd") + b"PSU1 Presence"
RECORDS = [MC_LOCATOR, FULL, COMPACT]
SSIF = 29  # single-part SSIF room after the completion code
LAN = 250


def test_fixtures_are_consistent() -> None:
    assert [len(r) - 5 for r in RECORDS] == [r[4] for r in RECORDS] == [0x0E, 0x35, 0x28]


def test_id_chain_and_whole_record_reads() -> None:
    repo = SdrRepository(RECORDS, 100, 50)
    first = repo.get(RecordRead(0, 0x0000), max_response_data=LAN)
    assert first == RecordChunk(2, MC_LOCATOR)
    assert repo.get(RecordRead(0, 2), max_response_data=LAN) == RecordChunk(3, FULL)
    assert repo.get(RecordRead(0, 3), max_response_data=LAN) == RecordChunk(LAST_RECORD, COMPACT)
    assert repo.record(2) == FULL and repo.record(9) is None
    assert len(repo) == 3 and repo.records == tuple(RECORDS)


def test_renumbering() -> None:
    shuffled = [b"\x34\x12" + r[2:] for r in RECORDS]
    with pytest.raises(ValueError):
        SdrRepository(shuffled)  # duplicate IDs
    repo = SdrRepository(shuffled, renumber=True)
    assert [int.from_bytes(r[:2], "little") for r in repo.records] == [1, 2, 3]
    assert repo.records[1][2:] == FULL[2:]


@pytest.mark.parametrize("bad", [
    [b"\x01\x00\x51\x01"],                       # shorter than a header
    [MC_LOCATOR[:-1]],                            # length byte disagrees
    [b"\xff\xff" + MC_LOCATOR[2:]],               # FFFFh is "end of chain"
    [MC_LOCATOR, b"\x00\x00" + FULL[2:]],         # 0000h only for the first record
])
def test_bad_records_refused(bad: list[bytes]) -> None:
    with pytest.raises(ValueError):
        SdrRepository(bad)


def test_ssif_sized_responses_need_partial_reads() -> None:
    repo = SdrRepository(RECORDS)
    # The whole 58-byte Full record does not fit in 27 bytes: CAh, client asks for less.
    assert repo.get(RecordRead(0, 2, 0, READ_ALL), max_response_data=SSIF) == CC.CANNOT_RETURN_REQUESTED_BYTES
    assert repo.get(RecordRead(0, 2, 0, 30), max_response_data=SSIF) == CC.CANNOT_RETURN_REQUESTED_BYTES
    header = repo.get(RecordRead(0, 2, 0, 5), max_response_data=SSIF)
    assert header == RecordChunk(3, FULL[:5])
    resv = repo.reserve()
    part = repo.get(RecordRead(resv, 2, 5, 27), max_response_data=SSIF)
    assert part == RecordChunk(3, FULL[5:32])
    # Asking past the end returns what is left rather than an error.
    tail = repo.get(RecordRead(resv, 2, 32, 27), max_response_data=SSIF)
    assert tail == RecordChunk(3, FULL[32:])
    # The 19-byte MC locator fits whole even on SSIF.
    assert repo.get(RecordRead(0, 1), max_response_data=SSIF) == RecordChunk(2, MC_LOCATOR)


def test_error_codes() -> None:
    repo = SdrRepository(RECORDS)
    resv = repo.reserve()
    assert repo.get(RecordRead(0, 7), max_response_data=LAN) == CC.NOT_PRESENT
    assert repo.get(RecordRead(0, LAST_RECORD), max_response_data=LAN) == CC.NOT_PRESENT
    assert repo.get(RecordRead(resv, 1, len(MC_LOCATOR)), max_response_data=LAN) == CC.PARAMETER_OUT_OF_RANGE
    assert SdrRepository().get(RecordRead(0, 0), max_response_data=LAN) == CC.NOT_PRESENT


def test_reservations() -> None:
    repo = SdrRepository(RECORDS)
    # No reservation needed at offset 0; 0000h or any value is accepted.
    assert isinstance(repo.get(RecordRead(0, 2, 0, 5), max_response_data=SSIF), RecordChunk)
    # Non-zero offset without a reservation: C5h.
    assert repo.get(RecordRead(0, 2, 5, 5), max_response_data=SSIF) == CC.RESERVATION_CANCELLED
    r1 = repo.reserve()
    r2 = repo.reserve()
    assert r1 != 0 and r2 == r1 + 1
    assert repo.get(RecordRead(r1, 2, 5, 5), max_response_data=SSIF) == CC.RESERVATION_CANCELLED
    assert isinstance(repo.get(RecordRead(r2, 2, 5, 5), max_response_data=SSIF), RecordChunk)


def test_reservation_ids_wrap_and_skip_zero() -> None:
    repo = SdrRepository(RECORDS)
    ids = [repo.reserve() for _ in range(0x10001)]
    assert 0 not in ids and ids[0xFFFE] == 0xFFFF and ids[0xFFFF] == 1


def test_timestamps_move_only_on_change() -> None:
    repo = SdrRepository(RECORDS, addition_ts=1000, erase_ts=900)
    info = repo.info()
    assert (info.count, info.last_addition, info.last_erase, info.version) == (3, 1000, 900, 0x51)
    resv = repo.reserve()
    assert not repo.replace(RECORDS, now=5000.0)
    assert repo.info() == info
    assert repo.reservation_ok(resv)  # an unchanged repository keeps reservations
    assert repo.replace(RECORDS[:2], now=5000.7)
    assert repo.info().last_addition == 5000 and repo.info().count == 2
    assert not repo.reservation_ok(resv)
    assert repo.get(RecordRead(resv, 2, 5, 5), max_response_data=SSIF) == CC.RESERVATION_CANCELLED
    # A second change within the same second still moves the timestamp.
    assert repo.replace(RECORDS, now=5000.9)
    assert repo.info().last_addition == 5001
    assert SdrRepository().info().last_addition == NO_TIMESTAMP


# -- Properties -------------------------------------------------------------


def _record(body: bytes, rtype: int) -> bytes:
    return b"\x00\x00\x51" + bytes([rtype, len(body)]) + body


records_st = st.lists(
    st.builds(_record, st.binary(min_size=0, max_size=120), st.integers(0, 255)), min_size=1, max_size=6
)


@settings(max_examples=60, deadline=None)
@given(records_st, st.integers(18, 260), st.data())
def test_partial_read_reassembly(records: list[bytes], room: int, data: st.DataObject) -> None:
    """A client walking the chain with random chunk sizes rebuilds every record."""
    repo = SdrRepository(records, renumber=True)
    resv = repo.reserve()
    rid, got = 0, []
    while rid != LAST_RECORD:
        head = repo.get(RecordRead(resv, rid, 0, 5), max_response_data=room)
        assert isinstance(head, RecordChunk)
        body, total = head.data, head.data[4] + 5
        while len(body) < total:
            count = data.draw(st.integers(1, room - 2), label="chunk")
            chunk = repo.get(RecordRead(resv, rid, len(body), count), max_response_data=room)
            assert isinstance(chunk, RecordChunk) and chunk.next_record_id == head.next_record_id
            assert 0 < len(chunk.data) <= count
            body += chunk.data
        got.append(body)
        rid = head.next_record_id
    assert got == list(repo.records)


@settings(max_examples=60, deadline=None)
@given(records_st, st.integers(1, 40), st.integers(1, 200))
def test_reservation_cancelled_by_change(records: list[bytes], offset: int, now: int) -> None:
    repo = SdrRepository(records, renumber=True)
    resv = repo.reserve()
    target = repo.records[0]
    if offset >= len(target):
        offset = len(target) - 1
    before = repo.get(RecordRead(resv, 1, offset, 1), max_response_data=SSIF)
    assert isinstance(before, RecordChunk)
    changed = repo.replace(records + [_record(b"new", 0xC0)], now, renumber=True)
    assert changed
    assert repo.get(RecordRead(resv, 1, offset, 1), max_response_data=SSIF) == CC.RESERVATION_CANCELLED
    fresh = repo.reserve()
    assert fresh != resv
    assert isinstance(repo.get(RecordRead(fresh, 1, offset, 1), max_response_data=SSIF), RecordChunk)
