"""BOOTP/DHCPv4 messages (RFC 951, RFC 1542, RFC 2131, RFC 2132): decode, encode, edit.

A message is the fixed 236-byte BOOTP header, the magic cookie and a list of
options.  :func:`decode` keeps each option *instance* as it appeared (a long
option split in several, RFC 3396, stays split) and also reads the options
that option 52 moves into ``file`` and ``sname``.  A message without the magic
cookie is plain BOOTP: its vendor area is kept as bytes and never edited.

A relay must change only ``hops``, ``giaddr`` and option 82 (RFC 1542 §4.1.1,
RFC 3046), so the editing helpers work on the received bytes: the header is
patched in place, and the options field is rewritten only when option 82
changes, with the new option 82 last, just before End (RFC 3046 §2.1).
"""

from __future__ import annotations

import enum
import struct
from typing import NamedTuple

from chassisctl.dhcp.malformed import DecodeError, TruncatedError

MAGIC = b"\x63\x82\x53\x63"
HEADER_LEN = 236
OPTIONS_OFFSET = 240
#: RFC 1542 §2.1: a BOOTP message is at least 300 octets (64 octets of vendor area).
MIN_LEN = 300
FLAG_BROADCAST = 0x8000
SNAME = slice(44, 108)
FILE = slice(108, 236)
HOPS_OFFSET = 3
GIADDR = slice(24, 28)
ZERO4 = bytes(4)

_HEADER = struct.Struct("!BBBBIHH4s4s4s4s16s64s128s")


class Op(enum.IntEnum):
    BOOTREQUEST = 1
    BOOTREPLY = 2


class MessageType(enum.IntEnum):
    DISCOVER = 1
    OFFER = 2
    REQUEST = 3
    DECLINE = 4
    ACK = 5
    NAK = 6
    RELEASE = 7
    INFORM = 8


class Opt(enum.IntEnum):
    PAD = 0
    SUBNET_MASK = 1
    ROUTER = 3
    HOSTNAME = 12
    REQUESTED_ADDRESS = 50
    LEASE_TIME = 51
    OVERLOAD = 52
    MESSAGE_TYPE = 53
    SERVER_ID = 54
    PARAMETER_LIST = 55
    MAX_MESSAGE_SIZE = 57
    CLIENT_ID = 61
    AGENT_INFO = 82
    END = 255


class Message(NamedTuple):
    """A BOOTP/DHCPv4 message.  Addresses are 4-byte ``bytes``; ``chaddr`` is 16 bytes.

    A NamedTuple rather than a frozen dataclass: the relay decodes one per
    packet, and building a 17-field frozen dataclass cost ~3 us of a request's
    ~10 us (a NamedTuple ~0.8 us); it is just as immutable.
    """

    op: int
    xid: int
    chaddr: bytes = bytes(16)
    htype: int = 1
    hlen: int = 6
    hops: int = 0
    secs: int = 0
    flags: int = 0
    ciaddr: bytes = ZERO4
    yiaddr: bytes = ZERO4
    siaddr: bytes = ZERO4
    giaddr: bytes = ZERO4
    sname: bytes = bytes(64)
    file: bytes = bytes(128)
    #: Option instances of the options field, in order, without Pad and End;
    #: None for plain BOOTP (no magic cookie).
    options: tuple[tuple[int, bytes], ...] | None = ()
    #: Option instances found in ``file`` then ``sname`` when option 52 says so.
    overload_options: tuple[tuple[int, bytes], ...] = ()
    #: BOOTP vendor area (only when ``options`` is None).
    vend: bytes = b""

    @property
    def broadcast(self) -> bool:
        return bool(self.flags & FLAG_BROADCAST)

    @property
    def mac(self) -> bytes:
        """The client's hardware address (``hlen`` bytes of ``chaddr``)."""
        return self.chaddr[:min(self.hlen, 16)]

    def get(self, code: int) -> bytes | None:
        """The value of option ``code``: all instances concatenated (RFC 3396), or None."""
        parts = [v for c, v in (*(self.options or ()), *self.overload_options) if c == code]
        return b"".join(parts) if parts else None

    @property
    def message_type(self) -> int | None:
        value = self.get(Opt.MESSAGE_TYPE)
        return value[0] if value and len(value) == 1 else None


def scan_options(buf: bytes, start: int, end: int, *, need_end: bool = True) -> tuple[list[tuple[int, bytes]], int]:
    """Option instances in ``buf[start:end]`` and the index of End.

    Pad is skipped.  An option running past ``end`` is a TruncatedError; so is
    a missing End when ``need_end`` (RFC 2131 §4.1: the field ends with End).
    Without End and ``need_end`` False, the returned index is ``end``.
    """
    out: list[tuple[int, bytes]] = []
    i = start
    while i < end:
        code = buf[i]
        if code == 0:
            i += 1
            continue
        if code == 255:
            return out, i
        if i + 1 >= end:
            raise TruncatedError(f"option {code} has no length byte")
        n = buf[i + 1]
        j = i + 2 + n
        if j > end:
            raise TruncatedError(f"option {code} runs past the end of the options")
        out.append((code, bytes(buf[i + 2:j])))
        i = j
    if need_end:
        raise TruncatedError("options end without the End option")
    return out, end


def decode(data: bytes) -> Message:
    """A BOOTP/DHCP message from a UDP payload."""
    if len(data) < HEADER_LEN:
        raise TruncatedError(f"BOOTP message of {len(data)} bytes, shorter than its {HEADER_LEN}-byte header")
    (op, htype, hlen, hops, xid, secs, flags, ciaddr, yiaddr, siaddr, giaddr, chaddr, sname,
     file) = _HEADER.unpack_from(data)
    if op not in (1, 2):
        raise DecodeError(f"BOOTP op {op} is neither request nor reply")
    if hlen > 16:
        raise DecodeError(f"hardware address length {hlen} exceeds 16")
    if data[HEADER_LEN:OPTIONS_OFFSET] != MAGIC:
        return Message(op, xid, chaddr, htype, hlen, hops, secs, flags, ciaddr, yiaddr, siaddr, giaddr,
                       sname, file, None, (), bytes(data[HEADER_LEN:]))
    options, _ = scan_options(data, OPTIONS_OFFSET, len(data))
    overload = _overload(options)
    extra: list[tuple[int, bytes]] = []
    if overload & 1:
        extra += scan_options(data, FILE.start, FILE.stop, need_end=False)[0]
    if overload & 2:
        extra += scan_options(data, SNAME.start, SNAME.stop, need_end=False)[0]
    return Message(op, xid, chaddr, htype, hlen, hops, secs, flags, ciaddr, yiaddr, siaddr, giaddr,
                   sname, file, tuple(options), tuple(extra))


def _overload(options: list[tuple[int, bytes]]) -> int:
    for code, value in options:
        if code == Opt.OVERLOAD:
            if len(value) != 1 or value[0] not in (1, 2, 3):
                raise DecodeError("option 52 (overload) must be one byte 1, 2 or 3")
            return value[0]
    return 0


def encode_options(options: tuple[tuple[int, bytes], ...] | list[tuple[int, bytes]]) -> bytes:
    """Option instances followed by End."""
    out = bytearray()
    for code, value in options:
        if not 0 < code < 255 or len(value) > 255:
            raise ValueError(f"option {code} with {len(value)} bytes cannot be encoded")
        out += bytes((code, len(value))) + value
    out.append(255)
    return bytes(out)


def encode(msg: Message, *, min_len: int = MIN_LEN) -> bytes:
    """The message's bytes, padded to ``min_len`` (300, RFC 1542 §2.1)."""
    header = _HEADER.pack(msg.op, msg.htype, msg.hlen, msg.hops, msg.xid, msg.secs, msg.flags, msg.ciaddr,
                          msg.yiaddr, msg.siaddr, msg.giaddr, msg.chaddr.ljust(16, b"\0")[:16],
                          msg.sname.ljust(64, b"\0")[:64], msg.file.ljust(128, b"\0")[:128])
    body = msg.vend if msg.options is None else MAGIC + encode_options(msg.options)
    data = header + body
    return data.ljust(min_len, b"\0")


def option(code: int, value: bytes) -> tuple[int, bytes]:
    return (int(code), bytes(value))


# --- the relay's edits, on the received bytes ------------------------------------------------

def with_header(data: bytes, *, hops: int, giaddr: bytes) -> bytes:
    """``data`` with ``hops`` and ``giaddr`` replaced, nothing else touched."""
    return data[:HOPS_OFFSET] + bytes((hops,)) + data[HOPS_OFFSET + 1:GIADDR.start] + giaddr + data[GIADDR.stop:]


def _strip_field(data: bytes, region: slice, code: int) -> bytes:
    """An overloaded ``file``/``sname`` field without option ``code``, Pad-filled to its size."""
    options, _ = scan_options(data, region.start, region.stop, need_end=False)
    kept = [(c, v) for c, v in options if c != code]
    if len(kept) == len(options):
        return data[region]
    return encode_options(kept).ljust(region.stop - region.start, b"\0")


def with_options(data: bytes, msg: Message, *, drop: int, append: tuple[int, bytes] | None = None,
                 hops: int | None = None, giaddr: bytes | None = None) -> bytes:
    """``data`` without any instance of option ``drop`` (also in overloaded fields),
    with ``append`` as the last option before End, and the header patched.

    The result keeps the original length when it shrinks (padding after End)
    so a 300-octet minimum is preserved.
    """
    if msg.options is None:
        raise DecodeError("plain BOOTP message has no options to edit")
    head = bytearray(data[:OPTIONS_OFFSET])
    if hops is not None:
        head[HOPS_OFFSET] = hops
    if giaddr is not None:
        head[GIADDR] = giaddr
    overload = _overload(list(msg.options))
    if overload & 1:
        head[FILE] = _strip_field(data, FILE, drop)
    if overload & 2:
        head[SNAME] = _strip_field(data, SNAME, drop)
    kept = [(c, v) for c, v in msg.options if c != drop]
    if append is not None:
        kept.append(append)
    out = bytes(head) + encode_options(kept)
    return out.ljust(len(data), b"\0") if len(out) < len(data) else out


def max_message_size(msg: Message) -> int:
    """The largest DHCP message (IP datagram) the client accepts: option 57, at least 576."""
    value = msg.get(Opt.MAX_MESSAGE_SIZE)
    if value is not None and len(value) == 2:
        return max(576, int.from_bytes(value, "big"))
    return 576
