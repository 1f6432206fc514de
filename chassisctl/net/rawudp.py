"""A packet socket per client-side interface: hear UDP to one port, send whole frames.

DHCPv4 clients have no address yet, so a relay hears them below IP and
answers at L2 (the client may not answer ARP, RFC 2131 §4.1).  The socket is
``AF_PACKET``/``SOCK_RAW`` bound to one interface, with a classic BPF filter
(:mod:`chassisctl.net.bpf`) attached *before* it is bound so nothing else
ever queues, ``PACKET_AUXDATA`` on (checksum status per packet,
:mod:`chassisctl.net.auxdata`) and a large receive buffer so a burst waits
in the kernel instead of being lost.  Frames the kernel still dropped are
read back with ``PACKET_STATISTICS``.

:meth:`PacketSocket.receive_one` reads into one buffer allocated with the
socket (``recvmsg_into``) and hands out a view of it, valid until the next
read: the relay decides on each frame before it reads the next one.
"""

from __future__ import annotations

import errno
import socket

from chassisctl.errors import ConfigError, PermissionDenied
from chassisctl.net import auxdata, bpf

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
SO_RCVBUFFORCE = 33
RCVBUF = 8 * 1024 * 1024
MAX_FRAME = 65535 + 14


def set_rcvbuf(sock: socket.socket, size: int = RCVBUF) -> None:
    """A receive buffer of ``size`` bytes, past ``rmem_max`` when allowed (CAP_NET_ADMIN)."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, size)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)


def no_permission(what: str) -> PermissionDenied:
    return PermissionDenied(f"{what}: operation not permitted",
                            hint="the DHCP relay needs CAP_NET_RAW (run as root or grant the capability)")


class PacketSocket:
    """UDP-to-``port`` frames heard on ``ifname``, and frames sent there."""

    def __init__(self, ifname: str, port: int) -> None:
        self.ifname = ifname
        try:
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        except PermissionError:
            raise no_permission(f"packet socket for {ifname}") from None
        try:
            bpf.attach(sock, bpf.udp4_to_port(port))
            sock.setsockopt(auxdata.SOL_PACKET, auxdata.PACKET_AUXDATA, 1)
            set_rcvbuf(sock)
            sock.bind((ifname, ETH_P_IP))
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            if exc.errno == errno.ENODEV:
                raise ConfigError(f"interface {ifname} does not exist") from None
            raise
        self.sock = sock
        self._buffer = bytearray(MAX_FRAME)
        self._view = memoryview(self._buffer)

    def fileno(self) -> int:
        return self.sock.fileno()

    def receive_one(self) -> tuple[memoryview, int] | None:
        """One queued frame (a view valid until the next read) and its ``tp_status``; None when none waits."""
        try:
            size, anc, _flags, _addr = self.sock.recvmsg_into((self._view,), auxdata.AUXDATA_SPACE)
        except (BlockingIOError, InterruptedError):
            return None
        return self._view[:size], auxdata.status(anc)

    def receive(self, limit: int = 64) -> list[tuple[bytes, int]]:
        """Up to ``limit`` queued frames with their ``tp_status``, without blocking."""
        out: list[tuple[bytes, int]] = []
        recvmsg = self.sock.recvmsg
        for _ in range(limit):
            try:
                data, anc, _flags, _addr = recvmsg(MAX_FRAME, auxdata.AUXDATA_SPACE)
            except (BlockingIOError, InterruptedError):
                break
            out.append((data, auxdata.status(anc)))
        return out

    def send(self, frame: bytes) -> None:
        self.sock.send(frame)

    def drops(self) -> int:
        return auxdata.drops(self.sock)

    def close(self) -> None:
        self.sock.close()
