"""The DHCPv4 relay's decisions, with hand-made interface facts and a fake clock."""

from __future__ import annotations

import pytest

from chassisctl.dhcp import ipudp, option82, v4
from chassisctl.dhcp.actions import Problem, ToClient, ToServer
from chassisctl.dhcp.config import make
from chassisctl.dhcp.links import Link, ip4
from chassisctl.dhcp.relay4 import Relay4, check_giaddr
from chassisctl.errors import UsageError

from dhcp._packets import (CLIENT_MAC, RELAY_MAC, client_frame, discover, downstream_link, offer,
                           upstream_link)

SERVERS = ["198.51.100.2", "203.0.113.2"]


def relay(**settings) -> Relay4:
    values = {"downstream": ["dhr0"], "servers": SERVERS} | settings
    r = Relay4(make(values, fail=UsageError), "sw1")
    r.set_links({"dhr0": downstream_link(), "dhr1": upstream_link()})
    return r


def sent(actions) -> list[ToServer]:
    return [a for a in actions if isinstance(a, ToServer)]


def relayed_message(actions) -> v4.Message:
    out = sent(actions)
    assert out, actions
    assert len({a.payload for a in out}) == 1
    return v4.decode(out[0].payload)


def agent_info(msg: v4.Message):
    return option82.decode(msg.get(82) or b"")


def test_discover_goes_to_every_server_with_giaddr_hops_and_82_last() -> None:
    r = relay(option82="replace", remote_id="hostname")
    actions = r.receive_request("dhr0", client_frame(discover()), 0.0)
    assert [a.server for a in sent(actions)] == SERVERS
    msg = relayed_message(actions)
    assert msg.giaddr == ip4("192.0.2.1") and msg.hops == 1
    assert msg.options[-1][0] == 82
    assert agent_info(msg) == ((1, b"dhr0"), (2, b"sw1"))
    assert r.counters.snapshot()["dhr0"] == {"received": 1, "relayed": 1, "dropped": {}, "notes": {}}


def test_without_option82_nothing_is_added_and_nothing_else_changes() -> None:
    r = relay()
    payload = v4.encode(discover())
    msg_bytes = sent(r.receive_request("dhr0", client_frame(payload), 0.0))[0].payload
    assert v4.decode(msg_bytes).get(82) is None
    assert len(msg_bytes) == len(payload)
    assert {i for i in range(len(payload)) if payload[i] != msg_bytes[i]} == {3, 24, 26, 27}  # 192.0.2.1


def test_client_sent_82_with_giaddr_zero_is_dropped_on_untrusted_links() -> None:
    r = relay(option82="replace")
    frame = client_frame(discover(extra=((82, b"\x01\x03abc"),)))
    actions = r.receive_request("dhr0", frame, 5.0)
    assert sent(actions) == []
    assert r.counters.snapshot()["dhr0"]["dropped"] == {"untrusted_option82": 1}
    assert [str(p) for p in actions if isinstance(p, Problem)] == [
        "dhr0: dropped, untrusted option82: client sent option 82 with giaddr 0 on an untrusted interface"]


@pytest.mark.parametrize("policy, expect", [
    ("append", ((1, b"abc"), (1, b"dhr0"))),
    ("replace", ((1, b"dhr0"),)),
    ("forward", ((1, b"abc"),)),
    ("discard", None),
    (None, ((1, b"abc"),)),
])
def test_policies_on_a_trusted_link(policy, expect) -> None:
    settings = {"trusted": ["dhr0"]} | ({"option82": policy} if policy else {})
    r = relay(**settings)
    actions = r.receive_request("dhr0", client_frame(discover(extra=((82, b"\x01\x03abc"),))), 0.0)
    if expect is None:
        assert sent(actions) == [] and r.counters.snapshot()["dhr0"]["dropped"] == {"option82_policy": 1}
        return
    msg = relayed_message(actions)
    assert agent_info(msg) == expect
    assert [c for c, _ in msg.options].count(82) == 1 and msg.options[-1][0] == 82


def test_request_from_another_relay_changes_only_hops() -> None:
    r = relay(option82="replace")
    payload = v4.encode(discover(hops=2, giaddr="203.0.113.77", extra=((82, b"\x01\x02xy"),)))
    out = sent(r.receive_request("dhr0", client_frame(payload, src="203.0.113.77", dst="192.0.2.1",
                                                      dst_mac=RELAY_MAC), 0.0))
    assert out and out[0].payload == payload[:3] + b"\x03" + payload[4:]


def test_own_giaddr_is_a_loop() -> None:
    r = relay()
    r.receive_request("dhr0", client_frame(discover(hops=1, giaddr="192.0.2.1")), 0.0)
    assert r.counters.snapshot()["dhr0"]["dropped"] == {"loop": 1}


def test_max_hops_is_greater_than_not_greater_or_equal() -> None:
    r = relay(max_hops=3)
    assert relayed_message(r.receive_request("dhr0", client_frame(discover(hops=3)), 0.0)).hops == 4
    assert sent(r.receive_request("dhr0", client_frame(discover(hops=4)), 0.0)) == []
    assert r.counters.snapshot()["dhr0"]["dropped"] == {"max_hops": 1}


def test_bad_checksum_truncated_and_junk_are_counted() -> None:
    r = relay()
    bad = bytearray(client_frame(discover()))
    bad[14 + 20 + 6] ^= 0xFF
    assert sent(r.receive_request("dhr0", bytes(bad), 0.0)) == []
    # The same bytes with the kernel's "checksum not ready" word are relayed.
    assert sent(r.receive_request("dhr0", bytes(bad), 0.0, verify_udp=False))
    payload = v4.encode(discover())
    end = payload.index(b"\xff", 240)
    cut = payload[:end] + b"\x37\x09\x01\x03"  # parameter list claims 9 bytes, End missing
    r.receive_request("dhr0", client_frame(cut), 0.0)
    r.receive_request("dhr0", b"\x00" * 10, 0.0)
    r.receive_request("dhr0", client_frame(offer(discover())), 0.0)
    counts = r.counters.snapshot()["dhr0"]
    assert counts["dropped"] == {"bad_checksum": 1, "truncated": 2, "not_request": 1}
    assert counts["received"] == 5 and counts["relayed"] == 1


def test_only_packets_for_the_relay_are_relayed() -> None:
    r = relay()
    r.receive_request("dhr0", client_frame(discover(), src="192.0.2.50", dst="198.51.100.2"), 0.0)
    assert r.counters.snapshot()["dhr0"]["dropped"] == {"not_for_relay": 1}
    assert sent(r.receive_request("dhr0", client_frame(discover(), dst="192.0.2.255"), 0.0))


def test_renewal_unicast_to_the_relay_with_server_id_override_and_link_selection() -> None:
    r = relay(option82="replace", server_id_override=True, link_selection="dhr1")
    frame = client_frame(discover(ciaddr="192.0.2.50", flags=0, msg_type=v4.MessageType.REQUEST),
                         src="192.0.2.50", dst="192.0.2.1", dst_mac=RELAY_MAC)
    msg = relayed_message(r.receive_request("dhr0", frame, 0.0))
    assert msg.giaddr == ip4("198.51.100.1")   # the link-selection interface's address
    assert msg.ciaddr == ip4("192.0.2.50")
    assert agent_info(msg) == ((1, b"dhr0"), (5, ip4("192.0.2.1")), (11, ip4("192.0.2.1")))


def test_giaddr_picks_among_several_addresses() -> None:
    r = Relay4(make({"downstream": ["dhr0"], "servers": SERVERS, "giaddr": "192.0.2.129"}, fail=UsageError), "h")
    links = {"dhr0": downstream_link(address="192.0.2.1", plen=25, more=(("192.0.2.129", 25),))}
    assert check_giaddr(r.config, links) is None
    assert check_giaddr(r.config, {"dhr0": downstream_link()}) == "giaddr 192.0.2.129 is not an address of dhr0"
    r.set_links(links)
    assert relayed_message(r.receive_request("dhr0", client_frame(discover()), 0.0)).giaddr == ip4("192.0.2.129")


def test_interface_without_ipv4_drops_instead_of_crashing() -> None:
    r = relay()
    r.set_links({"dhr0": Link("dhr0", 2, RELAY_MAC)})
    assert sent(r.receive_request("dhr0", client_frame(discover()), 0.0)) == []
    assert r.counters.snapshot()["dhr0"]["dropped"] == {"no_address": 1}
    r.set_links({})
    r.receive_request("dhr0", client_frame(discover()), 0.0)
    assert r.counters.snapshot()["dhr0"]["dropped"] == {"no_address": 1, "not_downstream": 1}


def test_servers_on_the_client_link_are_never_sent_to() -> None:
    r = relay(servers=["192.0.2.9", "198.51.100.2"])
    assert [a.server for a in sent(r.receive_request("dhr0", client_frame(discover()), 0.0))] == ["198.51.100.2"]
    only = relay(servers=["192.0.2.9"])
    assert sent(only.receive_request("dhr0", client_frame(discover()), 0.0)) == []
    assert only.counters.snapshot()["dhr0"]["dropped"] == {"same_segment": 1}


def test_option82_left_out_when_it_does_not_fit() -> None:
    r = relay(option82="replace")
    big = discover(extra=((12, b"x" * 255), (60, b"y" * 40)))
    msg = relayed_message(r.receive_request("dhr0", client_frame(big), 0.0))
    assert msg.get(82) is None and msg.giaddr == ip4("192.0.2.1")
    assert r.counters.snapshot()["dhr0"]["notes"] == {"option82_too_big": 1}
    roomy = discover(extra=((12, b"x" * 255), (60, b"y" * 40), (57, b"\x05\xdc")))
    assert relayed_message(r.receive_request("dhr0", client_frame(roomy), 0.0)).get(82) is not None


def _reply(r: Relay4, msg: v4.Message, src: str = "198.51.100.2", ifname: str = "dhr1"):
    return r.receive_reply(ifname, ip4(src), v4.encode(msg), 0.0)


def _delivered(actions) -> tuple[ipudp.Udp4, v4.Message]:
    (action,) = [a for a in actions if isinstance(a, ToClient)]
    assert action.ifname == "dhr0"
    packet = ipudp.parse_frame(action.frame)  # checksums verified
    return packet, v4.decode(packet.payload)


def test_reply_broadcast_with_82_stripped() -> None:
    r = relay(option82="replace")
    request = relayed_message(r.receive_request("dhr0", client_frame(discover()), 0.0))
    reply = offer(request, extra=((82, request.get(82)),))
    packet, msg = _delivered(_reply(r, reply))
    assert (packet.dst_mac, packet.dst, packet.src, packet.sport, packet.dport) == \
        (ipudp.BROADCAST_MAC, b"\xff" * 4, ip4("192.0.2.1"), 67, 68)
    assert packet.src_mac == RELAY_MAC
    assert msg.get(82) is None and msg.yiaddr == ip4("192.0.2.50") and msg.message_type == 2
    assert r.counters.snapshot()["dhr1"] == {"received": 1, "relayed": 1, "dropped": {}, "notes": {}}


def test_reply_82_not_last_is_removed_exactly() -> None:
    r = relay()
    request = relayed_message(r.receive_request("dhr0", client_frame(discover()), 0.0))
    reply = offer(request, extra=((82, b"\x01\x04dhr0"), (51, b"\0\0\x0e\x10"), (1, b"\xff\xff\xff\0")))
    _, msg = _delivered(_reply(r, reply))
    assert [c for c, _ in msg.options] == [53, 54, 51, 1]


@pytest.mark.parametrize("flags, ciaddr, yiaddr, expect_ip, unicast", [
    (0, "0.0.0.0", "192.0.2.50", "192.0.2.50", True),
    (0, "192.0.2.60", "192.0.2.60", "192.0.2.60", True),
    (v4.FLAG_BROADCAST, "0.0.0.0", "192.0.2.50", "255.255.255.255", False),
    (0, "0.0.0.0", "0.0.0.0", "255.255.255.255", False),   # a NAK without the broadcast flag
])
def test_reply_destination(flags, ciaddr, yiaddr, expect_ip, unicast) -> None:
    r = relay()
    request = relayed_message(r.receive_request("dhr0", client_frame(discover(flags=flags, ciaddr=ciaddr)), 0.0))
    packet, _ = _delivered(_reply(r, offer(request, yiaddr=yiaddr)))
    assert packet.dst == ip4(expect_ip)
    assert packet.dst_mac == (CLIENT_MAC if unicast else ipudp.BROADCAST_MAC)


def test_replies_from_unknown_sources_are_dropped() -> None:
    r = relay()
    request = relayed_message(r.receive_request("dhr0", client_frame(discover()), 0.0))
    actions = _reply(r, offer(request), src="198.51.100.66")
    assert not [a for a in actions if isinstance(a, ToClient)]
    assert r.counters.snapshot()["dhr1"]["dropped"] == {"unknown_server": 1}


def test_replies_for_other_giaddrs_are_not_claimed() -> None:
    r = relay()
    assert _reply(r, offer(discover(giaddr="203.0.113.1"))) is None
    assert r.receive_reply("dhr1", ip4("198.51.100.2"), b"\x02short", 0.0) is None


def test_circuit_id_mismatch_and_missing_82() -> None:
    r = relay(option82="replace")
    request = relayed_message(r.receive_request("dhr0", client_frame(discover()), 0.0))
    actions = _reply(r, offer(request, extra=((82, b"\x01\x04eth9"),)))
    assert not [a for a in actions if isinstance(a, ToClient)]
    _delivered(_reply(r, offer(request)))
    counts = r.counters.snapshot()["dhr1"]
    assert counts["dropped"] == {"circuit_id_mismatch": 1}
    assert counts["notes"] == {"reply_without_option82": 1}


def test_link_selection_reply_goes_to_the_selected_link() -> None:
    r = Relay4(make({"downstream": ["dhr0", "dhr2"], "servers": SERVERS, "option82": "replace",
                     "link_selection": "dhr1"}, fail=UsageError), "sw1")
    r.set_links({"dhr0": downstream_link(), "dhr2": downstream_link("dhr2", 4, "203.0.113.1"),
                 "dhr1": upstream_link()})
    request = relayed_message(r.receive_request("dhr2", client_frame(discover()), 0.0))
    assert request.giaddr == ip4("198.51.100.1")
    assert option82.find(agent_info(request), 5) == ip4("203.0.113.1")
    (action,) = [a for a in _reply(r, offer(request, extra=((82, request.get(82)),))) if isinstance(a, ToClient)]
    assert action.ifname == "dhr2"
    assert ipudp.parse_frame(action.frame).src == ip4("203.0.113.1")


def test_reply_heard_on_the_client_link_is_not_sent_back() -> None:
    r = relay()
    request = relayed_message(r.receive_request("dhr0", client_frame(discover()), 0.0))
    _reply(r, offer(request), ifname="dhr0")
    assert r.counters.snapshot()["dhr0"]["dropped"] == {"same_segment": 1}


def test_problems_are_rate_limited_but_all_counted() -> None:
    r = relay(option82="replace")
    frame = client_frame(discover(extra=((82, b"\x01\x01x"),)))
    logged = []
    for now in (0.0, 1.0, 2.0, 3.0, 10.5):
        logged += [a for a in r.receive_request("dhr0", frame, now) if isinstance(a, Problem)]
    assert [p.suppressed for p in logged] == [0, 3]
    assert r.counters.snapshot()["dhr0"]["dropped"] == {"untrusted_option82": 5}


def test_vlan_circuit_id() -> None:
    r = Relay4(make({"downstream": ["eth0.100"], "servers": SERVERS, "option82": "replace",
                     "circuit_id": "vlan"}, fail=UsageError), "sw1")
    r.set_links({"eth0.100": downstream_link("eth0.100", vlan=100)})
    assert agent_info(relayed_message(r.receive_request("eth0.100", client_frame(discover()), 0.0))) == ((1, b"100"),)
