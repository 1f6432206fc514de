"""The DHCPv6 relay's fast paths answer exactly what its general path answers.

:meth:`Relay6.receive_fast` and :meth:`Relay6._fast_reply` take a client's
message from a downstream link and a server's Relay-Reply naming a
downstream link by Interface-ID, and hand everything else to the general
path.  Here the same packets, generated around real Solicits and
Relay-Replies (every message type, odd and repeated options, nested relay
messages, rogue sources, relay's own address, cut or flipped bytes), go
through one relay with the fast paths and one without: the actions, the
bytes sent and the counters must be identical, and plain traffic must take
the fast paths.  A third relay is fed the I/O edge's way
(:meth:`Relay6.receive_fast` first, then :meth:`Relay6.receive`): what it
sends, and where, must be what the general path's actions send.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chassisctl.dhcp import relay6, v6
from chassisctl.dhcp.actions import ToPeer, ToServer
from chassisctl.dhcp.config import make
from chassisctl.dhcp.links import Link, ip6, text6
from chassisctl.dhcp.relay6 import Relay6
from chassisctl.dhcp.v6 import MsgType, Opt6
from chassisctl.errors import UsageError

from dhcp._packets import RELAY_MAC, downstream_link, solicit, upstream_link

SERVER = "2001:db8:2::2"
CLIENT_LL = ip6("fe80::ff:fe00:a01")  # modified EUI-64: option 79 goes in
SETTINGS = [
    {},
    {"remote_id": "hostname"},
    {"remote_id": "string:" + "r" * 40, "max_hops": 2},
    {"servers": [SERVER, "2001:db8:1::5"]},      # one server on the client link: skipped
    {"servers": ["2001:db8:1::5"]},              # every server on the client link: same_segment
]
LINKS = [
    {"dhr0": downstream_link(), "dhr1": upstream_link()},
    {"dhr0": Link("dhr0", 2, RELAY_MAC, True, (), ((ip6("fe80::1"), 64),)), "dhr1": upstream_link()},  # no global
    {"dhr1": upstream_link()},                                                                          # dhr0 gone
]
SOURCES = [CLIENT_LL, ip6("fe80::9"), ip6("2001:db8:1::77"), ip6("2001:db8:1::1"), ip6(SERVER),
           ip6("2001:db8:2::66")]


def as_edge(relay: Relay6, ifname: str, src: bytes, data: bytes, now: float) -> list | None:
    """What the I/O edge does: :meth:`Relay6.receive_fast` first (sends), else :meth:`Relay6.receive`."""
    got = relay.receive_fast(ifname, src, data)
    if got is None:
        return relay.receive(ifname, src, data, now)
    payload, destinations = got
    return [(payload, destination) for destination in destinations]


def sends(relay: Relay6, actions: list | None) -> list | None:
    """Actions as the edge performs them: (payload, socket address), problems as they are."""
    if actions is None:
        return None
    out: list = []
    for action in actions:
        if isinstance(action, ToServer):
            out.append((action.payload, (action.server, 547, 0, 0)))
        elif isinstance(action, ToPeer):
            link = relay.links.get(action.ifname)
            out.append((action.payload, (action.peer, action.port, 0, link.index if link else 0)))
        else:
            out.append(action)
    return out


def check_edge(which: int, links: int, ifname: str, src: bytes, data: bytes, expected: list | None,
               slow: Relay6) -> None:
    edge, _ = pair(which, links)
    assert sends(edge, as_edge(edge, ifname, src, data, 1.0)) == sends(slow, expected)
    assert edge.counters.snapshot() == slow.counters.snapshot()


def pair(which: int, links: int) -> tuple[Relay6, Relay6]:
    out = []
    for fast in (True, False):
        r = Relay6(make({"downstream": ["dhr0"], "servers": [SERVER], "ipv6": True} | SETTINGS[which],
                        fail=UsageError), "sw1")
        r.set_links(LINKS[links])
        r.fast = fast
        out.append(r)
    return out[0], out[1]


option = st.one_of(
    st.tuples(st.sampled_from([1, 2, 3, 6, 8, 9, 14, 18, 37, 79]), st.binary(max_size=10)),
    st.just((Opt6.INTERFACE_ID, b"dhr0")), st.just((Opt6.INTERFACE_ID, b"dhr1")),
    st.just((Opt6.INTERFACE_ID, b"eth7")), st.just((Opt6.INTERFACE_ID, b"\xff\xfe")),
)
client_type = st.sampled_from([*range(0, 14), 20, 35])


@st.composite
def inner_message(draw) -> bytes:
    kind = draw(st.sampled_from(["client", "server", "relay-reply", "relay-forward", "short", "type0", "bad"]))
    if kind == "client":
        return v6.encode(v6.Message(draw(client_type.filter(lambda t: t not in (0, 12, 13))), 7,
                                    tuple(draw(st.lists(option, max_size=3)))))
    if kind == "server":
        return v6.encode(v6.Message(draw(st.sampled_from([2, 7, 10])), 7, ((Opt6.SERVERID, b"srv"),)))
    if kind in ("relay-reply", "relay-forward"):
        code = MsgType.RELAY_REPL if kind == "relay-reply" else MsgType.RELAY_FORW
        return v6.encode(v6.RelayMessage(code, 0, bytes(16), CLIENT_LL,
                                         ((Opt6.RELAY_MSG, v6.encode(v6.Message(7, 1, ()))),)))
    if kind == "short":
        return draw(st.binary(max_size=3))
    if kind == "type0":
        return b"\0\0\0\1"
    return b"\x07\0\0\1\0\1\0\x09ab"  # an option running past the end


def damage(data: bytes, flip, tail: bytes, cut: int) -> bytes:
    out = bytearray(data)
    if flip is not None and flip[0] < len(out):
        out[flip[0]] ^= flip[1]
    out = out[:max(0, len(out) - cut)]
    return bytes(out) + tail


@settings(max_examples=400, deadline=None)
@given(which=st.integers(0, len(SETTINGS) - 1), links=st.integers(0, len(LINKS) - 1), msg_type=client_type,
       extra=st.lists(option, max_size=4), src=st.sampled_from(SOURCES), ifname=st.sampled_from(["dhr0", "dhr1"]),
       hops=st.integers(0, 3), flip=st.one_of(st.none(), st.tuples(st.integers(0, 80), st.integers(1, 255))),
       tail=st.binary(max_size=5), cut=st.integers(0, 3))
def test_client_side_agrees(which, links, msg_type, extra, src, ifname, hops, flip, tail, cut) -> None:
    fast, slow = pair(which, links)
    if msg_type == MsgType.RELAY_FORW:
        data = v6.relay_forward(hops, bytes(16), CLIENT_LL, solicit(), extra)
    elif msg_type == MsgType.RELAY_REPL:
        data = v6.encode(v6.RelayMessage(msg_type, hops, bytes(16), CLIENT_LL,
                                         (*extra, (Opt6.RELAY_MSG, solicit()))))
    else:
        data = v6.encode(v6.Message(msg_type, 0xABCDEF, tuple(extra)))
    data = damage(data, flip, tail, cut)
    expected = slow.receive(ifname, src, data, 1.0)
    assert fast.receive(ifname, src, data, 1.0) == expected
    assert fast.counters.snapshot() == slow.counters.snapshot()
    check_edge(which, links, ifname, src, data, expected, slow)


@settings(max_examples=400, deadline=None)
@given(which=st.integers(0, len(SETTINGS) - 1), links=st.integers(0, len(LINKS) - 1),
       before=st.lists(option, max_size=3), after=st.lists(option, max_size=2), inner=inner_message(),
       second_inner=st.booleans(), iid=st.sampled_from([None, b"dhr0", b"dhr0", b"eth7"]),
       link_address=st.sampled_from(["::", "2001:db8:1::1", "2001:db8:7::1"]),
       src=st.sampled_from([*SOURCES, ip6(SERVER), ip6(SERVER)]), ifname=st.sampled_from(["dhr1", "dhr0", "eth9"]),
       flip=st.one_of(st.none(), st.tuples(st.integers(0, 120), st.integers(1, 255))),
       tail=st.binary(max_size=5), cut=st.integers(0, 3))
def test_replies_agree(which, links, before, after, inner, second_inner, iid, link_address, src, ifname, flip,
                       tail, cut) -> None:
    fast, slow = pair(which, links)
    options = [*([] if iid is None else [(Opt6.INTERFACE_ID, iid)]), *before, (Opt6.RELAY_MSG, inner), *after]
    if second_inner:
        options.append((Opt6.RELAY_MSG, solicit()))
    data = damage(v6.encode(v6.RelayMessage(MsgType.RELAY_REPL, 0, ip6(link_address), CLIENT_LL, tuple(options))),
                  flip, tail, cut)
    expected = slow.receive(ifname, src, data, 1.0)
    assert fast.receive(ifname, src, data, 1.0) == expected
    assert fast.counters.snapshot() == slow.counters.snapshot()
    check_edge(which, links, ifname, src, data, expected, slow)


def wrapped(inner: bytes, *options: tuple[int, bytes], link_address: str = "2001:db8:1::1") -> bytes:
    return v6.encode(v6.RelayMessage(MsgType.RELAY_REPL, 0, ip6(link_address), CLIENT_LL,
                                     (*options, (Opt6.RELAY_MSG, inner))))


ADVERTISE = v6.encode(v6.Message(MsgType.ADVERTISE, 0xABCDEF, ((Opt6.SERVERID, b"srv"), (Opt6.CLIENTID, b"cli"))))
EDGE_REPLIES = {
    "interface-id twice, first wins": wrapped(ADVERTISE, (Opt6.INTERFACE_ID, b"dhr0"), (Opt6.INTERFACE_ID, b"eth7")),
    "interface-id twice, first foreign": wrapped(ADVERTISE, (Opt6.INTERFACE_ID, b"eth7"),
                                                 (Opt6.INTERFACE_ID, b"dhr0")),
    "no interface-id": wrapped(ADVERTISE),
    "empty interface-id": wrapped(ADVERTISE, (Opt6.INTERFACE_ID, b"")),
    "interface-id after the message": v6.encode(v6.RelayMessage(
        MsgType.RELAY_REPL, 0, bytes(16), CLIENT_LL, ((Opt6.RELAY_MSG, ADVERTISE), (Opt6.INTERFACE_ID, b"dhr0")))),
    "nested relay-reply": wrapped(wrapped(ADVERTISE), (Opt6.INTERFACE_ID, b"dhr0")),
    "empty inner options": wrapped(b"\x07\0\0\1", (Opt6.INTERFACE_ID, b"dhr0")),
    "header only": wrapped(b"", (Opt6.INTERFACE_ID, b"dhr0"))[:34],
}


@pytest.mark.parametrize("case", EDGE_REPLIES, ids=list(EDGE_REPLIES))
@pytest.mark.parametrize("ifname", ["dhr1", "dhr0"])
def test_reply_edge_cases_agree(case, ifname) -> None:
    fast, slow = pair(0, 0)
    data = EDGE_REPLIES[case]
    expected = slow.receive(ifname, ip6(SERVER), data, 1.0)
    assert fast.receive(ifname, ip6(SERVER), data, 1.0) == expected
    assert fast.counters.snapshot() == slow.counters.snapshot()
    check_edge(0, 0, ifname, ip6(SERVER), data, expected, slow)


EDGE_CLIENTS = {
    "solicit": solicit(),
    "no options": b"\x01\0\0\1",
    "option header cut": solicit() + b"\0\1",
    "dhcpv4-query": v6.encode(v6.Message(MsgType.DHCPV4_QUERY, 1, ())),
    "information-request": v6.encode(v6.Message(MsgType.INFORMATION_REQUEST, 1, ((Opt6.ORO, b"\0\x17"),))),
    "advertise from a client link": v6.encode(v6.Message(MsgType.ADVERTISE, 1, ())),
}


@pytest.mark.parametrize("case", EDGE_CLIENTS, ids=list(EDGE_CLIENTS))
@pytest.mark.parametrize("which", range(len(SETTINGS)))
@pytest.mark.parametrize("src", [CLIENT_LL, ip6("fe80::9"), ip6("2001:db8:1::1")], ids=["eui64", "other", "own"])
def test_client_edge_cases_agree(case, which, src) -> None:
    fast, slow = pair(which, 0)
    data = EDGE_CLIENTS[case]
    expected = slow.receive("dhr0", src, data, 1.0)
    assert fast.receive("dhr0", src, data, 1.0) == expected
    assert fast.counters.snapshot() == slow.counters.snapshot()
    check_edge(which, 0, "dhr0", src, data, expected, slow)


@pytest.mark.parametrize("which", [0, 1])
def test_plain_traffic_takes_the_fast_paths(which, monkeypatch) -> None:
    fast, slow = pair(which, 0)
    expected_forward = slow.receive("dhr0", CLIENT_LL, solicit(), 0.0)
    expected_reply = slow.receive("dhr1", ip6(SERVER), wrapped(ADVERTISE, (Opt6.INTERFACE_ID, b"dhr0")), 0.0)
    monkeypatch.setattr(v6, "decode", lambda *a, **k: pytest.fail("the general path ran"))
    assert fast.receive("dhr0", CLIENT_LL, solicit(), 0.0) == expected_forward
    assert fast.receive("dhr1", ip6(SERVER), wrapped(ADVERTISE, (Opt6.INTERFACE_ID, b"dhr0")), 0.0) == expected_reply
    assert fast.counters.snapshot() == slow.counters.snapshot()
    assert fast.receive_fast("dhr0", CLIENT_LL, solicit()) is not None
    assert fast.receive_fast("dhr1", ip6(SERVER), wrapped(ADVERTISE, (Opt6.INTERFACE_ID, b"dhr0"))) is not None


def test_repeated_and_many_addresses_agree(monkeypatch) -> None:
    """The fast paths keep the Relay-Forward's head per client address and the socket address per
    peer: repeats, and more addresses than a cache holds, answer what the general path answers."""
    monkeypatch.setattr(relay6, "ADDRESS_CACHE", 3)
    fast, slow = pair(1, 0)  # with a Remote-ID, part of the kept head
    sources = [ip6(f"fe80::ff:fe00:{n:x}") for n in range(1, 6)] + [ip6(f"2001:db8:1::{n:x}") for n in range(70, 74)]
    for _ in range(2):
        for src in sources:
            for ifname, source, data in (
                    ("dhr0", src, solicit()),
                    ("dhr1", ip6(SERVER), v6.encode(v6.RelayMessage(
                        MsgType.RELAY_REPL, 0, bytes(16), src,
                        ((Opt6.INTERFACE_ID, b"dhr0"), (Opt6.RELAY_MSG, ADVERTISE)))))):
                expected = slow.receive(ifname, source, data, 1.0)
                got = as_edge(fast, ifname, source, data, 1.0)
                assert got is not None and sends(fast, got) == sends(slow, expected)
    assert fast.counters.snapshot() == slow.counters.snapshot()
    assert fast.counters.of("dhr0").relayed == fast.counters.of("dhr1").relayed == 2 * len(sources)
    assert len(fast._fast_plans["dhr0"][0]) <= 3 and len(fast._by_interface_id[b"dhr0"][2]) <= 3


def test_kept_addresses_follow_the_links() -> None:
    """A client address the relay has since taken for itself is dropped as a loop, and a reply goes
    out the link's new ifindex, however recently the old facts were used."""
    fast, slow = pair(0, 0)
    src = ip6("2001:db8:1::77")
    reply = wrapped(ADVERTISE, (Opt6.INTERFACE_ID, b"dhr0"))
    for relay in (fast, slow):
        as_edge(relay, "dhr0", src, solicit(), 1.0)
        as_edge(relay, "dhr1", ip6(SERVER), reply, 1.0)
        links = dict(LINKS[0])
        links["dhr0"] = replace(links["dhr0"], index=9, ipv6=(*links["dhr0"].ipv6, (src, 64)))
        relay.set_links(links)
    expected = slow.receive("dhr0", src, solicit(), 1.0)
    assert sends(fast, as_edge(fast, "dhr0", src, solicit(), 1.0)) == sends(slow, expected)
    assert fast.counters.of("dhr0").dropped == {"loop": 1}
    expected = slow.receive("dhr1", ip6(SERVER), reply, 1.0)
    got = as_edge(fast, "dhr1", ip6(SERVER), reply, 1.0)
    assert sends(fast, got) == sends(slow, expected) == [(ADVERTISE, (text6(CLIENT_LL), 546, 0, 9))]
    assert fast.counters.snapshot() == slow.counters.snapshot()
