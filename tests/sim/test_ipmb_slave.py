"""IpmbResponder and SimIpmbDevice: both-ends-master IPMB on the simulated bus."""

from __future__ import annotations

import errno

import pytest
from smbus2 import i2c_msg

from chassisctl.clock import FakeClock
from chassisctl.ipmi.ipmb import IpmbRequest, IpmbResponse
from chassisctl.sim.bus import SimulatedSMBus
from chassisctl.sim.faults import Faults
from chassisctl.sim.ipmb_slave import IpmbResponder, SimIpmbDevice

H = bytes.fromhex
GET_DEVICE_ID = IpmbRequest(0x20, 0x06, 0, 0x10, 5, 0, 0x01)


def handler(payload: bytes) -> bytes:
    if payload[:2] == H("18 01"):
        return H("1C 01 00 20 81 03 09 02 BF 57 01 00 00 01")
    if payload[:2] == H("18 FE"):
        return b""  # the model stays silent
    return bytes((payload[0] | 4, payload[1], 0xC1))


class Rig:
    def __init__(self, turnaround: float = 0.002, faults: Faults | None = None) -> None:
        self.clock = FakeClock()
        self.bus = SimulatedSMBus(clock=self.clock)
        self.bmc = IpmbResponder(handler, self.clock, turnaround=turnaround, faults=faults)
        self.bus.root.attach(0x10, self.bmc)
        self.dev = SimIpmbDevice(self.bus, my_addr=0x10)

    def send(self, frame: bytes) -> None:
        self.dev.write(bytes((len(frame),)) + frame)


@pytest.fixture
def rig() -> Rig:
    return Rig()


def test_request_and_delivered_response(rig: Rig) -> None:
    rig.send(GET_DEVICE_ID.encode())
    assert rig.bmc.requests == [GET_DEVICE_ID]
    assert rig.dev.read(0) == b""  # not yet: turnaround
    start = rig.clock.monotonic()
    data = rig.dev.read(1.0)
    assert rig.clock.monotonic() - start == pytest.approx(0.002)
    assert data[0] == len(data) - 1
    answer = IpmbResponse.decode(data[1:])
    assert answer.answers(GET_DEVICE_ID) and answer.data == H("20 81 03 09 02 BF 57 01 00 00 01")
    wire = [str(t) for t in rig.bus.transcript]
    assert wire[0] == "S 20 18 C8 10 14 01 " + f"{GET_DEVICE_ID.encode()[-1]:02X}" + " P"
    assert wire[1].startswith("ipmb 20h: S 10 1C D4 20 14 01 00")


def test_read_semantics(rig: Rig) -> None:
    start = rig.clock.monotonic()
    assert rig.dev.read(0) == b""
    assert rig.dev.read(None) == b""  # nothing scheduled: never hangs
    assert rig.clock.monotonic() == start
    assert rig.dev.read(0.25) == b""
    assert rig.clock.monotonic() - start == pytest.approx(0.25)
    rig.send(GET_DEVICE_ID.encode())
    assert rig.dev.read(None)  # waits for the scheduled delivery
    assert rig.dev.pending() == 0


def test_bad_checksums_are_dropped_silently(rig: Rig) -> None:
    frame = bytearray(GET_DEVICE_ID.encode())
    frame[-1] ^= 1
    rig.send(bytes(frame))
    assert rig.bmc.dropped == 1 and rig.bmc.requests == []
    assert rig.dev.read(1.0) == b""


def test_silent_model_and_software_id_requesters(rig: Rig) -> None:
    rig.send(IpmbRequest(0x20, 0x06, 0, 0x10, 1, 0, 0xFE).encode())
    assert rig.dev.read(1.0) == b""
    rig.send(IpmbRequest(0x20, 0x06, 0, 0x81, 1, 0, 0x01).encode())
    assert rig.bmc.dropped == 1


def test_answer_to_an_absent_requester_is_lost(rig: Rig) -> None:
    rig.send(IpmbRequest(0x20, 0x06, 0, 0x40, 1, 0, 0x01).encode())
    assert rig.dev.read(1.0) == b""
    assert "NAK" in str(rig.bus.transcript[-1])


def test_no_reads_on_ipmb(rig: Rig) -> None:
    with pytest.raises(OSError) as info:
        rig.bus.i2c_rdwr(i2c_msg.read(0x10, 4))
    assert info.value.errno == errno.ENXIO


def test_write_validates_the_length_byte(rig: Rig) -> None:
    with pytest.raises(OSError):
        rig.dev.write(b"\x05\x20\x18")
    with pytest.raises(OSError) as info:  # nobody at 0x40 (8-bit): NAK
        rig.send(IpmbRequest(0x40, 0x06, 0, 0x10, 1, 0, 0x01).encode())
    assert info.value.errno == errno.ENXIO


def test_dead_responder() -> None:
    rig = Rig(faults=Faults().dead_after(1))
    rig.send(GET_DEVICE_ID.encode())
    assert rig.dev.read(1.0)
    with pytest.raises(OSError):
        rig.send(GET_DEVICE_ID.encode())


def test_odd_addresses_are_refused() -> None:
    clock = FakeClock()
    with pytest.raises(ValueError):
        IpmbResponder(handler, clock, my_addr=0x81)
    with pytest.raises(ValueError):
        SimIpmbDevice(SimulatedSMBus(clock=clock), my_addr=0x11)


def test_device_is_named_after_its_bus(rig: Rig) -> None:
    assert rig.dev.name == "sim:default" and rig.dev.fileno() is None
