"""The relay's fast paths answer exactly what its general path answers.

:meth:`Relay4.request_fast` and :meth:`Relay4.reply_fast` take the common
case without building the decoded objects and hand everything else to the
general path; the I/O edge calls them first and the general entry points
when they answer None (``as_edge_request``/``as_edge_reply`` do the same).
Here the same packets, generated around real requests and replies (option
82 in every policy, Pad, option 57, split options, flags, bad checksums,
random tails), go through one relay with the fast paths, one without, and
one the edge's way: the actions, the bytes sent and the counters must be
identical, and the fast paths must actually be taken for plain traffic.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chassisctl.dhcp import ipudp, v4
from chassisctl.dhcp.actions import ToClient, ToServer
from chassisctl.dhcp.config import make
from chassisctl.dhcp.links import ip4
from chassisctl.dhcp.relay4 import Relay4
from chassisctl.errors import UsageError

from dhcp._packets import client_frame, discover, downstream_link, offer, upstream_link

SETTINGS = [
    {},
    {"option82": "replace"},
    {"option82": "append", "trusted": ["dhr0"], "remote_id": "hostname"},
    {"option82": "forward", "trusted": ["dhr0"]},
    {"option82": "discard"},
    {"option82": "replace", "circuit_id": "vlan"},
    {"option82": "replace", "link_selection": "dhr1", "server_id_override": True},
    {"option82": "replace", "circuit_id": "hex:" + "ab" * 120, "remote_id": "string:" + "r" * 120},
]
SERVER = ip4("198.51.100.2")


def as_edge_request(relay: Relay4, ifname: str, frame: bytes, now: float, verify: bool) -> list:
    """What the I/O edge does: :meth:`Relay4.request_fast` first, else :meth:`Relay4.receive_request`."""
    got = relay.request_fast(ifname, frame, verify)
    if got is None:
        return relay.receive_request(ifname, frame, now, verify_udp=verify)
    payload, destinations = got
    assert all(port == 67 for _, port in destinations)
    return [ToServer(server, payload) for server, _ in destinations]


def as_edge_reply(relay: Relay4, ifname: str, src: bytes, payload: bytes, now: float) -> list | None:
    """What the I/O edge does: :meth:`Relay4.reply_fast` first, else :meth:`Relay4.receive_reply`."""
    got = relay.reply_fast(ifname, src, payload)
    return relay.receive_reply(ifname, src, payload, now) if got is None else [ToClient(*got)]


def pair(settings: dict) -> tuple[Relay4, Relay4]:
    out = []
    for fast in (True, False):
        r = Relay4(make({"downstream": ["dhr0"], "servers": ["198.51.100.2", "203.0.113.2"]} | settings,
                        fail=UsageError), "sw1")
        r.set_links({"dhr0": downstream_link(vlan=100), "dhr1": upstream_link()})
        r.fast = fast
        out.append(r)
    return out[0], out[1]


options = st.lists(st.one_of(
    st.tuples(st.sampled_from([12, 50, 54, 57, 60, 61, 82, 52, 43]), st.binary(max_size=12)),
    st.tuples(st.just(43), st.binary(min_size=60, max_size=120)),  # big enough to leave no room for 82
    st.just((57, b"\x05\xdc")), st.just((57, b"\x02\x40")),
    st.just((82, b"\x01\x04dhr0")), st.just((82, b"\x01\x03100\x02\x03sw1")),
    st.just((82, b"\x05\x04\xc0\x00\x02\x01")),
), max_size=5)


def with_options(msg: v4.Message, extra, pad: bool) -> bytes:
    data = bytearray(v4.encode(msg._replace(options=msg.options + tuple(extra))))
    if pad:
        data[240:240] = b"\0"  # a Pad before the first option
    return bytes(data)


@settings(max_examples=400, deadline=None)
@given(which=st.integers(0, len(SETTINGS) - 1), extra=options, pad=st.booleans(), flags=st.sampled_from([0, 0x8000]),
       hops=st.sampled_from([0, 3, 9]), giaddr=st.sampled_from(["0.0.0.0", "192.0.2.1", "203.0.113.9"]),
       ciaddr=st.sampled_from(["0.0.0.0", "192.0.2.77"]), verify=st.booleans(),
       corrupt=st.one_of(st.none(), st.tuples(st.integers(0, 400), st.integers(1, 255))),
       tail=st.binary(max_size=8), cut=st.integers(0, 3))
def test_requests_agree(which, extra, pad, flags, hops, giaddr, ciaddr, verify, corrupt, tail, cut) -> None:
    fast, slow = pair(SETTINGS[which])
    msg = discover(flags=flags, hops=hops, giaddr=giaddr, ciaddr=ciaddr)
    frame = bytearray(client_frame(with_options(msg, extra, pad)))
    if corrupt is not None and corrupt[0] < len(frame):
        frame[corrupt[0]] ^= corrupt[1]
    frame = frame[:len(frame) - cut] + tail if cut or tail else frame
    a = fast.receive_request("dhr0", memoryview(bytearray(frame)), 1.0, verify_udp=verify)
    b = slow.receive_request("dhr0", bytes(frame), 1.0, verify_udp=verify)
    assert a == b
    assert fast.counters.snapshot() == slow.counters.snapshot()
    edge, _ = pair(SETTINGS[which])
    assert as_edge_request(edge, "dhr0", bytes(frame), 1.0, verify) == b
    assert edge.counters.snapshot() == slow.counters.snapshot()


@settings(max_examples=400, deadline=None)
@given(which=st.integers(0, len(SETTINGS) - 1), extra=options, pad=st.booleans(), flags=st.sampled_from([0, 0x8000]),
       giaddr=st.sampled_from(["192.0.2.1", "198.51.100.1", "203.0.113.9"]),
       ciaddr=st.sampled_from(["0.0.0.0", "192.0.2.77"]), yiaddr=st.sampled_from(["0.0.0.0", "192.0.2.50"]),
       htype=st.sampled_from([1, 6]), src=st.sampled_from([SERVER, ip4("203.0.113.66")]),
       ifname=st.sampled_from(["dhr1", "dhr0"]),
       corrupt=st.one_of(st.none(), st.tuples(st.integers(0, 320), st.integers(1, 255))), cut=st.integers(0, 3))
def test_replies_agree(which, extra, pad, flags, giaddr, ciaddr, yiaddr, htype, src, ifname, corrupt, cut) -> None:
    fast, slow = pair(SETTINGS[which])
    request = discover(giaddr=giaddr, ciaddr=ciaddr)
    msg = offer(request, yiaddr=yiaddr, flags=flags)._replace(htype=htype)
    data = bytearray(with_options(msg, extra, pad))
    if corrupt is not None and corrupt[0] < len(data):
        data[corrupt[0]] ^= corrupt[1]
    data = bytes(data[:len(data) - cut])
    a = fast.receive_reply(ifname, src, data, 1.0)
    b = slow.receive_reply(ifname, src, data, 1.0)
    assert a == b
    assert fast.counters.snapshot() == slow.counters.snapshot()
    edge, _ = pair(SETTINGS[which])
    assert as_edge_reply(edge, ifname, src, data, 1.0) == b
    assert edge.counters.snapshot() == slow.counters.snapshot()


@pytest.mark.parametrize("settings", [{}, {"option82": "replace"}])
def test_plain_traffic_takes_the_fast_paths(settings, monkeypatch) -> None:
    fast, _ = pair(settings)
    monkeypatch.setattr(v4, "decode", lambda *a, **k: pytest.fail("the general path ran"))
    (to_server, _other) = fast.receive_request("dhr0", client_frame(discover()), 0.0)
    relayed = to_server.payload
    agent = [v for c, v in v4.scan_options(relayed, 240, len(relayed))[0] if c == 82]
    reply = offer(discover(giaddr="192.0.2.1"), extra=tuple((82, v) for v in agent))
    (delivered,) = fast.receive_reply("dhr1", SERVER, v4.encode(reply), 0.0)
    packet = ipudp.parse_frame(delivered.frame)
    assert packet.dst == ipudp.IP_BROADCAST and b"\x52" not in packet.payload[240:243]
    assert fast.request_fast("dhr0", client_frame(discover()), True) == (relayed, (("198.51.100.2", 67),
                                                                                   ("203.0.113.2", 67)))
    assert fast.reply_fast("dhr1", SERVER, v4.encode(reply)) == ("dhr0", delivered.frame)


EDGE_REQUESTS = {
    "no room for 82": (7, [(43, b"x" * 120)], False),
    "room with option 57": (7, [(43, b"x" * 120), (57, b"\x05\xdc")], False),
    "split option 57": (7, [(43, b"x" * 120), (57, b"\x05"), (57, b"\xdc")], False),
    "pad before the options": (1, [], True),
    "client's own 82, trusted": (2, [(82, b"\x01\x03abc")], False),
    "overload": (1, [(52, b"\x01")], False),
}


@pytest.mark.parametrize("case", EDGE_REQUESTS, ids=list(EDGE_REQUESTS))
def test_request_edge_cases_agree(case) -> None:
    which, extra, pad = EDGE_REQUESTS[case]
    fast, slow = pair(SETTINGS[which])
    frame = client_frame(with_options(discover(), extra, pad))
    expected = slow.receive_request("dhr0", frame, 1.0)
    assert fast.receive_request("dhr0", frame, 1.0) == expected
    assert fast.counters.snapshot() == slow.counters.snapshot()
    edge, _ = pair(SETTINGS[which])
    assert as_edge_request(edge, "dhr0", frame, 1.0, True) == expected
    assert edge.counters.snapshot() == slow.counters.snapshot()


EDGE_REPLIES = {
    "split 82": (1, [(82, b"\x01\x04"), (82, b"dhr0")], False, "192.0.2.1"),
    "link selection names the link": (6, [(82, b"\x01\x04dhr0\x05\x04\xc0\x00\x02\x01")], False, "198.51.100.1"),
    "another circuit": (1, [(82, b"\x01\x04eth9")], False, "192.0.2.1"),
    "no 82 back": (1, [], False, "192.0.2.1"),
    "pad and 82": (1, [(82, b"\x01\x04dhr0")], True, "192.0.2.1"),
    "empty 82": (1, [(82, b"")], False, "192.0.2.1"),
}


@pytest.mark.parametrize("case", EDGE_REPLIES, ids=list(EDGE_REPLIES))
def test_reply_edge_cases_agree(case) -> None:
    which, extra, pad, giaddr = EDGE_REPLIES[case]
    fast, slow = pair(SETTINGS[which])
    data = with_options(offer(discover(giaddr=giaddr)), extra, pad)
    expected = slow.receive_reply("dhr1", SERVER, data, 1.0)
    assert fast.receive_reply("dhr1", SERVER, data, 1.0) == expected
    assert fast.counters.snapshot() == slow.counters.snapshot()
    edge, _ = pair(SETTINGS[which])
    assert as_edge_reply(edge, "dhr1", SERVER, data, 1.0) == expected
    assert edge.counters.snapshot() == slow.counters.snapshot()


@pytest.mark.parametrize("which", range(len(SETTINGS)))
def test_our_own_option82_echoed_back_agrees(which, monkeypatch) -> None:
    """A reply carrying the option 82 we added, unchanged (what servers do, RFC 3046 §2.2): reply_fast
    takes it without looking at the sub-options, and must answer what the general path answers.
    With link selection ours names the link, which the general path decides."""
    fast, slow = pair(SETTINGS[which])
    (to_server, *_) = pair(SETTINGS[which])[1].receive_request("dhr0", client_frame(discover()), 0.0)
    relayed = to_server.payload
    agent = [v for c, v in v4.scan_options(relayed, 240, len(relayed))[0] if c == 82]
    for giaddr in ("192.0.2.1", "198.51.100.1"):
        data = v4.encode(offer(discover(giaddr=giaddr), extra=tuple((82, v) for v in agent)))
        expected = slow.receive_reply("dhr1", SERVER, data, 1.0)
        assert fast.receive_reply("dhr1", SERVER, data, 1.0) == expected
        assert fast.counters.snapshot() == slow.counters.snapshot()
        edge, _ = pair(SETTINGS[which])
        assert as_edge_reply(edge, "dhr1", SERVER, data, 1.0) == expected
    if agent and "link_selection" not in SETTINGS[which]:
        data = v4.encode(offer(discover(giaddr="192.0.2.1"), extra=((82, agent[0]),)))
        monkeypatch.setattr(v4, "decode", lambda *a, **k: pytest.fail("the general path ran"))
        assert fast.reply_fast("dhr1", SERVER, data) is not None
