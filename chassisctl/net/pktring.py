"""A client-side packet socket read through a memory-mapped receive ring (``PACKET_RX_RING``).

DHCPv4 clients have no address yet, so the relay hears them below IP and
answers at L2 (the client may not answer ARP, RFC 2131 §4.1).  The socket is
``AF_PACKET``/``SOCK_RAW`` bound to one interface, with a classic BPF filter
(:mod:`chassisctl.net.bpf`) attached *before* it is bound so nothing else
ever queues.

Why a ring: read with one ``recvmsg`` per frame, a Python relay falls behind
in bursts (8,000 DORA/s with option 82 added 3-6 ms of queueing on the
packet socket's backlog).  With ``TPACKET_V2`` the kernel copies each frame
into a slot of a ring shared with us and flips the slot's status word to
``TP_STATUS_USER``; we read every filled slot after one ``epoll`` wake-up
without any system call, and hand the slot back by writing
``TP_STATUS_KERNEL`` (0).  The status word also carries the checksum state
that ``PACKET_AUXDATA`` gives the ``recvmsg`` path
(``TP_STATUS_CSUMNOTREADY`` for a veth's partial checksum,
``TP_STATUS_CSUM_VALID``), so :func:`chassisctl.net.auxdata.must_verify`
applies to both.  When the ring cannot be set up (no memory to lock, a
kernel without it) the socket falls back to ``recvmsg_into`` with
``PACKET_AUXDATA`` and a large receive buffer, one frame per call.

Reading the status word: it is one aligned 32-bit word that the kernel
stores once, after the frame (``smp_wmb``); we read it through a
``memoryview`` cast to unsigned 32-bit items, which CPython compiles to a
single aligned 4-byte load, so it cannot be seen half-written.  Even a
byte-wise read would be safe: every bit we test (``USER``, ``COPY``,
``LOSING``, ``CSUMNOTREADY``, ``CSUM_VALID``) lives in the low byte.  On x86
loads are not reordered with later loads, so the frame read after a ``USER``
status is complete; the frame is copied out (a few hundred bytes: cheaper
than the relay reading the shared area through a view, byte by byte) and the
slot released at once with one 4-byte store.

Slots are sized from the interface's MTU when the socket opens.  A frame
longer than a slot arrives truncated (``tp_snaplen < tp_len``): it is
skipped and counted (:attr:`PacketRing.truncated`), and the relay reopens
the socket when it sees the MTU grow (:meth:`PacketRing.fits`).  Frames the
kernel dropped because the ring (or the fallback's queue) was full are read
back with ``PACKET_STATISTICS``; frames the BPF filter refused are not
counted there.
"""

from __future__ import annotations

import errno
import mmap
import socket
import struct

from chassisctl.errors import ConfigError
from chassisctl.net import auxdata, bpf
from chassisctl.net.rawudp import no_permission, set_rcvbuf

ETH_P_IP = 0x0800
PACKET_RX_RING = 5
PACKET_VERSION = 10
TPACKET_V2 = 1
TP_STATUS_KERNEL = 0
TP_STATUS_USER = 0x1
TP_STATUS_COPY = 0x2
TPACKET_ALIGNMENT = 16
#: struct tpacket2_hdr: status, len, snaplen (u32); mac, net (u16); sec, nsec (u32); vlan tci, tpid (u16).
TPACKET2_HDR = struct.Struct("=IIIHHIIHH4x")
#: tp_len, tp_snaplen, tp_mac: what a slot's reader needs, from offset 4 of its header.
_LENGTHS = struct.Struct("=IIH")
#: TPACKET_ALIGN(sizeof(tpacket2_hdr)) + sizeof(sockaddr_ll): where the kernel's reserve starts.
TPACKET2_HDRLEN = 32 + 20
#: struct tpacket_req: block size, block count, frame size, frame count (u32).
TPACKET_REQ = struct.Struct("=IIII")
#: Ethernet header (and a VLAN tag) ahead of the IP packet, plus the kernel's alignment of the MAC header.
L2_ROOM = 14 + 4
#: Room the kernel keeps before the MAC header of a SOCK_RAW frame (netoff = align(hdrlen + 16)).
MAC_OFFSET = ((TPACKET2_HDRLEN + 16 + TPACKET_ALIGNMENT - 1) & ~(TPACKET_ALIGNMENT - 1)) - 14
#: Bytes of ring for an interface (the fallback's receive buffer is as large): 4,096 slots of
#: 2 KiB, about what the 8 MiB receive buffer held in small frames.  Unlike a receive buffer, a
#: ring is kernel memory allocated up front: see :func:`ring_bytes` for many interfaces.
RING_BYTES = 8 * 1024 * 1024
#: What all of a process' rings may take together, and the least one interface gets.
RING_BUDGET = 64 * 1024 * 1024
RING_MIN = 1024 * 1024
BLOCK_BYTES = 1 << 16
#: Largest frame read by the fallback path.
MAX_FRAME = 65535 + 14
#: Frames read per wake-up at most; more stay in the ring for the next pass.
BURST = 256


def ring_bytes(interfaces: int) -> int:
    """Ring size per interface when a relay listens on ``interfaces`` client links (64 VLANs: 1 MiB each)."""
    return max(RING_MIN, min(RING_BYTES, RING_BUDGET // max(interfaces, 1)))


def slot_size(mtu: int) -> int:
    """Bytes per ring slot for frames of an interface with this MTU (a power of two, >= 2 KiB)."""
    need = MAC_OFFSET + L2_ROOM + max(mtu, 576)
    size = 2048
    while size < need:
        size *= 2
    return size


class PacketRing:
    """UDP-to-``port`` IPv4 frames heard on ``ifname`` (through the ring when it can), and frames sent there."""

    def __init__(self, ifname: str, port: int, *, mtu: int = 1500, ring: bool = True,
                 ring_bytes: int = RING_BYTES) -> None:
        self.ifname = ifname
        try:
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        except PermissionError:
            raise no_permission(f"packet socket for {ifname}") from None
        self.sock = sock
        self.truncated = 0
        self.capacity = MAX_FRAME
        self._failed: OSError | None = None
        self._map: mmap.mmap | None = None
        self._words: memoryview | None = None
        self._bytes: memoryview | None = None
        #: The next slot's status word, as an index into ``_words`` (slot number times words per slot).
        self._word = 0
        self._slots = 0
        self._ring: tuple[mmap.mmap, memoryview, int, int] | None = None
        self._slot_size = 0
        try:
            bpf.attach(sock, bpf.udp4_to_port(port))
            sock.setsockopt(auxdata.SOL_PACKET, auxdata.PACKET_AUXDATA, 1)
            if ring:
                self._setup_ring(mtu, ring_bytes)
            if self._map is None:
                set_rcvbuf(sock)
            sock.bind((ifname, ETH_P_IP))
            sock.setblocking(False)
        except OSError as exc:
            self.close()
            if exc.errno == errno.ENODEV:
                raise ConfigError(f"interface {ifname} does not exist") from None
            raise
        self._buffer = bytearray(0 if self._map is not None else MAX_FRAME)
        self._view = memoryview(self._buffer)

    def _setup_ring(self, mtu: int, ring_bytes: int) -> None:
        size = slot_size(mtu)
        block = max(BLOCK_BYTES, size)
        blocks = max(1, ring_bytes // block)
        try:
            self.sock.setsockopt(auxdata.SOL_PACKET, PACKET_VERSION, TPACKET_V2)
            self.sock.setsockopt(auxdata.SOL_PACKET, PACKET_RX_RING,
                                 TPACKET_REQ.pack(block, blocks, size, blocks * (block // size)))
            area = mmap.mmap(self.sock.fileno(), block * blocks, mmap.MAP_SHARED,
                             mmap.PROT_READ | mmap.PROT_WRITE)
        except OSError:
            # No ring (memory limits, an old kernel): undo it and use recvmsg instead.
            try:
                self.sock.setsockopt(auxdata.SOL_PACKET, PACKET_RX_RING, TPACKET_REQ.pack(0, 0, 0, 0))
            except OSError:
                pass
            return
        self._map = area
        self._bytes = memoryview(area)
        self._words = self._bytes.cast("I")
        self._slots = blocks * (block // size)
        self._slot_size = size
        #: What frames() reads on every call, in one attribute: the area, its words, words per slot
        #: and the last slot's first word.
        self._ring = (area, self._words, size // 4, (self._slots - 1) * (size // 4))
        self.capacity = size - MAC_OFFSET

    @property
    def ring(self) -> bool:
        """Whether frames come through the mmap'd ring (else through recvmsg)."""
        return self._map is not None

    def fileno(self) -> int:
        return self.sock.fileno()

    def fits(self, mtu: int) -> bool:
        """Whether a full-size frame of an interface with this MTU fits in a slot (else reopen the socket)."""
        return mtu + L2_ROOM <= self.capacity

    def frames(self, limit: int = BURST) -> list[tuple[bytes, int]]:
        """Up to ``limit`` queued frames (copies) with their ``tp_status``, without blocking.

        Each slot is copied out and handed back to the kernel at once: a
        frame is a few hundred bytes, and copying it costs less than reading
        a view of the shared area byte by byte while the slot stays held.
        """
        ring = self._ring
        if ring is None:
            return self._received(limit)
        # Slots are counted by the index of their status word: no multiplication per frame.
        area, words, quarter, last = ring
        word = self._word
        out: list[tuple[bytes, int]] = []
        for _ in range(limit):
            status = words[word]
            if not status & TP_STATUS_USER:
                break
            base = word * 4
            length, snaplen, mac = _LENGTHS.unpack_from(area, base + 4)
            if snaplen < length:
                self.truncated += 1
            else:
                base += mac
                out.append((area[base:base + snaplen], status))
            words[word] = TP_STATUS_KERNEL
            word = word + quarter if word < last else 0
        self._word = word
        return out

    def _received(self, limit: int) -> list[tuple[bytes, int]]:
        if self._failed is not None:  # after the frames read before it: see below
            failed, self._failed = self._failed, None
            raise failed
        recvmsg_into, view = self.sock.recvmsg_into, self._view
        out: list[tuple[bytes, int]] = []
        for _ in range(limit):
            try:
                size, anc, flags, _addr = recvmsg_into((view,), auxdata.AUXDATA_SPACE, socket.MSG_TRUNC)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:  # the frames already read are handed out first, the error next time
                if not out:
                    raise
                self._failed = exc
                break
            if size > len(view):
                self.truncated += 1
                continue
            out.append((bytes(view[:size]), auxdata.status(anc)))
        return out

    def send(self, frame: bytes) -> None:
        self.sock.send(frame)

    def drops(self) -> int:
        """Frames the kernel dropped on a full ring or queue since the last call (the count resets)."""
        return auxdata.drops(self.sock)

    def close(self) -> None:
        self._ring = None
        for view in (self._words, self._bytes):
            if view is not None:
                view.release()
        self._words = self._bytes = None
        if self._map is not None:
            try:
                self._map.close()
            except BufferError:  # a caller still holds a frame view: unmapped when that goes
                pass
            self._map = None
        self.sock.close()
