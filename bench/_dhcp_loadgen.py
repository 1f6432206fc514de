"""Client-mode DHCPv4 load generator for bench/dhcp_relay.py (runs inside the client namespace).

perfdhcp -4 always acts as a relay itself (giaddr = its own address), so it
never exercises a relay's client side.  This generator behaves like many
clients on one link: raw AF_PACKET frames from 0.0.0.0:68 to
255.255.255.255:67 with the broadcast flag, giaddr 0, a pool of client
MACs; open-loop DISCOVERs at the given rate, each REQUEST sent as soon as
its OFFER arrives.  Bounded by time: ``seconds`` of sending, then a short
drain.  Prints one JSON line: counts, and the DISCOVER→OFFER and
REQUEST→ACK latencies (median, p99) in milliseconds.

Usage: _dhcp_loadgen.py IFACE RATE SECONDS CLIENTS
"""

from __future__ import annotations

import json
import select
import socket
import statistics
import struct
import sys
import time

from chassisctl.dhcp import ipudp, v4
from chassisctl.net import bpf
from chassisctl.net.rawudp import set_rcvbuf

DRAIN = 1.0


def template(mac: bytes, msg_type: int, extra: tuple = ()) -> bytearray:
    msg = v4.Message(op=1, xid=0, chaddr=mac.ljust(16, b"\0"), flags=v4.FLAG_BROADCAST,
                     options=((53, bytes((msg_type,))), *extra, (55, b"\x01\x03\x06")))
    frame = ipudp.build_frame(ipudp.BROADCAST_MAC, mac, bytes(4), b"\xff" * 4, 68, 67, v4.encode(msg))
    frame = bytearray(frame)
    frame[14 + 20 + 6:14 + 20 + 8] = b"\0\0"  # UDP checksum 0 (none): frames are patched per send
    return frame


def main() -> None:
    ifname, rate, seconds, clients = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    macs = [bytes((0x02, 0xBE, 0, 0, i >> 8, i & 0xFF)) for i in range(clients)]
    discover = [template(m, 1) for m in macs]
    request = [template(m, 3, ((50, bytes(4)), (54, bytes(4)))) for m in macs]
    base = 14 + 20 + 8
    xid_at = base + 4
    req_opts = request[0].index(bytes((50, 4)), base + 240)
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    bpf.attach(rx, bpf.udp4_to_port(68))
    set_rcvbuf(rx)
    rx.bind((ifname, 0x0800))
    rx.setblocking(False)
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    tx.bind((ifname, 0))
    sent_d: dict[int, float] = {}
    sent_r: dict[int, float] = {}
    d_o: list[float] = []
    r_a: list[float] = []
    counts = {"discover": 0, "offer": 0, "request": 0, "ack": 0, "nak": 0}
    interval = 1.0 / rate
    start = time.monotonic()
    end = start + seconds
    next_send = start
    n = 0
    while True:
        now = time.monotonic()
        if now >= end + DRAIN:
            break
        while now < end and next_send <= now:
            i = n % clients
            xid = 0x10000000 + n
            frame = discover[i]
            frame[xid_at:xid_at + 4] = xid.to_bytes(4, "big")
            tx.send(frame)
            sent_d[xid] = time.monotonic()
            counts["discover"] += 1
            n += 1
            next_send += interval
        timeout = max(0.0, min(next_send - time.monotonic(), 0.01)) if now < end else 0.05
        readable, _, _ = select.select([rx], [], [], timeout)
        if not readable:
            continue
        while True:
            try:
                frame = rx.recv(2048)
            except BlockingIOError:
                break
            t = time.monotonic()
            try:
                packet = ipudp.parse_frame(frame, verify_udp=False)
                payload = packet.payload
                if len(payload) < 240 or payload[0] != 2:
                    continue
                xid = struct.unpack_from("!I", payload, 4)[0]
                msg = v4.decode(payload)
            except Exception:  # noqa: BLE001 - a bench counts what it understands
                continue
            kind = msg.message_type
            if kind == 2 and xid in sent_d:
                d_o.append(t - sent_d.pop(xid))
                counts["offer"] += 1
                i = (xid - 0x10000000) % clients
                req = request[i]
                req[xid_at:xid_at + 4] = payload[4:8]
                req[req_opts + 2:req_opts + 6] = msg.yiaddr
                req[req_opts + 8:req_opts + 12] = msg.get(54) or bytes(4)
                tx.send(req)
                sent_r[xid] = time.monotonic()
                counts["request"] += 1
            elif kind == 5 and xid in sent_r:
                r_a.append(t - sent_r.pop(xid))
                counts["ack"] += 1
            elif kind == 6:
                counts["nak"] += 1

    def stats(values: list[float]) -> dict:
        if not values:
            return {"median_ms": None, "p99_ms": None}
        values.sort()
        return {"median_ms": round(statistics.median(values) * 1000, 4),
                "p99_ms": round(values[int(len(values) * 0.99) - 1 if len(values) > 1 else 0] * 1000, 3)}

    print(json.dumps({**counts, "seconds": seconds, "rate": rate, "d_o": stats(d_o), "r_a": stats(r_a)}))


if __name__ == "__main__":
    main()
