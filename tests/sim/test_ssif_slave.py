"""SsifSlave: the BMC side of SSIF at the byte level, driven through the simulated bus."""

from __future__ import annotations

import errno

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from smbus2 import i2c_msg

from chassisctl.clock import FakeClock
from chassisctl.ipmi.ssif import (DEFAULT_CAPABILITIES, ReadAssembler, SsifCapabilities, TransactionSupport,
                                  decode_capabilities)
from chassisctl.sim.bus import SimulatedSMBus
from chassisctl.sim.faults import Faults
from chassisctl.sim.ssif_slave import SsifSlave, State

H = bytes.fromhex
LONG = bytes(range(3, 103))  # 100 data bytes after netFn/cmd/CC


def handler(payload: bytes) -> bytes:
    """Echo-ish fake BMC: Get Device ID, a long OEM answer, everything else C1h."""
    netfn_lun, cmd = payload[0], payload[1]
    if payload[:2] == H("18 01"):
        return H("1C 01 00 20 81 03 09 02 BF 57 01 00 00 01")
    if payload[:2] == H("B8 01"):  # OEM netFn 2Eh: a response longer than one block
        return bytes((netfn_lun | 4, cmd, 0)) + LONG
    if payload[:2] == H("B8 02"):  # echo the request data, to check multi-part writes
        return bytes((netfn_lun | 4, cmd, 0)) + payload[2:]
    return bytes((netfn_lun | 4, cmd, 0xC1))


class Rig:
    def __init__(self, **kwargs: object) -> None:
        self.clock = FakeClock()
        self.faults = kwargs.pop("faults", None) or Faults()
        self.bus = SimulatedSMBus(clock=self.clock, faults=self.faults)
        self.slave = SsifSlave(handler, self.clock, faults=self.faults, **kwargs)  # type: ignore[arg-type]
        self.bus.root.attach(0x10, self.slave)

    def read(self, cmd: int = 0x03) -> bytes:
        return bytes(self.bus.read_block_data(0x10, cmd))

    def ready(self) -> None:
        self.clock.advance(self.slave.turnaround)


@pytest.fixture
def rig() -> Rig:
    return Rig()


def nak(fn, *args) -> int:
    with pytest.raises(OSError) as info:
        fn(*args)
    return info.value.errno


def test_single_part_exchange(rig: Rig) -> None:
    rig.bus.write_block_data(0x10, 0x02, [0x18, 0x01])
    assert rig.slave.requests == [H("18 01")]
    assert nak(rig.read) == errno.ENXIO  # busy until the turnaround passed
    rig.ready()
    assert rig.read() == H("1C 01 00 20 81 03 09 02 BF 57 01 00 00 01")
    assert str(rig.bus.transcript[-1]) == "S 20 03 Sr 21 0E 1C 01 00 20 81 03 09 02 BF 57 01 00 00 01 P"


def test_turnaround_includes_the_models_own_work() -> None:
    """A handler that takes time (here: the fake clock moves while it answers)
    is ready ``turnaround`` after the STOP, not after its work plus the turnaround."""
    rig = Rig(turnaround=0.004)

    def slow(payload: bytes) -> bytes:
        rig.clock.advance(0.003)
        return handler(payload)

    rig.slave.handler = slow
    rig.bus.write_block_data(0x10, 0x02, [0x18, 0x01])
    rig.clock.advance(0.0009)
    assert nak(rig.read) == errno.ENXIO  # 3.9 ms after the STOP
    rig.clock.advance(0.0001)
    assert rig.read()[:3] == H("1C 01 00")


def test_ready_at_says_when_reads_stop_being_naked(rig: Rig) -> None:
    assert rig.slave.ready_at() is None  # nothing asked yet
    rig.bus.write_block_data(0x10, 0x02, [0x18, 0x01])
    due = rig.slave.ready_at()
    assert due == pytest.approx(rig.clock.monotonic() + rig.slave.turnaround)
    rig.clock.advance(due - rig.clock.monotonic() - 1e-6)
    assert nak(rig.read) == errno.ENXIO
    rig.clock.advance(1e-6)
    assert rig.read()[:3] == H("1C 01 00")


def test_a_slow_model_answer_is_not_abandoned_before_it_exists() -> None:
    """Work longer than turnaround + abandon time (the state lock held by other
    processes) still leaves the answer readable: the abandon timer starts when
    the answer is made."""
    rig = Rig(turnaround=0.004)

    def slow(payload: bytes) -> bytes:
        rig.clock.advance(rig.slave.abandon_after + 0.1)
        return handler(payload)

    rig.slave.handler = slow
    rig.bus.write_block_data(0x10, 0x02, [0x18, 0x01])
    assert rig.read()[:3] == H("1C 01 00")


def test_response_can_be_re_read_until_abandoned(rig: Rig) -> None:
    rig.bus.write_block_data(0x10, 0x02, [0x18, 0x01])
    rig.ready()
    first = rig.read()
    rig.clock.advance(0.4)
    assert rig.read() == first
    rig.clock.advance(0.501)
    assert nak(rig.read) == errno.ENXIO
    assert not rig.slave.response_pending


def test_unread_response_is_abandoned_after_500ms(rig: Rig) -> None:
    rig.bus.write_block_data(0x10, 0x02, [0x18, 0x01])
    rig.clock.advance(0.6)
    assert nak(rig.read) == errno.ENXIO


def test_new_request_discards_pending_response(rig: Rig) -> None:
    rig.bus.write_block_data(0x10, 0x02, [0x18, 0x01])
    rig.bus.write_block_data(0x10, 0x02, [0x18, 0x99])
    rig.ready()
    assert rig.read() == H("1C 99 C1")


def test_pec_is_auto_detected_per_request(rig: Rig) -> None:
    rig.bus.pec = True
    rig.bus.write_block_data(0x10, 0x02, [0x18, 0x01])
    rig.ready()
    assert rig.read() == H("1C 01 00 20 81 03 09 02 BF 57 01 00 00 01")  # the bus checked the PEC
    assert str(rig.bus.transcript[-1]).endswith("[EE] P")
    rig.bus.pec = False
    rig.bus.write_block_data(0x10, 0x02, [0x18, 0x01])
    rig.ready()
    assert rig.bus.transcript[-1].pec is False
    write, read = i2c_msg.write(0x10, [0x03]), i2c_msg.read(0x10, 17)
    rig.bus.i2c_rdwr(write, read)
    assert bytes(read)[15:] == b"\x00\x00"  # no PEC now: count, data, then zeros


def test_bad_write_pec_drops_the_request(rig: Rig) -> None:
    rig.bus.i2c_rdwr(i2c_msg.write(0x10, [0x02, 0x02, 0x18, 0x01, 0x67]))  # PEC should be 66
    assert rig.slave.requests == []
    rig.ready()
    assert nak(rig.read) == errno.ENXIO
    rig.bus.write_block_data(0x10, 0x08, [0x00])  # dropped: still aborting
    rig.bus.i2c_rdwr(i2c_msg.write(0x10, [0x02, 0x02, 0x18, 0x01, 0x66]))
    assert rig.slave.requests == [H("18 01")]


def test_multipart_write_and_read() -> None:
    rig = Rig()
    request = H("B8 02") + bytes(range(60))  # 62 bytes: start + end
    rig.bus.write_block_data(0x10, 0x06, list(request[:32]))
    rig.bus.write_block_data(0x10, 0x08, list(request[32:]))
    assert rig.slave.requests == [request]
    rig.ready()
    assembler = ReadAssembler()
    while (cmd := assembler.next_command) is not None:
        assembler.feed(rig.read(cmd))
    assert assembler.message() == H("BC 02 00") + bytes(range(60))


def test_short_0x07_ends_a_multipart_write(rig: Rig) -> None:
    request = H("B8 02") + bytes(range(80))
    rig.bus.write_block_data(0x10, 0x06, list(request[:32]))
    rig.bus.write_block_data(0x10, 0x07, list(request[32:64]))
    rig.bus.write_block_data(0x10, 0x07, list(request[64:]))
    assert rig.slave.requests == [request]


def test_multipart_read_blocks(rig: Rig) -> None:
    rig.bus.write_block_data(0x10, 0x02, [0xB8, 0x01])
    rig.ready()
    start = rig.read(0x03)
    assert len(start) == 32 and start[:2] == H("00 01")
    assert rig.read(0x09)[0] == 0x00
    assert rig.read(0x09)[0] == 0x01
    last = rig.read(0x09)
    assert last[0] == 0xFF and len(last) == 1 + 103 - 30 - 62
    assert nak(rig.read, 0x09) == errno.ENXIO  # nothing more
    # 0Ah N re-reads block N (QEMU's retry)
    rig.bus.i2c_rdwr(i2c_msg.write(0x10, [0x0A, 0x01]), read := i2c_msg.read(0x10, 33))
    payload = H("BC 01 00") + LONG
    assert bytes(read)[:2] == H("20 01") and bytes(read)[2:33] == payload[61:92]


def test_multipart_write_refused_without_capability() -> None:
    rig = Rig(capabilities=DEFAULT_CAPABILITIES)
    assert nak(rig.bus.write_block_data, 0x10, 0x06, list(range(32))) == errno.ENXIO


def test_middle_without_start_is_naked(rig: Rig) -> None:
    assert nak(rig.bus.write_block_data, 0x10, 0x07, list(range(32))) == errno.ENXIO
    assert nak(rig.bus.write_block_data, 0x10, 0x42, [1]) == errno.ENXIO


def test_too_long_response_for_single_part_bmc_becomes_ca() -> None:
    rig = Rig(capabilities=DEFAULT_CAPABILITIES)
    rig.bus.write_block_data(0x10, 0x02, [0xB8, 0x01])
    rig.ready()
    assert rig.read() == H("BC 01 CA")


def test_capabilities_are_answered_by_the_interface() -> None:
    caps = SsifCapabilities(TransactionSupport.START_END, True, 0, 63, 62)
    rig = Rig(capabilities=caps)
    rig.bus.write_block_data(0x10, 0x02, [0x18, 0x57, 0x00])
    rig.ready()
    answer = rig.read()
    assert answer[:3] == H("1C 57 00") and decode_capabilities(answer[3:]) == caps
    rig.bus.write_block_data(0x10, 0x02, [0x18, 0x57, 0x01])  # not SSIF: the handler's business
    rig.ready()
    assert rig.read() == H("1C 57 C1")


def test_handler_answer_longer_than_255_is_a_bug() -> None:
    clock = FakeClock()
    slave = SsifSlave(lambda p: bytes(256), clock)
    bus = SimulatedSMBus(clock=clock)
    bus.root.attach(0x10, slave)
    with pytest.raises(ValueError):
        bus.write_block_data(0x10, 0x02, [0x18, 0x01])


# -- faults ------------------------------------------------------------------------------------

def test_count_zero_fault(rig: Rig) -> None:
    rig.faults.count_zero(1)
    rig.bus.write_block_data(0x10, 0x02, [0x18, 0x01])
    rig.ready()
    assert nak(rig.read) == errno.EPROTO
    assert rig.read()[:2] == H("1C 01")


def test_pec_error_fault_hits_only_reads_with_pec(rig: Rig) -> None:
    rig.faults.pec_error(1)
    rig.bus.pec = True
    rig.bus.write_block_data(0x10, 0x02, [0x18, 0x01])
    rig.ready()
    assert nak(rig.read) == errno.EBADMSG
    assert rig.read()[:2] == H("1C 01")


def test_short_read_and_truncated_faults(rig: Rig) -> None:
    rig.faults.short_read(1).truncated(1)
    rig.bus.write_block_data(0x10, 0x02, [0x18, 0x01])
    rig.ready()
    assert rig.read() == H("1C 01")  # count says 2: no completion code
    rig.bus.write_block_data(0x10, 0x02, [0xB8, 0x01])
    rig.ready()
    rig.read(0x03)
    assert rig.read(0x09)[0] == 0x01  # should have been block 0


def test_dead_after(rig: Rig) -> None:
    rig.faults.dead_after(2)
    rig.bus.write_block_data(0x10, 0x02, [0x18, 0x01])
    rig.ready()
    rig.read()
    assert nak(rig.bus.write_block_data, 0x10, 0x02, [0x18, 0x01]) == errno.ENXIO
    assert len(rig.slave.requests) == 1


# -- fuzz: arbitrary wire event sequences never raise ------------------------------------------

events = st.lists(st.one_of(
    st.tuples(st.just("start"), st.booleans()),
    st.tuples(st.just("write"), st.integers(0, 255)),
    st.tuples(st.just("read"), st.just(0)),
    st.tuples(st.just("stop"), st.just(0)),
    st.tuples(st.just("tick"), st.sampled_from([0.0, 0.0001, 0.001, 0.6])),
), max_size=80)


@settings(max_examples=300)
@given(events, st.sampled_from(["full", "single", "start_end"]), st.text("ctps", max_size=6))
def test_slave_never_raises_on_arbitrary_events(sequence, caps_name, fault_letters) -> None:
    caps = {"full": SsifCapabilities.full(), "single": DEFAULT_CAPABILITIES,
            "start_end": SsifCapabilities(TransactionSupport.START_END, True, 0, 63, 62)}[caps_name]
    faults = Faults()
    for letter in fault_letters:
        faults.arm({"c": "count_zero", "t": "truncated", "p": "pec_error", "s": "short_read"}[letter])
    clock = FakeClock()
    slave = SsifSlave(handler, clock, capabilities=caps, faults=faults)
    for kind, value in sequence:
        if kind == "start":
            assert slave.start(value) in (True, False)
        elif kind == "write":
            assert slave.write_byte(value) in (True, False)
        elif kind == "read":
            assert 0 <= slave.read_byte() <= 255
        elif kind == "stop":
            slave.stop()
        else:
            clock.advance(value)
    slave.stop()
    assert slave.state == State.READY


@settings(max_examples=200)
@given(st.lists(st.tuples(st.sampled_from([0x02, 0x06, 0x07, 0x08]), st.binary(max_size=32)), max_size=6),
       st.booleans())
def test_valid_pec_framing_of_random_block_writes(writes, with_pec) -> None:
    """Random legal block-write sequences through the bus: the slave never raises."""
    rig = Rig()
    rig.bus.pec = with_pec
    for cmd, data in writes:
        try:
            rig.bus.write_block_data(0x10, cmd, list(data))
        except OSError as exc:
            assert exc.errno == errno.ENXIO
    rig.ready()
    try:
        rig.read()
    except OSError as exc:
        assert exc.errno in (errno.ENXIO, errno.EPROTO, errno.EBADMSG)
