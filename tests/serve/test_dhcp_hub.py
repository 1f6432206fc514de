"""The hub's DHCPv6 side: a queued burst is relayed whole, a short one ends without a read
failing with EAGAIN (``Udp6.queued`` tells first), and the socket's queue drops, read when
collected, reach the counters once each; a datagram no instance claims is counted on the first."""

from __future__ import annotations

import socket
from types import SimpleNamespace

import pytest

from chassisctl.dhcp import v6
from chassisctl.dhcp.config import make
from chassisctl.dhcp.relay6 import Relay6
from chassisctl.errors import UsageError
from chassisctl.net.dhcpsock import Udp6
from chassisctl.serve import dhcp_relay
from chassisctl.serve.dhcp_relay import _Hub

from dhcp._packets import downstream_link, solicit


@pytest.mark.parametrize(("count", "reads"), [(1, 1), (3, 3), (dhcp_relay.PEEKED + 3, dhcp_relay.PEEKED + 4)])
def test_a_busy_burst_is_relayed_whole(monkeypatch, loopback6, count: int, reads: int) -> None:
    server, client = loopback6(), loopback6()
    hub = _Hub()
    hub.udp6 = Udp6(port=0)
    try:
        server.settimeout(2)
        monkeypatch.setattr(v6, "SERVER_PORT", server.getsockname()[1])  # where the relay forwards to
        relay = Relay6(make({"downstream": ["dhr0"], "servers": ["::1"], "ipv6": True}, fail=UsageError), "sw1")
        relay.set_links({"dhr0": downstream_link()})
        hub._pairs6 = [(SimpleNamespace(_by_index={socket.if_nametoindex("lo"): "dhr0"}, log=dhcp_relay.LOG), relay)]
        made = []
        receive_one = hub.udp6.receive_one
        monkeypatch.setattr(hub.udp6, "receive_one", lambda: made.append(1) or receive_one())
        for _ in range(count):
            client.sendto(solicit(), ("::1", hub.udp6.sock.getsockname()[1]))
        hub._woken6 = 100.0
        hub._on_udp6(100.0)  # woken again at once: busy, read the queue
        assert relay.counters.of("dhr0").received == relay.counters.of("dhr0").relayed == count
        assert len(made) == reads  # the read that met an empty queue only after PEEKED checks
        for _ in range(count):
            forwarded = server.recv(2048)
            assert forwarded[0] == v6.MsgType.RELAY_FORW and forwarded.endswith(solicit())
    finally:
        hub.udp6.close()


def test_socket_overflows_reach_the_counters(loopback6) -> None:
    """Datagrams the DHCPv6 socket's full queue dropped are counted (``(socket)``, ``queue_full``)
    on the first DHCPv6 instance when the hub collects them, each once."""
    sender = loopback6()
    hub = _Hub()
    hub.udp6 = Udp6(port=0)
    try:
        relay = Relay6(make({"downstream": ["dhr0"], "servers": ["::1"], "ipv6": True}, fail=UsageError), "sw1")
        hub.runtimes = [SimpleNamespace(relays4=[], relays6=[relay])]  # what collect_overflows reads
        hub.udp6.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        for _ in range(200):
            sender.sendto(solicit(), ("::1", hub.udp6.sock.getsockname()[1]))
        dropped = hub.udp6.overflows
        assert dropped > 0
        hub.collect_overflows()
        hub.collect_overflows()
        assert relay.counters.of("(socket)").dropped == {"queue_full": dropped}
        sender.sendto(solicit(), ("::1", hub.udp6.sock.getsockname()[1]))  # still full: one more
        hub.collect_overflows()
        assert relay.counters.of("(socket)").dropped == {"queue_full": dropped + 1}
    finally:
        hub.udp6.close()


def test_a_datagram_no_instance_claims_is_counted_on_the_first(loopback6) -> None:
    """A client message heard on a link no instance serves is dropped as ``not_for_relay``, counted
    on the first DHCPv6 instance under the arrival interface, and nothing is sent."""
    client = loopback6()
    hub = _Hub()
    hub.udp6 = Udp6(port=0)
    try:
        made = [Relay6(make({"downstream": ["dhr0"], "servers": ["::1"], "ipv6": True}, fail=UsageError), "sw1")
                for _ in range(2)]
        for relay in made:
            relay.set_links({"dhr0": downstream_link()})
        performed = []
        runtime = SimpleNamespace(_by_index={}, _ifname=lambda index: f"if{index}",
                                  _perform=lambda out, name, relay: performed.append((out, name, relay)))
        hub._pairs6 = [(runtime, relay) for relay in made]
        client.sendto(solicit(), ("::1", hub.udp6.sock.getsockname()[1]))
        hub._on_udp6(100.0)
        name = f"if{socket.if_nametoindex('lo')}"
        assert [(n, r) for _out, n, r in performed] == [(name, made[0])]
        assert made[0].counters.of(name).dropped == {"not_for_relay": 1}
        assert made[1].counters.of(name).received == 0
    finally:
        hub.udp6.close()
