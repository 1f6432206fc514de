"""Walking the SDR repository: round trips, CAh shrinking, C5h re-reservation, dead BMCs."""

from __future__ import annotations

import pathlib

import pytest

from chassisctl.client.sdr import MAX_RESERVATION_RETRIES, MIN_CHUNK, SdrWalker
from chassisctl.errors import ProtocolError, TimeoutFailure
from chassisctl.ipmi.codes import CompletionCodeError
from chassisctl.ipmi.message import Request, Response
from chassisctl.ipmi.storage import READ_ALL, RecordChunk, RecordRead, Reservation, SdrRepositoryInfo
from chassisctl.transport.base import Transport

import _simkit as kit


@pytest.fixture(autouse=True)
def _isolated(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kit.isolate(monkeypatch, tmp_path)


@pytest.fixture(scope="module")
def reference() -> list[bytes]:
    """The default profile's records, as the simulated BMC holds them."""
    return kit.rig().chassis.records


def test_multipart_ssif_reads_whole_records(reference: list[bytes]) -> None:
    r = kit.rig()
    walker = SdrWalker(r.transport)
    assert walker.read_all() == reference
    assert walker.chunk == READ_ALL
    assert r.transport.stats.by_command == {"Get System Interface Capabilities": 1, "Get SDR": len(reference)}
    assert (walker.stats.round_trips, walker.stats.shrinks, walker.stats.reservations) == (len(reference), 0, 0)


def test_single_part_ssif_starts_at_the_advertised_size(reference: list[bytes]) -> None:
    r = kit.rig(profile=kit.profile(**kit.SINGLE_PART))
    walker = SdrWalker(r.transport)
    assert walker.read_all() == reference
    assert walker.chunk == 27  # 32-byte block minus netFn, cmd, CC and next ID
    assert walker.stats.shrinks == 0 and walker.stats.reservations == 1
    assert "Get SDR" in r.transport.stats.by_command
    # every reply fitted in one SMBus block: no CAh was needed
    assert r.transport.stats.by_command["Get SDR"] == walker.stats.round_trips - 1


def test_cah_shrinks_and_the_walk_completes(reference: list[bytes]) -> None:
    """IPMB has no capabilities to ask: whole-record reads meet CAh once, then fit."""
    r = kit.rig(transport="ipmb", profile=kit.profile(**kit.SINGLE_PART))
    walker = SdrWalker(r.transport)
    assert walker.read_all() == reference
    assert walker.stats.shrinks == 1 and walker.chunk == 27


def test_explicit_whole_record_reads_on_single_part_ssif(reference: list[bytes]) -> None:
    r = kit.rig(profile=kit.profile(**kit.SINGLE_PART))
    walker = SdrWalker(r.transport, chunk=READ_ALL)
    assert walker.read_all() == reference
    assert walker.stats.shrinks == 1 and walker.chunk == 27


class _CountingSim:
    """Wraps a transport; ``before`` sees each request first (to arm faults at a chosen moment)."""

    def __init__(self, inner: Transport, before) -> None:
        self.inner, self.before = inner, before
        self.stats = inner.stats
        self.kind = inner.kind

    def capabilities(self):
        return self.inner.capabilities()

    def transact(self, request: Request, **kw) -> Response:
        self.before(request)
        return self.inner.transact(request, **kw)

    def identity(self) -> str:
        return self.inner.identity()


def _partial_read(request: Request) -> bool:
    return request.name == "Get SDR" and RecordRead.decode(request.data).offset > 0


def test_lost_reservation_re_reserves_at_once(reference: list[bytes]) -> None:
    r = kit.rig(profile=kit.profile(**kit.SINGLE_PART))
    seen = {"partial": 0}

    def before(request: Request) -> None:
        if _partial_read(request):
            seen["partial"] += 1
            if seen["partial"] in (3, 40, 41):
                r.faults.lost_reservation(1)

    walker = SdrWalker(_CountingSim(r.transport, before))
    start = r.clock.monotonic()
    assert walker.read_all() == reference
    assert walker.stats.reservations == 1 + 3
    assert r.clock.monotonic() - start < 1.0  # no ipmitool-style 0-3 s back-off


def test_lost_reservation_is_bounded() -> None:
    r = kit.rig(profile=kit.profile(**kit.SINGLE_PART))

    def before(request: Request) -> None:
        if _partial_read(request):
            r.faults.lost_reservation(1)

    walker = SdrWalker(_CountingSim(r.transport, before))
    with pytest.raises(CompletionCodeError) as info:
        walker.read_all()
    assert info.value.cc == 0xC5 and info.value.exit_code == 76
    assert walker.stats.reservations == 1 + MAX_RESERVATION_RETRIES


@pytest.mark.parametrize("after", [3, 12, 40])
def test_bmc_dying_mid_walk_is_a_clear_timeout(after: int) -> None:
    r = kit.rig(timeout=1.0)
    walker = SdrWalker(r.transport)
    walker.read_all()  # healthy first
    r.faults.dead_after(after)
    with pytest.raises(TimeoutFailure) as info:
        SdrWalker(r.transport).read_all()
    text = str(info.value)
    assert info.value.exit_code == 75 and "Get SDR" in text and "\n" not in text


# -- a scripted BMC for the corner cases the simulator does not produce ------------------------

class ScriptedSdrBmc(Transport):
    """Serves ``records`` over Get SDR; CAh above ``max_count``; optional ID-chain loop."""

    kind = "fake"

    def __init__(self, records: list[bytes], *, max_count: int = 255, loop: bool = False) -> None:
        super().__init__()
        self.records, self.max_count, self.loop = records, max_count, loop
        self.reservation = 0

    def transact(self, request: Request, *, node=None, timeout=None) -> Response:
        self.stats.count(request)
        if request.name == "Get SDR Repository Info":
            info = SdrRepositoryInfo(count=len(self.records), free_space=0, last_addition=1, last_erase=1)
            return request.reply(0, info.encode())
        if request.name == "Reserve SDR Repository":
            self.reservation += 1
            return request.reply(0, Reservation(self.reservation).encode())
        read = RecordRead.decode(request.data)
        index = read.record_id
        record = self.records[index]
        count = len(record) - read.offset if read.count == READ_ALL else read.count
        if count > self.max_count:
            return request.reply(0xCA)
        if read.offset and read.reservation != self.reservation:
            return request.reply(0xC5)
        if self.loop and index == len(self.records) - 1:
            next_id = 0
        else:
            next_id = index + 1 if index + 1 < len(self.records) else 0xFFFF
        data = record[read.offset:read.offset + count]
        return request.reply(0, RecordChunk(next_id, data).encode())


def _record(record_id: int, body: int) -> bytes:
    return bytes([record_id & 0xFF, record_id >> 8, 0x51, 0x01, body]) + bytes(range(body))


def test_shrink_halves_down_to_what_fits() -> None:
    records = [_record(i, 40) for i in range(3)]
    bmc = ScriptedSdrBmc(records, max_count=10)
    walker = SdrWalker(bmc)
    assert walker.read_all() == records
    assert walker.chunk <= 10 and walker.chunk >= MIN_CHUNK
    assert walker.stats.shrinks >= 2


def test_scripted_bmc_info() -> None:
    assert SdrWalker(ScriptedSdrBmc([_record(0, 4)])).info().count == 1


def test_record_chain_loop_is_a_protocol_error() -> None:
    bmc = ScriptedSdrBmc([_record(i, 4) for i in range(3)], loop=True)
    with pytest.raises(ProtocolError, match="loops"):
        SdrWalker(bmc).read_all()
