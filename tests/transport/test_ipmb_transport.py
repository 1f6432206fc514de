"""IpmbTransport: sequence numbers, matching, tries, the never-twice rule, bridging."""

from __future__ import annotations

import os
import socket

import pytest

from chassisctl.clock import FakeClock
from chassisctl.errors import OutcomeUnknown, TimeoutFailure, UnreachableError, UsageError
from chassisctl.ipmi.ipmb import IpmbRequest, decode_send_message_request, encode_get_message_data
from chassisctl.ipmi.message import Request, Response
from chassisctl.ipmi.ssif import decode_request, encode_response
from chassisctl.sim.bus import SimulatedSMBus
from chassisctl.sim.faults import Faults
from chassisctl.sim.ipmb_slave import IpmbResponder, SimIpmbDevice
from chassisctl.transport.ipmb import IpmbDevFile, IpmbTransport

H = bytes.fromhex
GET_DEVICE_ID = Request(0x06, 0x01)
CHASSIS_ON = Request(0x00, 0x02, b"\x01")
DEVICE_ID = H("20 81 03 09 02 BF 57 01 00 00 01")


class FakeBmc:
    def __init__(self, bridge: str = "nested", ignore_first: int = 0) -> None:
        self.bridge = bridge
        self.ignore = ignore_first
        self.executed: list[Request] = []
        self.messages: list[bytes] = []

    def __call__(self, payload: bytes) -> bytes:
        request = decode_request(payload)
        self.executed.append(request)
        if self.ignore:
            self.ignore -= 1
            return b""
        cc, data = 0x00, b""
        if (request.netfn, request.cmd) == (0x06, 0x01):
            data = DEVICE_ID
        elif (request.netfn, request.cmd) == (0x00, 0x02):
            pass
        elif (request.netfn, request.cmd) == (0x06, 0x34):
            channel, _, inner = decode_send_message_request(request)
            answer = inner.reply(0x00, H("64 C0 00"))
            if self.bridge == "nested":
                data = answer.encode()
            else:
                self.messages.append(encode_get_message_data(channel, answer))
        elif (request.netfn, request.cmd) == (0x06, 0x33):
            cc, data = (0x00, self.messages.pop(0)) if self.messages else (0x80, b"")
        else:
            cc = 0xC1
        return encode_response(request.reply(cc, data))


class Rig:
    def __init__(self, *, via_bus: bool = False, attach: bool = True, turnaround: float = 0.002,
                 faults: Faults | None = None, **bmc: object) -> None:
        self.clock = FakeClock()
        self.bus = SimulatedSMBus("ipmb", clock=self.clock)
        self.bmc = FakeBmc(**bmc)  # type: ignore[arg-type]
        self.responder = IpmbResponder(self.bmc, self.clock, turnaround=turnaround, faults=faults)
        if attach:
            self.bus.root.attach(0x10, self.responder)
        self.device = SimIpmbDevice(self.bus, my_addr=0x10)
        self.lines: list[str] = []
        self.transport = IpmbTransport(self.device, bus=self.bus if via_bus else None, clock=self.clock,
                                       tracer=self.lines.append, describe="sim:ipmb")


@pytest.mark.parametrize("via_bus", [False, True])
def test_round_trip(via_bus: bool) -> None:
    rig = Rig(via_bus=via_bus)
    assert rig.transport.transact(GET_DEVICE_ID) == Response(0x07, 0x01, 0x00, DEVICE_ID)
    frame = rig.responder.requests[0]
    assert (frame.rs_sa, frame.rq_sa, frame.netfn, frame.cmd) == (0x20, 0x10, 0x06, 0x01)
    assert str(rig.bus.transcript[0]) == "S 20 18 C8 10 04 01 EB P"


def test_fresh_sequence_numbers() -> None:
    rig = Rig()
    for _ in range(3):
        rig.transport.transact(GET_DEVICE_ID)
    seqs = [f.rq_seq for f in rig.responder.requests]
    assert len(set(seqs)) == 3


def test_sequence_numbers_wrap_and_skip_recent_ones() -> None:
    rig = Rig()
    transport = rig.transport
    transport._seq = 62
    transport._recent = {63: rig.clock.monotonic() + 10, 0: rig.clock.monotonic() + 10}
    assert transport._next_seq() == 1
    rig.clock.advance(11)
    transport._seq = 62
    assert transport._next_seq() == 63


def test_idempotent_request_gets_three_tries() -> None:
    rig = Rig(ignore_first=2)
    assert rig.transport.transact(GET_DEVICE_ID).ok
    assert len(rig.responder.requests) == 3
    assert len({f.rq_seq for f in rig.responder.requests}) == 1  # same request, same seq
    assert rig.clock.monotonic() - 1000.0 == pytest.approx(0.5 + 0.002, abs=1e-3)


def test_idempotent_request_times_out_after_three_tries() -> None:
    rig = Rig(ignore_first=3)
    with pytest.raises(TimeoutFailure) as info:
        rig.transport.transact(GET_DEVICE_ID)
    assert not isinstance(info.value, OutcomeUnknown)
    assert "after 3 tries" in str(info.value)


def test_non_idempotent_request_is_tried_once() -> None:
    rig = Rig(ignore_first=1)
    with pytest.raises(OutcomeUnknown) as info:
        rig.transport.transact(CHASSIS_ON)
    assert "chassisctl power status" in str(info.value)
    assert len(rig.responder.requests) == 1
    assert rig.clock.monotonic() - 1000.0 == pytest.approx(0.25)


def test_absent_bmc_is_unreachable() -> None:
    rig = Rig(attach=False)
    with pytest.raises(UnreachableError, match="did not acknowledge"):
        rig.transport.transact(CHASSIS_ON)
    assert len(rig.bus.transcript) == 6


def test_write_nak_is_retried_for_non_idempotent_requests_too() -> None:
    rig = Rig()
    rig.bus.faults.nak_writes(2)
    assert rig.transport.transact(CHASSIS_ON).ok
    assert len(rig.responder.requests) == 1


class ScriptedDevice:
    """A device whose reads return queued frames first (stale, bad, duplicate...)."""

    def __init__(self, inner: SimIpmbDevice, injected: list[bytes]) -> None:
        self.inner = inner
        self.injected = list(injected)
        self.name = "scripted"

    def write(self, data: bytes) -> int:
        return self.inner.write(data)

    def read(self, timeout: float | None = None) -> bytes:
        if self.injected:
            return self.injected.pop(0)
        return self.inner.read(timeout)


def framed(frame: bytes) -> bytes:
    return bytes((len(frame),)) + frame


def test_unmatched_bad_and_duplicate_frames_are_dropped() -> None:
    rig = Rig()
    seq = rig.transport._seq + 1  # what the next request will use
    request = IpmbRequest(0x20, 0x06, 0, 0x10, seq, 0, 0x01)
    good = request.reply(0x00, DEVICE_ID).encode()
    bad = bytearray(good)
    bad[-1] ^= 0xFF
    injected = [
        framed(IpmbRequest(0x20, 0x06, 0, 0x10, (seq + 1) % 64, 0, 0x01).reply(0, b"\x01").encode()),  # stale
        framed(bytes(bad)),                                                                          # checksum
        b"\x09\x10",                                                                                 # length
        framed(IpmbRequest(0x20, 0x06, 0, 0x10, seq, 0, 0x02).reply(0, b"").encode()),              # other cmd
    ]
    rig.transport.device = ScriptedDevice(rig.device, injected)
    assert rig.transport.transact(GET_DEVICE_ID) == Response(0x07, 0x01, 0x00, DEVICE_ID)
    assert sum("drop" in line for line in rig.lines) == 4
    # a duplicate of that answer arriving later is not taken for the next request
    rig.transport.device = ScriptedDevice(rig.device, [framed(good)])
    assert rig.transport.transact(GET_DEVICE_ID).ok
    assert any("drop unmatched" in line for line in rig.lines[-4:])


@pytest.mark.parametrize("shape", ["nested", "get_message"])
def test_bridged(shape: str) -> None:
    rig = Rig(bridge=shape)
    response = rig.transport.bridged(Request(0x04, 0x2D, b"\x05"), channel=7, target_addr=0x72)
    assert response == Response(0x05, 0x2D, 0x00, H("64 C0 00"))
    send = rig.responder.requests[0]
    assert send.cmd == 0x34 and send.data[:4] == H("47 72 10 7E")


def test_surface_and_validation() -> None:
    rig = Rig()
    assert rig.transport.describe() == "sim:ipmb IPMB 10h -> BMC 20h"
    assert rig.transport.simulated and rig.transport.fileno() is None
    with pytest.raises(UsageError):
        IpmbTransport(rig.device, my_addr=0x11, clock=rig.clock)
    with pytest.raises(UsageError):
        rig.transport.transact(GET_DEVICE_ID, node=3)
    rig.transport.close()


def test_real_device_file_wrapper() -> None:
    here, there = socket.socketpair()
    try:
        device = IpmbDevFile(here.fileno())
        assert device.read(0) == b""
        there.send(b"\x03\x10\x1c\xd4")
        assert device.read(0.5) == b"\x03\x10\x1c\xd4"
        assert device.write(b"\x01\x20") == 2
        assert there.recv(16) == b"\x01\x20"
        assert device.fileno() == here.fileno()
    finally:
        here.close()
        there.close()


def test_missing_device_file(tmp_path: os.PathLike[str]) -> None:
    with pytest.raises(UnreachableError, match="no such IPMB device"):
        IpmbTransport(os.path.join(tmp_path, "ipmb-9"), clock=FakeClock())
