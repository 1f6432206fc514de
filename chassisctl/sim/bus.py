"""``SimulatedSMBus``: smbus2's ``SMBus`` surface over byte-level slave models.

Production transports take "something with smbus2's methods"; this class is
that something when there is no I2C (development and CI machines have none).
Every call becomes the wire events a real adapter would generate — START,
address byte with R/W, bytes with ACK/NAK, repeated START, STOP — delivered
to :class:`~chassisctl.sim.i2c.I2cSlave` devices on a topology of segments
and muxes.  So PEC is computed over the true wire bytes, multi-part SSIF
reads are real block sequences, and errors surface as the ``OSError`` errnos
the Linux kernel returns (ENXIO on an address NAK, EPROTO on a bad block
count, EBADMSG on a PEC mismatch, EOPNOTSUPP for a missing adapter feature).

Each transaction is appended to :attr:`SimulatedSMBus.transcript` and timed
with the wire model; with ``pace=True`` the bus waits on the injected clock
until that long after the transfer began, so benchmarks see realistic bus
time without hardware.  The wait counts from the call, as a real adapter's
transfer starts when it is asked for: the simulator's own work on the bytes
happens while they are on the wire, not after.  The wait sleeps short and
spins the last ~0.1 ms (:meth:`~chassisctl.clock.SystemClock.sleep_until`),
since a timer wakes that late, more than the wire time of ten bytes; what
a wait still overshoots is made up by the next transfer's, so a run of
transfers takes the wire time the model says.  The STOP reaches the
devices after the wait, so a BMC's modelled turnaround starts when the
request has really crossed the wire.
"""

from __future__ import annotations

import errno
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator

from chassisctl.clock import Clock, SystemClock, sleep_until
from chassisctl.ipmi.pec import crc8
from chassisctl.sim.i2c import I2cSlave, Segment
from chassisctl.sim.wire import SMBUS_TIMEOUT, WirePart, WireTiming, WireTransaction
from chassisctl.transport import i2c_funcs as I2cFunc
from chassisctl.i2c_errors import NAK_ERRNOS

TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import TypeVar

    T = TypeVar("T")
    from smbus2 import i2c_msg  # the type only: the simulated bus never loads smbus2 (nor ctypes)

    from chassisctl.sim.faults import Faults


BLOCK_MAX = 32
I2C_M_RD = 0x0001
#: Kernel limit on messages per I2C_RDWR ioctl.
RDWR_MAX_MSGS = 42
#: Most late wake-up a paced transfer makes up for the next one (seconds).
MAX_PACING_CREDIT = 0.002

#: An adapter with full SMBus support plus PEC and raw I2C (like i801 + i2c-dev).
DEFAULT_FUNCS = (I2cFunc.I2C | I2cFunc.SMBUS_EMUL | I2cFunc.SMBUS_READ_BLOCK_DATA
                 | I2cFunc.SMBUS_BLOCK_PROC_CALL)
#: A pure-I2C adapter with SMBus emulation (Raspberry Pi): no SMBus block read.
NO_BLOCK_READ_FUNCS = I2cFunc.I2C | I2cFunc.SMBUS_EMUL



class _Nak(Exception):
    """Internal: the current byte or address was not acknowledged."""


def _os_error(code: int, what: str) -> OSError:
    return OSError(code, f"{os.strerror(code)} ({what})")


class _Transfer:
    """One START..STOP on the wire: drives the slaves and records what happened."""

    def __init__(self, bus: SimulatedSMBus, master: str) -> None:
        self.bus = bus
        self.master = master
        self.parts: list[WirePart] = []
        self.crc = 0
        self.pec = False
        self.touched: list[I2cSlave] = []
        self._active: list[I2cSlave] = []
        self._addr = 0
        self._read = False
        self._data = bytearray()
        self._acked = True
        self._nak_at: int | None = None
        self._open = False

    def _close_part(self) -> None:
        if self._open:
            self.parts.append(WirePart(self._addr, self._read, bytes(self._data), self._acked, self._nak_at))
            self._open = False

    def start(self, addr: int, read: bool) -> None:
        self._close_part()
        self._addr, self._read, self._data = addr, read, bytearray()
        self._acked, self._nak_at, self._open = True, None, True
        address_byte = (addr << 1) | int(read)
        self.crc = crc8((address_byte,), self.crc)
        devices = self.bus._resolve(addr)
        acked: list[I2cSlave] = []
        for device in devices:
            if device not in self.touched:
                self.touched.append(device)
                self.bus.touched.add(id(device))
            if device.start(read):
                acked.append(device)
        self._active = acked
        if not acked:
            self._acked = False
            raise _Nak()

    def write(self, value: int) -> None:
        value &= 0xFF
        self.crc = crc8((value,), self.crc)
        self._data.append(value)
        acks = [device.write_byte(value) for device in self._active]  # every device sees the byte
        if not any(acks):
            self._nak_at = len(self._data) - 1
            raise _Nak()

    def read(self) -> int:
        value = 0xFF  # the pull-up: wired-AND of everyone driving SDA
        for device in self._active:
            value &= device.read_byte() & 0xFF
        self.crc = crc8((value,), self.crc)
        self._data.append(value)
        return value

    def write_pec(self) -> None:
        pec = self.crc
        self.write(pec)
        self.pec = True

    def read_pec(self) -> None:
        expected = self.crc
        got = self.read()
        self.pec = True
        if got != expected:
            raise _os_error(errno.EBADMSG, f"PEC {got:02X}h, expected {expected:02X}h")

    def wire(self, error: str | None, kind: str | None = None) -> WireTransaction:
        """What crossed the wire, up to (not including) the STOP."""
        self._close_part()
        return WireTransaction(tuple(self.parts), self.pec, error, self.master, kind=kind)

    def stop(self) -> None:
        """The STOP condition: every device addressed sees it."""
        for device in self.touched:
            device.stop()


class SimulatedSMBus:
    """A simulated I2C adapter with smbus2.SMBus's methods and errnos.

    ``root`` is the segment wired to the adapter; devices implementing
    ``downstream()`` (muxes) connect further segments.  ``faults`` is the
    same object the slaves and the simulated BMC consume.  ``nak_errno`` is
    what an address NAK is reported as: ENXIO (i801, most), EREMOTEIO
    (designware, imx) or EIO.
    """

    simulated = True

    def __init__(self, name: str = "default", *, root: Segment | None = None,
                 clock: Clock | None = None, faults: Faults | None = None,
                 funcs: int = DEFAULT_FUNCS, clock_hz: int = 100_000, pace: bool = False,
                 nak_errno: int = errno.ENXIO, tracer: Callable[[str], None] | None = None,
                 transcript_limit: int = 10_000) -> None:
        if nak_errno not in NAK_ERRNOS:
            raise ValueError(f"nak_errno must be one of ENXIO, EREMOTEIO, EIO, not {nak_errno}")
        self.name = name
        self.root = root if root is not None else Segment("root")
        self.clock = clock if clock is not None else SystemClock()
        #: None until armed or asked for: a platform's simulated bus never injects faults
        #: unless a test arms them, and then it does not import the fault module at all.
        self._faults = faults
        self.funcs = int(funcs)
        self.timing = WireTiming(clock_hz)
        self.pace = pace
        self.nak_errno = nak_errno
        self.tracer = tracer
        self.transcript: deque[WireTransaction] = deque(maxlen=transcript_limit)
        self.fd = None
        self.address: int | None = None
        self._pec = 0
        self._closed = False
        #: How late the last paced wait woke up: taken off the next one.
        self._late = 0.0
        #: No device had idle-time work left the last time it was asked (:meth:`_idle`).
        self._idle_done = False
        #: ids of the devices the bus drove (addressed, or let work while idle) since
        #: the owner last cleared it: only those can have changed through the bus, so a
        #: platform's simulated world snapshots only them after a request.
        self.touched: set[int] = set()

    @property
    def faults(self) -> Faults:
        """The armed faults (made empty on first use when none were handed in)."""
        if self._faults is None:
            from chassisctl.sim.faults import Faults

            self._faults = Faults()
        return self._faults

    # -- smbus2 housekeeping ------------------------------------------------
    @property
    def path(self) -> str:
        return f"sim:{self.name}"

    @property
    def wire_seconds(self) -> float:
        """Total time the simulated wire was busy so far."""
        return self.timing.total

    @property
    def pec(self) -> int:
        return self._pec

    @pec.setter
    def pec(self, enable: bool) -> None:
        if enable and not self.funcs & I2cFunc.SMBUS_PEC:
            raise OSError("SMBUS_PEC is not a feature")
        self._pec = int(bool(enable))

    def enable_pec(self, enable: bool = True) -> None:
        self.pec = enable

    def open(self, bus: object = None) -> None:
        self._closed = False

    def close(self) -> None:
        self._closed = True
        self._pec = 0
        self.address = None

    def __enter__(self) -> SimulatedSMBus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def clear_transcript(self) -> None:
        self.transcript.clear()

    # -- topology -------------------------------------------------------------
    def segments(self) -> list[Segment]:
        """The root and every segment a mux connects right now (breadth first)."""
        # Asked three times a transfer: the queue is the result, and segments seen are
        # skipped by id when queued, which keeps the breadth-first order of first visits.
        found = [self.root]
        seen = {id(self.root)}
        for segment in found:  # grows while walked
            for device in list(segment.devices.values()):
                downstream = getattr(device, "downstream", None)
                if callable(downstream):
                    for child in downstream():
                        if id(child) not in seen:
                            seen.add(id(child))
                            found.append(child)
        return found

    def _resolve(self, addr: int) -> list[I2cSlave]:
        devices: list[I2cSlave] = []
        for segment in self.segments():
            device = segment.devices.get(addr)
            if device is not None and all(device is not d for d in devices):
                devices.append(device)
        return devices

    def _devices(self) -> Iterator[I2cSlave]:
        seen: list[I2cSlave] = []
        for segment in self.segments():
            for device in list(segment.devices.values()):
                if all(device is not d for d in seen):
                    seen.append(device)
                    yield device

    # -- the transaction engine -------------------------------------------------
    def _transact(self, body: Callable[[_Transfer], T], *, kind: str, addr: int,
                  need: int = 0, master: str = "host", faults: bool = True) -> T:
        """Run ``body`` as one START..STOP, applying faults, errnos, transcript and time."""
        began = self.clock.monotonic()
        if self._closed:
            raise _os_error(errno.EBADF, "bus is closed")
        if need and not self.funcs & need:
            raise _os_error(errno.EOPNOTSUPP, f"adapter lacks {I2cFunc.names(need)}")
        armed = self._faults if faults else None  # None: nothing was ever armed on this bus
        if armed is not None and armed.is_stuck:
            self._record(WireTransaction((), error="EBUSY", master=master, stretch=SMBUS_TIMEOUT, kind=kind),
                         began)
            raise _os_error(errno.EBUSY, "bus stuck busy")
        if self._held_low(addr):
            self._record(WireTransaction((WirePart(addr, False),), error="ETIMEDOUT", master=master,
                                         stretch=SMBUS_TIMEOUT, kind=kind), began, force_sleep=True)
            raise _os_error(errno.ETIMEDOUT, "SDA held low on a connected mux channel")
        if armed is not None and armed.take("timeout"):
            txn = WireTransaction((WirePart(addr, False),), error="ETIMEDOUT", master=master,
                                  stretch=SMBUS_TIMEOUT, kind=kind)
            self._record(txn, began, force_sleep=True)
            raise _os_error(errno.ETIMEDOUT, "slave held SCL past t_TIMEOUT")
        transfer = _Transfer(self, master)
        if armed is not None and armed.take("nak_reads" if kind == "R" else "nak_writes"):
            transfer.parts.append(WirePart(addr, False, b"", acked=False))
            self._finish(transfer, self._errno_name(self.nak_errno), kind, began)
            raise _os_error(self.nak_errno, f"injected NAK at {addr:#04x}")
        self.address = addr
        try:
            result = body(transfer)
        except _Nak:
            self._finish(transfer, self._errno_name(self.nak_errno), kind, began)
            raise _os_error(self.nak_errno, f"no acknowledge from {addr:#04x}") from None
        except OSError as exc:
            self._finish(transfer, self._errno_name(exc.errno), kind, began)
            raise
        self._finish(transfer, None, kind, began)
        return result

    def _finish(self, transfer: _Transfer, error: str | None, kind: str, began: float) -> None:
        """Record (and, when pacing, wait out) the transfer, then deliver the STOP.

        The STOP comes last because that is when it happens on a real wire:
        a slave that starts working on a request at the STOP (an SSIF BMC,
        an IPMB responder) then starts its turnaround after the bytes'
        wire time, not before it.
        """
        self._record(transfer.wire(error, kind), began)
        transfer.stop()

    def _held_low(self, addr: int) -> bool:
        """A connected channel is stuck (``stuck_connected()``): every transaction
        times out, except one to the mux connecting it while that mux stays
        reachable, so it can still be told to deselect."""
        for segment in self.segments():
            for mux_addr, device in segment.devices.items():
                stuck = getattr(device, "stuck_connected", None)
                if callable(stuck) and stuck():
                    if mux_addr != addr or not getattr(device, "mux_reachable_when_stuck", True):
                        return True
        return False

    @staticmethod
    def _errno_name(code: int | None) -> str:
        return errno.errorcode.get(code or 0, str(code))

    def _record(self, txn: WireTransaction, began: float, force_sleep: bool = False) -> None:
        self.transcript.append(txn)
        seconds = self.timing.account(txn)
        if self.tracer is not None:
            self.tracer(f"i2c {self.path} {txn}")
        if self.pace or force_sleep:
            self._pace(seconds, began)

    def _pace(self, seconds: float, began: float) -> None:
        """Wait until ``seconds`` of wire time after ``began``, less what the previous wait overslept."""
        due = began + seconds - self._late
        now = self.clock.monotonic()
        if due <= now:
            self._late = max(self._late - seconds, 0.0)
            return
        self._idle(due)
        if self.clock.monotonic() >= due:
            self._late = 0.0  # the devices' own work ran past the wire time: that is no credit
            return
        sleep_until(self.clock, due, exact=True)
        self._late = min(max(self.clock.monotonic() - due, 0.0), MAX_PACING_CREDIT)

    def _idle(self, until: float) -> None:
        """The wire is busy until ``until``: devices may prepare meanwhile (``idle(until)``).

        A real BMC runs beside the bus; the simulated one lives in the
        host's process and would otherwise do its first-request set-up
        (state file, SDR synthesis cache, responder) after the request's
        STOP, on top of the modelled turnaround.  A device's ``idle``
        returns True while it has more to prepare; once none has, the bus
        stops asking.
        """
        if self._idle_done:
            return
        busy = False
        for device in self._devices():
            idle = getattr(device, "idle", None)
            if callable(idle):
                self.touched.add(id(device))
                if idle(until):
                    busy = True
        self._idle_done = not busy

    def wait_ready(self, addr: int, deadline: float) -> bool:
        """Wait until the device at ``addr`` has its response ready (``ready_at()``), exactly.

        Only a transport that knows it talks to the simulator asks: it then
        reads when the modelled turnaround ends instead of guessing it and
        polling, which on this clock costs a NAKed read or a late one.  False,
        without waiting, when the bus is not paced in real time, no device
        there has a response coming, or it comes only after the caller's
        ``deadline``: the caller polls as it would on hardware (and times
        out as it would).
        """
        if not self.pace:
            return False
        for device in self._resolve(addr):
            ready_at = getattr(device, "ready_at", None)
            when = ready_at() if callable(ready_at) else None
            if when is not None and when <= deadline:
                if when > self.clock.monotonic():
                    self._idle(when)
                    sleep_until(self.clock, when, exact=True)
                return True
        return False

    # -- SMBus protocol ------------------------------------------------------------
    def _smbus_read(self, addr: int, register: int | None, nbytes: int, need: int,
                    block: bool = False, write: bytes | None = None) -> list[int]:
        """``S addr|W [reg [count data]] Sr addr|R data [PEC] P`` (or a plain read)."""
        use_pec = bool(self._pec)

        def body(t: _Transfer) -> list[int]:
            if register is not None:
                t.start(addr, False)
                t.write(register)
                if write is not None:
                    t.write(len(write))
                    for b in write:
                        t.write(b)
            t.start(addr, True)
            count = nbytes
            if block:
                count = t.read()
                if not 1 <= count <= BLOCK_MAX:
                    raise _os_error(errno.EPROTO, f"block count {count}")
            data = [t.read() for _ in range(count)]
            if use_pec:
                t.read_pec()
            return data

        return self._transact(body, kind="R", addr=addr, need=need)

    def _smbus_write(self, addr: int, data: Iterable[int], need: int, pec: bool | None = None) -> None:
        """``S addr|W data... [PEC] P``."""
        use_pec = bool(self._pec) if pec is None else pec
        payload = [b & 0xFF for b in data]

        def body(t: _Transfer) -> None:
            t.start(addr, False)
            for b in payload:
                t.write(b)
            if use_pec:
                t.write_pec()

        self._transact(body, kind="W", addr=addr, need=need)

    def write_quick(self, i2c_addr: int, force: bool | None = None) -> None:
        self._smbus_write(i2c_addr, (), I2cFunc.SMBUS_QUICK, pec=False)

    def read_byte(self, i2c_addr: int, force: bool | None = None) -> int:
        return self._smbus_read(i2c_addr, None, 1, I2cFunc.SMBUS_READ_BYTE)[0]

    def write_byte(self, i2c_addr: int, value: int, force: bool | None = None) -> None:
        self._smbus_write(i2c_addr, (value,), I2cFunc.SMBUS_WRITE_BYTE)

    def read_byte_data(self, i2c_addr: int, register: int, force: bool | None = None) -> int:
        return self._smbus_read(i2c_addr, register, 1, I2cFunc.SMBUS_READ_BYTE_DATA)[0]

    def write_byte_data(self, i2c_addr: int, register: int, value: int, force: bool | None = None) -> None:
        self._smbus_write(i2c_addr, (register, value), I2cFunc.SMBUS_WRITE_BYTE_DATA)

    def read_word_data(self, i2c_addr: int, register: int, force: bool | None = None) -> int:
        lo, hi = self._smbus_read(i2c_addr, register, 2, I2cFunc.SMBUS_READ_WORD_DATA)
        return lo | hi << 8

    def write_word_data(self, i2c_addr: int, register: int, value: int, force: bool | None = None) -> None:
        self._smbus_write(i2c_addr, (register, value & 0xFF, (value >> 8) & 0xFF), I2cFunc.SMBUS_WRITE_WORD_DATA)

    def process_call(self, i2c_addr: int, register: int, value: int, force: bool | None = None) -> int:
        use_pec = bool(self._pec)

        def body(t: _Transfer) -> int:
            t.start(i2c_addr, False)
            for b in (register, value & 0xFF, (value >> 8) & 0xFF):
                t.write(b)
            t.start(i2c_addr, True)
            lo, hi = t.read(), t.read()
            if use_pec:
                t.read_pec()
            return lo | hi << 8

        return self._transact(body, kind="R", addr=i2c_addr, need=I2cFunc.SMBUS_PROC_CALL)

    def read_block_data(self, i2c_addr: int, register: int, force: bool | None = None) -> list[int]:
        return self._smbus_read(i2c_addr, register, 0, I2cFunc.SMBUS_READ_BLOCK_DATA, block=True)

    def write_block_data(self, i2c_addr: int, register: int, data: Iterable[int],
                         force: bool | None = None) -> None:
        data = list(data)
        if len(data) > BLOCK_MAX:
            raise ValueError(f"Data length cannot exceed {BLOCK_MAX} bytes")
        self._smbus_write(i2c_addr, [register, len(data), *data], I2cFunc.SMBUS_WRITE_BLOCK_DATA)

    def block_process_call(self, i2c_addr: int, register: int, data: Iterable[int],
                           force: bool | None = None) -> list[int]:
        data = list(data)
        if len(data) > BLOCK_MAX:
            raise ValueError(f"Data length cannot exceed {BLOCK_MAX} bytes")
        return self._smbus_read(i2c_addr, register, 0, I2cFunc.SMBUS_BLOCK_PROC_CALL, block=True,
                                write=bytes(b & 0xFF for b in data))

    def read_i2c_block_data(self, i2c_addr: int, register: int, length: int,
                            force: bool | None = None) -> list[int]:
        if length > BLOCK_MAX:
            raise ValueError(f"Desired block length over {BLOCK_MAX} bytes")

        def body(t: _Transfer) -> list[int]:
            t.start(i2c_addr, False)
            t.write(register)
            t.start(i2c_addr, True)
            return [t.read() for _ in range(length)]

        return self._transact(body, kind="R", addr=i2c_addr, need=I2cFunc.SMBUS_READ_I2C_BLOCK)

    def write_i2c_block_data(self, i2c_addr: int, register: int, data: Iterable[int],
                             force: bool | None = None) -> None:
        data = list(data)
        if len(data) > BLOCK_MAX:
            raise ValueError(f"Data length cannot exceed {BLOCK_MAX} bytes")
        self._smbus_write(i2c_addr, [register, *data], I2cFunc.SMBUS_WRITE_I2C_BLOCK, pec=False)

    # -- plain I2C -------------------------------------------------------------------
    def i2c_rdwr(self, *i2c_msgs: i2c_msg) -> None:
        """Combined transfer of smbus2 ``i2c_msg`` objects, one STOP at the end.

        Read results land in each message's own buffer, as the ioctl does,
        so ``list(msg)`` and ``bytes(msg)`` work afterwards.  PEC is never
        added here (the kernel does not either).
        """
        if not 1 <= len(i2c_msgs) <= RDWR_MAX_MSGS:
            raise _os_error(errno.EINVAL, f"{len(i2c_msgs)} messages")
        for msg in i2c_msgs:
            if msg.flags & ~I2C_M_RD:
                raise _os_error(errno.EOPNOTSUPP, f"i2c_msg flags {msg.flags:#06x}")
        first = i2c_msgs[0]
        kind = "R" if any(m.flags & I2C_M_RD for m in i2c_msgs) else "W"

        def body(t: _Transfer) -> None:
            for msg in i2c_msgs:
                read = bool(msg.flags & I2C_M_RD)
                t.start(msg.addr, read)
                if read:
                    data = bytes(t.read() for _ in range(msg.len))
                    if data:
                        import ctypes  # only with real smbus2.i2c_msg objects, never on the SSIF path

                        ctypes.memmove(msg.buf, data, len(data))
                else:
                    for b in msg.buf[: msg.len]:  # what bytes(msg) gives
                        t.write(b)

        self._transact(body, kind=kind, addr=first.addr, need=I2cFunc.I2C)

    # -- other masters (IPMB responders delivering their answers) ------------------------
    def master_write(self, addr: int, data: bytes, *, master: str) -> bool:
        """A simulated device writes ``data`` to ``addr`` as bus master; True if ACKed.

        Host-side faults do not apply: they model the host adapter.
        """
        payload = bytes(data)

        def body(t: _Transfer) -> None:
            t.start(addr, False)
            for b in payload:
                t.write(b)

        try:
            self._transact(body, kind="W", addr=addr, master=master, faults=False)
        except OSError:
            return False
        return True

    def service(self) -> None:
        """Let devices with due outgoing frames master the bus (``due_frames(now)``)."""
        now = self.clock.monotonic()
        for device in list(self._devices()):
            due = getattr(device, "due_frames", None)
            if callable(due):
                for addr, data, master in due(now):
                    self.master_write(addr, data, master=master)

    def next_due(self) -> float | None:
        """Earliest clock time a device wants the bus (``next_due()``), or None."""
        times = []
        for device in self._devices():
            next_due = getattr(device, "next_due", None)
            if callable(next_due):
                when = next_due()
                if when is not None:
                    times.append(when)
        return min(times) if times else None
