"""Helpers shared by the relay's packet and UDP sockets (and the DHCP benches): receive buffers, the permission error.

A large receive buffer lets a burst wait in the kernel instead of being
lost; past ``rmem_max`` it takes ``SO_RCVBUFFORCE`` (CAP_NET_ADMIN, which
a relay run as root has).  The client side's packet socket itself lives in
:mod:`chassisctl.net.pktring`.
"""

from __future__ import annotations

import socket

from chassisctl.errors import PermissionDenied

SO_RCVBUFFORCE = 33
RCVBUF = 8 * 1024 * 1024


def set_rcvbuf(sock: socket.socket, size: int = RCVBUF) -> None:
    """A receive buffer of ``size`` bytes, past ``rmem_max`` when allowed (CAP_NET_ADMIN)."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, size)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)


def no_permission(what: str) -> PermissionDenied:
    return PermissionDenied(f"{what}: operation not permitted",
                            hint="the DHCP relay needs CAP_NET_RAW (run as root or grant the capability)")
