"""The DHCPv6 relay's decisions (RFC 8415 §19)."""

from __future__ import annotations

from chassisctl.dhcp import v6
from chassisctl.dhcp.actions import ToPeer, ToServer
from chassisctl.dhcp.config import make
from chassisctl.dhcp.links import Link, ip6
from chassisctl.dhcp.relay6 import Relay6, eui64_mac
from chassisctl.dhcp.v6 import MsgType, Opt6
from chassisctl.errors import UsageError

from dhcp._packets import CLIENT_MAC, RELAY_MAC, downstream_link, solicit, upstream_link

SERVER = "2001:db8:2::2"
CLIENT_LL = ip6("fe80::ff:fe00:a01")  # modified EUI-64 of 02:00:00:00:0a:01


def relay(**settings) -> Relay6:
    r = Relay6(make({"downstream": ["dhr0"], "servers": [SERVER], "ipv6": True} | settings, fail=UsageError), "sw1")
    r.set_links({"dhr0": downstream_link(), "dhr1": upstream_link()})
    return r


def test_eui64() -> None:
    assert eui64_mac(CLIENT_LL) == CLIENT_MAC
    assert eui64_mac(ip6("fe80::1")) is None
    assert eui64_mac(ip6("2001:db8::ff:fe00:a01")) is None


def test_solicit_becomes_relay_forward() -> None:
    r = relay(remote_id="hostname")
    client = solicit()
    (action,) = r.receive("dhr0", CLIENT_LL, client, 0.0)
    assert isinstance(action, ToServer) and action.server == SERVER
    msg = v6.decode(action.payload)
    assert isinstance(msg, v6.RelayMessage)
    assert (msg.msg_type, msg.hop_count, msg.link_address, msg.peer_address) == \
        (MsgType.RELAY_FORW, 0, ip6("2001:db8:1::1"), CLIENT_LL)
    assert msg.get(Opt6.RELAY_MSG) == client
    assert msg.get(Opt6.INTERFACE_ID) == b"dhr0"
    assert msg.get(Opt6.REMOTE_ID) == b"\0\0\0\0sw1"
    assert msg.get(Opt6.CLIENT_LINKLAYER_ADDR) == b"\x00\x01" + CLIENT_MAC
    assert r.counters.snapshot()["dhr0"]["relayed"] == 1


def test_link_without_global_address_sends_unspecified_link_address() -> None:
    r = relay()
    r.set_links({"dhr0": Link("dhr0", 2, RELAY_MAC, True, (), ((ip6("fe80::1"), 64),))})
    (action,) = r.receive("dhr0", CLIENT_LL, solicit(), 0.0)
    msg = v6.decode(action.payload)
    assert msg.link_address == bytes(16) and msg.get(Opt6.INTERFACE_ID) == b"dhr0"


def test_multi_hop_wraps_again_and_honours_the_limit() -> None:
    r = relay(max_hops=3)
    lower = v6.relay_forward(2, ip6("2001:db8:9::1"), CLIENT_LL, solicit())
    (action,) = r.receive("dhr0", ip6("fe80::9"), lower, 0.0)
    msg = v6.decode(action.payload)
    assert msg.hop_count == 3 and msg.get(Opt6.RELAY_MSG) == lower and msg.peer_address == ip6("fe80::9")
    too_many = v6.relay_forward(3, bytes(16), CLIENT_LL, solicit())
    assert r.receive("dhr0", ip6("fe80::9"), too_many, 0.0) == [] or \
        not [a for a in r.receive("dhr0", ip6("fe80::9"), too_many, 0.0) if isinstance(a, ToServer)]
    assert r.counters.snapshot()["dhr0"]["dropped"]["max_hops"] >= 1


def test_relay_reply_is_unwrapped_to_the_client() -> None:
    r = relay()
    reply = v6.encode(v6.Message(MsgType.ADVERTISE, 0xABCDEF, ((1, b"duid"),)))
    wrapped = v6.encode(v6.RelayMessage(MsgType.RELAY_REPL, 0, ip6("2001:db8:1::1"), CLIENT_LL,
                                        ((Opt6.INTERFACE_ID, b"dhr0"), (Opt6.RELAY_MSG, reply))))
    (action,) = r.receive("dhr1", ip6(SERVER), wrapped, 0.0)
    assert action == ToPeer("dhr0", "fe80::ff:fe00:a01", 546, reply)
    # A Relay-Reply inside goes to a lower relay's port 547.
    inner = v6.encode(v6.RelayMessage(MsgType.RELAY_REPL, 0, bytes(16), CLIENT_LL, ((Opt6.RELAY_MSG, reply),)))
    outer = v6.encode(v6.RelayMessage(MsgType.RELAY_REPL, 1, bytes(16), ip6("fe80::9"),
                                      ((Opt6.INTERFACE_ID, b"dhr0"), (Opt6.RELAY_MSG, inner))))
    (action,) = r.receive("dhr1", ip6(SERVER), outer, 0.0)
    assert (action.port, action.peer, action.payload) == (547, "fe80::9", inner)


def test_relay_reply_found_by_link_address_and_rogue_dropped() -> None:
    r = relay()
    reply = v6.encode(v6.Message(MsgType.REPLY, 1, ()))
    by_link = v6.encode(v6.RelayMessage(MsgType.RELAY_REPL, 0, ip6("2001:db8:1::1"), CLIENT_LL,
                                        ((Opt6.RELAY_MSG, reply),)))
    assert r.receive("dhr1", ip6(SERVER), by_link, 0.0)[0].ifname == "dhr0"
    assert not [a for a in r.receive("dhr1", ip6("2001:db8:2::66"), by_link, 0.0) if isinstance(a, ToPeer)]
    assert r.counters.snapshot()["dhr1"]["dropped"] == {"unknown_server": 1}
    other = v6.encode(v6.RelayMessage(MsgType.RELAY_REPL, 0, ip6("2001:db8:7::1"), CLIENT_LL,
                                      ((Opt6.INTERFACE_ID, b"eth7"), (Opt6.RELAY_MSG, reply))))
    assert r.receive("dhr1", ip6(SERVER), other, 0.0) is None


def test_drops_on_the_client_link() -> None:
    r = relay()
    r.receive("dhr0", CLIENT_LL, b"\x01\x00", 0.0)
    r.receive("dhr0", CLIENT_LL, v6.encode(v6.Message(MsgType.ADVERTISE, 1, ())), 0.0)
    r.receive("dhr0", ip6("2001:db8:1::1"), solicit(), 0.0)
    assert r.receive("eth5", CLIENT_LL, solicit(), 0.0) is None
    assert r.counters.snapshot()["dhr0"]["dropped"] == {"truncated": 1, "unexpected_type": 1, "loop": 1}


def test_server_on_the_client_link_is_skipped() -> None:
    r = relay(servers=["2001:db8:1::5"])
    assert not [a for a in r.receive("dhr0", CLIENT_LL, solicit(), 0.0) if isinstance(a, ToServer)]
    assert r.counters.snapshot()["dhr0"]["dropped"] == {"same_segment": 1}
