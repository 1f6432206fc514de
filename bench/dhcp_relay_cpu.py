"""CPU the DHCP relay's I/O thread spends per packet, in a batch (root; namespaces).

The loss and latency figures of ``dhcp_relay.py`` depend on everything else
the two cores run.  This one measures the relay alone and is steady on a
busy machine: the relay (``RelayRuntime``, in this process, in the relay
namespace of the same test bed) is held still by its hub's lock while a
burst of N client DISCOVERs (or N server OFFERs) is queued on its sockets;
then it is let go, and the CPU time of its I/O thread (user + system, read
through ``pthread_getcpuclockid``) until all N are relayed is divided by N.
That includes the system calls (read, and the send with the veth's delivery
into the next namespace) but no wake-ups: the cost per packet at saturation.

With ``--paced MS`` the packets are sent one every MS milliseconds instead,
without holding the relay: each one then wakes the I/O thread, and the CPU
per packet includes the wake-up (what a relay pays at 1,000-2,000/s).

With ``--opcodes`` (paced only) the I/O thread runs under ``threading.settrace`` with opcode
events, and the script prints bytecode instructions per packet instead of CPU, by function: the
count does not depend on the machine's load, so it decides between two versions of the fast
paths where the CPU figures are within each other's noise.

With ``-6`` the relay is a DHCPv6 one: Solicits from the client's link-local
address to ff02::1:2 (relayed as Relay-Forwards) and the server's
Relay-Replies around an Advertise (unwrapped to the client).

    sudo .venv/bin/python bench/dhcp_relay_cpu.py [-n 2000] [--rounds 5] [--paced 0.5] [-6]
    sudo .venv/bin/python bench/dhcp_relay_cpu.py -n 50 --rounds 1 --paced 5 --opcodes [-6]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def blast6(kind: str, n: int, peer: str, interval: float = 0.0) -> None:
    """Queue ``n`` Solicits (client side) or Relay-Replies for ``peer`` (server side)."""
    from chassisctl.dhcp import v6
    from chassisctl.dhcp.links import ip6
    from dhcp._packets import solicit

    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    if kind == "solicit":
        index = socket.if_nametoindex("dhc0")
        s.bind((peer, 546, 0, index))
        payload, destination = solicit(), ("ff02::1:2", 547, 0, index)
    else:
        s.bind(("2001:db8:2::2", 547))
        advertise = v6.encode(v6.Message(v6.MsgType.ADVERTISE, 0xABCDEF, ((v6.Opt6.SERVERID, b"\0\3\0\1server"),
                                                                         (v6.Opt6.CLIENTID, b"\0\3\0\1client"))))
        payload = v6.encode(v6.RelayMessage(v6.MsgType.RELAY_REPL, 0, ip6("2001:db8:1::1"), ip6(peer),
                                            ((v6.Opt6.INTERFACE_ID, b"dhr0"), (v6.Opt6.RELAY_MSG, advertise))))
        destination = ("2001:db8:2::1", 547, 0, 0)
    for i in range(n):
        s.sendto(payload, destination)
        if interval:
            pace(i, interval)


def blast(kind: str, n: int, with82: bool, interval: float = 0.0) -> None:
    """Queue ``n`` requests (client side) or replies (server side) as fast as possible."""
    from chassisctl.dhcp import v4
    from dhcp._packets import client_frame, discover, offer

    if kind == "request":
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind(("dhc0", 0))
        frame = client_frame(discover())
        for i in range(n):
            s.send(frame)
            if interval:
                pace(i, interval)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("198.51.100.2", 67))
        extra = ((82, b"\x01\x04dhr0"),) if with82 else ()
        payload = v4.encode(offer(discover(giaddr="192.0.2.1"), extra=extra))
        for i in range(n):
            s.sendto(payload, ("192.0.2.1", 67))
            if interval:
                pace(i, interval)


_START: list[float] = []


def pace(i: int, interval: float) -> None:
    """Sleep until packet ``i + 1`` is due (open loop: a late send is not made up by a burst)."""
    if not _START:
        _START.append(time.monotonic())
    delay = _START[0] + (i + 1) * interval - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def link_local(ns: str, ifname: str) -> str:
    """The fe80:: address of ``ifname`` in namespace ``ns``."""
    text = subprocess.run(["ip", "-n", ns, "-6", "-o", "addr", "show", "dev", ifname, "scope", "link"],
                          capture_output=True, text=True, check=True, timeout=10).stdout
    return text.split()[3].split("/")[0]


class OpcodeCount:
    """Bytecode instructions run by the relay's I/O thread (started after :meth:`install`), by function."""

    def __init__(self) -> None:
        self.by_function: dict[str, int] = {}

    def install(self) -> None:
        import threading

        by_function = self.by_function

        def trace(frame, event, _arg):
            if event == "call" and threading.current_thread().name != "chassisctl-dhcp-relay":
                return None  # asyncio's worker threads, not the relay's
            frame.f_trace_opcodes = True
            frame.f_trace_lines = False
            if event == "opcode":
                code = frame.f_code
                key = f"{Path(code.co_filename).stem}.{code.co_qualname}"
                by_function[key] = by_function.get(key, 0) + 1
            return trace

        threading.settrace(trace)

    def snapshot(self) -> dict[str, int]:
        return dict(self.by_function)


async def inner(client_ns: str, server_ns: str, n: int, with82: bool, paced_ms: float = 0.0,
                v6: bool = False, opcodes: bool = False) -> dict:
    """In the relay namespace: run the relay, time its thread over each burst (or count its bytecode)."""
    from chassisctl.dhcp.config import make
    from chassisctl.errors import UsageError
    from chassisctl.serve import dhcp_relay as dr

    settings: dict = {"downstream": ["dhr0"], "upstream": ["dhr1"],
                      "servers": ["2001:db8:2::2" if v6 else "198.51.100.2"]}
    if v6:
        settings["ipv6"] = True
    elif with82:
        settings["option82"] = "replace"
    runtime = dr.RelayRuntime([make(settings, fail=UsageError)], "sw1")
    counter = OpcodeCount()
    if opcodes:
        counter.install()  # before start(): the hub's I/O thread starts there
    await runtime.start()
    try:
        await asyncio.sleep(0.2)
        clock = time.pthread_getcpuclockid(dr.HUB._thread.ident)
        relay = (runtime.relays6 if v6 else runtime.relays4)[0]
        peer = link_local(client_ns, "dhc0") if v6 else ""
        if v6:  # a fresh namespace's link-local address and group join take a moment: wait for one relayed
            deadline = time.monotonic() + 10
            while relay.counters.of("dhr0").relayed == 0 and time.monotonic() < deadline:
                await asyncio.to_thread(subprocess.run, ["ip", "netns", "exec", client_ns, sys.executable, __file__,
                                                         "--blast", "solicit", "-n", "1", "--peer", peer],
                                        check=False, timeout=30, capture_output=True)
                await asyncio.sleep(0.2)
        out = {}
        kinds = (("solicit", client_ns, "dhr0"), ("relay-reply", server_ns, "dhr1")) if v6 else \
            (("request", client_ns, "dhr0"), ("reply", server_ns, "dhr1"))
        for kind, ns, ifname in kinds:
            before = relay.counters.of(ifname).relayed
            argv = ["ip", "netns", "exec", ns, sys.executable, __file__, "--blast", kind, "-n", str(n),
                    *(["--with82"] if with82 else []), *(["--paced", str(paced_ms)] if paced_ms else []),
                    *(["--peer", peer] if v6 else [])]
            if paced_ms:  # every packet wakes the thread: count from before the first
                ops0 = counter.snapshot()
                cpu0 = time.clock_gettime(clock)
                await asyncio.to_thread(subprocess.run, argv, check=True, timeout=120)
            else:
                with dr.HUB.lock:  # the I/O thread waits here while the burst queues up
                    subprocess.run(argv, check=True, timeout=60)
                    time.sleep(0.05)
                    cpu0 = time.clock_gettime(clock)
            deadline = time.monotonic() + 10
            while relay.counters.of(ifname).relayed - before < n and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
            done = relay.counters.of(ifname).relayed - before
            out[kind] = {"us": (time.clock_gettime(clock) - cpu0) / max(done, 1) * 1e6, "relayed": done}
            if opcodes:
                ops = {f: (c - ops0.get(f, 0)) / max(done, 1) for f, c in counter.snapshot().items()}
                out[kind]["opcodes"] = {f: c for f, c in ops.items() if c}
        return out
    finally:
        await runtime.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="packets per burst (the queues hold ~3,000)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--blast", help=argparse.SUPPRESS)
    parser.add_argument("--inner", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--with82", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--paced", type=float, default=0.0, metavar="MS",
                        help="send one packet every MS milliseconds (each wakes the relay) instead of a held burst")
    parser.add_argument("-6", dest="v6", action="store_true", help="a DHCPv6 relay: Solicits and Relay-Replies")
    parser.add_argument("--opcodes", action="store_true",
                        help="count the I/O thread's bytecode instructions per packet, by function (needs --paced)")
    parser.add_argument("--peer", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.blast:
        if args.blast in ("solicit", "relay-reply"):
            blast6(args.blast, args.n, args.peer, args.paced / 1000)
        else:
            blast(args.blast, args.n, args.with82, args.paced / 1000)
        return 0
    if args.inner:
        print(json.dumps(asyncio.run(inner(*args.inner, args.n, args.with82, args.paced, args.v6, args.opcodes))))
        return 0
    from interop.dhcp_bed import Bed

    if args.opcodes and not args.paced:
        parser.error("--opcodes counts per wake-up: give --paced MS too")
    rows: dict[str, list[float]] = {}
    opcode_rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="dhcp-cpu-") as work:
        bed = Bed(Path(work))
        try:
            bed.create()
            for _ in range(args.rounds):
                for with82 in (False,) if args.v6 else (False, True):
                    done = bed.sh(bed.relay, sys.executable, __file__, "--inner", bed.client, bed.server,
                                  "-n", str(args.n), *(["--with82"] if with82 else []),
                                  *(["--paced", str(args.paced)] if args.paced else []),
                                  *(["-6"] if args.v6 else []), *(["--opcodes"] if args.opcodes else []),
                                  timeout=300)
                    for kind, r in json.loads(done.stdout).items():
                        if r["relayed"] == args.n:
                            rows.setdefault(f"{kind}{' +82' if with82 else ''}", []).append(r["us"])
                        if "opcodes" in r:
                            opcode_rows[f"{kind}{' +82' if with82 else ''}"] = r["opcodes"]
        finally:
            bed.destroy()
    if args.opcodes:
        print(f"relay I/O thread bytecode instructions per packet, {args.n} packets one every {args.paced:g} ms "
              "(last round), by function:")
        for name, ops in opcode_rows.items():
            print(f"  {name}: {sum(ops.values()):.0f}")
            for function, count in sorted(ops.items(), key=lambda item: -item[1]):
                print(f"      {count:7.1f}  {function}")
        return 0
    how = f"one every {args.paced:g} ms" if args.paced else "bursts"
    print(f"relay I/O thread CPU per packet, {args.n} packets in {how} (user + system, median [min-max] of "
          f"{args.rounds}; load average {os.getloadavg()[0]:.2f}):")
    for name, values in rows.items():
        print(f"  {name:>12}: {statistics.median(values):6.2f} us [{min(values):.2f}-{max(values):.2f}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
