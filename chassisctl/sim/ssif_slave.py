"""``SsifSlave``: the BMC end of SSIF, at the byte level, driven by bus events.

It follows the Linux ``ssif_bmc`` driver's model (ready, command byte,
receiving a request, sending a response, aborting) because that is what a
modern OpenBMC answers with, and it sees exactly the bytes a real slave
would: so single and multi-part framing, PEC auto-detection, busy NAKs and
abandoned responses are exercised for real by the production transport.

Behaviour, in the order a request flows (IPMI v2.0 ch. 12 as ``ssif_bmc`` and QEMU implement it):

- Block writes 02h (single-part), 06h/07h/08h (multi-part; a short 07h also
  ends the request, as QEMU accepts).  A write that carries a valid PEC byte
  switches PEC on for the response; a bad PEC drops the request and
  everything up to the next 02h/06h start.  A new 02h/06h discards any
  pending response.
- When the request is complete ``handler(payload)`` answers it at once, but
  reads are NAKed (the master sees ENXIO: "not ready") until ``turnaround``
  seconds of clock time have passed since the STOP; the handler's own
  running time is part of it, as a real BMC's processing is.  A handler
  answer shorter than netFn, cmd and CC means "no answer" (a hung BMC
  task): reads NAK until the next request, as for the IPMB responder.
- Reads 03h (single-part, or multi-part start ``00 01`` + 30 bytes), 09h
  (numbered middle blocks, FFh-numbered end), 0Ah N (re-read block N).  The
  response may be re-read from 03h until 500 ms of clock time pass without
  a read, then it is abandoned.
- Get System Interface Capabilities (App 57h, data 00h) is answered here
  from ``capabilities`` by default, so what the BMC advertises is always
  what this slave implements.
"""

from __future__ import annotations

from collections.abc import Callable

from chassisctl.clock import Clock
from chassisctl.ipmi.codes import AppCmdInt, CompletionCodeInt, NetFnInt
from chassisctl.ipmi.pec import crc8
from chassisctl.ipmi.ssif import BLOCK_MAX, MESSAGE_MAX, SsifCapabilities, SsifCmdInt, read_blocks
from chassisctl.sim.faults import Faults

#: An unread response is dropped after this long (``ssif_bmc``).
ABANDON_AFTER = 0.5

_WRITE_CMDS = {SsifCmdInt.SINGLE_WRITE, SsifCmdInt.MULTI_WRITE_START,
               SsifCmdInt.MULTI_WRITE_MIDDLE, SsifCmdInt.MULTI_WRITE_END}
_READ_CMDS = {SsifCmdInt.READ_START, SsifCmdInt.READ_MIDDLE, SsifCmdInt.READ_RETRY}


class State:
    """The slave's states (``ssif_bmc``'s, named as text): plain strings, not an
    enum, since every simulated command builds this module and an Enum class
    costs ~0.2 ms to create, and each byte on the wire compares one."""

    READY = "ready"
    SMBUS_CMD = "command byte"
    REQ_RECVING = "receiving request"
    READ_CMD = "read command received"
    RES_SENDING = "sending response"
    IGNORING = "ignoring"
    #: aborting: writes are acknowledged and dropped until the next start write
    DISCARDING = "discarding"


class SsifSlave:
    """An SSIF BMC interface answering with ``handler``; implements ``I2cSlave``.

    ``handler`` takes a request payload (``netFn<<2|LUN, cmd, data``) and
    returns the response payload (``(netFn|1)<<2|LUN, cmd, CC, data``).
    ``addr`` is the 7-bit address it is attached at (needed for PEC, which
    covers the address bytes).
    """

    def __init__(self, handler: Callable[[bytes], bytes], clock: Clock, *, addr: int = 0x10,
                 turnaround: float = 0.0005, capabilities: SsifCapabilities | None = None,
                 faults: Faults | None = None, answer_capabilities: bool = True,
                 abandon_after: float = ABANDON_AFTER, prepare: Callable[[float], bool] | None = None) -> None:
        self.handler = handler
        #: Work the BMC behind ``handler`` may do while the bus is busy (:meth:`idle`).
        self.prepare = prepare
        self.clock = clock
        self.addr = addr
        self.turnaround = turnaround
        self.capabilities = capabilities if capabilities is not None else SsifCapabilities.full()
        self.faults = faults if faults is not None else Faults()
        self.answer_capabilities = answer_capabilities
        self.abandon_after = abandon_after
        #: Complete requests handed to ``handler`` (tests count executions with it).
        self.requests: list[bytes] = []
        self.state = State.READY
        self._in_txn = False
        self._alive = True
        self._not_ready = False
        self._aborting = False
        self._wire = bytearray()
        self._cmd = 0
        self._rx = bytearray()
        self._request = bytearray()
        self._multi_writing = False
        self._retry_block: int | None = None
        self._blocks: list[bytes] | None = None
        self._next_block = 0
        self._resp_pec = False
        self._ready_at = 0.0
        self._deadline = 0.0
        self._tx = b""
        self._tx_pos = 0

    # -- I2cSlave -------------------------------------------------------------
    def start(self, read: bool) -> bool:
        if not self._in_txn:
            self._in_txn = True
            self._alive = not self.faults.is_dead
            self._not_ready = False
        if not self._alive:
            return False
        address_byte = (self.addr << 1) | int(read)
        if not read:
            self._wire = bytearray((address_byte,))
            self.state = State.SMBUS_CMD
            return True
        if self.state != State.READ_CMD:
            self.state = State.IGNORING
            return False
        self._wire.append(address_byte)
        return self._begin_read()

    def write_byte(self, value: int) -> bool:
        value &= 0xFF
        self._wire.append(value)
        if self.state == State.SMBUS_CMD:
            return self._command(value)
        if self.state == State.REQ_RECVING:
            self._rx.append(value)
            count = self._rx[0]
            # count, data and at most one PEC byte
            return count <= BLOCK_MAX and len(self._rx) <= count + 2
        if self.state == State.DISCARDING:
            return True
        if self.state == State.READ_CMD and self._cmd == SsifCmdInt.READ_RETRY and self._retry_block is None:
            self._retry_block = value
            return True
        return False

    def read_byte(self) -> int:
        if self.state != State.RES_SENDING:
            return 0xFF
        if self._tx_pos < len(self._tx):
            value = self._tx[self._tx_pos]
        else:
            value = 0x00  # past the PEC: ssif_bmc sends zeros
        self._tx_pos += 1
        return value

    def stop(self) -> None:
        if self._in_txn and self._alive and not self._not_ready:
            # dead_after counts transactions the BMC took part in; a read it
            # NAKed only because the response was not ready yet is not one,
            # so how often a master polls does not move the moment it dies.
            self.faults.transaction()
        if self.state == State.REQ_RECVING and self._alive:
            self._finish_write()
        self.state = State.READY
        self._in_txn = False
        self._tx, self._tx_pos = b"", 0
        self._rx = bytearray()

    # -- writes -----------------------------------------------------------------
    def _command(self, cmd: int) -> bool:
        self._cmd = cmd
        self._retry_block = None
        if cmd in _READ_CMDS:
            self.state = State.READ_CMD
            return True
        if cmd not in _WRITE_CMDS:
            self.state = State.IGNORING
            return False
        if cmd in (SsifCmdInt.SINGLE_WRITE, SsifCmdInt.MULTI_WRITE_START):
            if cmd == SsifCmdInt.MULTI_WRITE_START and not self.capabilities.multipart_write:
                self.state = State.IGNORING
                return False
            self._blocks = None  # a new request discards the pending response
            self._aborting = False
            self._request = bytearray()
            self._multi_writing = False
        elif self._aborting:
            self.state = State.DISCARDING
            return True  # dropped until the next start write, but not NAKed
        elif not self._multi_writing:
            self.state = State.IGNORING
            return False
        self.state = State.REQ_RECVING
        self._rx = bytearray()
        return True

    def _finish_write(self) -> None:
        rx, cmd = self._rx, self._cmd
        if not rx:
            return self._abort()
        count = rx[0]
        if len(rx) == count + 1:
            pec, data = False, bytes(rx[1:])
        elif len(rx) == count + 2 and rx[-1] == crc8(self._wire[:-1]):
            pec, data = True, bytes(rx[1:-1])
        else:
            return self._abort()  # short block, or a bad PEC byte
        if cmd == SsifCmdInt.SINGLE_WRITE:
            if count == 0:
                return self._abort()
            self._request = bytearray(data)
            return self._complete(pec)
        if cmd == SsifCmdInt.MULTI_WRITE_START:
            if count != BLOCK_MAX:
                return self._abort()
            self._request = bytearray(data)
            self._multi_writing = True
            return None
        self._request += data
        if len(self._request) > min(self.capabilities.max_request, MESSAGE_MAX):
            return self._abort()
        if cmd == SsifCmdInt.MULTI_WRITE_MIDDLE and count == BLOCK_MAX:
            return None
        if cmd == SsifCmdInt.MULTI_WRITE_END and count == 0:
            return self._abort()
        return self._complete(pec)

    def _abort(self) -> None:
        self._aborting = True
        self._multi_writing = False
        self._request = bytearray()

    def _complete(self, pec: bool) -> None:
        payload = bytes(self._request)
        self._request = bytearray()
        self._multi_writing = False
        if len(payload) < 2:
            return self._abort()
        self.requests.append(payload)
        # The turnaround counts from the STOP and includes the model's own work,
        # as a real BMC's does: answering costs this process CPU time, which
        # must not come on top of the modelled delay.
        received = self.clock.monotonic()
        response = self._answer(payload)
        if len(response) < 3:
            self._blocks = None  # the model chose not to answer (as IpmbResponder)
            return None
        self._blocks = read_blocks(response)
        self._next_block = 0
        self._resp_pec = pec
        self._ready_at = received + self.turnaround
        # A response is abandoned only after it existed for abandon_after: a
        # model slowed by the shared state lock (parallel commands) must not
        # have timed its answer out before it was made.
        self._deadline = max(self._ready_at, self.clock.monotonic()) + self.abandon_after

    def _answer(self, payload: bytes) -> bytes:
        if (self.answer_capabilities and payload[0] >> 2 == NetFnInt.APP
                and payload[1] == AppCmdInt.GET_SYSTEM_INTERFACE_CAPABILITIES
                and len(payload) >= 3 and payload[2] & 0x0F == 0):
            response = bytes((payload[0] | 0x04, payload[1], CompletionCodeInt.OK)) + self.capabilities.encode()
        else:
            response = bytes(self.handler(payload))
        if len(response) > MESSAGE_MAX:
            raise ValueError(f"SSIF handler returned {len(response)} bytes; at most {MESSAGE_MAX}")
        limit = self.capabilities.max_response if self.capabilities.multipart_read else BLOCK_MAX
        if len(response) > limit:
            response = bytes((payload[0] | 0x04, payload[1], CompletionCodeInt.CANNOT_RETURN_REQUESTED_BYTES))
        return response

    # -- reads ------------------------------------------------------------------
    def _begin_read(self) -> bool:
        now = self.clock.monotonic()
        if self._blocks is not None and now > self._deadline:
            self._blocks = None  # abandoned: nobody read it in time
        if self.faults.take("count_zero"):
            return self._send(b"", pec=False)
        if self._blocks is None or now < self._ready_at:
            self.state = State.IGNORING
            self._not_ready = True
            return False  # busy: NAK the address
        blocks, cmd = self._blocks, self._cmd
        if cmd == SsifCmdInt.READ_START:
            index = 0
        elif cmd == SsifCmdInt.READ_MIDDLE:
            index = self._next_block
            if index == 0 or index >= len(blocks):
                self.state = State.IGNORING
                return False
        else:
            retry = self._retry_index(blocks)
            if retry is None:
                self.state = State.IGNORING
                return False
            index = retry
        self._next_block = index + 1
        self._deadline = now + self.abandon_after
        return self._send(self._faulty(blocks, index), pec=self._resp_pec)

    def _retry_index(self, blocks: list[bytes]) -> int | None:
        number = self._retry_block
        if number is None or len(blocks) < 2:
            return None
        for index, block in enumerate(blocks[1:], start=1):
            if block[0] == number:
                return index
        return None

    def _faulty(self, blocks: list[bytes], index: int) -> bytes:
        block = blocks[index]
        if self.faults.take("short_read"):
            return block[:2] if len(blocks) == 1 else block[:BLOCK_MAX - 1]
        if index > 0 and self.faults.take("truncated"):
            expected = index - 1
            return bytes(((expected + 1) & 0xFF,)) + block[1:]
        return block

    def _send(self, block: bytes, *, pec: bool) -> bool:
        tx = bytes((len(block),)) + block
        if pec:
            value = crc8(self._wire + tx)
            if self.faults.take("pec_error"):
                value ^= 0xFF
            tx += bytes((value,))
        self._tx, self._tx_pos = tx, 0
        self.state = State.RES_SENDING
        return True

    def idle(self, until: float) -> bool:
        """The bus is busy until clock time ``until``: let the BMC prepare; True while it has more to."""
        return self.prepare(until) if self.prepare is not None else False

    # -- introspection (tests, ``--debug``, the simulated bus) -----------------------
    def ready_at(self) -> float | None:
        """Clock time the pending response becomes readable (None: none is coming).

        The simulated bus tells a transport that knows it is talking to the
        simulator, so its wait follows the modelled turnaround exactly.
        """
        return self._ready_at if self._blocks is not None else None

    @property
    def response_pending(self) -> bool:
        return self._blocks is not None and self.clock.monotonic() <= self._deadline
