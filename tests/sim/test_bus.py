"""SimulatedSMBus: smbus2 surface -> wire events, errnos, PEC, topology, wire time."""

from __future__ import annotations

import errno

import pytest
from smbus2 import I2cFunc, i2c_msg

from chassisctl.clock import FakeClock
from chassisctl.ipmi.pec import crc8
from chassisctl.sim.bus import DEFAULT_FUNCS, NO_BLOCK_READ_FUNCS, SimulatedSMBus
from chassisctl.sim.faults import Faults
from chassisctl.sim.i2c import Segment
from chassisctl.sim.wire import SMBUS_TIMEOUT, read_bits, write_bits


class Recorder:
    """A slave that records every event and answers reads from a script."""

    def __init__(self, reads: bytes = b"", *, ack: bool = True, nak_byte: int | None = None) -> None:
        self.events: list[object] = []
        self.reads = list(reads)
        self.ack = ack
        self.nak_byte = nak_byte
        self.written: list[int] = []

    def start(self, read: bool) -> bool:
        self.events.append(("S", read))
        return self.ack

    def write_byte(self, value: int) -> bool:
        self.events.append(("W", value))
        self.written.append(value)
        return value != self.nak_byte

    def read_byte(self) -> int:
        self.events.append("R")
        return self.reads.pop(0) if self.reads else 0xFF

    def stop(self) -> None:
        self.events.append("P")


class Registers:
    """An EEPROM-like device: first written byte is the pointer, reads auto-increment."""

    def __init__(self, size: int = 256) -> None:
        self.mem = bytearray(size)
        self.ptr = 0
        self._first = False

    def start(self, read: bool) -> bool:
        self._first = not read
        return True

    def write_byte(self, value: int) -> bool:
        if self._first:
            self.ptr, self._first = value, False
        else:
            self.mem[self.ptr] = value
            self.ptr = (self.ptr + 1) % len(self.mem)
        return True

    def read_byte(self) -> int:
        value = self.mem[self.ptr]
        self.ptr = (self.ptr + 1) % len(self.mem)
        return value

    def stop(self) -> None:
        pass


class Mux:
    """PCA9548-like switch: the control byte's bits connect channels."""

    def __init__(self, channels: int = 8) -> None:
        self.channels = [Segment(f"ch{i}") for i in range(channels)]
        self.control = 0

    def start(self, read: bool) -> bool:
        return True

    def write_byte(self, value: int) -> bool:
        self.control = value
        return True

    def read_byte(self) -> int:
        return self.control

    def stop(self) -> None:
        pass

    def downstream(self) -> list[Segment]:
        return [seg for i, seg in enumerate(self.channels) if self.control >> i & 1]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def bus(clock: FakeClock) -> SimulatedSMBus:
    return SimulatedSMBus("test", clock=clock)


def last(bus: SimulatedSMBus) -> str:
    return str(bus.transcript[-1])


# -- SSIF-shaped transfers, exact bytes (worked by hand, PEC included) ------------------------

def test_block_write_bytes_and_pec(bus: SimulatedSMBus) -> None:
    dev = Recorder()
    bus.root.attach(0x10, dev)
    bus.write_block_data(0x10, 0x02, [0x18, 0x01])
    assert last(bus) == "S 20 02 02 18 01 P"
    bus.pec = True
    bus.write_block_data(0x10, 0x02, [0x18, 0x01])
    assert last(bus) == "S 20 02 02 18 01 [66] P"
    assert dev.events[-7:] == [("S", False), ("W", 0x02), ("W", 0x02), ("W", 0x18), ("W", 0x01), ("W", 0x66), "P"]
    assert bus.transcript[-1].is_write and bus.transcript[-1].command == 0x02


def test_block_read_with_pec(bus: SimulatedSMBus) -> None:
    body = bytes.fromhex("07 14 2D 00 2A C0 00 80")
    bus.root.attach(0x10, Recorder(body + b"\x55"))
    bus.pec = True
    assert bus.read_block_data(0x10, 0x03) == list(body[1:])
    assert last(bus) == "S 20 03 Sr 21 07 14 2D 00 2A C0 00 80 [55] P"
    assert bus.transcript[-1].is_read and bus.transcript[-1].acked


def test_block_read_pec_mismatch_is_ebadmsg(bus: SimulatedSMBus) -> None:
    bus.root.attach(0x10, Recorder(bytes.fromhex("03 1C 01 00 12")))
    bus.pec = True
    with pytest.raises(OSError) as info:
        bus.read_block_data(0x10, 0x03)
    assert info.value.errno == errno.EBADMSG
    assert bus.transcript[-1].error == "EBADMSG"


@pytest.mark.parametrize("count", [0, 33, 0xFF])
def test_block_count_out_of_range_is_eproto(bus: SimulatedSMBus, count: int) -> None:
    bus.root.attach(0x10, Recorder(bytes((count,))))
    with pytest.raises(OSError) as info:
        bus.read_block_data(0x10, 0x03)
    assert info.value.errno == errno.EPROTO


@pytest.mark.parametrize("nak_errno", [errno.ENXIO, errno.EREMOTEIO, errno.EIO])
def test_address_nak_errno_is_configurable(clock: FakeClock, nak_errno: int) -> None:
    bus = SimulatedSMBus(clock=clock, nak_errno=nak_errno)
    with pytest.raises(OSError) as info:
        bus.write_block_data(0x10, 0x02, [0x18, 0x01])
    assert info.value.errno == nak_errno
    assert str(bus.transcript[-1]).startswith("S 20 NAK P")


def test_nak_errno_must_be_a_nak(clock: FakeClock) -> None:
    with pytest.raises(ValueError):
        SimulatedSMBus(clock=clock, nak_errno=errno.EPERM)


def test_data_byte_nak(bus: SimulatedSMBus) -> None:
    bus.root.attach(0x10, Recorder(nak_byte=0x18))
    with pytest.raises(OSError) as info:
        bus.write_block_data(0x10, 0x02, [0x18, 0x01])
    assert info.value.errno == errno.ENXIO
    assert str(bus.transcript[-1]) == "S 20 02 02 18 NAK P (ENXIO)"


def test_slave_sees_stop_after_a_nak(bus: SimulatedSMBus) -> None:
    dev = Recorder(ack=False)
    bus.root.attach(0x10, dev)
    with pytest.raises(OSError):
        bus.read_byte(0x10)
    assert dev.events == [("S", True), "P"]


# -- every smbus2 method ------------------------------------------------------------------------

def test_byte_word_and_i2c_block_methods(bus: SimulatedSMBus) -> None:
    regs = Registers()
    bus.root.attach(0x50, regs)
    bus.write_byte_data(0x50, 0x10, 0xAB)
    assert last(bus) == "S A0 10 AB P"
    assert bus.read_byte_data(0x50, 0x10) == 0xAB
    assert last(bus) == "S A0 10 Sr A1 AB P"
    bus.write_word_data(0x50, 0x20, 0x1234)
    assert regs.mem[0x20:0x22] == b"\x34\x12"
    assert bus.read_word_data(0x50, 0x20) == 0x1234
    bus.write_i2c_block_data(0x50, 0x30, [1, 2, 3])
    assert bus.read_i2c_block_data(0x50, 0x30, 3) == [1, 2, 3]
    assert last(bus) == "S A0 30 Sr A1 01 02 03 P"
    bus.write_byte(0x50, 0x30)
    assert bus.read_byte(0x50) == 1
    assert last(bus) == "S A1 01 P"
    bus.write_quick(0x50)
    assert last(bus) == "S A0 P"
    assert bus.process_call(0x50, 0x40, 0x5678) == 0  # pointer moved past the written word
    assert regs.mem[0x40:0x42] == b"\x78\x56"


def test_block_process_call(bus: SimulatedSMBus) -> None:
    dev = Recorder(bytes.fromhex("02 AA BB"))
    bus.root.attach(0x10, dev)
    assert bus.block_process_call(0x10, 0x05, [1, 2]) == [0xAA, 0xBB]
    assert last(bus) == "S 20 05 02 01 02 Sr 21 02 AA BB P"


def test_pec_on_byte_transfers(bus: SimulatedSMBus) -> None:
    regs = Registers()
    regs.mem[0x10] = 0x42
    bus.root.attach(0x50, regs)
    bus.pec = True
    with pytest.raises(OSError) as info:  # an EEPROM sends no PEC: the master reads garbage
        bus.read_byte_data(0x50, 0x10)
    assert info.value.errno == errno.EBADMSG
    bus.write_byte_data(0x50, 0x20, 0x01)
    assert last(bus) == f"S A0 20 01 [{crc8(bytes.fromhex('A0 20 01')):02X}] P"


def test_length_limits_are_value_errors_like_smbus2(bus: SimulatedSMBus) -> None:
    with pytest.raises(ValueError):
        bus.write_block_data(0x10, 0x02, bytes(33))
    with pytest.raises(ValueError):
        bus.read_i2c_block_data(0x10, 0x00, 33)
    with pytest.raises(ValueError):
        bus.write_i2c_block_data(0x10, 0x00, bytes(33))
    assert not bus.transcript


# -- adapter features -------------------------------------------------------------------------

def test_adapter_without_block_read(clock: FakeClock) -> None:
    bus = SimulatedSMBus(clock=clock, funcs=NO_BLOCK_READ_FUNCS)
    bus.root.attach(0x10, Recorder(bytes.fromhex("03 1C 01 00")))
    assert not bus.funcs & I2cFunc.SMBUS_READ_BLOCK_DATA
    with pytest.raises(OSError) as info:
        bus.read_block_data(0x10, 0x03)
    assert info.value.errno == errno.EOPNOTSUPP
    bus.write_block_data(0x10, 0x02, [0x18, 0x01])  # block *write* is emulated


def test_pec_needs_adapter_support(clock: FakeClock) -> None:
    bus = SimulatedSMBus(clock=clock, funcs=DEFAULT_FUNCS & ~I2cFunc.SMBUS_PEC)
    with pytest.raises(IOError, match="SMBUS_PEC is not a feature"):
        bus.pec = True
    bus.pec = False
    assert bus.pec == 0


def test_i2c_rdwr_fills_real_i2c_msg_buffers(bus: SimulatedSMBus) -> None:
    bus.root.attach(0x10, Recorder(bytes.fromhex("03 1C 01 00")))
    write, read = i2c_msg.write(0x10, [0x03]), i2c_msg.read(0x10, 6)
    bus.i2c_rdwr(write, read)
    assert list(read) == [0x03, 0x1C, 0x01, 0x00, 0xFF, 0xFF]
    assert bytes(read)[:4] == bytes.fromhex("03 1C 01 00")
    assert last(bus) == "S 20 03 Sr 21 03 1C 01 00 FF FF P"


def test_i2c_rdwr_write_only_and_errors(clock: FakeClock) -> None:
    bus = SimulatedSMBus(clock=clock)
    dev = Recorder()
    bus.root.attach(0x10, dev)
    bus.i2c_rdwr(i2c_msg.write(0x10, [0x18, 0xC8]))
    assert dev.written == [0x18, 0xC8] and last(bus) == "S 20 18 C8 P"
    ten_bit = i2c_msg.write(0x10, [0])
    ten_bit.flags = 0x0010
    with pytest.raises(OSError) as info:
        bus.i2c_rdwr(ten_bit)
    assert info.value.errno == errno.EOPNOTSUPP
    smbus_only = SimulatedSMBus(clock=clock, funcs=I2cFunc.SMBUS_EMUL)
    with pytest.raises(OSError):
        smbus_only.i2c_rdwr(i2c_msg.write(0x10, [0]))


# -- topology ---------------------------------------------------------------------------------

def test_devices_behind_a_mux_are_reachable_only_when_selected(bus: SimulatedSMBus) -> None:
    mux = Mux()
    bus.root.attach(0x70, mux)
    behind = Registers()
    behind.mem[0] = 0x5A
    mux.channels[3].attach(0x50, behind)
    with pytest.raises(OSError):
        bus.read_byte_data(0x50, 0x00)
    bus.write_byte(0x70, 1 << 3)
    assert bus.read_byte_data(0x50, 0x00) == 0x5A
    nested = Mux()
    mux.channels[3].attach(0x71, nested)
    deep = Recorder(b"\x11")
    nested.channels[0].attach(0x48, deep)
    bus.write_byte(0x71, 1)
    assert bus.read_byte(0x48) == 0x11
    assert len(bus.segments()) == 3


def test_two_devices_at_one_address_are_wired_and(bus: SimulatedSMBus) -> None:
    mux = Mux()
    bus.root.attach(0x70, mux)
    bus.root.attach(0x50, Recorder(b"\xF0"))
    mux.channels[0].attach(0x50, Recorder(b"\x3C"))
    bus.write_byte(0x70, 1)
    assert bus.read_byte(0x50) == 0xF0 & 0x3C


# -- time, faults, housekeeping ------------------------------------------------------------------

def test_wire_time_matches_the_note(clock: FakeClock) -> None:
    bus = SimulatedSMBus(clock=clock)
    body = bytes.fromhex("07 14 2D 00 2A C0 00 80")
    bus.root.attach(0x10, Recorder(body + b"\x55"))
    bus.write_block_data(0x10, 0x02, [0x10, 0x2D, 0x30])
    bus.read_block_data(0x10, 0x03)
    assert [t.bits for t in bus.transcript] == [write_bits(6), read_bits(11)] == [56, 102]
    assert bus.wire_seconds == pytest.approx(158 / 100_000)
    bus.pec = True
    bus.root.attach(0x10, Recorder(body + b"\x55"))
    bus.write_block_data(0x10, 0x02, [0x10, 0x2D, 0x30])
    bus.read_block_data(0x10, 0x03)
    assert sum(t.bits for t in list(bus.transcript)[2:]) == 176
    assert clock.monotonic() == 1000.0  # not paced: time does not move


def test_pace_sleeps_on_the_clock(clock: FakeClock) -> None:
    bus = SimulatedSMBus(clock=clock, pace=True, clock_hz=400_000)
    bus.root.attach(0x10, Recorder())
    bus.write_block_data(0x10, 0x02, [0x10, 0x2D, 0x30])
    assert clock.monotonic() - 1000.0 == pytest.approx(56 / 400_000)


def test_pacing_makes_up_for_late_wake_ups(clock: FakeClock) -> None:
    """A wait that wakes late is taken off the next one: N transfers cost their wire
    time plus one overshoot, not N overshoots."""
    late = 0.0001

    class Oversleeping(FakeClock):
        def sleep(self, seconds: float) -> None:
            super().sleep(seconds + late)

    slow = Oversleeping()
    bus = SimulatedSMBus(clock=slow, pace=True, clock_hz=100_000)
    bus.root.attach(0x10, Recorder())
    start = slow.monotonic()
    for _ in range(10):
        bus.write_block_data(0x10, 0x02, [0x10, 0x2D, 0x30])
    assert slow.monotonic() - start == pytest.approx(bus.wire_seconds + late)
    assert bus.wire_seconds == pytest.approx(10 * 56 / 100_000)


def test_stuck_and_timeout_faults(clock: FakeClock) -> None:
    faults = Faults().timeout(1)
    bus = SimulatedSMBus(clock=clock, faults=faults)
    dev = Recorder()
    bus.root.attach(0x10, dev)
    with pytest.raises(OSError) as info:
        bus.write_block_data(0x10, 0x02, [0x18, 0x01])
    assert info.value.errno == errno.ETIMEDOUT
    assert clock.monotonic() - 1000.0 >= SMBUS_TIMEOUT
    bus.write_block_data(0x10, 0x02, [0x18, 0x01])
    faults.stuck()
    with pytest.raises(OSError) as info:
        bus.read_byte(0x10)
    assert info.value.errno == errno.EBUSY
    assert "bus not available" in last(bus)


def test_injected_naks_hit_writes_and_reads_separately(clock: FakeClock) -> None:
    faults = Faults().nak_writes(1).nak_reads(2)
    bus = SimulatedSMBus(clock=clock, faults=faults)
    dev = Recorder(b"\x01\x02\x03")
    bus.root.attach(0x10, dev)
    with pytest.raises(OSError):
        bus.write_byte(0x10, 1)
    bus.write_byte(0x10, 1)
    for _ in range(2):
        with pytest.raises(OSError):
            bus.read_byte(0x10)
    assert bus.read_byte(0x10) == 1
    assert dev.events.count(("S", True)) == 1  # the slave never saw the injected NAKs


def test_close_and_context_manager(clock: FakeClock) -> None:
    with SimulatedSMBus(clock=clock) as bus:
        bus.root.attach(0x10, Recorder())
        bus.write_quick(0x10)
        assert bus.fd is None and bus.path == "sim:default"
    with pytest.raises(OSError) as info:
        bus.write_quick(0x10)
    assert info.value.errno == errno.EBADF
    bus.open(0)
    bus.write_quick(0x10)


def test_tracer_gets_one_line_per_transaction(clock: FakeClock) -> None:
    lines: list[str] = []
    bus = SimulatedSMBus("t", clock=clock, tracer=lines.append)
    bus.root.attach(0x10, Recorder())
    bus.write_block_data(0x10, 0x02, [0x18, 0x01])
    assert lines == ["i2c sim:t S 20 02 02 18 01 P"]


class Talker(Recorder):
    """A device that wants to master a frame at a given time."""

    def __init__(self, when: float) -> None:
        super().__init__()
        self.when: float | None = when

    def due_frames(self, now: float) -> list[tuple[int, bytes, str]]:
        if self.when is not None and self.when <= now:
            self.when = None
            return [(0x08, b"\x01\x02", "bmc")]
        return []

    def next_due(self) -> float | None:
        return self.when


def test_other_masters_deliver_when_serviced(bus: SimulatedSMBus, clock: FakeClock) -> None:
    talker, host = Talker(clock.monotonic() + 0.01), Recorder()
    bus.root.attach(0x20, talker)
    bus.root.attach(0x08, host)
    assert bus.next_due() == pytest.approx(clock.monotonic() + 0.01)
    bus.service()
    assert host.written == []
    clock.advance(0.01)
    bus.service()
    assert host.written == [1, 2]
    assert last(bus) == "bmc: S 10 01 02 P"
    assert bus.next_due() is None
    assert not bus.master_write(0x30, b"\x00", master="bmc")


def test_pacing_counts_from_the_start_of_the_transfer(clock: FakeClock) -> None:
    """The simulator's work on the bytes (here: the fake clock moves while a device
    takes them) happens while they are on the wire, not on top of their wire time."""

    class Slow(Recorder):
        def write_byte(self, value: int) -> bool:
            clock.advance(0.00005)
            return super().write_byte(value)

    bus = SimulatedSMBus(clock=clock, pace=True, clock_hz=100_000)
    bus.root.attach(0x10, Slow())
    bus.write_block_data(0x10, 0x02, [0x10, 0x2D, 0x30])  # 5 bytes after the address: 0.25 ms of work
    assert clock.monotonic() - 1000.0 == pytest.approx(56 / 100_000)


def test_work_longer_than_the_wire_adds_no_wait(clock: FakeClock) -> None:
    class Slower(Recorder):
        def write_byte(self, value: int) -> bool:
            clock.advance(0.001)
            return super().write_byte(value)

    bus = SimulatedSMBus(clock=clock, pace=True, clock_hz=100_000)
    bus.root.attach(0x10, Slower())
    bus.write_block_data(0x10, 0x02, [0x10, 0x2D, 0x30])
    assert clock.monotonic() - 1000.0 == pytest.approx(0.005)


class Ready(Recorder):
    """A slave with a response due at a clock time (what ``SsifSlave.ready_at`` reports)."""

    def __init__(self, when: float | None) -> None:
        super().__init__()
        self.when = when

    def ready_at(self) -> float | None:
        return self.when


def test_wait_ready_waits_for_the_device_exactly(clock: FakeClock) -> None:
    bus = SimulatedSMBus(clock=clock, pace=True)
    bus.root.attach(0x10, Ready(1000.0004))
    assert bus.wait_ready(0x10, 1001.0)
    assert clock.monotonic() == pytest.approx(1000.0004)
    assert bus.wait_ready(0x10, 1001.0)  # already due: no wait
    assert clock.monotonic() == pytest.approx(1000.0004)


def test_wait_ready_declines_unless_paced_and_something_is_coming(clock: FakeClock) -> None:
    unpaced = SimulatedSMBus(clock=clock)
    unpaced.root.attach(0x10, Ready(1000.5))
    assert not unpaced.wait_ready(0x10, 1001.0)
    paced = SimulatedSMBus(clock=clock, pace=True)
    paced.root.attach(0x10, Ready(None))
    paced.root.attach(0x11, Recorder())
    assert not any(paced.wait_ready(addr, 1001.0) for addr in (0x10, 0x11, 0x12))
    late = SimulatedSMBus(clock=clock, pace=True)
    late.root.attach(0x10, Ready(1002.0))
    assert not late.wait_ready(0x10, 1001.0)  # due after the caller's deadline: it polls and times out
    assert clock.monotonic() == 1000.0


class Preparing(Recorder):
    """A slave that wants ``pieces`` calls of idle time, each taking ``work`` seconds of the clock."""

    def __init__(self, clock: FakeClock, pieces: int, work: float = 0.0) -> None:
        super().__init__()
        self.clock, self.pieces, self.work = clock, pieces, work
        self.calls: list[float] = []

    def idle(self, until: float) -> bool:
        self.calls.append(until)
        if self.pieces:
            self.pieces -= 1
            self.clock.advance(self.work)
        return self.pieces > 0


def test_paced_waits_give_devices_idle_time_until_they_are_done(clock: FakeClock) -> None:
    bus = SimulatedSMBus(clock=clock, pace=True, clock_hz=100_000)
    dev = Preparing(clock, pieces=2, work=0.0001)
    bus.root.attach(0x10, dev)
    for _ in range(4):
        bus.write_block_data(0x10, 0x02, [0x10, 0x2D, 0x30])
    assert len(dev.calls) == 2  # asked until it had nothing left
    assert dev.calls[0] == pytest.approx(1000.0 + 56 / 100_000)  # the transfer's end
    assert clock.monotonic() - 1000.0 == pytest.approx(4 * 56 / 100_000)  # its work hid in the wire time
    unpaced = SimulatedSMBus(clock=clock)
    other = Preparing(clock, pieces=1)
    unpaced.root.attach(0x10, other)
    unpaced.write_block_data(0x10, 0x02, [0x10, 0x2D, 0x30])
    assert other.calls == []


def test_idle_work_past_the_wire_time_is_not_credited(clock: FakeClock) -> None:
    bus = SimulatedSMBus(clock=clock, pace=True, clock_hz=100_000)
    bus.root.attach(0x10, Preparing(clock, pieces=1, work=0.002))
    bus.write_block_data(0x10, 0x02, [0x10, 0x2D, 0x30])
    assert clock.monotonic() - 1000.0 == pytest.approx(0.002)
    bus.write_block_data(0x10, 0x02, [0x10, 0x2D, 0x30])  # the next transfer still takes its wire time
    assert clock.monotonic() - 1000.0 == pytest.approx(0.002 + 56 / 100_000)
