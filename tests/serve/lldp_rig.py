"""What the LLDP service tests without root share: a fake sysfs, a netlink-free LinkMonitor,
reading what the service sent into a socketpair, and waiting for a condition on the loop."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

from chassisctl.lldp.frame import split_frame
from chassisctl.lldp.tlv import Lldpdu, decode_lldpdu


def fake_sysfs(base: Path, names: list[str]) -> Path:
    for n, name in enumerate(names, start=1):
        d = base / name
        (d / "device").mkdir(parents=True)
        for key, value in (("ifindex", str(n + 1)), ("address", f"02:00:00:00:{n >> 8:02x}:{n & 0xFF:02x}"),
                           ("flags", "0x1003"), ("carrier", "1"), ("operstate", "up"), ("type", "1")):
            (d / key).write_text(value + "\n")
    return base


class FakeMonitor:
    """LinkMonitor without netlink: counts address dumps, which can be made slow."""

    instances: list[FakeMonitor] = []

    def __init__(self, callback) -> None:
        self.callback = callback
        self.dumps = 0
        self.delay = 0.0
        self.table: dict[int, list[tuple[int, bytes]]] = {}
        FakeMonitor.instances.append(self)

    async def start(self) -> None:
        pass

    async def addresses(self) -> dict:
        self.dumps += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        return dict(self.table)

    async def stop(self) -> None:
        pass


def received(sock: socket.socket) -> list[Lldpdu]:
    out = []
    while True:
        try:
            out.append(decode_lldpdu(split_frame(sock.recv(9216)).payload))
        except BlockingIOError:
            return out


async def until(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True
