"""SSIF (SMBus System Interface) message framing, without any I/O.

SSIF carries a KCS-style payload (``netFn<<2|LUN, cmd, data``; the response
adds the completion code) in SMBus block transfers of at most 32 bytes.
Longer messages are split by the rules the Linux host driver ``ipmi_ssif``,
the Linux BMC driver ``ssif_bmc``, QEMU and FreeIPMI agree on (IPMI v2.0
ch. 12 leaves the multi-part write end ambiguous; all four send 08h): this
module turns a :class:`Request` into the list
of block writes to send, reassembles multi-part reads block by block, and
decodes Get System Interface Capabilities, which decides how much of that
the BMC supports.  The transport drives the bus; the simulated BMC uses the
same constants, so both sides of the simulation speak one dialect.
"""

from __future__ import annotations

from chassisctl.lazy_enum import enum_getattr

from chassisctl.namedtuple import NamedTuple

from chassisctl.ipmi._bytes import check_field, expect_length, le
from chassisctl.ipmi.codes import AppCmdInt, NetFnInt, command_name
from chassisctl.ipmi.decode_errors import DecodeError, EncodeError
from chassisctl.ipmi.message import Request, Response

#: Data bytes one SMBus block transfer carries.
BLOCK_MAX = 32
#: Longest IPMI message an SSIF BMC exchanges (``ssif_bmc`` caps requests at 254).
MESSAGE_MAX = 255
#: The start marker of a multi-part read: count 32, then ``00 01``.
MULTIPART_READ_MARKER = b"\x00\x01"
#: Block number that marks the last block of a multi-part read.
LAST_BLOCK = 0xFF


class SsifCmdInt:
    """SMBus command codes of SSIF (IPMI v2.0 ch. 12), the same in ipmi_ssif, ssif_bmc, QEMU and FreeIPMI.

    0Ah (re-read block N) is QEMU's; Linux's drivers never send it.
    """

    SINGLE_WRITE = 0x02
    READ_START = 0x03
    MULTI_WRITE_START = 0x06
    MULTI_WRITE_MIDDLE = 0x07
    MULTI_WRITE_END = 0x08
    READ_MIDDLE = 0x09
    READ_RETRY = 0x0A


class TransactionSupportInt:
    """SSIF transaction support, bits 7:6 of the capabilities' second byte (IPMI v2.0 Table 22-16)."""

    SINGLE_PART = 0
    #: Multi-part reads and writes with start and end transactions only.
    START_END = 1
    #: Multi-part reads and writes with start, middle and end transactions.
    START_MIDDLE_END = 2


class SsifCapabilities(NamedTuple):
    """The SSIF answer to Get System Interface Capabilities (IPMI v2.0 §22.9, Table 22-16).

    ``max_request``/``max_response`` count the whole SSIF message (netFn,
    cmd[, CC] and data), as the Linux driver uses them.  :meth:`decode`
    keeps what the BMC said; :meth:`clamped` is what a host may rely on.
    The BMC side (the simulator, the responder) encodes its own with
    :meth:`encode`; the SSIF transport reads it with
    :func:`decode_capabilities`.
    """

    transaction_support: int = TransactionSupportInt.SINGLE_PART
    pec_supported: bool = False
    version: int = 0
    max_request: int = BLOCK_MAX
    max_response: int = BLOCK_MAX

    @property
    def multipart_write(self) -> bool:
        return self.transaction_support != TransactionSupportInt.SINGLE_PART

    @property
    def multipart_read(self) -> bool:
        return self.transaction_support != TransactionSupportInt.SINGLE_PART

    def encode(self) -> bytes:
        """Response data after the completion code."""
        flags = (
            check_field(self.transaction_support, 2, "transaction_support") << 6
            | 0x08 * self.pec_supported
            | check_field(self.version, 3, "version")
        )
        return bytes([0, flags]) + le(self.max_request, 1, "max_request") + le(self.max_response, 1, "max_response")

    @classmethod
    def decode(cls, data: bytes) -> SsifCapabilities:
        """As the BMC answered (no clamps; the reserved support value 3 is kept)."""
        expect_length(data, 4, what="SSIF capabilities")
        return cls(data[1] >> 6, bool(data[1] & 0x08), data[1] & 0x07, data[2], data[3])

    @classmethod
    def full(cls) -> SsifCapabilities:
        """Everything on: start/middle/end transfers, PEC, 255-byte messages (QEMU's answer)."""
        return cls(TransactionSupportInt.START_MIDDLE_END, True, 0, MESSAGE_MAX, MESSAGE_MAX)

    def clamped(self) -> SsifCapabilities:
        """The limits Linux's ``ipmi_ssif`` applies: single-part only -> at most 32/32 bytes,
        start and end only -> 63 in / 62 out; a size below 3 cannot hold any message and is
        read as "not reported" (32)."""
        max_req = self.max_request if self.max_request >= 3 else BLOCK_MAX
        max_resp = self.max_response if self.max_response >= 3 else BLOCK_MAX
        if self.transaction_support == TransactionSupportInt.SINGLE_PART:
            max_req, max_resp = min(max_req, BLOCK_MAX), min(max_resp, BLOCK_MAX)
        elif self.transaction_support == TransactionSupportInt.START_END:
            max_req, max_resp = min(max_req, 63), min(max_resp, 62)
        support = __getattr__("TransactionSupport")(self.transaction_support)  # the IntEnum, built on first use
        return SsifCapabilities(support, self.pec_supported, self.version, max_req, max_resp)


#: What Linux assumes when Get System Interface Capabilities fails.
DEFAULT_CAPABILITIES = SsifCapabilities()


def get_capabilities_request() -> Request:
    """Get System Interface Capabilities for the SSIF interface (data ``00``)."""
    return Request(NetFnInt.APP, AppCmdInt.GET_SYSTEM_INTERFACE_CAPABILITIES, b"\x00")


def decode_capabilities(data: bytes) -> SsifCapabilities:
    """Decode App 57h response data (after the completion code), with Linux's clamps applied.

    See :meth:`SsifCapabilities.clamped`; the reserved transaction support
    value 3 is a decode error.
    """
    if len(data) < 4:
        raise DecodeError(f"Get System Interface Capabilities: {len(data)} data bytes, expected 4")
    if data[1] >> 6 == 3:
        raise DecodeError("Get System Interface Capabilities: reserved transaction support value 3")
    return SsifCapabilities.decode(bytes(data[:4])).clamped()


# --------------------------------------------------------------------------
# Payloads


def encode_request(request: Request) -> bytes:
    """``netFn<<2 | LUN, cmd, data...``: what the BMC's request buffer holds."""
    return bytes(((request.netfn & 0x3F) << 2 | (request.lun & 0x03), request.cmd & 0xFF)) + bytes(request.data)


def decode_request(payload: bytes) -> Request:
    """The BMC side: a received request payload as a :class:`Request`."""
    if len(payload) < 2:
        raise DecodeError(f"SSIF request of {len(payload)} byte(s); at least netFn and cmd needed")
    return Request(payload[0] >> 2, payload[1], bytes(payload[2:]), payload[0] & 0x03)


def encode_response(response: Response) -> bytes:
    """``(netFn|1)<<2 | LUN, cmd, CC, data...``."""
    return bytes(((response.netfn & 0x3F) << 2 | (response.lun & 0x03), response.cmd & 0xFF,
                  response.cc & 0xFF)) + bytes(response.data)


def decode_response(payload: bytes, request: Request | None = None) -> Response:
    """Decode a response payload, validated against ``request`` like the kernel does.

    ``resp[0] == req[0] | 0x04`` and ``resp[1] == req[1]`` and at least
    three bytes; anything else is :class:`DecodeError` (a stale or garbled
    read, never to be handed up as an answer).
    """
    if len(payload) < 3:
        raise DecodeError(f"SSIF response of {len(payload)} byte(s); at least netFn, cmd and CC needed")
    if request is not None:
        want0 = encode_request(request)[0] | 0x04
        if payload[0] != want0 or payload[1] != request.cmd:
            raise DecodeError(
                f"SSIF response {payload[0]:02X} {payload[1]:02X} does not answer "
                f"{command_name(request.netfn, request.cmd)} (expected {want0:02X} {request.cmd:02X})")
    elif not payload[0] & 0x04:
        raise DecodeError(f"SSIF response netFn byte {payload[0]:02X} is a request netFn")
    return Response(payload[0] >> 2, payload[1], payload[2], bytes(payload[3:]), payload[0] & 0x03)


# --------------------------------------------------------------------------
# Writes


class RequestTooLong(EncodeError):
    """A request longer than this BMC accepts over SSIF (its capabilities name the limit)."""


def write_plan(payload: bytes, caps: SsifCapabilities = DEFAULT_CAPABILITIES) -> list[tuple[int, bytes]]:
    """The block writes that send ``payload``: ``[(smbus command, block), ...]``.

    Single-part (02h) up to 32 bytes; beyond that start (06h, 32 bytes),
    middles (07h, 32 bytes) and an end (08h, 1-32 bytes), only when the
    capabilities allow.  Too long a request raises :class:`RequestTooLong`:
    it names the limit, because only the caller (``raw``, FRU writes) can shorten it.
    """
    size = len(payload)
    if size < 2:
        raise DecodeError(f"SSIF request of {size} byte(s); at least netFn and cmd needed")
    if size <= BLOCK_MAX:
        return [(SsifCmdInt.SINGLE_WRITE, bytes(payload))]
    limit = caps.max_request if caps.multipart_write else BLOCK_MAX
    if caps.transaction_support == TransactionSupportInt.START_END:
        limit = min(limit, 2 * BLOCK_MAX - 1)
    if size > limit:
        how = "single-part transfers only" if not caps.multipart_write else "its multi-part limit"
        raise RequestTooLong(f"request of {size} bytes is longer than the BMC accepts over SSIF "
                         f"({limit} bytes, {how})")
    chunks = [bytes(payload[i:i + BLOCK_MAX]) for i in range(0, size, BLOCK_MAX)]
    plan: list[tuple[int, bytes]] = [(SsifCmdInt.MULTI_WRITE_START, chunks[0])]
    plan += [(SsifCmdInt.MULTI_WRITE_MIDDLE, c) for c in chunks[1:-1]]
    plan.append((SsifCmdInt.MULTI_WRITE_END, chunks[-1]))
    return plan


# --------------------------------------------------------------------------
# Reads


class ReadAssembler:
    """Reassemble one response from the blocks of a (possibly multi-part) read.

    Feed the block of the 03h read first, then the block of each 09h read
    while :attr:`next_command` is not ``None``.  Every malformed or
    out-of-order block raises :class:`DecodeError`; the assembler is then
    spent and the caller starts over with a new one.
    """

    __slots__ = ("_parts", "_size", "_next_block", "_done", "_started")

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._size = 0
        self._next_block = 0
        self._done = False
        self._started = False

    @property
    def done(self) -> bool:
        return self._done

    @property
    def next_command(self) -> int | None:
        """The SMBus command of the next read, or ``None`` when complete."""
        if self._done:
            return None
        return SsifCmdInt.READ_MIDDLE if self._started else SsifCmdInt.READ_START

    def feed(self, block: bytes) -> bool:
        """Take one block (the data bytes after the count); True when complete."""
        block = bytes(block)
        if self._done:
            raise DecodeError("SSIF read: block after the response was complete")
        if not 1 <= len(block) <= BLOCK_MAX:
            self._done = True
            raise DecodeError(f"SSIF read: block of {len(block)} bytes")
        if not self._started:
            self._started = True
            if len(block) == BLOCK_MAX and block[:2] == MULTIPART_READ_MARKER:
                self._append(block[2:])
                return False
            self._append(block)
            self._done = True
            return True
        number, data = block[0], block[1:]
        if number == LAST_BLOCK:
            if not data:
                self._done = True
                raise DecodeError("SSIF read: empty last block")
            self._append(data)
            self._done = True
            return True
        if number != self._next_block:
            self._done = True
            raise DecodeError(f"SSIF read: block {number} out of order (expected {self._next_block})")
        if len(data) != BLOCK_MAX - 1:
            self._done = True
            raise DecodeError(f"SSIF read: middle block {number} carries {len(data)} bytes, not 31")
        self._append(data)
        self._next_block += 1
        return False

    def _append(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > MESSAGE_MAX:
            self._done = True
            raise DecodeError(f"SSIF read: response longer than {MESSAGE_MAX} bytes")
        self._parts.append(data)

    def message(self) -> bytes:
        """The reassembled payload; only valid once :attr:`done` (without error)."""
        if not self._done:
            raise DecodeError("SSIF read: response incomplete")
        return b"".join(self._parts)


def read_blocks(payload: bytes) -> list[bytes]:
    """The BMC side: the data of each read block that carries ``payload``.

    One block when it fits in 32 bytes; otherwise the ``00 01`` start block
    with 30 bytes, numbered middle blocks of 31 and an FFh-numbered end.
    """
    if len(payload) <= BLOCK_MAX:
        return [bytes(payload)]
    blocks = [MULTIPART_READ_MARKER + bytes(payload[:30])]
    rest, number = bytes(payload[30:]), 0
    while len(rest) > BLOCK_MAX - 1:
        blocks.append(bytes((number,)) + rest[:BLOCK_MAX - 1])
        rest, number = rest[BLOCK_MAX - 1:], number + 1
    blocks.append(bytes((LAST_BLOCK,)) + rest)
    return blocks


TYPE_CHECKING = False
if TYPE_CHECKING:
    import enum

    # What mypy sees; at run time each enum is built from its plain-int
    # table on first use (chassisctl.lazy_enum).
    class SsifCmd(SsifCmdInt, enum.IntEnum): ...

    class TransactionSupport(TransactionSupportInt, enum.IntEnum): ...


__getattr__ = enum_getattr(__name__, globals(), {
    "SsifCmd": ("IntEnum", SsifCmdInt, SsifCmdInt.__doc__),
    "TransactionSupport": ("IntEnum", TransactionSupportInt, TransactionSupportInt.__doc__),
})
