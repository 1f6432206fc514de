"""AF_PACKET sockets for one ethertype on one interface (Linux packet(7)).

Used for LLDP (ethertype 0x88CC, IEEE 802.1AB) and shared with other
link-layer services.  The socket is opened with protocol 0, so it receives
nothing until it is bound; a classic BPF program is attached first, so even
once bound the kernel hands over only frames of our ethertype and a busy
port costs no Python wake-ups for other traffic.  The group address the
protocol uses is added with ``PACKET_ADD_MEMBERSHIP``, or a NIC that filters
multicast in hardware would drop it.  Frames go out with ``SO_PRIORITY``
TC_PRIO_CONTROL (7): some NICs (Intel ice) drop lower-priority LLDP.

Errors become :class:`~chassisctl.errors.ChassisError`: no CAP_NET_RAW is
77 with a hint, an interface that does not exist is a configuration error.

Closing is slow: the kernel waits for an RCU grace period
(``synchronize_net``) in every packet socket's release, ~13 ms each on the
2-core VM, so closing one socket per port in turn took 0.8 s at 64 ports
and ~7 s at 512 (lldpd#192, #611 describe the same wall).  The waits
overlap when the closes run at the same time: :func:`close_all` hands them
to a small bounded thread pool (``close`` releases the GIL while the kernel
waits), 64 ports in ~60 ms and 512 in ~100-200 ms.
"""

from __future__ import annotations

import ctypes
import errno
import socket
import struct
from collections.abc import Iterable

from chassisctl.errors import BusIOError, ConfigError, PermissionDenied

SOL_PACKET = 263
PACKET_ADD_MEMBERSHIP = 1
PACKET_MR_MULTICAST = 0
SO_ATTACH_FILTER = 26
TC_PRIO_CONTROL = 7
PACKET_OUTGOING = 4

#: Threads :func:`close_all` closes sockets with: enough for 512 ports'
#: grace periods to overlap well (64: 256 ports in ~65 ms, 512 in ~100-200 ms),
#: few enough to stay a small, bounded burst of idle threads.
CLOSE_THREADS = 64

# Classic BPF opcodes (linux/filter.h).
_BPF_LD_W_ABS = 0x20    # BPF_LD | BPF_W | BPF_ABS
_BPF_LD_H_ABS = 0x28    # BPF_LD | BPF_H | BPF_ABS
_SKF_AD_PKTTYPE = (-0x1000 + 4) & 0xFFFFFFFF  # SKF_AD_OFF + SKF_AD_PKTTYPE: an ancillary load
_BPF_JEQ_K = 0x15       # BPF_JMP | BPF_JEQ | BPF_K
_BPF_RET_K = 0x06       # BPF_RET | BPF_K


def ethertype_filter(ethertype: int) -> bytes:
    """``ether proto ETHERTYPE and not outbound`` as classic BPF.

    A socket bound to one ethertype is not handed the host's own frames
    (only ETH_P_ALL taps are); the packet-type test makes that a property
    of the socket, so readers need not ask ``recvfrom`` for the address.
    """
    program = [
        (_BPF_LD_W_ABS, 0, 0, _SKF_AD_PKTTYPE),  # A = packet type
        (_BPF_JEQ_K, 3, 0, PACKET_OUTGOING),     # our own frame ? drop
        (_BPF_LD_H_ABS, 0, 0, 12),          # A = ethertype
        (_BPF_JEQ_K, 0, 1, ethertype),      # A == ethertype ? next : skip one
        (_BPF_RET_K, 0, 0, 0x40000),        # accept the whole frame
        (_BPF_RET_K, 0, 0, 0),              # drop
    ]
    return b"".join(struct.pack("HBBI", *insn) for insn in program)


def _attach_filter(sock: socket.socket, program: bytes) -> None:
    buf = ctypes.create_string_buffer(program)
    fprog = struct.pack("HL", len(program) // 8, ctypes.addressof(buf))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)


def open_packet_socket(ifname: str, ethertype: int, group: bytes | None = None) -> socket.socket:
    """A non-blocking AF_PACKET socket on ``ifname`` that sees only ``ethertype``."""
    try:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC, 0)
    except PermissionError:
        raise PermissionDenied(f"{ifname}: raw link-layer sockets need root or CAP_NET_RAW",
                               hint="run as root, or grant CAP_NET_RAW (AmbientCapabilities= under systemd)") from None
    try:
        _attach_filter(sock, ethertype_filter(ethertype))
        sock.bind((ifname, ethertype))
        if group is not None:
            ifindex = socket.if_nametoindex(ifname)
            mreq = struct.pack("iHH8s", ifindex, PACKET_MR_MULTICAST, len(group), group)
            sock.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_PRIORITY, TC_PRIO_CONTROL)
    except OSError as exc:
        sock.close()
        if exc.errno in (errno.ENODEV, errno.ENXIO) or exc.errno is None:
            raise ConfigError(f"{ifname}: no such network interface") from None
        if exc.errno in (errno.EPERM, errno.EACCES):
            raise PermissionDenied(f"{ifname}: {exc.strerror}", hint="needs root or CAP_NET_RAW") from None
        raise BusIOError(f"{ifname}: cannot open a packet socket: {exc.strerror or exc}") from None
    return sock


def receive_all(sock: socket.socket, limit: int = 64) -> list[bytes]:
    """Frames waiting on ``sock`` (at most ``limit``); the filter already left our own out."""
    out = []
    for _ in range(limit):
        try:
            out.append(sock.recv(9216))
        except (BlockingIOError, InterruptedError):
            break
    return out


def _close_quietly(sock: socket.socket) -> None:
    try:
        sock.close()
    except OSError:  # close(2) failing leaves nothing to undo
        pass


def close_all(socks: Iterable[socket.socket], threads: int = CLOSE_THREADS) -> None:
    """Close every socket in ``socks``, the kernel's per-socket waits overlapping.

    One socket is closed in the caller's thread; more go to at most
    ``threads`` short-lived threads, joined before returning.  Call it
    off an event loop (``asyncio.to_thread``) when the loop must go on.
    """
    items = list(socks)
    if len(items) <= 1 or threads <= 1:
        for sock in items:
            _close_quietly(sock)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(threads, len(items)), thread_name_prefix="close") as pool:
        for _ in pool.map(_close_quietly, items):
            pass
