"""IPMB on the simulated bus: a responding controller and a host ``/dev/ipmb-N``.

On IPMB both ends are masters: the requester writes its frame to the
responder's address, and the responder later writes its answer to the
requester's own slave address — there are no I2C reads.  So the simulation
needs two slave roles:

- :class:`IpmbResponder` (a BMC or satellite controller) receives request
  frames, drops those with a bad checksum as hardware does, and schedules the
  answer frame for delivery ``turnaround`` seconds of clock time later;
- :class:`SimIpmbDevice` imitates the Linux ``ipmb_dev_int`` character
  device on the host: it is the host's slave (collecting frames written to
  its address) and offers the device file's API, ``write([len] + frame)``
  and ``read(timeout)`` -> ``[len] + frame``.

Nothing runs in the background: a ``read`` lets the bus deliver whatever is
due (:meth:`SimulatedSMBus.service`), sleeping on the injected clock until the
next delivery or the timeout, so a :class:`FakeClock` makes it instant.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from chassisctl.clock import Clock, sleep_until
from chassisctl.ipmi.decode_errors import DecodeError
from chassisctl.ipmi.ipmb import IpmbRequest
from chassisctl.sim.faults import Faults
from chassisctl.sim.i2c import Segment

TYPE_CHECKING = False  # not typing's: importing typing costs a simulated IPMB command milliseconds
if TYPE_CHECKING:
    from chassisctl.sim.bus import SimulatedSMBus

#: Longest frame either side accepts (IPMB messages are at most 32 bytes on
#: the wire by the spec; ipmb_dev_int allows up to 240).
MAX_FRAME = 256


class _FrameSlave:
    """The I2C slave half both IPMB ends share: one written frame per transaction.

    A frame is the bytes written after the address, kept behind our own
    (8-bit) address as IPMB checksums cover it; reads are NAKed, as IPMB has
    none.  Subclasses take the frame in ``_receive`` and may refuse a
    transaction in ``_accept``.
    """

    my_addr: int
    _rx: bytearray | None = None

    def _accept(self) -> bool:
        return True

    def _receive(self, frame: bytes) -> None:
        raise NotImplementedError

    def start(self, read: bool) -> bool:
        alive = self._accept()
        if read or not alive:
            self._rx = None
            return False
        self._rx = bytearray((self.my_addr,))
        return True

    def write_byte(self, value: int) -> bool:
        if self._rx is None or len(self._rx) >= MAX_FRAME:
            return False
        self._rx.append(value & 0xFF)
        return True

    def read_byte(self) -> int:
        return 0xFF

    def stop(self) -> None:
        frame, self._rx = self._rx, None
        if frame is not None and len(frame) > 1:
            self._receive(bytes(frame))


class IpmbResponder(_FrameSlave):
    """A controller at 8-bit address ``my_addr`` answering IPMB requests with ``handler``.

    ``handler`` has the SSIF slave's signature (request payload
    ``netFn<<2|LUN, cmd, data`` in, response payload out), so one simulated
    BMC answers both transports.  Attach it at ``my_addr >> 1``.
    """

    def __init__(self, handler: Callable[[bytes], bytes], clock: Clock, *, my_addr: int = 0x20,
                 turnaround: float = 0.002, faults: Faults | None = None) -> None:
        if my_addr & 1:
            raise ValueError(f"IPMB address {my_addr:#04x} is odd: use the 8-bit (even) form")
        self.handler = handler
        self.clock = clock
        self.my_addr = my_addr
        self.turnaround = turnaround
        self.faults = faults if faults is not None else Faults()
        #: Valid request frames received, in order (tests count executions).
        self.requests: list[IpmbRequest] = []
        #: Frames dropped for bad checksums or framing.
        self.dropped = 0
        self._in_txn = False
        self._alive = True
        self._outbox: list[tuple[float, int, bytes]] = []

    # -- I2cSlave -------------------------------------------------------------
    def _accept(self) -> bool:
        """Fault injection decides once per transaction (repeated starts share it)."""
        if not self._in_txn:
            self._in_txn = True
            self._alive = self.faults.transaction()
        return self._alive

    def stop(self) -> None:
        self._in_txn = False
        super().stop()

    # -- protocol -----------------------------------------------------------------
    def _receive(self, frame: bytes) -> None:
        try:
            request = IpmbRequest.decode(frame)
        except DecodeError:
            self.dropped += 1
            return
        if request.rq_sa & 1:
            self.dropped += 1  # a software ID cannot be written back to
            return
        self.requests.append(request)
        payload = bytes((request.netfn << 2 | request.rs_lun, request.cmd)) + request.data
        received = self.clock.monotonic()  # the turnaround includes the model's own work
        answer = bytes(self.handler(payload))
        if len(answer) < 3:
            return  # the model chose not to answer
        frame_out = request.reply(answer[2], answer[3:]).encode()
        when = received + self.turnaround
        self._outbox.append((when, request.rq_sa >> 1, frame_out[1:]))

    def due_frames(self, now: float) -> list[tuple[int, bytes, str]]:
        """Frames to master onto the bus now: ``(7-bit addr, bytes after the address, master)``."""
        due = [item for item in self._outbox if item[0] <= now]
        self._outbox = [item for item in self._outbox if item[0] > now]
        return [(addr, data, f"ipmb {self.my_addr:02X}h") for _, addr, data in due]

    def next_due(self) -> float | None:
        return min((item[0] for item in self._outbox), default=None)


class SimIpmbDevice(_FrameSlave):
    """The host's ``/dev/ipmb-N``: a slave at ``my_addr`` plus the device file API.

    It attaches itself to ``segment`` (the bus root by default) at
    ``my_addr >> 1``.  Frames are queued as received, checksums unchecked
    (the transport drops bad ones, as it must with the real device).
    """

    def __init__(self, bus: SimulatedSMBus, *, my_addr: int = 0x10, clock: Clock | None = None,
                 segment: Segment | None = None, queue_limit: int = 64) -> None:
        if my_addr & 1:
            raise ValueError(f"IPMB address {my_addr:#04x} is odd: use the 8-bit (even) form")
        self.bus = bus
        self.my_addr = my_addr
        self.clock = clock if clock is not None else bus.clock
        #: For messages, like a device file's name.
        self.name = str(getattr(bus, "path", "sim"))
        self._queue: deque[bytes] = deque(maxlen=queue_limit)
        (segment if segment is not None else bus.root).attach(my_addr >> 1, self)

    # -- I2cSlave (frames written to the host) --------------------------------------
    def _receive(self, frame: bytes) -> None:
        self._queue.append(bytes((len(frame),)) + frame)

    # -- the character device -------------------------------------------------------
    def write(self, data: bytes) -> int:
        """Transmit ``[len] + frame`` as bus master; OSError (ENXIO...) when NAKed."""
        from smbus2 import i2c_msg

        data = bytes(data)
        if len(data) < 2 or data[0] != len(data) - 1:
            raise OSError(22, f"ipmb write: length byte {data[:1].hex() or 'missing'} "
                              f"does not match {max(len(data) - 1, 0)} frame bytes")
        frame = data[1:]
        self.bus.i2c_rdwr(i2c_msg.write(frame[0] >> 1, frame[1:]))
        return len(data)

    def read(self, timeout: float | None = None) -> bytes:
        """``[len] + frame`` of the next received frame, or ``b""`` when none came.

        ``timeout=0`` polls; ``timeout=None`` waits for the next scheduled
        delivery and returns ``b""`` if nothing is scheduled at all (a real
        device would block forever; the simulator must not hang).
        """
        deadline = None if timeout is None else self.clock.monotonic() + max(0.0, timeout)
        while True:
            self.bus.service()
            if self._queue:
                return self._queue.popleft()
            now = self.clock.monotonic()
            if deadline is not None and now >= deadline:
                return b""
            due = self.bus.next_due()
            if due is None:
                if deadline is None:
                    return b""
                self.clock.sleep(deadline - now)
                continue
            wake = due if deadline is None else min(due, deadline)
            # always move forward, so a delivery due "now" cannot spin; on a paced
            # bus wake when the delivery is due, not a timer's slack later
            sleep_until(self.clock, max(wake, now + 1e-6), exact=bool(getattr(self.bus, "pace", False)))

    def pending(self) -> int:
        return len(self._queue)

    def fileno(self) -> int | None:
        return None

    def close(self) -> None:
        self._queue.clear()
