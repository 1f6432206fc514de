"""One conformance suite, every I2C backend: the same fake BMC must give the same Responses.

Backends: SSIF over the simulated SMBus with PEC off/on/auto, SSIF through the
``i2c_rdwr`` read path (an adapter without SMBus block read) with and without
PEC, and IPMB through the simulated ``/dev/ipmb-N`` (sending through the
device or as a plain I2C write).  The expected Response is computed from the
fake BMC's own answer, so any framing difference between backends shows up.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chassisctl.clock import FakeClock
from chassisctl.ipmi.message import Request, Response
from chassisctl.ipmi.ssif import SsifCapabilities, decode_request, decode_response, encode_request, encode_response
from chassisctl.sim.bus import DEFAULT_FUNCS, NO_BLOCK_READ_FUNCS, SimulatedSMBus
from chassisctl.sim.ipmb_slave import IpmbResponder, SimIpmbDevice
from chassisctl.sim.ssif_slave import SsifSlave
from chassisctl.transport.base import Transport
from chassisctl.transport.ipmb import IpmbTransport
from chassisctl.transport.ssif import SsifTransport

H = bytes.fromhex
CAPS = SsifCapabilities.full()


def fake_bmc(payload: bytes) -> bytes:
    """A dict-based BMC: request payload -> response payload."""
    request = decode_request(payload)
    table: dict[tuple[int, int, bytes], tuple[int, bytes]] = {
        (0x06, 0x01, b""): (0x00, H("20 81 03 09 02 BF 57 01 00 00 01 00 00 00 00")),
        (0x06, 0x57, b"\x00"): (0x00, CAPS.encode()),
        (0x04, 0x2D, b"\x30"): (0x00, H("2A C0 00 80")),
        (0x04, 0x2D, b"\x31"): (0xCB, b""),
        (0x00, 0x01, b""): (0x00, H("01 00 40 00")),
        (0x00, 0x02, b"\x01"): (0x00, b""),
        (0x0A, 0x23, H("00 00 00 00 00 FF")): (0x00, bytes(range(2, 2 + 80))),   # > 32: multi-part read
        (0x0A, 0x23, H("00 00 00 00 00 1C")): (0x00, bytes(range(29))),           # exactly 32 bytes
        (0x0A, 0x23, H("00 00 00 00 00 1D")): (0x00, bytes(range(30))),           # 33: smallest multi-part
    }
    cc, data = table.get((request.netfn, request.cmd, request.data), (0xC1, b""))
    return encode_response(request.reply(cc, data))


REQUESTS = [
    pytest.param(Request(0x06, 0x01), id="get-device-id"),
    pytest.param(Request(0x06, 0x57, b"\x00"), id="get-sys-intf-caps"),
    pytest.param(Request(0x04, 0x2D, b"\x30"), id="sensor-reading"),
    pytest.param(Request(0x04, 0x2D, b"\x31"), id="sensor-not-present"),
    pytest.param(Request(0x00, 0x01), id="chassis-status"),
    pytest.param(Request(0x00, 0x02, b"\x01"), id="chassis-control-on"),
    pytest.param(Request(0x0A, 0x23, H("00 00 00 00 00 FF")), id="long-multipart-read"),
    pytest.param(Request(0x0A, 0x23, H("00 00 00 00 00 1C")), id="32-byte-read"),
    pytest.param(Request(0x0A, 0x23, H("00 00 00 00 00 1D")), id="33-byte-read"),
    pytest.param(Request(0x06, 0x99), id="invalid-command"),
]


def expected(request: Request) -> Response:
    return decode_response(fake_bmc(encode_request(request)), request)


class Backend:
    """A transport plus what the test needs to look behind it."""

    def __init__(self, transport: Transport, clock: FakeClock, bus: SimulatedSMBus,
                 executed: Callable[[], list[bytes]]) -> None:
        self.transport, self.clock, self.bus, self.executed = transport, clock, bus, executed


def ssif(pec: str, funcs: int = DEFAULT_FUNCS) -> Callable[[], Backend]:
    def make() -> Backend:
        clock = FakeClock()
        bus = SimulatedSMBus(clock=clock, funcs=funcs)
        slave = SsifSlave(fake_bmc, clock, capabilities=CAPS, answer_capabilities=False)
        bus.root.attach(0x10, slave)
        return Backend(SsifTransport(bus, 0x10, pec=pec, clock=clock), clock, bus, lambda: slave.requests)
    return make


def ipmb(via_bus: bool) -> Callable[[], Backend]:
    def make() -> Backend:
        clock = FakeClock()
        bus = SimulatedSMBus(clock=clock)
        responder = IpmbResponder(fake_bmc, clock)
        bus.root.attach(0x10, responder)
        device = SimIpmbDevice(bus, my_addr=0x10)
        transport = IpmbTransport(device, bus=bus if via_bus else None, clock=clock)
        return Backend(transport, clock, bus,
                       lambda: [encode_request(f.to_request()) for f in responder.requests])
    return make


BACKENDS = {
    "ssif-pec-off": ssif("off"),
    "ssif-pec-on": ssif("on"),
    "ssif-pec-auto": ssif("auto"),
    "ssif-rdwr": ssif("off", NO_BLOCK_READ_FUNCS),
    "ssif-rdwr-pec": ssif("on", NO_BLOCK_READ_FUNCS),
    "ipmb-dev": ipmb(False),
    "ipmb-bus": ipmb(True),
}


@pytest.fixture(params=list(BACKENDS))
def backend(request: pytest.FixtureRequest) -> Backend:
    return BACKENDS[request.param]()


@pytest.mark.parametrize("request_", REQUESTS)
def test_same_response_on_every_backend(backend: Backend, request_: Request) -> None:
    response = backend.transport.transact(request_)
    assert response == expected(request_)
    assert response.answers(request_)


def test_each_request_executes_exactly_once(backend: Backend) -> None:
    sent = [param.values[0] for param in REQUESTS]
    for request_ in sent:
        backend.transport.transact(request_)
    executed = backend.executed()
    if backend.transport.kind == "ssif":
        assert executed[0] == H("18 57 00")  # the transport's own capabilities query
        executed = executed[1:]
    assert executed == [encode_request(r) for r in sent]


def test_a_sequence_of_requests_uses_no_real_time_and_little_wire(backend: Backend) -> None:
    for _ in range(40):
        backend.transport.transact(Request(0x04, 0x2D, b"\x30"))
    assert backend.transport.stats.by_command["Get Sensor Reading"] == 40
    # 40 sensors at 100 kHz: a few tens of ms of wire (9 SCL clocks a byte), never seconds
    assert 0.05 < backend.bus.wire_seconds < 0.3
    assert backend.clock.monotonic() - 1000.0 < 0.5


def test_stats_count_requests(backend: Backend) -> None:
    backend.transport.transact(Request(0x06, 0x01))
    stats = backend.transport.stats
    assert stats.by_command["Get Device ID"] == 1
    assert stats.bus_transactions >= 1 and stats.retries == 0
