"""``IpmbTransport``: IPMI requests as IPMB frames, answered by the BMC as master.

The host needs a slave address of its own for the BMC to write the answer
to: that is the kernel's ``ipmb_dev_int`` (``/dev/ipmb-N``), or
:class:`~chassisctl.sim.ipmb_slave.SimIpmbDevice` in the simulator.  Frames
are sent through that device or, when a ``bus`` is given, as one plain I2C
write ``i2c_msg.write(frame[0] >> 1, frame[1:])`` — ``ipmb_dev_int`` without
its ``i2c-protocol`` property sends SMBus block framing, which a standard
IPMB receiver rejects.

Unlike SSIF, IPMB has sequence numbers, so stale and duplicate answers are
recognised and dropped.  A request gets a fresh rqSeq that no recent
request still holds; each try waits 250 ms; idempotent requests get 3
tries, non-idempotent ones one (after which the outcome is unknown).
"""

from __future__ import annotations

import io
import os
import select
from typing import TYPE_CHECKING, Any, Protocol

from chassisctl.clock import Clock, SystemClock
from chassisctl.errors import OutcomeUnknown, PermissionDenied, TimeoutFailure, UnreachableError, UsageError
from chassisctl.ipmi.codes import NetFnInt
from chassisctl.ipmi.decode_errors import DecodeError
from chassisctl.ipmi.ipmb import SEQ_MODULUS, IpmbRequest, IpmbResponse
from chassisctl.ipmi.message import Request, Response
from chassisctl.i2c_errors import RETRYABLE_WRITE_ERRNOS, TRANSIENT_ERRNOS, errno_name, map_os_error
from chassisctl.transport.base import BmcTransport, Tracer

if TYPE_CHECKING:
    from chassisctl.config import BmcSettings
    from chassisctl.transport import Simulator
    from chassisctl.transport.bus import BusSpec

WRITE_RETRIES = 5
FIRST_RETRY = 0.001
MAX_RETRY = 0.02


class IpmbDevice(Protocol):
    """What the transport needs from ``/dev/ipmb-N`` (or its simulation)."""

    def write(self, data: bytes) -> int: ...
    def read(self, timeout: float | None = None) -> bytes: ...


class IpmbDevFile:
    """The real ``/dev/ipmb-N`` with a ``read(timeout)`` built on ``select``."""

    def __init__(self, device: str | os.PathLike[str] | int | io.IOBase) -> None:
        self._own = isinstance(device, (str, os.PathLike))
        if isinstance(device, (str, os.PathLike)):
            path = os.fspath(device)
            self.name = str(path)
            try:
                self.fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
            except FileNotFoundError as exc:
                raise UnreachableError(f"no such IPMB device {path}",
                                       hint="load ipmb_dev_int and bind it to the host's slave address") from exc
            except PermissionError as exc:
                raise PermissionDenied(f"cannot open {path}: permission denied", hint="needs root") from exc
        else:
            self.fd = device if isinstance(device, int) else device.fileno()
            self.name = str(getattr(device, "name", f"fd {self.fd}"))

    def write(self, data: bytes) -> int:
        return os.write(self.fd, bytes(data))

    def read(self, timeout: float | None = None) -> bytes:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return b""
        try:
            return os.read(self.fd, 512)
        except BlockingIOError:
            return b""

    def fileno(self) -> int:
        return self.fd

    def close(self) -> None:
        if self._own:
            os.close(self.fd)


class IpmbTransport(BmcTransport):
    """IPMB requests from the host at ``my_addr`` to the BMC at ``bmc_addr`` (8-bit)."""

    kind = "ipmb"

    def __init__(self, device: Any, *, bus: Any = None, bmc_addr: int = 0x20, my_addr: int = 0x10,
                 clock: Clock | None = None, tries: int = 3, try_timeout: float = 0.25,
                 tracer: Tracer | None = None, describe: str = "") -> None:
        super().__init__()
        for name, value in (("BMC", bmc_addr), ("own", my_addr)):
            if value & 1 or not 0 < value < 0xF0:
                raise UsageError(f"invalid IPMB {name} address {value:#04x}: expected an even 8-bit address")
        if isinstance(device, (str, os.PathLike, int, io.IOBase)):
            device = IpmbDevFile(device)
        self.device = device
        self.bus = bus
        self.bmc_addr = bmc_addr
        self.my_addr = my_addr
        self.clock = clock if clock is not None else SystemClock()
        self.tries = max(1, tries)
        self.try_timeout = try_timeout
        self.tracer = tracer
        self.simulated = bool(getattr(bus, "simulated", False) or getattr(getattr(device, "bus", None),
                                                                         "simulated", False))
        self._where = describe or str(getattr(device, "name", "") or "the IPMB device")
        self._seq = 0
        #: rqSeq -> clock time until which a late answer to it may still arrive
        self._recent: dict[int, float] = {}

    @classmethod
    def open(cls, settings: BmcSettings, spec: BusSpec, *, clock: Clock, tracer: Tracer | None = None,
             simulator: Simulator | None = None) -> IpmbTransport:
        """IPMB to the BMC at ``settings.addr``: requests over the bus, replies through ``/dev/ipmb-N``."""
        from chassisctl.transport.bus import open_bus, simulate

        world = simulate(spec, settings, clock, simulator) if spec.simulated else None
        bus = world.bus if world is not None else open_bus(spec)
        try:
            device = world.ipmb_device if world is not None else _open_device(settings)
            return cls(device, bus=bus, bmc_addr=settings.addr << 1, my_addr=settings.ipmb_my_addr << 1,
                       clock=clock, tracer=tracer, describe=spec.path)
        except BaseException:
            bus.close()
            raise

    def describe(self) -> str:
        return f"{self._where} IPMB {self.my_addr:02X}h -> BMC {self.bmc_addr:02X}h"

    @property
    def subject(self) -> str:
        return f"BMC {self.bmc_addr:02X}h on {self._where}"

    @property
    def default_timeout(self) -> float:
        return self.tries * self.try_timeout

    def close(self) -> None:
        close = getattr(self.device, "close", None)
        if callable(close):
            close()

    def fileno(self) -> int | None:
        fileno = getattr(self.device, "fileno", None)
        return fileno() if callable(fileno) else None

    # -- internals ---------------------------------------------------------------
    def _next_seq(self) -> int:
        """A sequence number no recent request may still get an answer for."""
        now = self.clock.monotonic()
        self._recent = {s: t for s, t in self._recent.items() if t > now}
        for step in range(1, SEQ_MODULUS + 1):
            seq = (self._seq + step) % SEQ_MODULUS
            if seq not in self._recent:
                break
        else:
            seq = min(self._recent, key=self._recent.__getitem__)
        self._seq = seq
        return seq

    def _transact(self, request: Request, *, timeout: float | None, idempotent: bool) -> Response:
        self.stats.count(request)
        tries = self.tries if idempotent else 1
        budget = tries * self.try_timeout if timeout is None else timeout
        start = self.clock.monotonic()
        deadline = start + budget
        frame = IpmbRequest.from_request(request, rs_sa=self.bmc_addr, rq_sa=self.my_addr, rq_seq=self._next_seq())
        self._recent[frame.rq_seq] = deadline + self.try_timeout
        wire = frame.encode()
        for attempt in range(tries):
            if attempt:
                self.stats.retries += 1
                self._trace(f"ipmb: no answer, try {attempt + 1} of {tries}")
            self._send(wire, deadline)
            answer = self._await(frame, min(self.clock.monotonic() + self.try_timeout, deadline))
            if answer is not None:
                return answer.to_response()
            if self.clock.monotonic() >= deadline:
                break
        elapsed = self.clock.monotonic() - start
        if not idempotent:
            verify = ("verify with `chassisctl power status` before retrying" if request.netfn == NetFnInt.CHASSIS
                      else "verify the result before retrying; it was not re-sent")
            raise OutcomeUnknown(f"{request.name} was delivered to the {self.subject} but no answer came "
                                 f"within {elapsed:.2g} s; it may or may not have taken effect", hint=verify)
        raise TimeoutFailure(f"no answer from the {self.subject} to {request.name} after {tries} tries "
                             f"({elapsed:.2g} s)", hint="the BMC may be busy, or not answering IPMB")

    def _send(self, wire: bytes, deadline: float) -> None:
        attempt, delay = 0, FIRST_RETRY
        while True:
            self._trace(f"ipmb W: {wire.hex(' ').upper()}")
            self.stats.bus_transactions += 1
            try:
                if self.bus is not None:
                    from smbus2 import i2c_msg

                    self.bus.i2c_rdwr(i2c_msg.write(wire[0] >> 1, wire[1:]))
                else:
                    self.device.write(bytes((len(wire),)) + wire)
                return
            except OSError as exc:
                self._trace(f"ipmb W: {errno_name(exc.errno)}")
                attempt += 1
                retryable = exc.errno in RETRYABLE_WRITE_ERRNOS or exc.errno in TRANSIENT_ERRNOS
                if not retryable or attempt > WRITE_RETRIES or self.clock.monotonic() >= deadline:
                    raise map_os_error(exc, subject=self.subject) from exc
                self.stats.retries += 1
                self.clock.sleep(delay)
                delay = min(delay * 2, MAX_RETRY)

    def _await(self, frame: IpmbRequest, deadline: float) -> IpmbResponse | None:
        """The first answer to ``frame`` before ``deadline``; everything else is dropped."""
        while True:
            remaining = deadline - self.clock.monotonic()
            if remaining <= 0:
                return None
            data = self.device.read(remaining)
            if not data:
                return None
            if data[0] != len(data) - 1:
                self._trace(f"ipmb R: drop, length byte {data[0]} for {len(data) - 1} bytes")
                continue
            try:
                answer = IpmbResponse.decode(data[1:])
            except DecodeError as exc:
                self._trace(f"ipmb R: drop {data[1:].hex(' ').upper()} ({exc})")
                continue
            if not answer.answers(frame):
                self._trace(f"ipmb R: drop unmatched seq {answer.rq_seq} cmd {answer.cmd:02X}h")
                continue
            self._trace(f"ipmb R: {data[1:].hex(' ').upper()}")
            return answer

    def _trace(self, line: str) -> None:
        if self.tracer is not None:
            self.tracer(line)


def _open_device(settings: BmcSettings) -> io.IOBase:
    """The kernel's /dev/ipmb-N slave device, which receives the BMC's replies."""
    import errno

    if not settings.ipmb_device:
        raise UsageError("--transport ipmb on a real bus needs the ipmb_device setting "
                         "(CHASSISCTL_IPMB_DEVICE=/dev/ipmb-N, from the ipmb_dev_int driver)")
    try:
        return open(settings.ipmb_device, "r+b", buffering=0)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise PermissionDenied(f"{settings.ipmb_device}: permission denied (needs root)") from None
        raise UnreachableError(f"{settings.ipmb_device}: {exc.strerror}",
                               hint="is ipmb_dev_int bound to this bus?") from None
