"""The DHCPv4 relay's decisions (RFC 1542 §4, RFC 2131 §4.1, RFC 3046, RFC 3527, RFC 5107).

:class:`Relay4` is fed what the sockets heard, the interface facts and the
time, and answers with actions (:mod:`chassisctl.dhcp.actions`); it never
touches a socket.

Requests (BOOTREQUEST from a downstream link, as an Ethernet frame):
  * the frame, IPv4 and UDP headers and checksums are checked (a veth's
    partial checksum is skipped on the caller's word), then the message and
    its options; anything bad is dropped and counted;
  * ``hops`` above the limit is dropped ("> limit", RFC 1542 §4.1.1), else
    incremented;
  * giaddr 0: set to the link's address (``giaddr`` picks among several,
    ``link_selection`` uses that interface's address instead); option 82 is
    handled: a client-sent 82 on an untrusted link is dropped (RFC 3046
    §2.1), on a trusted link the policy applies; ours goes last, before End;
  * giaddr set (another relay): forwarded unchanged except ``hops``, unless
    giaddr is ours (a loop);
  * sent to every server not on the arrival link's own subnet.

Replies (BOOTREPLY by UDP to port 67): only from configured servers; the
client link comes from sub-option 5 or giaddr (and the circuit ID when
giaddr is shared); option 82 is removed wherever it sits (RFC 3046 §2.2);
delivery by broadcast or unicast to chaddr per RFC 2131 §4.1 and RFC 1542
§5.4, as a frame with correct IPv4 and UDP checksums.
"""

from __future__ import annotations

import ipaddress
import struct
from typing import NamedTuple
from collections.abc import Mapping

from chassisctl.dhcp import ipudp, option82, v4
from chassisctl.dhcp.actions import Problem, ProblemLog, ToClient, ToServer
from chassisctl.dhcp.config import RelayConfig
from chassisctl.dhcp.counters import Counters
from chassisctl.dhcp.malformed import DecodeError
from chassisctl.dhcp.links import Link, ip4, text4
from chassisctl.dhcp.option82 import SubOpt

SERVER_PORT = 67
CLIENT_PORT = 68
#: The BOOTP header and magic cookie, then at least End.
OPTIONS_MIN = v4.OPTIONS_OFFSET + 1
Action = ToServer | ToClient | Problem
#: From the ethertype (frame offset 12) to the magic cookie: ethertype, IPv4 version/IHL, total length,
#: fragment bits, protocol, destination, UDP destination port, length and checksum, BOOTP op, hlen,
#: hops, giaddr and the cookie (the last two as numbers).
_REQUEST_HEAD = struct.Struct("!HBxH2xHxB2x4x4s2xHHHBxBB20xI208xI")
_MAGIC_NUMBER = int.from_bytes(v4.MAGIC, "big")
#: The shortest frame request_fast takes: headers, BOOTP header, cookie and End.
_REQUEST_MIN = 42 + v4.OPTIONS_OFFSET + 1
#: bytes((n,)) for every n, built once.
_BYTE = tuple(bytes((n,)) for n in range(256))
# Plain values of the names the fast paths test (an enum member costs an attribute lookup).
ZERO4 = v4.ZERO4
MAGIC = v4.MAGIC
_HEADER_LEN = v4.HEADER_LEN
_BOOTREPLY = int(v4.Op.BOOTREPLY)
_LINK_SELECTION = int(SubOpt.LINK_SELECTION)
_CIRCUIT_ID = int(SubOpt.CIRCUIT_ID)
_IP_BROADCAST = ipudp.IP_BROADCAST
#: Option codes the fast paths only step over.  Their bounds are not checked one by one: an option
#: running past the end leaves the walk beyond it without meeting End (so: None, as a check would
#: answer), and a length byte past the bytes themselves raises IndexError (None as well).
_PLAIN_REQUEST = frozenset(range(1, 255)) - {52, 57, 82}
_PLAIN_REPLY = frozenset(range(1, 255)) - {52, 82}
_BROADCAST_MAC = ipudp.BROADCAST_MAC
FRAME_HEADERS = ipudp.FRAME_HEADERS


def _walk_options(buf: bytes, i: int, end: int, plain: frozenset[int], watch: int) -> tuple[int, bool, int] | None:
    """The fast paths' walk over the options from ``i``: ``(offset of End, whether Pad was met,
    offset of option ``watch`` or -1)``.  None where the general path must decide: any other code
    (52, and 82 in a request), a malformed option, ``watch`` twice (split, RFC 3396: the general path
    joins it), or no End.

    The inner loop, run once per option, steps over plain options without comparing with ``end``
    (17 bytecode instructions an option instead of 23): a run of them that crosses ``end`` goes on
    into whatever follows until a code that is not plain or the end of ``buf`` (IndexError), and the
    test after the run answers None for it, as a test per option would have."""
    pads, at = False, -1
    try:
        while True:
            while buf[i] in plain:  # see _PLAIN_REQUEST for why no bounds are checked here
                i += 2 + buf[i + 1]
            if i >= end:
                return None
            code = buf[i]
            if code == 255:
                return i, pads, at
            if code == 0:
                pads = True
                i += 1
                continue
            if code != watch or at >= 0 or i + 1 >= end or i + 2 + buf[i + 1] > end:
                return None
            at = i
            i += 2 + buf[i + 1]
    except IndexError:
        return None  # an option's length byte, or the next option, beyond the bytes


class _Plan(NamedTuple):
    """What a downstream link's packets need, worked out once per change of the interface facts
    (:meth:`Relay4.set_links`) instead of once per packet."""

    link: Link
    #: giaddr for requests heard here (link selection: the upstream address), or None.
    giaddr: bytes | None
    #: The relay's own address here (source of replies, sub-options 5/11), or None.
    address: bytes | None
    #: Destinations a request heard here may be sent to (own addresses, broadcasts).
    accepts: frozenset[bytes]
    #: Servers not on this link's own subnets, as (text, packed).
    servers: tuple[str, ...]
    #: The same as socket addresses, ``(text, 67)``.
    destinations: tuple[tuple[str, int], ...]
    #: Our circuit ID here (None when the format has no value for the link).
    circuit: bytes | None
    #: The sub-options of our option 82 here (empty when none apply).
    agent_info: tuple[tuple[int, bytes], ...]
    #: Our whole option 82 (code, length, value) when the policy adds one here and it fits, else None.
    agent_option: bytes | None


class Relay4:
    """One DHCPv4 relay instance: its settings, interface facts and counters."""

    def __init__(self, config: RelayConfig, hostname: str, *, log_interval: float = 10.0) -> None:
        if config.ipv6:
            raise ValueError("Relay4 needs an IPv4 configuration")
        self.config = config
        self.hostname = hostname
        self.counters = Counters()
        self._counted = self.counters.by_name
        self.links: dict[str, Link] = {}
        self._log = ProblemLog(log_interval)
        self._servers = [(s, ip4(s)) for s in config.servers]
        self._server_set = {b for _, b in self._servers}
        self._giaddr = ip4(config.giaddr) if config.giaddr else None
        self._downstream = frozenset(config.downstream)
        self._trusted = frozenset(config.trusted)
        self._policy = config.option82
        #: Policies under which every relayed giaddr-0 request carries our circuit ID.
        self._verify_circuit = config.option82 in ("append", "replace", "discard")
        self._plans: dict[str, _Plan] = {}
        #: request_fast's part of the plans: only links it can relay for, see set_links.
        self._requests: dict[str, tuple[frozenset[bytes], bytes, tuple[tuple[str, int], ...], bytes | None, int]] = {}
        #: reply_fast's part: by the relay's address on a downstream link, see set_links.
        self._replies: dict[bytes, tuple[str, bytes | None, bytes | None, ipudp.FrameTemplate]] = {}
        self._owned: frozenset[bytes] = frozenset()
        #: Try :meth:`request_fast` / :meth:`reply_fast` first (tests turn it off to compare).
        self.fast = True
        self._by_address: dict[bytes, Link] = {}

    # -- facts -----------------------------------------------------------------------------
    def set_links(self, links: Mapping[str, Link]) -> None:
        """The current facts of the interfaces this relay cares about (by name)."""
        self.links = dict(links)
        plans: dict[str, _Plan] = {}
        by_address: dict[bytes, Link] = {}
        for name in self.config.downstream:
            link = self.links.get(name)
            if link is None:
                continue
            address = self.relay_address(link)
            circuit = self.config.circuit_id.render(link.name, self.hostname, link.vlan, link.mac)
            subs = () if address is None else self.agent_info(link, address)
            value = option82.encode(subs)
            plans[name] = _Plan(
                link, self.giaddr_for(link), address,
                frozenset((ipudp.IP_BROADCAST, *(a for a, _ in link.ipv4), *link.broadcast4())),
                servers := tuple(text for text, addr in self._servers if not link.on_link4(addr)),
                tuple((text, SERVER_PORT) for text in servers), circuit, subs,
                bytes((v4.Opt.AGENT_INFO, len(value))) + value if self._policy and subs and len(value) <= 255
                else None)
            for a, _ in link.ipv4:
                by_address.setdefault(a, link)
        names = [*self.config.downstream, *([self.config.link_selection] if self.config.link_selection else [])]
        owned = frozenset(a for link in map(self.links.get, names) if link is not None for a, _ in link.ipv4)
        # What the fast paths read per packet, in one tuple each, for the links they can serve: every
        # field they would otherwise look up (and test for None) per packet, and a reply frame
        # template per client link (the source MAC, address and ports never change there).
        requests = {name: (plan.accepts, plan.giaddr, plan.destinations, plan.agent_option, self.config.max_hops)
                    for name, plan in plans.items()
                    if plan.giaddr is not None and plan.address is not None and plan.servers}
        # The value of the option 82 we add there, when a server echoing it back unchanged (RFC 3046
        # §2.2) needs no look at its sub-options: ours are well formed, carry our circuit ID when we
        # have one, and no link selection (with one the general path decides anyway).
        replies = {}
        for address, link in by_address.items():
            plan = plans[link.name]
            if plan.address is not None:
                echo = plan.agent_option[2:] if plan.agent_option is not None and \
                    all(code != _LINK_SELECTION for code, _ in plan.agent_info) else None
                replies[address] = (link.name, plan.circuit, echo,
                                    ipudp.frame_template(link.mac, plan.address, SERVER_PORT, CLIENT_PORT))
        self._plans, self._by_address, self._owned = plans, by_address, owned
        self._requests, self._replies = requests, replies

    def relay_address(self, link: Link) -> bytes | None:
        """The relay's own address on a downstream link (giaddr without link selection)."""
        return link.address4(self._giaddr)

    def giaddr_for(self, link: Link) -> bytes | None:
        """giaddr for requests heard on ``link``."""
        if self.config.link_selection is not None:
            upstream = self.links.get(self.config.link_selection)
            return None if upstream is None else upstream.address4(self._giaddr)
        return self.relay_address(link)

    def owns(self, giaddr: bytes) -> bool:
        """Whether ``giaddr`` is one of the relay's addresses (downstream or link selection)."""
        return giaddr in self._owned

    # -- helpers ------------------------------------------------------------------------------
    def _drop(self, out: list, ifname: str, reason: str, detail: str, now: float) -> list:
        self.counters.drop(ifname, reason)
        problem = self._log.report(ifname, reason, detail, now)
        if problem is not None:
            out.append(problem)
        return out

    def agent_info(self, link: Link, address: bytes) -> tuple[tuple[int, bytes], ...]:
        """The sub-options this relay puts in option 82 for a request heard on ``link``."""
        subs: list[tuple[int, bytes]] = []
        circuit = self.config.circuit_id.render(link.name, self.hostname, link.vlan, link.mac)
        if circuit is not None:
            subs.append((SubOpt.CIRCUIT_ID, circuit))
        if self.config.remote_id is not None:
            remote = self.config.remote_id.render(link.name, self.hostname, link.vlan, link.mac)
            if remote is not None:
                subs.append((SubOpt.REMOTE_ID, remote))
        if self.config.link_selection is not None:
            subs.append((SubOpt.LINK_SELECTION, address))
        if self.config.server_id_override:
            subs.append((SubOpt.SERVER_ID_OVERRIDE, address))
        return tuple(subs)

    # -- requests ----------------------------------------------------------------------------
    def receive_request(self, ifname: str, frame: bytes | memoryview, now: float, *,
                        verify_udp: bool = True) -> list[Action]:
        """A frame heard on downstream interface ``ifname`` (UDP to port 67)."""
        if self.fast:
            got = self.request_fast(ifname, frame if type(frame) is bytes else bytes(frame), verify_udp)
            if got is not None:
                return [ToServer(text, got[0]) for text, _port in got[1]]
        out: list[Action] = []
        counters = self.counters.of(ifname)
        counters.received += 1
        plan = self._plans.get(ifname)
        if plan is None:
            return self._drop(out, ifname, "not_downstream", "packet on an interface the relay does not serve", now)
        try:
            packet = ipudp.parse_frame(frame, verify_udp=verify_udp)
            if packet.dport != SERVER_PORT:
                raise DecodeError(f"UDP port {packet.dport} is not 67")
            payload = packet.payload
            msg = v4.decode(payload)
        except DecodeError as exc:
            return self._drop(out, ifname, exc.reason, str(exc), now)
        if msg.op != v4.Op.BOOTREQUEST:
            return self._drop(out, ifname, "not_request", "BOOTREPLY heard on a client link", now)
        if packet.dst not in plan.accepts:
            return self._drop(out, ifname, "not_for_relay", f"sent to {text4(packet.dst)}, not to the relay", now)
        if msg.hops > self.config.max_hops:
            return self._drop(out, ifname, "max_hops", f"hops {msg.hops} above the limit {self.config.max_hops}",
                              now)
        hops = msg.hops + 1
        if msg.giaddr != v4.ZERO4:
            if msg.giaddr in self._owned:
                return self._drop(out, ifname, "loop", f"giaddr {text4(msg.giaddr)} is the relay's own", now)
            relayed = v4.with_header(payload, hops=hops, giaddr=msg.giaddr)
        else:
            relayed_or_none = self._first_hop(out, ifname, plan, payload, msg, hops, now)
            if relayed_or_none is None:
                return out
            relayed = relayed_or_none
        if not plan.servers:  # never back onto the segment the request came from
            return self._drop(out, ifname, "same_segment", "every server is on the client link itself", now)
        for text in plan.servers:
            out.append(ToServer(text, relayed))
        counters.relayed += 1
        return out

    def _first_hop(self, out: list, ifname: str, plan: _Plan, payload: bytes, msg: v4.Message, hops: int,
                   now: float) -> bytes | None:
        """The request with giaddr and option 82 set, or None when dropped."""
        giaddr, address = plan.giaddr, plan.address
        if giaddr is None or address is None:
            self._drop(out, ifname, "no_address", "no IPv4 address to use as giaddr" +
                       (f" on {self.config.link_selection}" if self.config.link_selection else ""), now)
            return None
        if msg.options is None:  # plain BOOTP: no options to carry option 82
            return v4.with_header(payload, hops=hops, giaddr=giaddr)
        policy = self._policy
        existing = msg.get(v4.Opt.AGENT_INFO)
        if existing is not None:
            if ifname not in self._trusted:
                self._drop(out, ifname, "untrusted_option82",
                           "client sent option 82 with giaddr 0 on an untrusted interface", now)
                return None
            if policy == "discard":
                self._drop(out, ifname, "option82_policy", "option 82 already present (policy discard)", now)
                return None
            if policy is None or policy == "forward":
                return v4.with_header(payload, hops=hops, giaddr=giaddr)
        if policy is None:
            return v4.with_header(payload, hops=hops, giaddr=giaddr)
        subs = plan.agent_info
        value = option82.encode(subs)
        if policy == "append" and existing is not None:
            value = existing + value
        if not subs or len(value) > 255:
            self.counters.note(ifname, "option82_not_added")
            return v4.with_header(payload, hops=hops, giaddr=giaddr)
        edited = v4.with_options(payload, msg, drop=v4.Opt.AGENT_INFO, append=(v4.Opt.AGENT_INFO, value),
                                 hops=hops, giaddr=giaddr)
        if len(edited) + 28 > v4.max_message_size(msg):
            self.counters.note(ifname, "option82_too_big")
            return v4.with_header(payload, hops=hops, giaddr=giaddr)
        return edited

    # -- the common case, cheaply -----------------------------------------------------------------
    # A client's request (giaddr 0, no option 82 or overload) and a server's reply are nearly
    # every packet a relay sees.  These two methods take only that case and answer exactly what
    # the general path (parse_frame, v4.decode, _first_hop, with_options) answers for it, without
    # building the intermediate objects; anything else, valid or not, returns None and goes the
    # general way, which also names the reason of a drop.  receive_request/receive_reply try them
    # first, and the I/O edge calls them itself (no actions list, no dispatch: per packet those
    # cost more than the decision, and several times more run cold after each wake-up).
    # tests/dhcp/test_fast.py checks both ways agree with the general path on generated packets.

    def request_fast(self, ifname: str, frame: bytes, verify_udp: bool) -> tuple[bytes, tuple] | None:
        """The common case of :meth:`receive_request`, for the I/O edge: ``(payload, destinations)``
        (``(server text, 67)`` pairs), already counted as received and relayed; or None, with nothing
        counted, when :meth:`receive_request` must decide.  ``frame`` must be ``bytes``.
        """
        fast = self._requests.get(ifname)
        if fast is None or not self.fast or len(frame) < _REQUEST_MIN:
            return None
        ethertype, ver_ihl, total, frag, proto, dst, dport, ulen, ucsum, op, hlen, hops, giaddr, magic = \
            _REQUEST_HEAD.unpack_from(frame, 12)
        if ethertype != 0x0800 or ver_ihl != 0x45 or proto != 17 or frag & 0x3FFF \
                or total < 28 + OPTIONS_MIN or len(frame) - 14 < total:
            return None
        value = int.from_bytes(frame[14:34], "big")  # IPv4 header checksum: see checksum.ones_sum
        if not value or value % 0xFFFF:
            return None
        if ulen < 8 + OPTIONS_MIN or ulen > total - 20 or dport != SERVER_PORT:
            return None
        end = 34 + ulen
        if verify_udp and ucsum:
            # Pseudo-header addresses and the segment in one number: 2**16 is 1 modulo 0xffff, so the
            # addresses' place value drops out (an odd-length segment is padded with a zero byte).
            value = int.from_bytes(frame[26:end], "big")
            if ulen & 1:
                value <<= 8
            if (value + 17 + ulen) % 0xFFFF:
                return None
        accepts, ours, destinations, agent, max_hops = fast
        # BOOTP header (payload offset 42): op, hlen, hops, giaddr, magic cookie
        if op != 1 or hlen > 16 or hops > max_hops or giaddr or magic != _MAGIC_NUMBER or dst not in accepts:
            return None
        # options: no 82 (policies, trust), no 52 (overload), no Pad when we re-encode, End present
        walked = _walk_options(frame, 282, end, _PLAIN_REQUEST, 57)
        if walked is None:
            return None
        if self._policy is None:
            relayed = frame[42:45] + _BYTE[hops + 1] + frame[46:66] + ours + frame[70:end]
        else:
            i, pads, at = walked
            if agent is None or pads:
                return None
            relayed = frame[42:45] + _BYTE[hops + 1] + frame[46:66] + ours + frame[70:i] + agent + b"\xff"
            # option 57 (RFC 2132 §9.10) bounds the re-encoded size; shorter or odd: the 576 minimum
            if len(relayed) + 28 > (max(576, (frame[at + 2] << 8) | frame[at + 3]) if at >= 0 and frame[at + 1] == 2
                                    else 576):
                return None
            if len(relayed) < end - 42:
                relayed = relayed.ljust(end - 42, b"\0")
        counters = self._counted.get(ifname) or self.counters.of(ifname)
        counters.received += 1
        counters.relayed += 1
        return relayed, destinations

    def reply_fast(self, ifname: str, src: bytes, payload: bytes) -> tuple[str, bytes] | None:
        """The common case of :meth:`receive_reply`, for the I/O edge: ``(client link, frame)``, already
        counted as received and relayed; or None, with nothing counted, when :meth:`receive_reply`
        must decide (including whether the reply is this instance's at all)."""
        target = self._replies.get(payload[24:28])  # giaddr: one of our addresses on a client link
        if target is None or src not in self._server_set or not self.fast:
            return None
        name, ours, echo, template = target
        size = len(payload)
        if name == ifname or size < OPTIONS_MIN or payload[0] != _BOOTREPLY or payload[2] > 16 \
                or payload[236:240] != MAGIC:
            return None
        walked = _walk_options(payload, 240, size, _PLAIN_REPLY, 82)
        if walked is None:
            return None
        i, pads, at = walked
        if at >= 0:
            if pads:
                return None
            n = payload[at + 1]
            agent = payload[at + 2:at + 2 + n]
            if agent != echo:  # not our own option 82 back as sent (see set_links)
                circuit = None
                j = 0
                while j < n:  # sub-options: well formed, no link selection, our circuit ID among them
                    if j + 1 >= n or j + 2 + agent[j + 1] > n:
                        return None
                    code, length = agent[j], agent[j + 1]
                    if code == _LINK_SELECTION:
                        return None
                    if code == _CIRCUIT_ID and circuit is None and agent[j + 2:j + 2 + length] == ours:
                        circuit = True
                    j += 2 + length
                if self._verify_circuit and (not agent or (ours is not None and circuit is None)):
                    return None
            stripped = payload[:at] + payload[at + 2 + n:i + 1]
            payload = stripped.ljust(size, b"\0")  # never longer than the reply: the same size
        elif self._verify_circuit:
            return None  # counted as a note by the general path
        if payload[10] & 0x80 or payload[1] != 1 or payload[2] != 6:  # broadcast flag, or no MAC to send to
            dst_ip, dst_mac = _IP_BROADCAST, _BROADCAST_MAC
        elif payload[12:16] != ZERO4:
            dst_ip, dst_mac = payload[12:16], payload[28:34]
        elif payload[16:20] != ZERO4:
            dst_ip, dst_mac = payload[16:20], payload[28:34]
        else:
            dst_ip, dst_mac = _IP_BROADCAST, _BROADCAST_MAC
        counters = self._counted.get(ifname) or self.counters.of(ifname)
        counters.received += 1
        counters.relayed += 1
        # ipudp.fill(template, dst_mac, dst_ip, payload), inlined: this runs once per reply
        head, middle, source, ports, ip_sum, udp_sum = template
        address = int.from_bytes(dst_ip, "big")
        rest = (ip_sum + size + address) % 0xFFFF
        data = int.from_bytes(payload, "big")
        if size & 1:
            data <<= 8  # an odd-length segment is summed with a zero byte after it
        udp_rest = (udp_sum + address + 2 * size + data) % 0xFFFF
        return name, FRAME_HEADERS.pack(dst_mac, head, 28 + size, middle, 0xFFFF - rest if rest else 0, source, dst_ip,
                                     ports, 8 + size, 0xFFFF - udp_rest if udp_rest else 0xFFFF) + payload

    def unclaimed(self, ifname: str, reason: str, detail: str, now: float) -> list[Action]:
        """Count a packet no relay instance claimed (on the first instance)."""
        out: list[Action] = []
        self.counters.of(ifname).received += 1
        return self._drop(out, ifname, reason, detail, now)

    # -- replies -------------------------------------------------------------------------------
    def receive_reply(self, ifname: str, src: bytes, payload: bytes, now: float) -> list[Action] | None:
        """A UDP payload from ``src`` to port 67 that arrived on ``ifname``.

        None when it is not this relay's (its giaddr is not one of ours): the
        caller offers it to the next relay instance.
        """
        if self.fast:
            delivery = self.reply_fast(ifname, src, payload)
            if delivery is not None:
                return [ToClient(*delivery)]
        if len(payload) < v4.HEADER_LEN or payload[0] != v4.Op.BOOTREPLY:
            return None
        if payload[24:28] not in self._owned:
            return None
        out: list[Action] = []
        counters = self.counters.of(ifname)
        counters.received += 1
        if src not in self._server_set:
            return self._drop(out, ifname, "unknown_server", f"reply from {text4(src)}, not a configured server", now)
        try:
            msg = v4.decode(payload)
            agent = msg.get(v4.Opt.AGENT_INFO) if msg.options is not None else None
            subs = option82.decode(agent) if agent else ()
            selected = option82.address(subs, SubOpt.LINK_SELECTION) if subs else None
        except DecodeError as exc:
            return self._drop(out, ifname, exc.reason, str(exc), now)
        link = self._reply_link(msg.giaddr, selected, subs)
        if link is None:
            return self._drop(out, ifname, "unknown_interface", "no downstream interface for this reply", now)
        if link.name == ifname:
            return self._drop(out, ifname, "same_segment", "reply heard on the client link itself", now)
        plan = self._plans[link.name]
        if self._verify_circuit and msg.options is not None:
            if not subs:
                self.counters.note(ifname, "reply_without_option82")
            else:
                ours = plan.circuit
                circuits = [v for c, v in subs if c == SubOpt.CIRCUIT_ID]
                if ours is not None and ours not in circuits:
                    return self._drop(out, ifname, "circuit_id_mismatch",
                                      f"circuit ID {circuits[0] if circuits else b''!r} is not {link.name}'s", now)
        if agent is not None:
            payload = v4.with_options(payload, msg, drop=v4.Opt.AGENT_INFO)
        source = plan.address
        if source is None:
            return self._drop(out, ifname, "no_address", f"{link.name} has no IPv4 address", now)
        dst_ip, dst_mac = self._destination(msg)
        out.append(ToClient(link.name, ipudp.build_frame(dst_mac, link.mac, source, dst_ip, SERVER_PORT,
                                                         CLIENT_PORT, payload)))
        counters.relayed += 1
        return out

    def _reply_link(self, giaddr: bytes, selected: bytes | None, subs) -> Link | None:
        """The downstream link a reply is for: link selection, else giaddr, else the circuit ID."""
        if selected is not None:
            link = self._by_address.get(selected)
            if link is not None:
                return link
        link = self._by_address.get(giaddr)
        if link is not None:
            return link
        circuits = [v for c, v in subs if c == SubOpt.CIRCUIT_ID]
        for plan in self._plans.values():  # configuration order
            if plan.circuit is not None and plan.circuit in circuits:
                return plan.link
        return None

    @staticmethod
    def _destination(msg: v4.Message) -> tuple[bytes, bytes]:
        """(IP, MAC) a reply goes to on the client link (RFC 2131 §4.1, RFC 1542 §5.4)."""
        can_unicast = msg.htype == 1 and msg.hlen == 6
        if not msg.broadcast and can_unicast:
            if msg.ciaddr != v4.ZERO4:
                return msg.ciaddr, msg.chaddr[:6]
            if msg.yiaddr != v4.ZERO4:
                return msg.yiaddr, msg.chaddr[:6]
        return ipudp.IP_BROADCAST, ipudp.BROADCAST_MAC

    # -- status ---------------------------------------------------------------------------------
    def _named(self) -> set[str]:
        config = self.config
        return {*config.downstream, *config.upstream, *([config.link_selection] if config.link_selection else [])}

    def status(self) -> dict:
        return {**self.config.describe(), "interfaces": self.counters.snapshot(),
                "addresses": {name: [f"{text4(a)}/{p}" for a, p in link.ipv4]
                              for name, link in sorted(self.links.items()) if name in self._named()}}


def check_giaddr(config: RelayConfig, links: Mapping[str, Link]) -> str | None:
    """Why the configured giaddr cannot be used, or None."""
    if config.giaddr is None:
        return None
    wanted = ipaddress.IPv4Address(config.giaddr).packed
    names = [config.link_selection] if config.link_selection else list(config.downstream)
    if any(link is not None and link.has4(wanted) for link in map(links.get, names)):
        return None
    return f"giaddr {config.giaddr} is not an address of {', '.join(n for n in names if n)}"
