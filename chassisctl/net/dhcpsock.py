"""The relay's UDP sockets: port 67 (DHCPv4 servers) and port 547 (DHCPv6).

DHCPv4: one socket on ``0.0.0.0:67`` sends relayed requests to the servers
(source port 67, RFC 1542 §4.1.1) and hears their replies, which go to
giaddr:67.  A BPF filter keeps only BOOTREPLY: client broadcasts reach this
socket too, but the packet sockets already hear them.  ``IP_PKTINFO`` tells
which interface a reply came in on.

DHCPv6: one socket on ``[::]:547`` joins ff02::1:2 on each client-side
interface (RFC 8415 §7.1) and hears clients, lower relays and servers;
``IPV6_RECVPKTINFO`` tells the arrival interface, which decides the role.

Queue overflows: the DHCPv6 socket's are its own ``sk_drops``, read when
asked (``SO_MEMINFO``; ``/proc/net/udp6`` on kernels before 4.7) rather
than with every datagram: ``SO_RXQ_OVFL`` had the kernel add a second
control message, and Python a second tuple, to each one.  The DHCPv4 socket cannot: the kernel counts
every datagram its BPF filter refuses (each client broadcast) in the same
``sk_drops``, so that count said "queue full" for packets the packet sockets
relayed.  It reports instead the network namespace's UDP ``RcvbufErrors``
(``/proc/net/snmp``) since it opened: full-queue drops only, though of every
IPv4 UDP socket in the namespace (on a relay host, the relay's).
"""

from __future__ import annotations

import errno
import os
import select
import socket
import struct
from functools import partial

from chassisctl.errors import ConfigError
from chassisctl.net import bpf
from chassisctl.net.rawudp import set_rcvbuf

IP_PKTINFO = 8
IPV6_RECVPKTINFO = 49
IPV6_PKTINFO = 50
SO_MEMINFO = 55
#: Index of sk_drops in SO_MEMINFO's array of u32 (include/uapi/linux/sock_diag.h, Linux 4.7).
SK_MEMINFO_DROPS = 8
ANCILLARY = 256
_INT = struct.Struct("=i")
_IPPROTO_IP = socket.IPPROTO_IP
_inet_aton = socket.inet_aton
_UINT = struct.Struct("=I")
_IPPROTO_IPV6 = socket.IPPROTO_IPV6
_SOL_SOCKET = socket.SOL_SOCKET
_AF_INET6 = socket.AF_INET6
_inet_pton = socket.inet_pton
MAX_DATAGRAM = 65535
#: Source address strings whose 16 bytes :class:`Udp6` keeps before it starts afresh.
SOURCE_CACHE = 4096


def _bind(sock: socket.socket, address: tuple, what: str) -> None:
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(f"{what}: port {address[1]} is already in use "
                               "(another DHCP server or relay runs here)") from None
        if exc.errno == errno.EACCES:
            from chassisctl.net.rawudp import no_permission
            raise no_permission(f"{what} port {address[1]}") from None
        raise


def udp4_rcvbuf_errors(path: str = "/proc/net/snmp") -> int:
    """The namespace's count of IPv4 UDP datagrams dropped on a full receive queue (0 if unreadable)."""
    try:
        with open(path, encoding="ascii") as f:
            rows = [line.split() for line in f if line.startswith("Udp:")]
    except OSError:
        return 0
    if len(rows) < 2 or "RcvbufErrors" not in rows[0]:
        return 0
    return int(rows[1][rows[0].index("RcvbufErrors")])


def udp6_drops(inode: int, path: str = "/proc/net/udp6") -> int:
    """The ``drops`` column of the UDPv6 socket with this inode (0 if it is not listed)."""
    try:
        with open(path, encoding="ascii") as f:
            for line in f:
                fields = line.split()
                if len(fields) > 12 and fields[9] == str(inode):
                    return int(fields[-1])
    except (OSError, ValueError):
        pass
    return 0


def socket_drops(sock: socket.socket) -> int:
    """The datagrams the kernel dropped for this socket since it opened (its ``sk_drops``)."""
    size = 4 * (SK_MEMINFO_DROPS + 1)
    info = sock.getsockopt(_SOL_SOCKET, SO_MEMINFO, size)
    if len(info) >= size:
        return int(_UINT.unpack_from(info, 4 * SK_MEMINFO_DROPS)[0])
    return udp6_drops(os.fstat(sock.fileno()).st_ino)


class Udp4:
    """``0.0.0.0:67``: relayed requests out, BOOTREPLYs in."""

    def __init__(self, port: int = 67) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        bpf.attach(sock, bpf.bootreply())
        set_rcvbuf(sock)
        _bind(sock, ("0.0.0.0", port), "DHCPv4 relay socket")
        sock.setblocking(False)
        self.sock = sock
        self._rcvbuf_errors = udp4_rcvbuf_errors()
        self._buffer = bytearray(MAX_DATAGRAM)
        self._view = memoryview(self._buffer)
        self._views = (self._view,)
        self._recvmsg_into = sock.recvmsg_into

    @property
    def overflows(self) -> int:
        """Datagrams dropped on full IPv4 UDP queues in this namespace since the socket opened."""
        return max(0, udp4_rcvbuf_errors() - self._rcvbuf_errors)

    def fileno(self) -> int:
        return self.sock.fileno()

    def receive_one(self) -> tuple[bytes, bytes, int] | None:
        """One queued (payload, source address, arrival ifindex), or None when none waits."""
        try:
            size, anc, _flags, addr = self._recvmsg_into(self._views, ANCILLARY)
        except (BlockingIOError, InterruptedError):
            return None
        ifindex = 0
        for level, kind, cdata in anc:
            if kind == IP_PKTINFO and level == _IPPROTO_IP and len(cdata) >= 4:
                ifindex = _INT.unpack_from(cdata)[0]
        return self._view[:size].tobytes(), _inet_aton(addr[0]), ifindex

    def send(self, server: str, payload: bytes, port: int = 67) -> None:
        self.sock.sendto(payload, (server, port))

    def close(self) -> None:
        self.sock.close()


class Udp6:
    """``[::]:547``: everything DHCPv6 the relay hears or sends."""

    def __init__(self, port: int = 547) -> None:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 0)
        set_rcvbuf(sock)
        _bind(sock, ("::", port), "DHCPv6 relay socket")
        sock.setblocking(False)
        self.sock = sock
        self.joined: set[int] = set()
        self._buffer = bytearray(MAX_DATAGRAM)
        self._view = memoryview(self._buffer)
        self._views = (self._view,)
        self._recvmsg_into = sock.recvmsg_into
        #: ``queued()`` is true (a non-empty list) while a datagram waits: an epoll of this socket
        #: alone, asked without waiting.  ~0.6 us, where a read that ends in EAGAIN raises an
        #: exception (~3 us).
        self._readable = select.epoll()
        self._readable.register(sock.fileno(), select.EPOLLIN)
        self.queued = partial(self._readable.poll, 0)
        #: 16-byte addresses by the text recvmsg gives (``fe80::1%dhr0``): the same few clients and
        #: servers send every datagram, and a lookup costs less than split and inet_pton.
        self._sources: dict[str, bytes] = {}

    @property
    def overflows(self) -> int:
        """Datagrams dropped on this socket's full queue since it opened (exact when read)."""
        return socket_drops(self.sock)

    def fileno(self) -> int:
        return self.sock.fileno()

    def join(self, ifindex: int, group: str = "ff02::1:2") -> None:
        """Join ``group`` on interface ``ifindex`` (idempotent)."""
        if ifindex in self.joined:
            return
        mreq = socket.inet_pton(socket.AF_INET6, group) + struct.pack("=I", ifindex)
        try:
            self.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
        self.joined.add(ifindex)

    def forget(self, ifindex: int) -> None:
        """The interface went away: its membership went with it."""
        self.joined.discard(ifindex)

    def receive_one(self) -> tuple[bytes, bytes, int] | None:
        """One queued (payload, 16-byte source address, arrival ifindex), or None when none waits."""
        try:
            size, anc, _flags, addr = self._recvmsg_into(self._views, ANCILLARY)
        except (BlockingIOError, InterruptedError):
            return None
        ifindex = 0
        for level, kind, cdata in anc:  # IPV6_PKTINFO, the one control message asked for
            if kind == IPV6_PKTINFO and level == _IPPROTO_IPV6 and len(cdata) >= 20:
                ifindex = _UINT.unpack_from(cdata, 16)[0]
        return self._view[:size].tobytes(), self._sources.get(addr[0]) or self.source(addr[0]), ifindex

    def source(self, host: str) -> bytes:
        """The 16 bytes of a source address as recvmsg gives it, kept for the next datagram."""
        address = _inet_pton(_AF_INET6, host.split("%")[0] if "%" in host else host)
        if len(self._sources) >= SOURCE_CACHE:
            self._sources.clear()
        self._sources[host] = address
        return address

    def send(self, address: str, payload: bytes, port: int = 547, ifindex: int = 0) -> None:
        self.sock.sendto(payload, (address, port, 0, ifindex))

    def close(self) -> None:
        self._readable.close()
        self.sock.close()
