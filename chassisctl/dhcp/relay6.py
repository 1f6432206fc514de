"""The DHCPv6 relay's decisions (RFC 8415 §19, RFC 4649, RFC 6939).

:class:`Relay6` is fed UDP payloads with their source and arrival
interface (one socket on port 547 hears clients on ff02::1:2, lower relays
and servers alike) and answers with actions.

  * A client message heard on a downstream link becomes a Relay-Forward with
    hop-count 0, link-address = the link's global address (``::`` when it has
    none: the Interface-ID option identifies the link), peer-address = the
    client's address, Interface-ID (option 18, the interface name), Remote-ID
    (37) when configured and the client's link-layer address (79) when its
    link-local address reveals it (modified EUI-64).
  * A Relay-Forward from a lower relay is wrapped again with its hop-count
    plus one, and dropped when that count has reached the limit (RFC 8415
    §19.1.2: "greater than or equal to HOP_COUNT_LIMIT").
  * A Relay-Reply from a configured server is unwrapped: option 9 goes to
    peer-address on the link named by Interface-ID (or link-address), to port
    546, or 547 when it is itself a Relay-Reply for a lower relay.

Fast paths (:meth:`Relay6.receive_fast`, :meth:`Relay6._fast_reply`) take
the common case, a client's message from a downstream link and a server's
Relay-Reply naming a downstream link by Interface-ID around a client
message, by walking the option lengths without building decoded objects;
they answer exactly what the general path answers and hand everything else
to it (``tests/dhcp/test_fast6.py`` compares the two).  What depends only on
the client's address (the Relay-Forward's head up to option 9: link-address,
peer-address, Interface-ID, Remote-ID, option 79) and only on the peer
address of a reply (the socket address to send to) is kept per address, as
a client repeats it in every message of an exchange; the caches are bounded
and start afresh whenever the links change.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from collections.abc import Mapping

from chassisctl.dhcp import v6
from chassisctl.dhcp.actions import Problem, ProblemLog, ToPeer, ToServer
from chassisctl.dhcp.config import RelayConfig
from chassisctl.dhcp.counters import Counters
from chassisctl.dhcp.malformed import DecodeError
from chassisctl.dhcp.links import Link, ip6, text6
from chassisctl.dhcp.v6 import MsgType, Opt6

UNSPECIFIED = bytes(16)
#: Remote-ID (RFC 4649 §3) needs an enterprise number; the relay sends 0 ("Reserved").
REMOTE_ID_ENTERPRISE = 0
#: RFC 6939 link-layer type for Ethernet (IANA hardware type 1).
HTYPE_ETHERNET = 1
Action = ToServer | ToPeer | Problem
#: A socket address as sendto takes it: (text, port, flow info, ifindex).
_Address = tuple[str, int, int, int]
_CLIENT_TYPE_CODES = frozenset(int(t) for t in v6.CLIENT_TYPES)
_OPT_HEAD = struct.Struct("!HH")
# Plain ints for the fast paths (comparing with an enum member costs more).
_RELAY_REPL = int(MsgType.RELAY_REPL)
_RELAY_FORW = int(MsgType.RELAY_FORW)
_INTERFACE_ID = int(Opt6.INTERFACE_ID)
_RELAY_MSG = int(Opt6.RELAY_MSG)
_RELAY_REPL_BYTE = bytes((_RELAY_REPL,))
#: An option's length, read at its offset + 2 (one call instead of two subscripts and a shift).
_length_at = struct.Struct("!H").unpack_from
_option_at = _OPT_HEAD.unpack_from
_inet_ntop = socket.inet_ntop
_AF_INET6 = socket.AF_INET6
#: Option 79's code, length and link-layer type (Ethernet, RFC 6939), ahead of the MAC.
_LINKLAYER_HEAD = b"\x00\x4f\x00\x08\x00\x01"
#: No Relay-Reply shorter than its header, an empty Interface-ID and a 4-byte message is for a fast path.
_SHORTEST_REPLY = v6.RELAY_HEADER + 4 + 8
#: Entries a per-link cache of client or peer addresses holds before it starts afresh (a flood of
#: made-up sources costs a rebuild per address, as without the cache, and no memory).
ADDRESS_CACHE = 4096


def _reply_parts(payload: bytes) -> tuple[bytes, bytes] | None:
    """A Relay-Reply's first Interface-ID and first relay message (of 4 bytes at least) when its
    options tile it exactly, else None: what the general path would take, for the fast one."""
    i, end, interface_id, inner_at, inner_len = v6.RELAY_HEADER, len(payload), None, -1, 0
    try:
        while i < end:
            code, n = _option_at(payload, i)
            if code == _INTERFACE_ID and interface_id is None:
                interface_id = payload[i + 4:i + 4 + n]
            elif code == _RELAY_MSG and inner_at < 0:
                inner_at, inner_len = i + 4, n
            i += 4 + n
    except struct.error:  # fewer than 4 bytes left: no option header
        return None
    if i != end or interface_id is None or inner_len < 4:  # i past the end: the last option ran over
        return None
    return interface_id, payload[inner_at:inner_at + inner_len]


def eui64_mac(address: bytes) -> bytes | None:
    """The MAC a modified-EUI-64 link-local address was made from, or None."""
    if address[:2] != b"\xfe\x80" or address[11:13] != b"\xff\xfe":
        return None
    return bytes((address[8] ^ 0x02,)) + address[9:11] + address[13:16]


class Relay6:
    """One DHCPv6 relay instance: settings, interface facts and counters."""

    def __init__(self, config: RelayConfig, hostname: str, *, log_interval: float = 10.0) -> None:
        if not config.ipv6:
            raise ValueError("Relay6 needs an IPv6 configuration")
        self.config = config
        self.hostname = hostname
        self.counters = Counters()
        self._counted = self.counters.by_name
        self.links: dict[str, Link] = {}
        self._log = ProblemLog(log_interval)
        self._servers = [(s, ip6(s)) for s in config.servers]
        self._server_set = {b for _, b in self._servers}
        self._downstream = frozenset(config.downstream)
        self._owned: frozenset[bytes] = frozenset()
        #: Per downstream link, worked out when the links change: (link-address for client messages,
        #: options every Relay-Forward from there carries first, servers not on the link).
        self._plans: dict[str, tuple[bytes, list[tuple[int, bytes]], tuple[str, ...]]] = {}
        #: Per downstream link with servers off the link, for the fast path: (the Relay-Forward's
        #: head up to option 9 by client address, the servers as socket addresses ``(text, 547, 0,
        #: 0)``, hop-count 0 and link-address, Interface-ID and the configured options encoded).
        self._fast_plans: dict[str, tuple[dict[bytes, bytes], tuple[_Address, ...], bytes, bytes]] = {}
        #: Per downstream link, by its Interface-ID as sent (the name encoded): (name, ifindex, the
        #: destinations ``((text, 546, 0, ifindex),)`` by 16-byte peer-address).
        self._by_interface_id: dict[bytes, tuple[str, int, dict[bytes, tuple[_Address, ...]]]] = {}
        #: The downstream links' names by ifindex (for :meth:`_reply`'s actions).
        self._downstream_names: dict[int, str] = {}
        #: Try :meth:`receive_fast` / :meth:`_fast_reply` first (tests turn it off to compare).
        self.fast = True

    def set_links(self, links: Mapping[str, Link]) -> None:
        self.links = dict(links)
        self._owned = frozenset(a for link in self.links.values() for a, _ in link.ipv6)
        plans = {}
        for name in self.config.downstream:
            link = self.links.get(name)
            if link is None:
                continue
            remote = None
            if self.config.remote_id is not None:
                remote = self.config.remote_id.render(link.name, self.hostname, link.vlan, link.mac)
            remote_opts: list[tuple[int, bytes]] = []
            if remote is not None:
                remote_opts.append((Opt6.REMOTE_ID, REMOTE_ID_ENTERPRISE.to_bytes(4, "big") + remote))
            plans[name] = (link.global6() or UNSPECIFIED, remote_opts,
                           tuple(text for text, addr in self._servers if not link.on_link6(addr)))
        self._plans = plans
        self._fast_plans = {
            name: ({}, tuple((text, v6.SERVER_PORT, 0, 0) for text in servers),
                   bytes((_RELAY_FORW, 0)) + link_address,
                   v6.encode_options([(Opt6.INTERFACE_ID, name.encode()), *remote_opts]))
            for name, (link_address, remote_opts, servers) in plans.items() if servers}
        self._by_interface_id = {name.encode(): (name, self.links[name].index, {}) for name in plans
                                 if self.links[name].name == name}
        self._downstream_names = {index: name for name, index, _ in self._by_interface_id.values()}

    def _drop(self, out: list, ifname: str, reason: str, detail: str, now: float) -> list:
        self.counters.drop(ifname, reason)
        problem = self._log.report(ifname, reason, detail, now)
        if problem is not None:
            out.append(problem)
        return out

    def unclaimed(self, ifname: str, reason: str, detail: str, now: float) -> list[Action]:
        """Count a packet no relay instance claimed (on the first instance)."""
        out: list[Action] = []
        self.counters.of(ifname).received += 1
        return self._drop(out, ifname, reason, detail, now)

    def _own(self, address: bytes) -> bool:
        return address in self._owned

    def receive_fast(self, ifname: str, src: bytes, payload: bytes) -> tuple[bytes, tuple[_Address, ...]] | None:
        """The common cases of :meth:`receive`, for the I/O edge: ``(payload, destinations)``, socket
        addresses ``(text, port, 0, ifindex)`` to send the one payload to, already counted as
        received and relayed; or None, with nothing counted, when :meth:`receive` must decide
        (including whether the packet is this instance's at all).

        Why a second entry: per packet, the actions list, a ``ToServer``/``ToPeer`` per send and the
        edge's dispatch over action types cost more than the decision itself.
        """
        if not self.fast or not payload:
            return None
        if payload[0] == _RELAY_REPL:
            relayed = self._fast_reply(ifname, src, payload)
            if relayed is None:
                return None
        else:
            # A client's message on a live downstream link with servers elsewhere, checked inline (no
            # helper calls: this runs for every Solicit, Request and Renew).
            plan = self._fast_plans.get(ifname)
            if plan is None or payload[0] not in _CLIENT_TYPE_CODES:
                return None
            # Whether the options tile the message exactly (what decode_options accepts): stepping
            # while a whole option header is left ends exactly at the end, unless an option runs
            # past it (overshoot) or a header is cut short (the steps stop before it).  A message
            # shorter than its 4-byte header ends the steps at 4, not at its end.
            i, last = 4, len(payload) - 4
            while i <= last:
                i += 4 + _length_at(payload, i + 2)[0]
            if i != last + 4:
                return None
            heads, destinations, _head, _options = plan
            head = heads.get(src) or self._forward_head(plan, src)
            if not head:  # the relay's own address (or not one at all): the general path drops it
                return None
            relayed = head + _OPT_HEAD.pack(_RELAY_MSG, len(payload)) + payload, destinations
        counters = self._counted.get(ifname) or self.counters.of(ifname)
        counters.received += 1
        counters.relayed += 1
        return relayed

    def _forward_head(self, plan: tuple, src: bytes) -> bytes:
        """The Relay-Forward up to option 9 for a client message from ``src`` on the plan's link, kept
        for the next one; empty for a source the general path must see (the relay's own, or not an
        IPv6 address)."""
        heads, _destinations, head, options = plan
        if len(src) != 16 or src in self._owned:
            return b""
        mac = eui64_mac(src)
        if mac is not None:
            options += _LINKLAYER_HEAD + mac
        if len(heads) >= ADDRESS_CACHE:
            heads.clear()
        heads[src] = forward = head + src + options
        return forward

    def receive(self, ifname: str, src: bytes, payload: bytes, now: float) -> list[Action] | None:
        """A UDP payload to port 547 from ``src``, heard on ``ifname``; None if not this relay's."""
        if payload[:1] == _RELAY_REPL_BYTE:
            return self._reply(ifname, src, payload, now)
        if ifname not in self._downstream:
            return None
        if self.fast:
            quick = self.receive_fast(ifname, bytes(src), bytes(payload))
            if quick is not None:
                return [ToServer(destination[0], quick[0]) for destination in quick[1]]
        out: list[Action] = []
        counters = self.counters.of(ifname)
        counters.received += 1
        link = self.links.get(ifname)
        if link is None:
            return self._drop(out, ifname, "not_downstream", "interface is gone", now)
        if self._own(src):
            return self._drop(out, ifname, "loop", f"sent by the relay itself ({text6(src)})", now)
        try:
            msg = v6.decode(payload)
        except DecodeError as exc:
            return self._drop(out, ifname, exc.reason, str(exc), now)
        link_address, client_options, servers = self._plans[ifname]
        options: list[tuple[int, bytes]] = [(Opt6.INTERFACE_ID, ifname.encode())]
        if isinstance(msg, v6.RelayMessage):
            if msg.msg_type != MsgType.RELAY_FORW:
                return self._drop(out, ifname, "unexpected_type", "Relay-Reply from a client link", now)
            if msg.hop_count >= self.config.max_hops:
                return self._drop(out, ifname, "max_hops",
                                  f"hop-count {msg.hop_count} reached the limit {self.config.max_hops}", now)
            hop_count, link_address = msg.hop_count + 1, UNSPECIFIED
        elif msg.msg_type in v6.CLIENT_TYPES:
            hop_count = 0
            options += client_options
            mac = eui64_mac(src)
            if mac is not None:
                options.append((Opt6.CLIENT_LINKLAYER_ADDR, HTYPE_ETHERNET.to_bytes(2, "big") + mac))
        else:
            return self._drop(out, ifname, "unexpected_type",
                              f"message type {msg.msg_type} is not sent by clients", now)
        if not servers:  # never back onto the segment the request came from
            return self._drop(out, ifname, "same_segment", "every server is on the client link itself", now)
        relayed = v6.relay_forward(hop_count, link_address, src, payload, options)
        for text in servers:
            out.append(ToServer(text, relayed))
        counters.relayed += 1
        return out

    def _fast_reply(self, ifname: str, src: bytes, payload: bytes) -> tuple[bytes, tuple[_Address, ...]] | None:
        """``(message, ((peer, 546, 0, ifindex),))`` for a server's Relay-Reply naming a downstream
        link by Interface-ID around a client message, or None for anything else (the general path
        decides)."""
        end = len(payload)
        if end < _SHORTEST_REPLY or src not in self._server_set:
            return None
        code, n = _option_at(payload, 34)
        i = 38 + n
        if code == _INTERFACE_ID and end - i >= 8 and _option_at(payload, i) == (_RELAY_MSG, end - i - 4):
            # What servers send: Interface-ID, then the relay message to the end, and nothing else.
            interface_id, inner = payload[38:i], payload[i + 4:]
        else:
            parts = _reply_parts(payload)
            if parts is None:
                return None
            interface_id, inner = parts
        if inner[0] in (0, _RELAY_FORW, _RELAY_REPL):
            return None
        i, last = 4, len(inner) - 4  # the same check on the client message inside
        while i <= last:
            i += 4 + _length_at(inner, i + 2)[0]
        if i != last + 4:
            return None
        # By the encoded name; an Interface-ID that only decodes (with replacements) to a downstream
        # name, or a link renamed under its index, goes the general way.
        target = self._by_interface_id.get(interface_id)
        if target is None or target[0] == ifname:
            return None
        peer = payload[18:34]
        destinations = target[2].get(peer)
        if destinations is None:
            peers = target[2]
            if len(peers) >= ADDRESS_CACHE:
                peers.clear()
            peers[peer] = destinations = ((_inet_ntop(_AF_INET6, peer), v6.CLIENT_PORT, 0, target[1]),)
        return inner, destinations

    def _target(self, msg: v6.RelayMessage) -> Link | None:
        interface_id = msg.get(Opt6.INTERFACE_ID)
        if interface_id is not None:
            name = interface_id.decode("utf-8", "replace")
            return self.links.get(name) if name in self._downstream else None
        if msg.link_address != UNSPECIFIED:
            for name in self.config.downstream:
                link = self.links.get(name)
                if link is not None and link.has6(msg.link_address):
                    return link
        return None

    def _reply(self, ifname: str, src: bytes, payload: bytes, now: float) -> list[Action] | None:
        if self.fast:
            delivery = self._fast_reply(ifname, bytes(src), bytes(payload))
            if delivery is not None:
                counters = self.counters.of(ifname)
                counters.received += 1
                counters.relayed += 1
                peer, port, _flow, index = delivery[1][0]
                return [ToPeer(self._downstream_names[index], peer, port, delivery[0])]
        try:
            msg = v6.decode(payload)
        except DecodeError:
            return None  # counted by the caller when no instance claims it
        assert isinstance(msg, v6.RelayMessage)
        link = self._target(msg)
        if link is None:
            return None
        out: list[Action] = []
        counters = self.counters.of(ifname)
        counters.received += 1
        if src not in self._server_set:
            return self._drop(out, ifname, "unknown_server", f"Relay-Reply from {text6(src)}, not a configured server",
                              now)
        if link.name == ifname:
            return self._drop(out, ifname, "same_segment", "Relay-Reply heard on the client link itself", now)
        inner = msg.get(Opt6.RELAY_MSG)
        assert inner is not None  # decode() checked it
        port = v6.SERVER_PORT if inner[0] == MsgType.RELAY_REPL else v6.CLIENT_PORT
        out.append(ToPeer(link.name, socket.inet_ntop(socket.AF_INET6, msg.peer_address), port, inner))
        counters.relayed += 1
        return out

    def _named(self) -> set[str]:
        config = self.config
        return {*config.downstream, *config.upstream, *([config.link_selection] if config.link_selection else [])}

    def status(self) -> dict:
        return {**self.config.describe(), "interfaces": self.counters.snapshot(),
                "addresses": {name: [f"{ipaddress.IPv6Address(a)}/{p}" for a, p in link.ipv6]
                              for name, link in sorted(self.links.items()) if name in self._named()}}
