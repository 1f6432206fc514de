"""Client-mode DHCPv4 load generator for bench/dhcp_relay.py (runs inside the client namespace).

perfdhcp -4 always acts as a relay itself (giaddr = its own address), so it
never exercises a relay's client side.  This generator behaves like many
clients on one link: raw AF_PACKET frames from 0.0.0.0:68 to
255.255.255.255:67 with the broadcast flag, giaddr 0, a pool of client
MACs; open-loop DISCOVERs at the given rate, each REQUEST sent as soon as
its OFFER arrives.  Bounded by time: ``seconds`` of sending, then a short
drain.  Prints one JSON line: counts, the DISCOVER→OFFER and REQUEST→ACK
latencies (median, p99) in milliseconds, and what says whether the
generator itself kept up: its CPU time, how late it sent against its
schedule, and the replies the kernel dropped on its receive socket.

The hot loop is kept cheap (it shares two cores with the relay and the
server, so every microsecond it spends is taken from them, whichever relay
is measured): frames are templates patched in place, replies are read into
one preallocated buffer and only the fields it needs are looked at (xid,
yiaddr, options 53 and 54), not decoded whole.  Correctness of the relays'
frames is the interop tests' business; this only counts.

A warm-up of ``WARMUP`` seconds at the same rate comes first and is left
out of every figure (the first packets otherwise pay for the relay's and
server's cold caches and lazy set-up, which differ from peer to peer).

Usage: _dhcp_loadgen.py IFACE RATE SECONDS CLIENTS [WARMUP]
"""

from __future__ import annotations

import json
import select
import socket
import statistics
import sys
import time

from chassisctl.dhcp import ipudp, v4
from chassisctl.net import auxdata, bpf
from chassisctl.net.rawudp import set_rcvbuf

DRAIN = 1.0
#: A send more than this behind its schedule counts as late (seconds).
LATE = 0.001


def template(mac: bytes, msg_type: int, extra: tuple = ()) -> bytearray:
    msg = v4.Message(op=1, xid=0, chaddr=mac.ljust(16, b"\0"), flags=v4.FLAG_BROADCAST,
                     options=((53, bytes((msg_type,))), *extra, (55, b"\x01\x03\x06")))
    frame = ipudp.build_frame(ipudp.BROADCAST_MAC, mac, bytes(4), b"\xff" * 4, 68, 67, v4.encode(msg))
    frame = bytearray(frame)
    frame[14 + 20 + 6:14 + 20 + 8] = b"\0\0"  # UDP checksum 0 (none): frames are patched per send
    return frame


def find_options(buf: bytearray, start: int, end: int) -> tuple[int, bytes]:
    """(message type, server identifier) from the options field, cheaply."""
    kind, server = 0, b"\0\0\0\0"
    i = start
    while i < end:
        code = buf[i]
        if code == 0:
            i += 1
            continue
        if code == 255 or i + 1 >= end:
            break
        n = buf[i + 1]
        if code == 53 and n == 1:
            kind = buf[i + 2]
        elif code == 54 and n == 4:
            server = bytes(buf[i + 2:i + 6])
        i += 2 + n
    return kind, server


def main() -> None:
    ifname, rate, seconds, clients = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    warmup = float(sys.argv[5]) if len(sys.argv) > 5 else 0.5
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
    auxdata.drops(rx)  # reset the kernel's count
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    tx.bind((ifname, 0))
    send = tx.send
    recv_into = rx.recv_into
    buf = bytearray(4096)
    monotonic = time.monotonic
    sent_d: dict[int, float] = {}
    sent_r: dict[int, float] = {}
    d_o: list[float] = []
    r_a: list[float] = []
    counts = {"discover": 0, "offer": 0, "request": 0, "ack": 0, "nak": 0, "other": 0}
    late = 0
    max_lag = 0.0
    interval = 1.0 / rate
    first = monotonic()
    start = first + warmup
    end = start + seconds
    next_send = first
    n = 0
    measured = None  # the first xid sent after the warm-up
    cpu0 = 0.0
    while True:
        now = monotonic()
        if now >= end + DRAIN:
            break
        if measured is None and now >= start:
            measured, cpu0 = 0x10000000 + n, time.process_time()
            late, max_lag = 0, 0.0
            for key in counts:
                counts[key] = 0
            d_o.clear()
            r_a.clear()
            auxdata.drops(rx)
            sys.stderr.write("measuring\n")
            sys.stderr.flush()
        while now < end and next_send <= now:
            lag = now - next_send
            if lag > LATE:
                late += 1
            if lag > max_lag:
                max_lag = lag
            frame = discover[n % clients]
            xid = 0x10000000 + n
            frame[xid_at:xid_at + 4] = xid.to_bytes(4, "big")
            send(frame)
            sent_d[xid] = monotonic()
            n += 1
            next_send += interval
        timeout = max(0.0, min(next_send - monotonic(), 0.01)) if now < end else 0.05
        readable, _, _ = select.select([rx], [], [], timeout)
        if not readable:
            continue
        while True:
            try:
                size = recv_into(buf)
            except BlockingIOError:
                break
            t = monotonic()
            if size < base + 240 or buf[base] != 2:
                continue
            ihl = (buf[14] & 0x0F) * 4
            p = 14 + ihl + 8
            xid = int.from_bytes(buf[p + 4:p + 8], "big")
            kind, server = find_options(buf, p + 240, size)
            if kind == 2:
                sent = sent_d.pop(xid, None)
                if sent is None:
                    continue
                if measured is not None and xid >= measured:
                    d_o.append(t - sent)
                    counts["offer"] += 1
                req = request[(xid - 0x10000000) % clients]
                req[xid_at:xid_at + 4] = buf[p + 4:p + 8]
                req[req_opts + 2:req_opts + 6] = buf[p + 16:p + 20]
                req[req_opts + 8:req_opts + 12] = server
                send(req)
                sent_r[xid] = monotonic()
                if measured is not None and xid >= measured:
                    counts["request"] += 1
            elif kind == 5:
                sent = sent_r.pop(xid, None)
                if sent is not None and measured is not None and xid >= measured:
                    r_a.append(t - sent)
                    counts["ack"] += 1
            elif kind == 6:
                counts["nak"] += 1
            else:
                counts["other"] += 1
    counts["discover"] = n - ((measured or 0x10000000 + n) - 0x10000000)

    def stats(values: list[float]) -> dict:
        if not values:
            return {"median_ms": None, "p99_ms": None}
        values.sort()
        return {"median_ms": round(statistics.median(values) * 1000, 4),
                "p99_ms": round(values[int(len(values) * 0.99) - 1 if len(values) > 1 else 0] * 1000, 3)}

    print(json.dumps({**counts, "seconds": seconds, "rate": rate, "d_o": stats(d_o), "r_a": stats(r_a),
                      "gen": {"cpu_s": round(time.process_time() - cpu0, 3), "late_sends": late,
                              "max_lag_ms": round(max_lag * 1000, 2), "rx_drops": auxdata.drops(rx)}}))


if __name__ == "__main__":
    main()
