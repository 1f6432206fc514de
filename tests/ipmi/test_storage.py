"""Storage codecs: SDR repository, SEL and FRU commands."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassisctl.ipmi import fru_cmds, sel_cmds, storage
from chassisctl.ipmi.codes import NetFn, StorageCmd
from chassisctl.ipmi.decode_errors import DataLengthError, DecodeError
from chassisctl.ipmi.fru_cmds import FruAreaInfo, FruData, ReadFruRequest
from chassisctl.ipmi.sel_cmds import (
    ClearAction,
    ClearSelProgress,
    ClearSelRequest,
    RecordId,
    SelInfo,
    SelSupport,
    SelTime,
)
from chassisctl.ipmi.storage import RecordChunk, RecordRead, Reservation, SdrRepoSupport, SdrRepositoryInfo

from _fuzz import only_decode_errors


def test_sdr_repository_info_bytes() -> None:
    data = bytes.fromhex("51 03 00 00 00 00 00 00 65 FF FF FF FF 02")
    info = SdrRepositoryInfo.decode(data)
    assert info.version == 0x51 and info.count == 3 and info.free_space == 0
    assert info.last_addition == 0x65000000 and info.last_erase == storage.NO_TIMESTAMP
    assert info.support == SdrRepoSupport.RESERVE
    assert info.encode() == data


def test_sel_info_overflow_flag() -> None:
    info = SelInfo.decode(bytes.fromhex("51 02 00 E0 1F 10 00 00 00 FF FF FF FF 82"))
    assert info.count == 2 and info.free_space == 0x1FE0 and info.overflow
    assert info.support == SelSupport.RESERVE | SelSupport.OVERFLOW
    assert not SelInfo(0, 100).overflow


def test_get_sdr_request_layout() -> None:
    req = storage.get_sdr(0x1234, 0x0002, 5, 0x10)
    assert (req.netfn, req.cmd) == (NetFn.STORAGE, StorageCmd.GET_SDR)
    assert req.data == bytes.fromhex("34 12 02 00 05 10")
    assert RecordRead.decode(req.data) == RecordRead(0x1234, 2, 5, 0x10)
    assert storage.get_sdr(0, 0).data == bytes.fromhex("00 00 00 00 00 FF")
    assert storage.GetSdrRequest is RecordRead and storage.GetSelEntryResponse is RecordChunk


def test_get_sdr_reply_layout() -> None:
    # Next record 0002h, then the MC locator header (IPMI v2.0 §43.9).
    chunk = RecordChunk.decode(bytes.fromhex("02 00 01 00 51 12 0E"))
    assert chunk == RecordChunk(2, bytes.fromhex("01 00 51 12 0E"))
    assert chunk.encode() == bytes.fromhex("02 00 01 00 51 12 0E")
    with pytest.raises(DataLengthError):
        RecordChunk.decode(b"\x02")


def test_sel_requests() -> None:
    assert sel_cmds.get_sel_entry(0, storage.FIRST_RECORD).data == bytes.fromhex("00 00 00 00 00 FF")
    assert sel_cmds.reserve_sel().cmd == StorageCmd.RESERVE_SEL
    assert storage.reserve_sdr_repository().cmd == StorageCmd.RESERVE_SDR_REPOSITORY
    assert Reservation.decode(b"\x07\x00") == Reservation(7)
    rec = bytes(range(16))
    assert sel_cmds.add_sel_entry(rec).data == rec
    assert sel_cmds.parse_add_sel_entry(rec) == rec
    with pytest.raises(DataLengthError):
        sel_cmds.parse_add_sel_entry(rec[:15])
    assert RecordId.decode(b"\x10\x00").record_id == 0x10


def test_clear_sel_request() -> None:
    req = sel_cmds.clear_sel(0x0102)
    assert req.data == bytes.fromhex("02 01 43 4C 52 AA")
    assert ClearSelRequest.decode(req.data) == ClearSelRequest(0x0102, ClearAction.INITIATE)
    assert ClearSelRequest.decode(bytes.fromhex("02 01 43 4C 52 00")).action is ClearAction.GET_STATUS
    for bad in ("02 01 43 4C 51 AA", "02 01 43 4C 52 55"):
        with pytest.raises(DecodeError) as info:
            ClearSelRequest.decode(bytes.fromhex(bad))
        assert not isinstance(info.value, DataLengthError)
    assert ClearSelProgress.decode(b"\x01").completed
    assert not ClearSelProgress.decode(b"\x00").completed


def test_sel_time() -> None:
    req = sel_cmds.set_sel_time(0x65432100)
    assert req.data == bytes.fromhex("00 21 43 65")
    assert SelTime.decode(req.data).seconds == 0x65432100
    assert sel_cmds.get_sel_time().data == b""


def test_fru_commands() -> None:
    assert fru_cmds.get_fru_inventory_area_info(0).data == b"\x00"
    assert fru_cmds.parse_fru_id(b"\x03") == 3
    assert FruAreaInfo.decode(bytes.fromhex("00 01 00")) == FruAreaInfo(256, False)
    assert FruAreaInfo.decode(bytes.fromhex("00 01 01")).word_access
    req = fru_cmds.read_fru_data(0, 0x0108, 0x20)
    assert req.data == bytes.fromhex("00 08 01 20")
    assert ReadFruRequest.decode(req.data) == ReadFruRequest(0, 0x108, 0x20)
    assert FruData.decode(bytes.fromhex("03 01 02 03")).data == b"\x01\x02\x03"
    assert FruData(b"\x01\x02").encode() == bytes.fromhex("02 01 02")
    with pytest.raises(DecodeError):
        FruData.decode(bytes.fromhex("04 01 02 03"))


# -- Properties -------------------------------------------------------------

u8, u16, u32 = st.integers(0, 0xFF), st.integers(0, 0xFFFF), st.integers(0, 0xFFFFFFFF)


@given(u16, u16, u32, u32, u8.map(SdrRepoSupport))
def test_repository_info_round_trip(count, free, add, erase, support) -> None:
    info = SdrRepositoryInfo(count, free, add, erase, support)
    assert SdrRepositoryInfo.decode(info.encode()) == info
    sel = SelInfo(count, free, add, erase, SelSupport(int(support)))
    assert SelInfo.decode(sel.encode()) == sel


@given(u16, u16, u8, u8, st.binary(max_size=40))
def test_record_read_round_trip(resv, rid, offset, count, data) -> None:
    assert RecordRead.decode(RecordRead(resv, rid, offset, count).encode()) == RecordRead(resv, rid, offset, count)
    assert RecordChunk.decode(RecordChunk(rid, data).encode()) == RecordChunk(rid, data)


@given(u8, u16, u8, st.binary(max_size=255), u16, st.booleans(), u32)
def test_fru_and_sel_round_trips(fru, offset, count, data, size, words, seconds) -> None:
    assert ReadFruRequest.decode(ReadFruRequest(fru, offset, count).encode()) == ReadFruRequest(fru, offset, count)
    assert FruData.decode(FruData(data).encode()) == FruData(data)
    assert FruAreaInfo.decode(FruAreaInfo(size, words).encode()) == FruAreaInfo(size, words)
    assert SelTime.decode(SelTime(seconds).encode()) == SelTime(seconds)


DECODERS = [
    SdrRepositoryInfo.decode, SelInfo.decode, Reservation.decode, RecordRead.decode, RecordChunk.decode,
    RecordId.decode, ClearSelRequest.decode, ClearSelProgress.decode, SelTime.decode, FruAreaInfo.decode,
    ReadFruRequest.decode, FruData.decode, fru_cmds.parse_fru_id, sel_cmds.parse_add_sel_entry,
]


test_decoders_raise_only_decode_error = only_decode_errors(DECODERS, max_size=24)
