"""DHCPv6 messages (RFC 8415 §8, §9, §21): client/server and relay messages, options.

A client/server message is ``msg-type(1) transaction-id(3) options``; a
relay message (Relay-Forward 12, Relay-Reply 13) is ``msg-type hop-count(1)
link-address(16) peer-address(16) options`` and carries the relayed message
whole in option 9.  Options are ``code(2) length(2) value``.  Decoding checks
every option length, and for relay messages the Relay Message option's
content recursively, so a relay never forwards bytes a server would reject.
"""

from __future__ import annotations

import enum
import struct
from typing import NamedTuple

from chassisctl.dhcp.malformed import DecodeError, TruncatedError

CLIENT_PORT = 546
SERVER_PORT = 547
#: All_DHCP_Relay_Agents_and_Servers (RFC 8415 §7.1).
ALL_RELAYS_AND_SERVERS = "ff02::1:2"
#: RFC 8415 §7.6.
HOP_COUNT_LIMIT = 8
RELAY_HEADER = 34

_RELAY = struct.Struct("!BB16s16s")


class MsgType(enum.IntEnum):
    SOLICIT = 1
    ADVERTISE = 2
    REQUEST = 3
    CONFIRM = 4
    RENEW = 5
    REBIND = 6
    REPLY = 7
    RELEASE = 8
    DECLINE = 9
    RECONFIGURE = 10
    INFORMATION_REQUEST = 11
    RELAY_FORW = 12
    RELAY_REPL = 13
    DHCPV4_QUERY = 20


#: Messages a client sends, which a relay wraps in Relay-Forward (RFC 8415 §7.3, RFC 7341).
CLIENT_TYPES = frozenset({MsgType.SOLICIT, MsgType.REQUEST, MsgType.CONFIRM, MsgType.RENEW, MsgType.REBIND,
                          MsgType.RELEASE, MsgType.DECLINE, MsgType.INFORMATION_REQUEST,
                          MsgType.DHCPV4_QUERY})


class Opt6(enum.IntEnum):
    CLIENTID = 1
    SERVERID = 2
    IA_NA = 3
    ORO = 6
    ELAPSED_TIME = 8
    RELAY_MSG = 9
    INTERFACE_ID = 18
    REMOTE_ID = 37
    CLIENT_LINKLAYER_ADDR = 79


Options = tuple[tuple[int, bytes], ...]


class Message(NamedTuple):
    """A client/server message (NamedTuples here: the relay decodes one or two per packet)."""

    msg_type: int
    transaction_id: int
    options: Options = ()

    def get(self, code: int) -> bytes | None:
        return _get(self.options, code)


class RelayMessage(NamedTuple):
    """Relay-Forward or Relay-Reply; addresses are 16-byte ``bytes``."""

    msg_type: int
    hop_count: int
    link_address: bytes
    peer_address: bytes
    options: Options = ()

    def get(self, code: int) -> bytes | None:
        return _get(self.options, code)


def _get(options: Options, code: int) -> bytes | None:
    for c, v in options:
        if c == code:
            return v
    return None


def decode_options(data: bytes, start: int = 0) -> Options:
    out: list[tuple[int, bytes]] = []
    i, end = start, len(data)
    while i < end:
        if end - i < 4:
            raise TruncatedError("DHCPv6 option header cut short")
        code = (data[i] << 8) | data[i + 1]
        n = (data[i + 2] << 8) | data[i + 3]
        if i + 4 + n > end:
            raise TruncatedError(f"DHCPv6 option {code} runs past the message")
        out.append((code, bytes(data[i + 4:i + 4 + n])))
        i += 4 + n
    return tuple(out)


def encode_options(options: Options | list[tuple[int, bytes]]) -> bytes:
    out = bytearray()
    for code, value in options:
        if len(value) > 0xFFFF:
            raise ValueError(f"option {code} longer than 65535 bytes")
        out += struct.pack("!HH", code, len(value)) + value
    return bytes(out)


def decode(data: bytes, *, depth: int = 0) -> Message | RelayMessage:
    """A DHCPv6 message; a relay message's option 9 must itself decode."""
    if not data:
        raise TruncatedError("empty DHCPv6 message")
    kind = data[0]
    if kind in (MsgType.RELAY_FORW, MsgType.RELAY_REPL):
        if len(data) < RELAY_HEADER:
            raise TruncatedError("relay message shorter than its 34-byte header")
        _, hops, link, peer = _RELAY.unpack_from(data)
        options = decode_options(data, RELAY_HEADER)
        inner = _get(options, Opt6.RELAY_MSG)
        if inner is None:
            raise DecodeError("relay message without a Relay Message option (9)")
        if depth >= 32:
            raise DecodeError("relay messages nested more than 32 deep")
        decode(inner, depth=depth + 1)
        return RelayMessage(kind, hops, link, peer, options)
    if len(data) < 4:
        raise TruncatedError("DHCPv6 message shorter than its 4-byte header")
    if kind == 0:
        raise DecodeError("DHCPv6 message type 0 is reserved")
    return Message(kind, int.from_bytes(data[1:4], "big"), decode_options(data, 4))


def encode(msg: Message | RelayMessage) -> bytes:
    if isinstance(msg, RelayMessage):
        return _RELAY.pack(msg.msg_type, msg.hop_count, msg.link_address, msg.peer_address) + \
            encode_options(msg.options)
    return bytes((msg.msg_type,)) + msg.transaction_id.to_bytes(3, "big") + encode_options(msg.options)


def relay_forward(hop_count: int, link_address: bytes, peer_address: bytes, relayed: bytes,
                  options: Options | list[tuple[int, bytes]] = ()) -> bytes:
    """A Relay-Forward carrying ``relayed`` in option 9, after ``options`` (RFC 8415 §19.1.1)."""
    return _RELAY.pack(MsgType.RELAY_FORW, hop_count, link_address, peer_address) + \
        encode_options([*options, (Opt6.RELAY_MSG, relayed)])
