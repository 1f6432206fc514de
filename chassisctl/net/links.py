"""Network interfaces: what exists now (sysfs, stdlib) and what changes (netlink).

:func:`interfaces` reads ``/sys/class/net`` — cheap, no library, usable from
TAB completion and from the agent's start-up alike.  :class:`LinkMonitor`
follows RTM_NEWLINK / RTM_DELLINK / address messages through pyroute2's
asyncio socket; pyroute2 costs ~150 ms to import, so only a running service
imports it, never the CLI.  Netlink dumps are not used for discovery: sysfs
lists every interface however many there are (lldpd#611 lost interfaces to
interrupted dumps above 1,000).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from collections.abc import Awaitable, Callable, Iterable

SYS_NET = Path("/sys/class/net")
ARPHRD_ETHER = 1
IFF_UP = 0x1
IFF_LOWER_UP = 0x10000
IFF_RUNNING = 0x40


@dataclass(frozen=True, slots=True)
class Interface:
    name: str
    index: int
    mac: bytes
    alias: str | None
    up: bool            # administratively up and carrier present
    physical: bool      # backed by a device (not a bridge, bond, VLAN or tunnel)
    ethernet: bool


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def interface(name: str, base: Path = SYS_NET) -> Interface | None:
    """One interface as sysfs describes it now, or None when it does not exist."""
    d = base / name
    index = _read(d / "ifindex")
    if index is None:
        return None
    address = _read(d / "address") or ""
    try:
        mac = bytes.fromhex(address.replace(":", "")) if address else b""
    except ValueError:
        mac = b""
    flags = int(_read(d / "flags") or "0", 16)
    carrier = _read(d / "carrier") == "1"
    operstate = _read(d / "operstate")
    up = bool(flags & IFF_UP) and (carrier or operstate == "up")
    return Interface(name, int(index), mac, _read(d / "ifalias") or None, up,
                     (d / "device").exists(), _read(d / "type") == str(ARPHRD_ETHER))


def interfaces(base: Path = SYS_NET, *, names: Iterable[str] | None = None) -> list[Interface]:
    """Every interface (sorted by name), or only those of ``names`` that exist (in that order).

    An interface costs ~8 sysfs reads: when the ports are configured, the
    agent asks for those only instead of every VLAN, bridge and tunnel of a
    large switch.
    """
    if names is None:
        try:
            names = sorted(os.listdir(base))
        except OSError:
            return []
    else:
        names = list(dict.fromkeys(n for n in names if n and "/" not in n and n not in (".", "..")))
    return [i for i in (interface(n, base) for n in names) if i is not None]


@dataclass(frozen=True, slots=True)
class LinkEvent:
    """A netlink message reduced to what a service acts on."""

    kind: str           # "link", "link-removed", "address"
    name: str | None
    index: int


class LinkMonitor:
    """Netlink link and address events, delivered to ``callback`` on the event loop."""

    def __init__(self, callback: Callable[[LinkEvent], Awaitable[None] | None]) -> None:
        self._callback = callback
        self._ipr: Any = None
        self._task: Any = None

    async def start(self) -> None:
        import asyncio

        from pyroute2 import AsyncIPRoute

        self._ipr = AsyncIPRoute()
        await self._ipr.bind()
        self._task = asyncio.ensure_future(self._run())

    async def addresses(self) -> dict[int, list[tuple[int, bytes]]]:
        """ifindex -> [(IANA family, address bytes)], IPv4 first, in kernel order."""
        from pyroute2 import AsyncIPRoute

        out: dict[int, list[tuple[int, bytes]]] = {}
        ipr = AsyncIPRoute()
        try:
            async for msg in await ipr.addr("dump"):
                family = {socket.AF_INET: 1, socket.AF_INET6: 2}.get(msg.get("family"))
                text = msg.get("address")
                if family is None or not text:
                    continue
                raw = socket.inet_pton(socket.AF_INET if family == 1 else socket.AF_INET6, text)
                out.setdefault(msg.get("index"), []).append((family, raw))
        finally:
            ipr.close()
        for items in out.values():
            items.sort(key=lambda item: item[0])
        return out

    async def _run(self) -> None:
        import inspect

        while True:
            async for msg in self._ipr.get():
                event = msg.get("event")
                if event in ("RTM_NEWLINK", "RTM_DELLINK"):
                    item = LinkEvent("link" if event == "RTM_NEWLINK" else "link-removed",
                                     msg.get("ifname"), msg.get("index"))
                elif event in ("RTM_NEWADDR", "RTM_DELADDR"):
                    item = LinkEvent("address", None, msg.get("index"))
                else:
                    continue
                result = self._callback(item)
                if inspect.isawaitable(result):
                    await result

    async def stop(self) -> None:
        import asyncio

        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._ipr is not None:
            self._ipr.close()
            self._ipr = None
