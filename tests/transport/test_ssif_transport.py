"""SsifTransport against the simulated bus: exact bytes, retry policy, faults, errnos.

Everything runs on a FakeClock, so a 5 s deadline costs no real time.
"""

from __future__ import annotations

import errno

import pytest
from smbus2 import I2cFunc

from chassisctl.clock import FakeClock
from chassisctl.errors import (BusIOError, ExitCode, OutcomeUnknown, PermissionDenied, ProtocolError, TimeoutFailure,
                               UnreachableError, UsageError)
from chassisctl.ipmi.ipmb import decode_send_message_request, encode_get_message_data
from chassisctl.ipmi.message import Request, Response
from chassisctl.ipmi.ssif import (DEFAULT_CAPABILITIES, RequestTooLong, SsifCapabilities, TransactionSupport,
                                  decode_request, encode_response)
from chassisctl.sim.bus import DEFAULT_FUNCS, NO_BLOCK_READ_FUNCS, SimulatedSMBus
from chassisctl.sim.faults import Faults
from chassisctl.sim.ssif_slave import SsifSlave
from chassisctl.transport.ssif import SsifTransport

H = bytes.fromhex
GET_DEVICE_ID = Request(0x06, 0x01)
CHASSIS_ON = Request(0x00, 0x02, b"\x01")
SENSOR_30 = Request(0x04, 0x2D, b"\x30")
LONG_READ = Request(0x0A, 0x23, H("00 00 00 00 00 FF"))  # Get SDR: idempotent, long answer
DEVICE_ID = H("20 81 03 09 02 BF 57 01 00 00 01")
LONG = bytes(range(100))


class FakeBmc:
    """Request payload -> response payload, remembering what it executed."""

    def __init__(self, bridge: str = "nested") -> None:
        self.bridge = bridge
        self.executed: list[Request] = []
        self.messages: list[bytes] = []

    def __call__(self, payload: bytes) -> bytes:
        request = decode_request(payload)
        self.executed.append(request)
        cc, data = 0x00, b""
        key = (request.netfn, request.cmd)
        if key == (0x06, 0x01):
            data = DEVICE_ID
        elif key == (0x04, 0x2D):
            cc, data = (0x00, H("2A C0 00 80")) if request.data == b"\x30" else (0xCB, b"")
        elif key == (0x00, 0x02):
            pass
        elif key == (0x0A, 0x23):
            data = LONG
        elif key == (0x2E, 0x02):
            data = request.data
        elif key == (0x06, 0x57):
            data = SsifCapabilities.full().encode()
        elif key == (0x06, 0x34):
            channel, _, inner = decode_send_message_request(request)
            answer = inner.reply(0x00, H("64 C0 00"))
            if self.bridge == "nested":
                data = answer.encode()
            else:
                self.messages.append(encode_get_message_data(channel, answer))
        elif key == (0x06, 0x33):
            if self.messages:
                data = self.messages.pop(0)
            else:
                cc = 0x80
        else:
            cc = 0xC1
        return encode_response(request.reply(cc, data))

    def count(self, request: Request) -> int:
        return sum(1 for r in self.executed if r == request)


class Rig:
    def __init__(self, *, pec: str = "off", faults: Faults | None = None, funcs: int = DEFAULT_FUNCS,
                 capabilities: SsifCapabilities | None = None, turnaround: float = 0.0005,
                 answer_capabilities: bool = True, bridge: str = "nested", attach: bool = True) -> None:
        self.clock = FakeClock()
        self.faults = faults if faults is not None else Faults()
        self.bus = SimulatedSMBus("test", clock=self.clock, faults=self.faults, funcs=funcs)
        self.bmc = FakeBmc(bridge)
        self.slave = SsifSlave(self.bmc, self.clock, faults=self.faults, turnaround=turnaround,
                               capabilities=capabilities, answer_capabilities=answer_capabilities)
        if attach:
            self.bus.root.attach(0x10, self.slave)
        self.lines: list[str] = []
        self.transport = SsifTransport(self.bus, 0x10, pec=pec, clock=self.clock, tracer=self.lines.append)

    def wire(self) -> list[str]:
        return [str(t) for t in self.bus.transcript]

    def request_writes(self, payload: bytes) -> int:
        """Write transactions on the wire that carried ``payload`` as an SSIF request."""
        return sum(1 for t in self.bus.transcript if t.is_write and t.command == 0x02
                   and t.parts[0].data[2:2 + len(payload)] == payload)

    def elapsed(self, since: float = 1000.0) -> float:
        return self.clock.monotonic() - since


# -- exact bytes (worked by hand, PEC included) ------------------------------------------------

def test_exact_wire_bytes_with_pec() -> None:
    rig = Rig(pec="on", turnaround=0.0)  # every response ready at the first read: bytes only
    assert rig.transport.transact(GET_DEVICE_ID) == Response(0x07, 0x01, 0x00, DEVICE_ID)
    rig.transport.transact(CHASSIS_ON)
    rig.transport.transact(SENSOR_30)
    wire = rig.wire()
    assert wire[0] == "S 20 02 03 18 57 00 [51] P"
    assert wire[2] == "S 20 02 02 18 01 [66] P"
    assert wire[3].startswith("S 20 03 Sr 21 0E 1C 01 00 20 81 03 09 02 BF 57 01 00 00 01 [")
    assert wire[4] == "S 20 02 03 00 02 01 [E8] P"
    assert wire[6] == "S 20 02 03 10 2D 30 [B0] P"
    assert wire[7] == "S 20 03 Sr 21 07 14 2D 00 2A C0 00 80 [55] P"


def test_exact_wire_bytes_without_pec() -> None:
    rig = Rig(pec="off", turnaround=0.0)
    assert rig.transport.transact(CHASSIS_ON) == Response(0x01, 0x02, 0x00)
    assert rig.wire()[2:] == ["S 20 02 03 00 02 01 P", "S 20 03 Sr 21 03 04 02 00 P"]
    rig.bus.clear_transcript()
    rig.transport.transact(SENSOR_30)
    assert [t.bits for t in rig.bus.transcript] == [56, 102]  # 158 bits per round trip (§5)


def test_tracer_lines() -> None:
    rig = Rig()
    rig.transport.transact(GET_DEVICE_ID)
    assert "ssif W 02: 18 01" in rig.lines
    assert "ssif R 03: 1C 01 00 20 81 03 09 02 BF 57 01 00 00 01" in rig.lines
    assert any(line.startswith("ssif capabilities: start_middle_end, PEC yes") for line in rig.lines)


# -- capabilities -----------------------------------------------------------------------------

def test_capabilities_are_asked_once_and_enable_multipart() -> None:
    rig = Rig()
    assert rig.transport.transact(LONG_READ).data == LONG
    rig.transport.transact(LONG_READ)
    assert rig.transport.stats.by_command["Get System Interface Capabilities"] == 1
    long_request = Request(0x2E, 0x02, bytes(range(60)))
    assert rig.transport.transact(long_request).data == bytes(range(60))
    commands = [t.command for t in rig.bus.transcript if t.is_write]
    assert commands[-2:] == [0x06, 0x08]


def test_capabilities_failure_falls_back_to_linux_defaults() -> None:
    rig = Rig(answer_capabilities=False)
    rig.bmc.__class__ = type("NoCaps", (FakeBmc,), {
        "__call__": lambda self, p: (encode_response(decode_request(p).reply(0xC1))
                                     if p[:2] == H("18 57") else FakeBmc.__call__(self, p))})
    assert rig.transport.capabilities() == DEFAULT_CAPABILITIES
    with pytest.raises(RequestTooLong, match="longer than the BMC accepts") as raised:
        rig.transport.transact(Request(0x2E, 0x02, bytes(40)))
    assert raised.value.exit_code == ExitCode.USAGE  # only the caller can shorten it


def test_auto_pec_follows_capabilities_and_adapter() -> None:
    rig = Rig(pec="auto")
    rig.transport.transact(SENSOR_30)
    assert rig.bus.transcript[0].pec is False  # the capabilities query itself goes without
    assert rig.wire()[-1].endswith("[55] P")
    no_pec_bmc = Rig(pec="auto", capabilities=SsifCapabilities(TransactionSupport.START_MIDDLE_END, False, 0, 255, 255))
    no_pec_bmc.transport.transact(SENSOR_30)
    assert not no_pec_bmc.bus.transcript[-1].pec
    no_pec_adapter = Rig(pec="auto", funcs=DEFAULT_FUNCS & ~I2cFunc.SMBUS_PEC)
    no_pec_adapter.transport.transact(SENSOR_30)
    assert not no_pec_adapter.bus.transcript[-1].pec


def test_pec_on_without_adapter_support_is_an_error() -> None:
    rig = Rig(pec="on", funcs=DEFAULT_FUNCS & ~I2cFunc.SMBUS_PEC)
    with pytest.raises(BusIOError, match="does not support PEC"):
        rig.transport.transact(GET_DEVICE_ID)


# -- polling and retries ---------------------------------------------------------------------------

def test_nak_first_polls_then_success() -> None:
    rig = Rig(faults=Faults().nak_reads(3))
    assert rig.transport.transact(GET_DEVICE_ID).data == DEVICE_ID  # caps query absorbs the NAKs
    naks = [t for t in rig.bus.transcript if t.is_read and not t.acked]
    assert len(naks) == 3
    assert rig.request_writes(H("18 57")) == 1  # polling never re-writes


def test_busy_bmc_is_polled_with_backoff() -> None:
    rig = Rig(turnaround=0.030)
    rig.transport.capabilities()
    rig.transport.turnaround = None  # as before any response: the first read after 0.25 ms
    rig.bus.clear_transcript()
    start = rig.clock.monotonic()
    rig.transport.transact(GET_DEVICE_ID)
    elapsed = rig.clock.monotonic() - start
    assert 0.030 <= elapsed <= 0.030 + 0.020 + 1e-9  # back-off is capped at 20 ms
    polls = [t for t in rig.bus.transcript if t.is_read]
    assert [t.acked for t in polls][-1] and not any(t.acked for t in polls[:-1])
    assert 7 <= len(polls) <= 12  # 0.1 ms steps doubling: a handful of NAKed address bytes, not hundreds


def test_the_next_read_waits_the_learned_turnaround() -> None:
    """After one slow answer the next request waits about that long before its
    first read instead of polling its way up again."""
    rig = Rig(turnaround=0.030)
    rig.transport.capabilities()
    rig.transport.turnaround = None
    rig.bus.clear_transcript()
    rig.transport.transact(GET_DEVICE_ID)
    first = sum(1 for t in rig.bus.transcript if t.is_read)
    assert rig.transport.turnaround is not None and 0.025 <= rig.transport.turnaround <= 0.05
    rig.bus.clear_transcript()
    start = rig.clock.monotonic()
    rig.transport.transact(GET_DEVICE_ID)
    second = sum(1 for t in rig.bus.transcript if t.is_read)
    assert first >= 5 and second <= 2
    assert rig.clock.monotonic() - start <= 0.030 * 1.5


@pytest.mark.parametrize("turnaround", [0.0004, 0.002])
def test_on_the_paced_simulator_the_first_read_comes_when_the_model_is_ready(turnaround: float) -> None:
    """The simulator's bus paces real time and knows when its BMC will answer:
    each request then costs its wire time plus the modelled turnaround, with
    no NAKed poll and no read later than needed (the first request included)."""
    clock = FakeClock()
    bus = SimulatedSMBus("paced", clock=clock, pace=True)
    bmc = FakeBmc()
    bus.root.attach(0x10, SsifSlave(bmc, clock, turnaround=turnaround))
    transport = SsifTransport(bus, 0x10, pec="off", clock=clock)
    start = clock.monotonic()
    for _ in range(5):
        assert transport.transact(SENSOR_30).data == H("2A C0 00 80")
    assert all(t.acked for t in bus.transcript)
    requests = 6  # the capability query, then five readings
    assert clock.monotonic() - start == pytest.approx(bus.wire_seconds + requests * turnaround)


def test_a_paced_simulator_slower_than_the_timeout_still_times_out() -> None:
    clock = FakeClock()
    bus = SimulatedSMBus("paced", clock=clock, pace=True)
    bus.root.attach(0x10, SsifSlave(FakeBmc(), clock, turnaround=0.5))
    transport = SsifTransport(bus, 0x10, pec="off", clock=clock, timeout=0.2)
    with pytest.raises(TimeoutFailure):
        transport.transact(SENSOR_30)


def test_a_real_bus_is_never_asked_to_wait_ready() -> None:
    class RealBus:  # smbus2.SMBus has neither ``simulated`` nor ``wait_ready``
        funcs = DEFAULT_FUNCS

        def wait_ready(self, addr: int, deadline: float) -> bool:  # pragma: no cover - must not be called
            raise AssertionError("asked a real bus to wait_ready")

    assert SsifTransport(RealBus(), 0x10)._wait_ready is None


@pytest.mark.parametrize("turnaround", [0.0004, 0.002, 0.010])
def test_polling_follows_the_bmc_turnaround(turnaround: float) -> None:
    """Over many requests the wait before each response stays close to the BMC's
    turnaround (not a fixed 1 ms), at the price of an occasional NAKed poll."""
    rig = Rig(turnaround=turnaround)
    rig.transport.transact(GET_DEVICE_ID)
    rig.bus.clear_transcript()
    start = rig.clock.monotonic()
    n = 40
    for _ in range(n):
        rig.transport.transact(SENSOR_30)
    waited = (rig.clock.monotonic() - start) / n  # the Rig's bus does not pace: all of it is waiting
    assert turnaround <= waited <= turnaround * 1.6 + 0.0002
    polls = [t for t in rig.bus.transcript if t.is_read]
    assert len(polls) <= n * 1.5


def test_pec_error_is_re_read_not_re_sent() -> None:
    rig = Rig(pec="on", faults=Faults().pec_error(1))
    assert rig.transport.transact(GET_DEVICE_ID).data == DEVICE_ID
    assert rig.request_writes(H("18 01")) == 1
    assert rig.transport.stats.retries == 1


def test_persistent_pec_errors_re_send_an_idempotent_request() -> None:
    rig = Rig(pec="on")
    rig.transport.capabilities()
    rig.faults.pec_error(4)
    assert rig.transport.transact(GET_DEVICE_ID).data == DEVICE_ID
    assert rig.request_writes(H("18 01")) == 2


def test_count_zero_reads_mean_not_ready() -> None:
    rig = Rig()
    rig.transport.capabilities()
    rig.faults.count_zero(3)
    assert rig.transport.transact(SENSOR_30).data == H("2A C0 00 80")
    assert sum(1 for t in rig.bus.transcript if t.error == "EPROTO") == 3
    assert rig.request_writes(H("10 2D 30")) == 1


def test_short_read_re_sends_idempotent_request() -> None:
    rig = Rig()
    rig.transport.capabilities()
    rig.faults.short_read(1)
    assert rig.transport.transact(GET_DEVICE_ID).data == DEVICE_ID
    assert rig.request_writes(H("18 01")) == 2
    assert rig.bmc.count(GET_DEVICE_ID) == 2


def test_truncated_multipart_read_re_sends_idempotent_request() -> None:
    rig = Rig()
    rig.transport.capabilities()
    rig.faults.truncated(1)
    assert rig.transport.transact(LONG_READ).data == LONG
    assert rig.bmc.count(LONG_READ) == 2


def test_short_multipart_start_block_is_detected() -> None:
    rig = Rig()
    rig.transport.capabilities()
    rig.faults.short_read(1)
    assert rig.transport.transact(LONG_READ).data == LONG
    assert rig.bmc.count(LONG_READ) == 2


def test_garbled_multipart_read_of_non_idempotent_request_is_re_read() -> None:
    rig = Rig()
    rig.transport.capabilities()
    rig.faults.truncated(1)
    oem = Request(0x2E, 0x02, bytes(range(60)))  # unknown/OEM: never re-sent
    assert rig.transport.transact(oem).data == bytes(range(60))
    assert rig.bmc.count(oem) == 1


def test_garbled_responses_give_up_after_bounded_re_sends() -> None:
    rig = Rig()
    rig.transport.capabilities()
    rig.faults.short_read(100)
    with pytest.raises(ProtocolError, match="after 3 tries"):
        rig.transport.transact(GET_DEVICE_ID)
    assert rig.bmc.count(GET_DEVICE_ID) == 3


def test_write_nak_is_retried_even_for_non_idempotent_requests() -> None:
    rig = Rig()
    rig.transport.capabilities()
    rig.faults.nak_writes(2)
    assert rig.transport.transact(CHASSIS_ON).ok
    assert rig.bmc.count(CHASSIS_ON) == 1  # NAKed writes never reached the BMC


def test_read_timeout_and_arbitration_are_transient() -> None:
    rig = Rig()
    rig.transport.capabilities()
    rig.faults.timeout(2)
    assert rig.transport.transact(SENSOR_30).ok


# -- giving up --------------------------------------------------------------------------------------

def test_persistent_write_nak_is_unreachable() -> None:
    rig = Rig(attach=False)
    with pytest.raises(UnreachableError) as info:
        rig.transport.transact(GET_DEVICE_ID)
    assert str(info.value) == ("BMC at 0x10 on sim:test did not acknowledge (ENXIO) "
                               "(wrong address, or BMC not running)")
    assert len(rig.bus.transcript) == 6  # first try + 5 retries
    assert rig.elapsed() < 0.1


def test_dead_bmc_before_the_write_is_unreachable() -> None:
    rig = Rig()
    rig.transport.capabilities()
    rig.faults.dead_after(0)
    with pytest.raises(UnreachableError):
        rig.transport.transact(SENSOR_30)


def test_bmc_dying_after_the_write_times_out_an_idempotent_request() -> None:
    rig = Rig()
    rig.transport.capabilities()
    rig.faults.dead_after(1)  # the request write is the last thing it acknowledges
    with pytest.raises(TimeoutFailure) as info:
        rig.transport.transact(SENSOR_30)
    assert not isinstance(info.value, OutcomeUnknown)
    assert "Get Sensor Reading" in str(info.value) and "within 5 s" in str(info.value)
    assert rig.elapsed() == pytest.approx(5.0, abs=0.03)


def test_unanswered_chassis_control_is_outcome_unknown_and_written_once() -> None:
    rig = Rig()
    rig.transport.capabilities()
    rig.faults.nak_reads(10**6)
    with pytest.raises(OutcomeUnknown) as info:
        rig.transport.transact(CHASSIS_ON)
    assert "Chassis Control" in str(info.value) and "chassisctl power status" in str(info.value)
    assert info.value.exit_code == 75
    assert rig.request_writes(H("00 02 01")) == 1
    assert rig.bmc.count(CHASSIS_ON) == 1


def test_garbled_chassis_control_answers_are_re_read_never_re_written() -> None:
    rig = Rig()
    rig.transport.capabilities()
    rig.faults.short_read(10**6)
    with pytest.raises(OutcomeUnknown):
        rig.transport.transact(CHASSIS_ON)
    assert rig.request_writes(H("00 02 01")) == 1
    assert sum(1 for t in rig.bus.transcript if t.is_read) > 10


def test_chassis_control_recovers_from_a_garbled_read_by_re_reading() -> None:
    rig = Rig()
    rig.transport.capabilities()
    rig.faults.short_read(1)
    assert rig.transport.transact(CHASSIS_ON).ok
    assert rig.bmc.count(CHASSIS_ON) == 1


def test_write_timeout_on_chassis_control_is_never_retried() -> None:
    rig = Rig()
    rig.transport.capabilities()
    rig.faults.timeout(1)
    with pytest.raises(OutcomeUnknown):
        rig.transport.transact(CHASSIS_ON)
    writes_after_caps = [t for t in list(rig.bus.transcript)[2:] if not t.is_read]
    assert len(writes_after_caps) == 1 and writes_after_caps[0].error == "ETIMEDOUT"


def test_stuck_bus_reports_recovery_advice() -> None:
    rig = Rig(faults=Faults().stuck())
    with pytest.raises(BusIOError) as info:
        rig.transport.transact(GET_DEVICE_ID)
    assert "EBUSY" in str(info.value) and "rebind" in str(info.value)


def test_per_call_timeout() -> None:
    rig = Rig()
    rig.transport.capabilities()
    rig.faults.nak_reads(10**6)
    start = rig.clock.monotonic()
    with pytest.raises(TimeoutFailure):
        rig.transport.transact(GET_DEVICE_ID, timeout=0.1)
    assert rig.clock.monotonic() - start == pytest.approx(0.1, abs=0.021)


# -- the i2c_rdwr read path -------------------------------------------------------------------------

@pytest.mark.parametrize("pec", ["off", "on"])
def test_adapter_without_block_read_uses_i2c_rdwr(pec: str) -> None:
    rig = Rig(pec=pec, funcs=NO_BLOCK_READ_FUNCS, turnaround=0.0)
    assert rig.transport.transact(LONG_READ).data == LONG
    reads = [t for t in rig.bus.transcript if t.is_read]
    assert all(len(t.parts[1].data) == 33 + (pec == "on") for t in reads)


def test_i2c_rdwr_path_checks_pec_itself() -> None:
    rig = Rig(pec="on", funcs=NO_BLOCK_READ_FUNCS)
    rig.transport.capabilities()
    rig.faults.pec_error(1).count_zero(1)
    assert rig.transport.transact(SENSOR_30).data == H("2A C0 00 80")
    assert rig.request_writes(H("10 2D 30")) == 1
    assert rig.transport.stats.retries == 1


def test_eopnotsupp_switches_to_i2c_rdwr() -> None:
    rig = Rig()
    rig.bus.funcs = I2cFunc(NO_BLOCK_READ_FUNCS)  # the adapter turns out to lack block read
    assert rig.transport.transact(GET_DEVICE_ID).data == DEVICE_ID
    assert any("using i2c_rdwr" in line for line in rig.lines)


# -- errno mapping with a bus that fails in specific ways ------------------------------------------

class FailingBus:
    simulated = False
    funcs = DEFAULT_FUNCS
    path = "/dev/i2c-9"
    fd = None

    def __init__(self, code: int) -> None:
        self.code = code
        self.pec = 0
        self.closed = False

    def write_block_data(self, addr: int, cmd: int, data: list[int]) -> None:
        raise OSError(self.code, "boom")

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize("code, error, text", [
    (errno.EACCES, PermissionDenied, "needs root or the i2c group"),
    (errno.EPERM, PermissionDenied, "EPERM"),
    (errno.EREMOTEIO, UnreachableError, "did not acknowledge (EREMOTEIO)"),
    (errno.EIO, UnreachableError, "EIO"),
    (errno.EOPNOTSUPP, BusIOError, "EOPNOTSUPP"),
    (errno.EINVAL, BusIOError, "EINVAL"),
    (errno.ETIMEDOUT, TimeoutFailure, "ETIMEDOUT"),
    (errno.EAGAIN, BusIOError, "arbitration"),
])
def test_errno_mapping(code: int, error: type, text: str) -> None:
    bus = FailingBus(code)
    transport = SsifTransport(bus, 0x10, clock=FakeClock())
    with pytest.raises(error) as info:
        transport.transact(GET_DEVICE_ID)
    assert text in str(info.value)
    assert "BMC at 0x10 on /dev/i2c-9" in str(info.value) or code == errno.EINVAL


def test_ebusy_names_the_kernel_driver_that_owns_the_address(tmp_path) -> None:
    driver = tmp_path / "bus" / "i2c" / "drivers" / "ipmi_ssif"
    device = tmp_path / "bus" / "i2c" / "devices" / "9-0010"
    driver.mkdir(parents=True)
    device.mkdir(parents=True)
    (device / "driver").symlink_to(driver)
    transport = SsifTransport(FailingBus(errno.EBUSY), 0x10, clock=FakeClock())
    transport.sysfs = str(tmp_path)
    with pytest.raises(BusIOError, match="in use by the kernel driver ipmi_ssif"):
        transport.transact(GET_DEVICE_ID)
    transport.sysfs = str(tmp_path / "elsewhere")
    with pytest.raises(BusIOError, match="bus busy"):
        transport.transact(GET_DEVICE_ID)


# -- housekeeping ------------------------------------------------------------------------------------

def test_transport_surface() -> None:
    rig = Rig(turnaround=0.0)
    transport = rig.transport
    assert transport.describe() == "sim:test addr 0x10 (SSIF)"
    assert transport.simulated and transport.kind == "ssif" and transport.fileno() is None
    with pytest.raises(UsageError):
        transport.transact(GET_DEVICE_ID, node=2)
    transport.transact(GET_DEVICE_ID, node="node1")
    assert transport.stats.requests == 2 and transport.stats.bus_transactions == 4
    with transport:
        pass
    assert rig.bus._closed
    with pytest.raises(UsageError):
        SsifTransport(rig.bus, 0x10, pec="maybe", clock=rig.clock)
    with pytest.raises(UsageError):
        SsifTransport(rig.bus, 0x80, clock=rig.clock)


# -- bridging -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", ["nested", "get_message"])
def test_bridged_request_to_a_satellite(shape: str) -> None:
    rig = Rig(bridge=shape)
    response = rig.transport.bridged(Request(0x04, 0x2D, b"\x05"), channel=7, target_addr=0x72)
    assert response == Response(0x05, 0x2D, 0x00, H("64 C0 00"))
    send = next(r for r in rig.bmc.executed if r.cmd == 0x34)
    assert send.data[:4] == H("47 72 10 7E")
    if shape == "get_message":
        assert any(r.cmd == 0x33 for r in rig.bmc.executed)


def test_bridged_send_message_error_is_returned_as_cc() -> None:
    rig = Rig()
    rig.bmc.__class__ = type("Nak", (FakeBmc,), {
        "__call__": lambda self, p: (encode_response(decode_request(p).reply(0x83))
                                     if p[:2] == H("18 34") else FakeBmc.__call__(self, p))})
    response = rig.transport.bridged(Request(0x04, 0x2D, b"\x05"), channel=7, target_addr=0x72)
    assert response.cc == 0x83 and response.answers(Request(0x04, 0x2D))
