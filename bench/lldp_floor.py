"""The least a Python process can spend doing an LLDP agent's I/O: a floor for ``bench/lldp.py``.

    python bench/lldp_floor.py --interval 1 --counters FILE port1 port2 ...

It opens the same packet sockets as the agent (:func:`chassisctl.net.packet.open_packet_socket`:
the same BPF filter, multicast membership and priority), sends one prebuilt LLDPDU per
port every interval on the agent's schedule (jittered 0.9..1.0 x the interval, rounded
up to the agent's grid, ``Agent.TX_GRID``) and reads every frame that arrives, but decodes nothing,
keeps no table and has no event loop: one thread sleeping in ``epoll_wait`` until the
next transmission is due or, if no tick is near, until a frame arrives, then draining
every ready socket at once.  Whatever an agent written in Python spends above this is its
own work; what this costs is the interpreter's and the kernel's share of the same frames.

On SIGUSR1 and on SIGTERM it writes {"frames_in": N, "frames_out": M, "wakeups": W} to ``--counters``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import select
import signal
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from chassisctl.lldp.agent import Agent  # noqa: E402
from chassisctl.lldp.frame import ETHERTYPE, NEAREST_BRIDGE, build_frame  # noqa: E402
from chassisctl.lldp.tlv import (  # noqa: E402
    Capabilities, ChassisId, Lldpdu, PortDescription, PortId, SystemDescription, SystemName, Ttl, encode_lldpdu)
from chassisctl.net import links  # noqa: E402
from chassisctl.net.packet import open_packet_socket  # noqa: E402
from chassisctl.serve.lldp import RX_POLL  # noqa: E402

GRID = Agent.TX_GRID    # the agent's transmit grid
POLL = RX_POLL          # and how long it lets a received frame wait when busy


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--counters", type=Path, required=True)
    parser.add_argument("ports", nargs="+")
    args = parser.parse_args()
    stop = []
    count = {"frames_in": 0, "frames_out": 0, "wakeups": 0}
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGUSR1, lambda *_: args.counters.write_text(json.dumps(count)))

    chassis = ChassisId(4, bytes.fromhex("020000000099"))
    socks, frames = [], []
    ep = select.epoll()
    for name in args.ports:
        iface = links.interface(name)
        assert iface is not None, name
        sock = open_packet_socket(name, ETHERTYPE, NEAREST_BRIDGE)
        pdu = Lldpdu((chassis, PortId(5, name.encode()), Ttl(int(args.interval * 4 + 1)), PortDescription(name),
                      SystemName("python-floor"), SystemDescription("bench/lldp_floor.py"),
                      Capabilities(0x0094, 0x0080)))
        socks.append(sock)
        frames.append(build_frame(iface.mac, encode_lldpdu(pdu)))
        ep.register(sock.fileno(), select.EPOLLIN)
    by_fd = {s.fileno(): s for s in socks}
    rng = random.Random()
    now = time.monotonic()
    due = [math.ceil((now + rng.random()) / GRID) * GRID for _ in socks]
    poll_at = None
    while not stop:
        now = time.monotonic()
        nxt = min(due)
        until = nxt if poll_at is None else min(nxt, poll_at)
        timeout = max(0.0, until - now)
        if poll_at is None:
            ready = ep.poll(timeout)       # no tick near: a frame wakes us
        else:
            time.sleep(timeout)            # a tick is near: it drains what came
            ready = ep.poll(0)
        count["wakeups"] += 1
        got = 0
        for fd, _ in ready:
            recv = by_fd[fd].recv
            for _ in range(64):
                try:
                    recv(9216)
                except (BlockingIOError, InterruptedError):
                    break
                got += 1
        count["frames_in"] += got
        now = time.monotonic()
        for i, when in enumerate(due):
            if when <= now:
                try:
                    socks[i].send(frames[i])
                    count["frames_out"] += 1
                except OSError:
                    pass
                due[i] = math.ceil((now + args.interval * (1.0 - 0.1 * rng.random())) / GRID) * GRID
        nxt = min(due)
        poll_at = math.ceil((now + POLL) / GRID) * GRID if got or nxt - now <= POLL else None
    args.counters.write_text(json.dumps(count))
    return 0


if __name__ == "__main__":
    sys.exit(main())
