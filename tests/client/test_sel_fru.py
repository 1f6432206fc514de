"""SEL and FRU operations over a scripted BMC: chains, partial reads, naming, elist lines.

The simulator answers whole records and never shrinks, so the corner cases
— a BMC that answers CAh to a whole SEL entry or to large FRU reads, an
empty SEL, a SEL cleared while followed — are scripted here.
"""

from __future__ import annotations

import struct

import pytest

from chassisctl.cli.sel import elist_line
from chassisctl.client import fru as fru_client
from chassisctl.client import sel as sel_client
from chassisctl.errors import ProtocolError
from chassisctl.ipmi.codes import CompletionCodeError
from chassisctl.ipmi import sel as sel_codec
from chassisctl.ipmi.fru import build
from chassisctl.ipmi.message import Request, Response
from chassisctl.ipmi.sdr import FullSensorRecord
from chassisctl.ipmi.conversion import Factors
from chassisctl.transport.base import Transport

TS = 1_796_000_000  # 2026-11-30T...


def record(rid: int, **kw) -> bytes:
    kw.setdefault("timestamp", TS)
    event = sel_codec.system_event(kw.pop("sensor_type", 0x09), kw.pop("number", 0x60), kw.pop("event_type", 0x6F),
                                   kw.pop("offset", 0), **kw)
    return bytes(struct.pack("<H", rid)) + event.encode()[2:]


class ScriptedBmc(Transport):
    """SEL entries and one FRU image; CAh to reads larger than ``max_read``."""

    kind = "scripted"

    def __init__(self, entries: list[bytes], *, max_read: int = 255, fru: bytes = b"") -> None:
        super().__init__()
        self.entries = entries
        self.max_read = max_read
        self.fru = fru
        self.reservation = 0

    def transact(self, request: Request, *, node=None, timeout=None) -> Response:
        self.stats.count(request)
        key, data = (request.netfn, request.cmd), request.data
        if key == (0x0A, 0x42):  # Reserve SEL
            self.reservation += 1
            return request.reply(0, struct.pack("<H", self.reservation))
        if key == (0x0A, 0x43):  # Get SEL Entry
            res, rid, offset, count = struct.unpack("<HHBB", data)
            ids = [int.from_bytes(e[:2], "little") for e in self.entries]
            if not ids:
                return request.reply(0xCB)
            pos = 0 if rid == 0 else ids.index(rid) if rid in ids else None
            if pos is None:
                return request.reply(0xCB)
            if offset and res != self.reservation:
                return request.reply(0xC5)
            size = 16 - offset if count == 0xFF else count
            if size > self.max_read:
                return request.reply(0xCA)
            nxt = ids[pos + 1] if pos + 1 < len(ids) else 0xFFFF
            return request.reply(0, struct.pack("<H", nxt) + self.entries[pos][offset:offset + size])
        if key == (0x0A, 0x10):  # Get FRU Inventory Area Info
            if data[0] != 0 or not self.fru:
                return request.reply(0xCB)
            return request.reply(0, struct.pack("<HB", len(self.fru), 0))
        if key == (0x0A, 0x11):  # Read FRU Data
            _, offset, count = struct.unpack("<BHB", data)
            if count > self.max_read:
                return request.reply(0xCA)
            chunk = self.fru[offset:offset + count]
            return request.reply(0, bytes([len(chunk)]) + chunk)
        return request.reply(0xC1)


def test_walk_reads_whole_entries_in_chain_order() -> None:
    bmc = ScriptedBmc([record(1), record(5, offset=1), record(9)])
    reader = sel_client.SelReader(bmc)
    assert [rid for rid, _ in reader.walk()] == [1, 5, 9]
    assert bmc.stats.by_command == {"Get SEL Entry": 3}


def test_an_empty_sel_is_no_entries_not_an_error() -> None:
    assert list(sel_client.SelReader(ScriptedBmc([])).walk()) == []


def test_cah_falls_back_to_partial_reads_under_a_reservation() -> None:
    entries = [record(1), record(2, offset=1)]
    bmc = ScriptedBmc(entries, max_read=8)
    got = [raw for _, raw in sel_client.SelReader(bmc).walk()]
    assert got == entries
    assert bmc.stats.by_command["Reserve SEL"] == 2


def test_a_looping_chain_is_a_protocol_error() -> None:
    bmc = ScriptedBmc([record(1), record(1)])
    with pytest.raises(ProtocolError, match="loops"):
        list(sel_client.SelReader(bmc).walk())


def test_after_reads_only_what_was_added() -> None:
    bmc = ScriptedBmc([record(1), record(2)])
    reader = sel_client.SelReader(bmc)
    assert list(reader.after(2)) == []
    bmc.entries.append(record(3, offset=1))
    assert [rid for rid, _ in reader.after(2)] == [3]
    bmc.entries[:] = [record(1)]  # cleared and refilled: entry 3 is gone, read from the start
    assert [rid for rid, _ in reader.after(3)] == [1]


def _cpu_temp() -> FullSensorRecord:
    return FullSensorRecord(record_id=2, sensor_number=0x03, sensor_type=0x01, id_string="CPU Temp",
                            base_unit=1, factors=Factors(m=1, b=0, k1=0, k2=0))


def test_names_come_from_the_sdr_like_ipmitool() -> None:
    index = sel_client.SensorIndex([_cpu_temp()])
    named = sel_client.decode(record(1, sensor_type=0x01, number=0x03, event_type=0x01, offset=9,
                                     data2=92, data3=90), index)
    assert named.sensor == "Temperature CPU Temp" and named.event == "Upper Critical going high"
    assert (named.reading, named.threshold, named.unit) == (92, 90, "degrees C")
    other_owner = sel_client.decode(record(2, sensor_type=0x01, number=0x03, generator_id=0x0041), index)
    assert other_owner.sensor == "Temperature #0x03" and other_owner.sensor_name is None
    assert sel_client.decode(record(3, number=0)).sensor == "Power Unit"  # ipmitool omits #0x00


@pytest.fixture
def utc(monkeypatch):
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_elist_lines(utc) -> None:
    index = sel_client.SensorIndex([_cpu_temp()])
    up = sel_client.decode(record(0x1A, sensor_type=0x01, number=0x03, event_type=0x01, offset=9,
                                  data2=92, data3=90), index)
    assert elist_line(up) == ("  1a | 11/30/26 | 00:53:20 UTC | Temperature CPU Temp | Upper Critical going high"
                              " | Asserted | Reading 92 > Threshold 90 degrees C")
    down = sel_client.decode(record(2, sensor_type=0x01, number=0x03, event_type=0x01, offset=9,
                                    data2=88, data3=90, deassertion=True), index)
    assert elist_line(down).endswith("| Deasserted | Reading 88 < Threshold 90 degrees C")
    pre = sel_client.decode(record(3, timestamp=123))
    assert elist_line(pre) == "   3 |  Pre-Init  |0000000123| Power Unit #0x60 | Power Off / Power Down | Asserted"
    oem_ts = sel_client.decode(bytes.fromhex("0400c0") + TS.to_bytes(4, "little") + bytes.fromhex("5a0000010203040506"))
    assert elist_line(oem_ts).endswith("| OEM record c0 | 00005a | 010203040506")
    oem = sel_client.decode(bytes.fromhex("0500e0") + bytes(range(13)))
    assert elist_line(oem) == "   5 | OEM record e0 | " + bytes(range(13)).hex()


def test_fru_read_shrinks_on_cah_and_lists_the_builtin_fru() -> None:
    image = build(board={"manufacturer": "ACME", "serial": "B1"}, product={"product_name": "Box"})
    bmc = ScriptedBmc([], max_read=16, fru=image)
    [one] = fru_client.read_all(bmc, [])
    assert one.image == image and one.name == "Builtin FRU Device"
    doc = one.to_dict()
    assert doc["board"]["manufacturer"] == "ACME" and doc["product"]["product_name"] == "Box"
    assert bmc.stats.by_command["Read FRU Data"] >= len(image) // 16


def test_fru_absent() -> None:
    assert fru_client.read_all(ScriptedBmc([]), []) == []  # listing: an absent FRU is skipped
    with pytest.raises(CompletionCodeError, match="FRU 0"):
        fru_client.read_all(ScriptedBmc([]), [], only=0)
