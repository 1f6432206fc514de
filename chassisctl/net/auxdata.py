"""Kernel ancillary data of packet sockets: PACKET_AUXDATA status words and drop statistics.

On a veth (and on NICs with transmit checksum offload, for packets the same
host sent), a frame handed to a packet socket can still carry a *partial*
UDP checksum: the kernel marks it ``TP_STATUS_CSUMNOTREADY`` in the
``tpacket_auxdata`` control message, and verifying it would drop every good
packet.  ``TP_STATUS_CSUM_VALID`` says the NIC already verified it.  Any
other packet's checksum is ours to verify (``packet(7)``, ``linux/if_packet.h``).
"""

from __future__ import annotations

import socket
import struct

SOL_PACKET = getattr(socket, "SOL_PACKET", 263)
PACKET_AUXDATA = 8
PACKET_STATISTICS = 6
TP_STATUS_CSUMNOTREADY = 0x8
TP_STATUS_VLAN_VALID = 0x10
TP_STATUS_CSUM_VALID = 0x80

#: struct tpacket_auxdata: status, len, snaplen (u32); mac, net, vlan_tci, vlan_tpid (u16).
AUXDATA = struct.Struct("=IIIHHHH")
AUXDATA_SPACE = socket.CMSG_SPACE(AUXDATA.size)
#: struct tpacket_stats: packets, drops (u32).
STATS = struct.Struct("=II")


def status(ancdata: list[tuple[int, int, bytes]]) -> int:
    """``tp_status`` from a recvmsg's control messages (0 when absent)."""
    for level, kind, data in ancdata:
        if level == SOL_PACKET and kind == PACKET_AUXDATA and len(data) >= AUXDATA.size:
            return AUXDATA.unpack_from(data)[0]
    return 0


def must_verify(tp_status: int) -> bool:
    """Whether the UDP checksum of a packet with this status must be checked by us."""
    return not tp_status & (TP_STATUS_CSUMNOTREADY | TP_STATUS_CSUM_VALID)


def drops(sock: socket.socket) -> int:
    """Packets the kernel dropped on ``sock`` (full queue) since the last call; resets the count."""
    packets, dropped = STATS.unpack(sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, STATS.size))
    return dropped
