"""The relay's UDP sockets: their queue-full counts (DHCPv4: the namespace's UDP RcvbufErrors, not
sk_drops; DHCPv6: the socket's own sk_drops, read when asked) and DHCPv6 source addresses."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from chassisctl.net import dhcpsock
from chassisctl.net.dhcpsock import Udp6, udp4_rcvbuf_errors, udp6_drops

SNMP = """Ip: Forwarding DefaultTTL
Ip: 2 64
Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
Udp: 2911333 5314 2443570 5391652 2443567 0 3 0 0
UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
UdpLite: 0 0 0 0 9 0 0 0 0
"""


def test_reads_udp_rcvbuf_errors_only(tmp_path: Path) -> None:
    path = tmp_path / "snmp"
    path.write_text(SNMP)
    assert udp4_rcvbuf_errors(str(path)) == 2443567


def test_unreadable_or_odd_files_count_nothing(tmp_path: Path) -> None:
    assert udp4_rcvbuf_errors(str(tmp_path / "absent")) == 0
    path = tmp_path / "snmp"
    path.write_text("Udp: InDatagrams\nUdp: 1\n")
    assert udp4_rcvbuf_errors(str(path)) == 0


def test_this_namespace_has_a_count() -> None:
    assert udp4_rcvbuf_errors() >= 0


_ANY = "0" * 32
#: /proc/net/udp6 as Linux writes it (header, then one socket a line; inode 10th, drops last).
UDP6 = "\n".join([
    "  sl  local_address                         remote_address                        st tx_queue rx_queue tr "
    "tm->when retrnsmt   uid  timeout inode ref pointer drops",
    f"  812: {_ANY}:0223 {_ANY}:0000 07 00000000:00000000 00:00000000 00000000     0        0 48133 2 "
    "0000000000000000 17",
    f"  813: {_ANY}:0224 {_ANY}:0000 07 00000000:00000000 00:00000000 00000000     0        0 48134 2 "
    "0000000000000000 0",
    ""])


def test_udp6_drops_by_inode(tmp_path: Path) -> None:
    """The fallback for kernels whose SO_MEMINFO lacks the drop count: /proc/net/udp6 by inode."""
    path = tmp_path / "udp6"
    path.write_text(UDP6)
    assert udp6_drops(48133, str(path)) == 17
    assert udp6_drops(48134, str(path)) == 0
    assert udp6_drops(4813, str(path)) == 0
    assert udp6_drops(48133, str(tmp_path / "absent")) == 0


@pytest.fixture
def udp6(loopback6) -> Iterator[tuple[Udp6, socket.socket, int]]:
    """A DHCPv6 relay socket on a free port, a sender on ::1, and the port."""
    sender = loopback6()
    relay = Udp6(port=0)
    try:
        yield relay, sender, relay.sock.getsockname()[1]
    finally:
        relay.close()


def test_udp6_overflows_are_exact_when_read(udp6) -> None:
    """The DHCPv6 socket's queue-full count, read on demand (no per-datagram control message):
    every datagram sent is either received or counted, and the kernel's own view agrees."""
    relay, sender, port = udp6
    relay.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a queue of a few datagrams
    for _ in range(300):
        sender.sendto(b"\x01\0\0\1" * 50, ("::1", port))
    received = 0
    while (got := relay.receive_one()) is not None:
        assert got[0] == b"\x01\0\0\1" * 50 and got[1] == socket.inet_pton(socket.AF_INET6, "::1")
        received += 1
    assert 0 < received < 300
    assert relay.overflows == 300 - received
    assert udp6_drops(os.fstat(relay.fileno()).st_ino) == 300 - received


def test_udp6_source_addresses_are_kept_and_bounded(udp6, monkeypatch) -> None:
    """The 16-byte source comes from a bounded map of the address texts recvmsg returns."""
    monkeypatch.setattr(dhcpsock, "SOURCE_CACHE", 2)
    relay, sender, port = udp6
    for host in ("fe80::1%lo", "fe80::1%2", "2001:db8::1", "::1", "::1"):
        assert relay.source(host) == socket.inet_pton(socket.AF_INET6, host.split("%")[0])
        assert len(relay._sources) <= 2
    sender.sendto(b"x", ("::1", port))
    got = relay.receive_one()
    assert got is not None and got[1] == socket.inet_pton(socket.AF_INET6, "::1")
    assert got[2] == socket.if_nametoindex("lo")


def test_udp6_queued_tells_without_reading(udp6) -> None:
    """``queued()`` answers whether a datagram waits, so a burst can end without a read failing."""
    relay, sender, port = udp6
    assert not relay.queued()
    sender.sendto(b"\x01\0\0\1", ("::1", port))
    sender.sendto(b"\x01\0\0\2", ("::1", port))
    assert relay.queued()
    assert relay.receive_one() is not None and relay.queued()
    assert relay.receive_one() is not None and not relay.queued()
    assert relay.receive_one() is None
