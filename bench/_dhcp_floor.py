"""The least a DHCP relay in Python can do per packet: a ceiling for bench/dhcp_relay.py.

Not a relay anyone should run: it checks nothing (no checksums, no option
parsing, no hops limit, no counters), knows its one client link and one
server, and sends replies with a UDP checksum of 0.  It uses the same I/O
pattern as chassisctl's relay (one thread, epoll, ``recv_into`` a
preallocated buffer, templated headers), so what separates chassisctl from
this path is the cost of its decisions and bookkeeping, and what separates
this path from dhcrelay is the cost of running Python at all.

    _dhcp_floor.py 4 DOWN-IF GIADDR SERVER     # DHCPv4: packet socket down, UDP 67 up
    _dhcp_floor.py 6 DOWN-IF LINKADDR SERVER   # DHCPv6: UDP 547 both ways

Runs until SIGTERM.
"""

from __future__ import annotations

import select
import signal
import socket
import struct
import sys

from chassisctl.dhcp.checksum import checksum
from chassisctl.net import bpf
from chassisctl.net.rawudp import set_rcvbuf

stop = False


def _stop(*_args) -> None:
    global stop
    stop = True


def floor4(ifname: str, giaddr: str, server: str) -> None:
    gi = socket.inet_aton(giaddr)
    pkt = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    bpf.attach(pkt, bpf.udp4_to_port(67))
    set_rcvbuf(pkt)
    pkt.bind((ifname, 0x0800))
    pkt.setblocking(False)
    mac = pkt.getsockname()[4]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    bpf.attach(udp, bpf.bootreply())
    set_rcvbuf(udp)
    udp.bind(("0.0.0.0", 67))
    udp.setblocking(False)
    dest = (server, 67)
    eth = b"\xff" * 6 + mac + b"\x08\x00"
    ip = struct.Struct("!BBHHHBBH4s4s")
    buf = bytearray(65536)
    view = memoryview(buf)
    ep = select.epoll()
    ep.register(pkt.fileno(), select.EPOLLIN)
    ep.register(udp.fileno(), select.EPOLLIN)
    pfd = pkt.fileno()
    while not stop:
        for fd, _ in ep.poll(0.5):
            if fd == pfd:
                while True:
                    try:
                        n = pkt.recv_into(buf)
                    except BlockingIOError:
                        break
                    buf[45] += 1
                    buf[66:70] = gi
                    udp.sendto(view[42:n], dest)
            else:
                while True:
                    try:
                        n = udp.recv_into(buf)
                    except BlockingIOError:
                        break
                    header = bytearray(ip.pack(0x45, 0, 28 + n, 0, 0, 64, 17, 0, gi, b"\xff\xff\xff\xff"))
                    header[10:12] = checksum(header).to_bytes(2, "big")
                    pkt.send(eth + header + struct.pack("!HHHH", 67, 68, 8 + n, 0) + view[:n])


def floor6(ifname: str, linkaddr: str, server: str) -> None:
    index = socket.if_nametoindex(ifname)
    link = socket.inet_pton(socket.AF_INET6, linkaddr)
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 0)
    set_rcvbuf(sock)
    sock.bind(("::", 547))
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
                    socket.inet_pton(socket.AF_INET6, "ff02::1:2") + struct.pack("=I", index))
    sock.setblocking(False)
    iface_opt = struct.pack("!HH", 18, len(ifname)) + ifname.encode()
    dest = (server, 547)
    buf = bytearray(65536)
    ep = select.epoll()
    ep.register(sock.fileno(), select.EPOLLIN)
    while not stop:
        if not ep.poll(0.5):
            continue
        while True:
            try:
                n, addr = sock.recvfrom_into(buf)
            except BlockingIOError:
                break
            if buf[0] == 13:  # Relay-Reply: the relay message (option 9 follows Interface-ID here)
                i = 34
                while i + 4 <= n:
                    code, size = struct.unpack_from("!HH", buf, i)
                    if code == 9:
                        peer = socket.inet_ntop(socket.AF_INET6, bytes(buf[18:34]))
                        sock.sendto(buf[i + 4:i + 4 + size], (peer, 546, 0, index))
                        break
                    i += 4 + size
            else:
                peer = socket.inet_pton(socket.AF_INET6, addr[0].split("%")[0])
                sock.sendto(b"\x0c\x00" + link + peer + iface_opt + struct.pack("!HH", 9, n) + buf[:n], dest)


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    family, ifname, local, server = sys.argv[1:5]
    (floor4 if family == "4" else floor6)(ifname, local, server)


if __name__ == "__main__":
    main()
