"""``SsifTransport``: IPMI requests over SMBus to an SSIF BMC (real or simulated).

The timing follows the Linux host driver ``ipmi_ssif`` and the BMC driver
``ssif_bmc`` (a busy BMC NAKs its address, so a NAKed read means "not ready
yet"; an unread response is dropped after 500 ms, and any new write drops it
at once), and the one rule that matters most is: **once a write was acknowledged, a non-idempotent request
is never written again**.  SSIF has no sequence numbers, so a lost response
to "power cycle" cannot be told from a lost request; re-sending could cycle
the machine twice.  Such a request that gets no valid answer by the deadline
raises :class:`OutcomeUnknown` and the operator verifies.

Everything else is retried within bounds:

- the write itself, up to 5 times, only when it was NAKed (or lost
  arbitration): the BMC never saw it;
- reads are polled until the deadline: a NAK or count 0 just means "not
  ready" (a BMC NAKs early reads), so the first read goes out after the
  turnaround this BMC showed so far — learned per transport as the wait to
  ask for (a sleep's late wake-up is not learnt into it), nudged down
  while reads succeed at once and up when one is NAKed — and the next
  ones back off from a quarter of it, doubling to 20 ms.  A fixed 1 ms
  first wait cost more than the whole modelled wire time of a Get Sensor
  Reading at 100 kHz (1.58 ms).  On the simulator's paced bus the first
  read instead waits for the modelled turnaround exactly (the bus knows
  it: ``wait_ready``), as a bench against the model should;
- a PEC error re-reads at once (the response is still there);
- a garbled response re-sends an idempotent request (at most twice).

Adapters without SMBus block read (pure-I2C ones with SMBus emulation) are
read with ``i2c_rdwr`` (write ``[cmd]``, repeated START, read 33 bytes) and
the PEC is checked here, since the adapter does not.
"""

from __future__ import annotations

import errno

from chassisctl.clock import Clock, SystemClock
from chassisctl.errors import (BusIOError, ChassisError, OutcomeUnknown, ProtocolError, TimeoutFailure,
                               UsageError)
from chassisctl.i2c_errors import (NOT_READY_ERRNOS, PERMISSION_ERRNOS, RETRYABLE_WRITE_ERRNOS, TRANSIENT_ERRNOS,
                                   describe_errno, errno_name, map_os_error)
from chassisctl.ipmi.codes import NetFnInt
from chassisctl.ipmi.decode_errors import DecodeError
from chassisctl.ipmi.message import Request, Response
from chassisctl.ipmi.pec import crc8
from chassisctl.ipmi.ssif import (BLOCK_MAX, DEFAULT_CAPABILITIES, ReadAssembler, SsifCapabilities, TransactionSupport,
                                  decode_capabilities, decode_response, encode_request,
                                  get_capabilities_request, write_plan)
from chassisctl.transport import i2c_funcs as I2cFunc
from chassisctl.transport.base import BmcTransport, Tracer
from chassisctl.transport.bus import address_owner

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

if TYPE_CHECKING:
    from chassisctl.config import BmcSettings
    from chassisctl.transport import Simulator
    from chassisctl.transport.bus import BusSpec

WRITE_RETRIES = 5
#: Delay before re-writing a NAKed write (doubling to MAX_POLL).
FIRST_POLL = 0.001
#: Before the first response: how long after the write the first read goes out.
INITIAL_TURNAROUND = 0.00025
#: Shortest wait between two reads the BMC NAKed.
MIN_POLL_STEP = 0.0001
MAX_POLL = 0.02
#: While first reads succeed, the learned turnaround shrinks by this factor.
TURNAROUND_DECAY = 0.95
#: The learned turnaround never exceeds this (one slow answer must not slow every later request).
MAX_TURNAROUND = 0.1
PEC_REREADS = 3
RESENDS = 2
PEC_MODES = ("auto", "on", "off")


def _hex(data: bytes) -> str:
    return " ".join(f"{b:02X}" for b in data)


class SsifTransport(BmcTransport):
    """One SSIF BMC at 7-bit ``addr`` on ``bus`` (an smbus2.SMBus or SimulatedSMBus)."""

    kind = "ssif"

    def __init__(self, bus: Any, addr: int = 0x10, *, pec: str = "auto", clock: Clock | None = None,
                 timeout: float = 5.0, tracer: Tracer | None = None, describe: str = "") -> None:
        super().__init__()
        if pec not in PEC_MODES:
            raise UsageError(f"invalid PEC mode {pec!r}: expected auto, on or off")
        if not 0x03 <= addr <= 0x77:
            raise UsageError(f"invalid SSIF address {addr:#04x}: expected a 7-bit address 0x03-0x77")
        self.bus = bus
        self.addr = addr
        self.pec_mode = pec
        self.clock = clock if clock is not None else SystemClock()
        self.timeout = timeout
        self.tracer = tracer
        self.simulated = bool(getattr(bus, "simulated", False))
        #: The simulator's exact "response ready" wait (``SimulatedSMBus.wait_ready``); never on hardware.
        self._wait_ready = getattr(bus, "wait_ready", None) if self.simulated else None
        self._where = describe or str(getattr(bus, "path", "") or "the I2C bus")
        funcs = getattr(bus, "funcs", None)
        self._funcs = int(funcs) if funcs else None
        self._use_rdwr = self._funcs is not None and not self._funcs & I2cFunc.SMBUS_READ_BLOCK_DATA
        self._caps: SsifCapabilities | None = None
        self._pec_on: bool | None = None
        #: Learned seconds from the end of a request's write until its response is ready.
        self.turnaround: float | None = None
        #: Where kernel drivers bound to I2C addresses are listed (tests point it elsewhere).
        self.sysfs = "/sys"

    # -- Transport ---------------------------------------------------------------
    @classmethod
    def open(cls, settings: BmcSettings, spec: BusSpec, *, clock: Clock, tracer: Tracer | None = None,
             simulator: Simulator | None = None) -> SsifTransport:
        """SSIF to the BMC at ``settings.addr`` on the bus ``spec`` names."""
        from chassisctl.transport.bus import open_bus, simulate

        bus = simulate(spec, settings, clock, simulator).bus if spec.simulated else open_bus(spec)
        try:
            return cls(bus, settings.addr, pec=settings.pec, clock=clock, timeout=settings.timeout, tracer=tracer,
                       describe=spec.path)
        except BaseException:
            bus.close()
            raise

    def describe(self) -> str:
        return f"{self._where} addr {self.addr:#04x} (SSIF)"

    @property
    def subject(self) -> str:
        return f"BMC at {self.addr:#04x} on {self._where}"

    @property
    def default_timeout(self) -> float:
        return self.timeout

    def fileno(self) -> int | None:
        fd = getattr(self.bus, "fd", None)
        return fd if isinstance(fd, int) else None

    def close(self) -> None:
        self.bus.close()

    # -- capabilities ------------------------------------------------------------
    def capabilities(self) -> SsifCapabilities:
        """Get System Interface Capabilities, asked once; Linux's defaults if it fails.

        Unreachable and timeout errors propagate: a BMC that does not answer
        this will not answer the request either.
        """
        if self._caps is None:
            caps = DEFAULT_CAPABILITIES
            try:
                response = self._exchange(get_capabilities_request(), DEFAULT_CAPABILITIES,
                                          timeout=None, idempotent=True, pec=self.pec_mode == "on")
                if response.ok:
                    caps = decode_capabilities(response.data)
            except ProtocolError as exc:
                self._trace(f"ssif capabilities: {exc}; assuming single-part 32/32 without PEC")
            self._caps = caps
            self._trace(f"ssif capabilities: {TransactionSupport(caps.transaction_support).name.lower()}, "
                        f"PEC {'yes' if caps.pec_supported else 'no'}, "
                        f"max request {caps.max_request}, max response {caps.max_response}")
        return self._caps

    def _want_pec(self, caps: SsifCapabilities) -> bool:
        if self.pec_mode != "auto":
            return self.pec_mode == "on"
        adapter_ok = self._funcs is None or bool(self._funcs & I2cFunc.SMBUS_PEC)
        return caps.pec_supported and adapter_ok

    def _set_pec(self, on: bool) -> None:
        if on == self._pec_on:
            return
        try:
            self.bus.pec = on
        except OSError as exc:
            if on and self.pec_mode == "on":
                raise BusIOError(f"{self._where}: the adapter does not support PEC ({exc})",
                                 hint="use --pec off or --pec auto") from exc
            on = False
        self._pec_on = on

    # -- the exchange ------------------------------------------------------------
    def _transact(self, request: Request, *, timeout: float | None, idempotent: bool) -> Response:
        caps = self.capabilities()
        return self._exchange(request, caps, timeout=timeout, idempotent=idempotent, pec=self._want_pec(caps))

    def _exchange(self, request: Request, caps: SsifCapabilities, *, timeout: float | None,
                  idempotent: bool, pec: bool) -> Response:
        self.stats.count(request)
        timeout = self.timeout if timeout is None else timeout
        plan = write_plan(encode_request(request), caps)
        deadline = self.clock.monotonic() + timeout
        self._set_pec(pec)
        resends = 0
        while True:
            self._write(plan, deadline, idempotent)
            outcome = self._poll(request, deadline, idempotent, timeout)
            if isinstance(outcome, Response):
                return outcome
            if resends >= RESENDS or self.clock.monotonic() >= deadline:
                raise ProtocolError(f"{self.subject} sent no valid response to {request.name} "
                                    f"after {resends + 1} tries: {outcome}") from outcome
            resends += 1
            self.stats.retries += 1
            self._trace(f"ssif: re-sending {request.name} ({outcome})")

    def _write(self, plan: list[tuple[int, bytes]], deadline: float, idempotent: bool) -> None:
        """Write every part; retry from the start only while the BMC has not taken it."""
        attempt, delay = 0, FIRST_POLL
        while True:
            cmd = plan[0][0]
            try:
                for cmd, block in plan:
                    if self.tracer is not None:
                        self._trace(f"ssif W {cmd:02X}: {_hex(block)}")
                    self.stats.bus_transactions += 1
                    self.bus.write_block_data(self.addr, cmd, list(block))
                return
            except OSError as exc:
                self._trace(f"ssif W {cmd:02X}: {errno_name(exc.errno)}")
                code = exc.errno
                if code == errno.EBUSY and attempt == 0:
                    self._check_owner(exc)
                if code == errno.ETIMEDOUT and not idempotent:
                    return  # may have been taken: only reads from here on
                retryable = code in RETRYABLE_WRITE_ERRNOS or code in TRANSIENT_ERRNOS
                attempt += 1
                if not retryable or attempt > WRITE_RETRIES or self.clock.monotonic() >= deadline:
                    raise map_os_error(exc, subject=self.subject) from exc
                self.stats.retries += 1
                self.clock.sleep(delay)
                delay = min(delay * 2, MAX_POLL)

    def _check_owner(self, exc: OSError) -> None:
        """EBUSY from selecting the address: is a kernel driver bound to it?"""
        owner = address_owner(self._where, self.addr, self.sysfs)
        if owner is not None:
            raise BusIOError(f"address {self.addr:#04x} on {self._where} is in use by the kernel driver {owner}",
                             hint="use the in-band interface /dev/ipmi0, or unbind the driver") from exc

    def _poll(self, request: Request, deadline: float, idempotent: bool,
              timeout: float) -> Response | DecodeError:
        """Read until a valid response; a :class:`DecodeError` means "re-send" (idempotent only)."""
        written = self.clock.monotonic()
        expected = INITIAL_TURNAROUND if self.turnaround is None else self.turnaround
        if self._wait_ready is None or not self._wait_ready(self.addr, deadline):
            self.clock.sleep(expected)
        # A sleep wakes late (timer slack, scheduling): learn the wait to *ask
        # for*, so the lateness is not learnt into the turnaround and then
        # paid a second time on top of it by the next sleep.
        late = max(self.clock.monotonic() - written - expected, 0.0)
        delay, pec_failures, not_ready_at = max(MIN_POLL_STEP, expected / 4), 0, None
        last_errno: int | None = None
        garbled: DecodeError | None = None
        while True:
            problem: DecodeError | None = None
            asked = self.clock.monotonic() - written - late
            try:
                message = self._read_message()
                self._learn(asked, expected, not_ready_at)
                return decode_response(message, request)
            except OSError as exc:
                code = last_errno = exc.errno
                if code in NOT_READY_ERRNOS:
                    not_ready_at = asked
                if code in PERMISSION_ERRNOS:
                    raise map_os_error(exc, subject=self.subject) from exc
                if code == errno.EOPNOTSUPP and not self._use_rdwr:
                    self._use_rdwr = True
                    self._trace("ssif: adapter has no SMBus block read; using i2c_rdwr")
                    continue
                if code == errno.EBADMSG:
                    pec_failures += 1
                    self.stats.retries += 1
                    if pec_failures <= PEC_REREADS:
                        continue
                    problem = DecodeError(f"PEC mismatch on {pec_failures} reads")
                elif code not in NOT_READY_ERRNOS and code not in TRANSIENT_ERRNOS:
                    raise map_os_error(exc, subject=self.subject) from exc
            except DecodeError as exc:
                problem = exc
            if problem is not None:
                if idempotent:
                    return problem
                garbled = problem  # never re-write: keep reading, the BMC may still hold it
            now = self.clock.monotonic()
            if now >= deadline:
                raise self._deadline_error(request, idempotent, timeout, last_errno, garbled)
            self.clock.sleep(min(delay, deadline - now))
            delay = min(delay * 2, MAX_POLL)

    def _learn(self, ready_after: float, expected: float, not_ready_at: float | None) -> None:
        """Update the turnaround estimate from a successful read ``ready_after``
        seconds after the write.  After a NAKed read the response became ready
        between that read and this one: aim a quarter of the way in (polls
        back off, so the gap can be much longer than the BMC's jitter).  A
        read that worked at once says only that the response was ready by
        then: probe a little earlier next time."""
        if not_ready_at is not None:
            self.turnaround = min(not_ready_at + (ready_after - not_ready_at) / 4, MAX_TURNAROUND)
        else:
            self.turnaround = min(expected, ready_after) * TURNAROUND_DECAY

    def _deadline_error(self, request: Request, idempotent: bool, timeout: float,
                        last_errno: int | None, garbled: DecodeError | None) -> ChassisError:
        last = f"last read: {garbled}" if garbled else f"last read: {describe_errno(last_errno)}"
        if not idempotent:
            verify = ("verify with `chassisctl power status` before retrying" if request.netfn == NetFnInt.CHASSIS
                      else "verify the result before retrying; it was not re-sent")
            return OutcomeUnknown(f"{request.name} was delivered to the {self.subject} but no valid response "
                                  f"came within {timeout:g} s ({last}); it may or may not have taken effect",
                                  hint=verify)
        return TimeoutFailure(f"no response from {self.subject} to {request.name} within {timeout:g} s ({last})",
                              hint="the BMC may be busy or hung; try again, or raise --timeout")

    # -- reads ---------------------------------------------------------------------
    def _read_message(self) -> bytes:
        assembler = ReadAssembler()
        while (cmd := assembler.next_command) is not None:
            assembler.feed(self._read_block(cmd))
        return assembler.message()

    def _read_block(self, cmd: int) -> bytes:
        self.stats.bus_transactions += 1
        try:
            data = self._rdwr_read(cmd) if self._use_rdwr else bytes(self.bus.read_block_data(self.addr, cmd))
        except OSError as exc:
            self._trace(f"ssif R {cmd:02X}: {errno_name(exc.errno)}")
            raise
        if self.tracer is not None:  # formatting every block costs more than the rest of the read
            self._trace(f"ssif R {cmd:02X}: {_hex(data)}")
        return data

    def _rdwr_read(self, cmd: int) -> bytes:
        """SMBus block read done by hand: write [cmd], Sr, read count+32(+PEC), check it all."""
        from smbus2 import i2c_msg

        pec = bool(self._pec_on)
        write = i2c_msg.write(self.addr, [cmd])
        read = i2c_msg.read(self.addr, 1 + BLOCK_MAX + int(pec))
        self.bus.i2c_rdwr(write, read)
        buf = bytes(read)
        count = buf[0]
        if not 1 <= count <= BLOCK_MAX:
            raise OSError(errno.EPROTO, f"block count {count}")
        if pec:
            expected = crc8(bytes((self.addr << 1, cmd, self.addr << 1 | 1)) + buf[:1 + count])
            if buf[1 + count] != expected:
                raise OSError(errno.EBADMSG, f"PEC {buf[1 + count]:02X}h, expected {expected:02X}h")
        return buf[1:1 + count]

    def _trace(self, line: str) -> None:
        if self.tracer is not None:
            self.tracer(line)
