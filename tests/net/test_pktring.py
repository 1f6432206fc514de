"""PacketRing: real frames over a veth pair between two namespaces, read through the mmap'd ring.

The relay's client side rests on these facts: the ring delivers what the
BPF filter lets through, in order, across the ring's wrap; a locally sent
UDP datagram (a veth's partial checksum) is marked CSUMNOTREADY as the
recvmsg path marks it; a frame too long for a slot is counted, not handed
out; a full ring shows up in the drop count; the recvmsg fallback hands
out the same frames.
"""

from __future__ import annotations

import ctypes
import os
import secrets
import select
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from chassisctl.dhcp import ipudp
from chassisctl.net import auxdata
from chassisctl.net.pktring import TP_STATUS_USER, PacketRing, slot_size

CLONE_NEWNET = 0x40000000
CLIENT_IP, RELAY_IP = bytes([192, 0, 2, 2]), bytes([192, 0, 2, 1])
BROADCAST = b"\xff" * 6


def _need_root() -> None:
    if os.geteuid() != 0:
        if os.environ.get("CI"):
            pytest.fail("the packet ring tests need root (network namespaces)")
        pytest.skip("needs root for network namespaces")


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


@contextmanager
def _inside(ns: str) -> Iterator[None]:
    """Run the block in network namespace ``ns`` (this thread only); sockets made there stay there."""
    libc = ctypes.CDLL(None, use_errno=True)
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{ns}", os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")
        try:
            yield
        finally:
            if libc.setns(own, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back")
    finally:
        os.close(own)
        os.close(target)


class Pair:
    """Namespace ``client`` with ``prc0`` 192.0.2.2/24 <-veth-> ``prr0`` 192.0.2.1/24 in ``relay``."""

    def __init__(self) -> None:
        tag = f"{os.getpid()}-{secrets.token_hex(3)}"
        self.client, self.relay = f"pr-c-{tag}", f"pr-r-{tag}"
        _ip("netns", "add", self.client)
        _ip("netns", "add", self.relay)
        _ip("-n", self.client, "link", "add", "prc0", "type", "veth", "peer", "name", "prr0", "netns", self.relay)
        _ip("-n", self.client, "addr", "add", "192.0.2.2/24", "dev", "prc0")
        _ip("-n", self.relay, "addr", "add", "192.0.2.1/24", "dev", "prr0")
        for ns, name in ((self.client, "prc0"), (self.relay, "prr0")):
            _ip("-n", ns, "link", "set", name, "up")
            _ip("-n", ns, "link", "set", "lo", "up")
        with _inside(self.client):
            self.raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
            self.raw.bind(("prc0", 0))
            self.mac = self.raw.getsockname()[4]

    def frame(self, marker: int, *, dport: int = 67, size: int = 300) -> bytes:
        payload = marker.to_bytes(4, "big") + bytes(size - 4)
        return ipudp.build_frame(BROADCAST, self.mac, CLIENT_IP, b"\xff" * 4, 68, dport, payload)

    def send(self, *frames: bytes) -> None:
        for frame in frames:
            self.raw.send(frame)

    def ring(self, **kw) -> PacketRing:
        with _inside(self.relay):
            return PacketRing("prr0", 67, **kw)

    def close(self) -> None:
        self.raw.close()
        for ns in (self.client, self.relay):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)


@pytest.fixture
def pair() -> Iterator[Pair]:
    _need_root()
    made = Pair()
    try:
        yield made
    finally:
        made.close()


def _read(ring: PacketRing, want: int, timeout: float = 3.0) -> list[tuple[bytes, int]]:
    out: list[tuple[bytes, int]] = []
    deadline = time.monotonic() + timeout
    while len(out) < want and time.monotonic() < deadline:
        select.select([ring.fileno()], [], [], 0.1)
        out.extend((bytes(view), status) for view, status in ring.frames())
    return out


def _marker(frame: bytes) -> int:
    return int.from_bytes(frame[42:46], "big")


@pytest.mark.parametrize("use_ring", [True, False], ids=["ring", "recvmsg"])
def test_frames_arrive_whole_in_order_and_filtered(pair: Pair, use_ring: bool) -> None:
    ring = pair.ring(ring=use_ring)
    try:
        assert ring.ring is use_ring
        sent = [pair.frame(n) for n in range(10)]
        pair.send(pair.frame(99, dport=68), *sent)  # port 68 is not ours: the filter keeps it out
        got = _read(ring, 10)
        assert [frame for frame, _ in got] == sent
        assert all(auxdata.must_verify(status) for _, status in got)  # raw frames: full checksums, ours to check
        assert list(ring.frames()) == []
    finally:
        ring.close()


@pytest.mark.parametrize("use_ring", [True, False], ids=["ring", "recvmsg"])
def test_local_udp_is_marked_checksum_not_ready(pair: Pair, use_ring: bool) -> None:
    ring = pair.ring(ring=use_ring)
    try:
        with _inside(pair.client):
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            udp.sendto(b"\x01" + bytes(299), ("192.0.2.1", 67))
            got = _read(ring, 1)
        finally:
            udp.close()
        assert len(got) == 1
        frame, status = got[0]
        assert frame[26:30] == CLIENT_IP and frame[30:34] == RELAY_IP
        assert not auxdata.must_verify(status), f"status {status:#x}"
    finally:
        ring.close()


def test_ring_wraps_around(pair: Pair) -> None:
    ring = pair.ring(ring_bytes=1 << 16)  # one block: 32 slots of 2 KiB
    try:
        slots = (1 << 16) // slot_size(1500)
        sent = 0
        for _batch in range(5):
            frames = [pair.frame(sent + n) for n in range(slots - 5)]
            pair.send(*frames)
            got = _read(ring, len(frames))
            assert [_marker(f) for f, _ in got] == list(range(sent, sent + len(frames)))
            sent += len(frames)
        assert sent > 3 * slots
        assert ring.drops() == 0
    finally:
        ring.close()


def test_a_full_ring_counts_drops(pair: Pair) -> None:
    ring = pair.ring(ring_bytes=1 << 16)
    try:
        slots = (1 << 16) // slot_size(1500)
        pair.send(*(pair.frame(n) for n in range(slots + 10)))
        time.sleep(0.2)
        got = _read(ring, slots, timeout=1.0)
        assert [_marker(f) for f, _ in got] == list(range(slots))
        assert ring.drops() == 10
        assert ring.drops() == 0  # the count resets on reading
    finally:
        ring.close()


def test_a_limited_read_leaves_the_rest_queued(pair: Pair) -> None:
    ring = pair.ring()
    try:
        pair.send(*(pair.frame(n) for n in range(4)))
        select.select([ring.fileno()], [], [], 1.0)
        time.sleep(0.05)
        assert [_marker(f) for f, _ in ring.frames(limit=1)] == [0]  # its slot is handed back: not again
        assert [_marker(f) for f, _ in _read(ring, 3)] == [1, 2, 3]
    finally:
        ring.close()


@pytest.mark.parametrize("use_ring", [True, False], ids=["ring", "recvmsg"])
def test_truncated_frames_are_counted_not_handed_out(pair: Pair, use_ring: bool) -> None:
    ring = pair.ring(ring=use_ring, mtu=1500)
    try:
        assert ring.fits(1500) and ring.fits(9000) is not use_ring
        for ns, name in ((pair.client, "prc0"), (pair.relay, "prr0")):
            _ip("-n", ns, "link", "set", name, "mtu", "9000")
        big = pair.frame(1, size=8000)
        pair.send(big, pair.frame(2))
        got = _read(ring, 1 if use_ring else 2)
        markers = [_marker(f) for f, _ in got]
        if use_ring:
            assert markers == [2] and ring.truncated == 1
        else:  # recvmsg reads up to 64 KiB: nothing is cut
            assert markers == [1, 2] and ring.truncated == 0
    finally:
        ring.close()


def test_status_word_is_released(pair: Pair) -> None:
    ring = pair.ring(ring_bytes=1 << 16)
    try:
        pair.send(pair.frame(7))
        assert len(_read(ring, 1)) == 1
        assert ring._words is not None and not ring._words[0] & TP_STATUS_USER
        assert not select.select([ring.fileno()], [], [], 0)[0]  # nothing left: not readable
    finally:
        ring.close()


def test_ring_size_shrinks_with_many_interfaces() -> None:
    from chassisctl.net.pktring import RING_BYTES, RING_MIN, ring_bytes

    assert ring_bytes(1) == ring_bytes(8) == RING_BYTES
    assert ring_bytes(64) == RING_MIN and ring_bytes(4000) == RING_MIN
    assert RING_MIN < ring_bytes(16) < RING_BYTES
