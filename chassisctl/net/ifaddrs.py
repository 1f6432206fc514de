"""Interface facts from rtnetlink, kept current while the relay runs (pyroute2).

A relay must follow interfaces that appear, vanish or change addresses
without a restart (a VLAN interface created after boot, a DHCP-assigned
uplink address).  :class:`LinkWatcher` dumps links and addresses once, then
listens to the link and address multicast groups and, after each burst of
events, dumps again and hands out a fresh snapshot of
:class:`chassisctl.dhcp.links.Link` values for the names it follows.
Dumping again instead of applying each event keeps the snapshot exactly
what the kernel says; changes are rare next to packets.

pyroute2 is imported here and only here, when a relay starts.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator, Iterable
from typing import Any

from chassisctl.dhcp.links import Link

IFF_UP = 0x1
IFA_F_SECONDARY = 0x1
#: Events closer together than this are handled with one dump.
SETTLE = 0.05


def _mac(text: str | None) -> bytes:
    if not text:
        return bytes(6)
    try:
        value = bytes.fromhex(text.replace(":", ""))
    except ValueError:
        return bytes(6)
    return value if len(value) == 6 else bytes(6)


async def snapshot(ipr, names: Iterable[str] | None = None) -> dict[str, Link]:
    """Links (all, or those named) with their addresses, primary addresses first."""
    wanted = None if names is None else set(names)
    links = {}
    async for msg in await ipr.link("dump"):
        name = msg.get("ifname")
        if name is None or (wanted is not None and name not in wanted):
            continue
        vlan = None
        info = msg.get_attr("IFLA_LINKINFO")
        if info is not None and info.get_attr("IFLA_INFO_KIND") == "vlan":
            data = info.get_attr("IFLA_INFO_DATA")
            vlan = data.get_attr("IFLA_VLAN_ID") if data is not None else None
        links[msg["index"]] = [name, msg["index"], _mac(msg.get("address")), bool(msg["flags"] & IFF_UP), [], [],
                               vlan, msg.get_attr("IFLA_MTU") or 1500]
    async for msg in await ipr.addr("dump"):
        entry = links.get(msg["index"])
        if entry is None:
            continue
        text = msg.get_attr("IFA_LOCAL") or msg.get_attr("IFA_ADDRESS")
        if text is None:
            continue
        flags = msg.get_attr("IFA_FLAGS") or msg["flags"]
        secondary = bool(flags & IFA_F_SECONDARY)
        packed = ipaddress.ip_address(text.split("%")[0]).packed
        target = entry[4] if len(packed) == 4 else entry[5]
        target.append((secondary, packed, msg["prefixlen"]))
    out = {}
    for name, index, mac, up, v4, v6, vlan, mtu in links.values():
        v4.sort(key=lambda item: item[0])
        v6.sort(key=lambda item: item[0])
        out[name] = Link(name, index, mac, up, tuple((a, p) for _, a, p in v4), tuple((a, p) for _, a, p in v6),
                         vlan, mtu)
    return out


class LinkWatcher:
    """Snapshots of the named interfaces, now and after every change."""

    def __init__(self, names: Iterable[str] | None = None) -> None:
        """Follow the interfaces ``names``, or every interface when None."""
        self.names = None if names is None else frozenset(names)
        #: pyroute2 AsyncIPRoute handles (untyped), made by open().
        self._dump: Any = None
        self._events: Any = None

    async def open(self) -> dict[str, Link]:
        from pyroute2 import AsyncIPRoute
        from pyroute2.netlink.rtnl import RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR, RTMGRP_LINK

        self._dump = AsyncIPRoute()
        self._events = AsyncIPRoute()
        await self._events.bind(groups=RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR)
        return await snapshot(self._dump, self.names)

    async def changes(self) -> AsyncIterator[dict[str, Link]]:
        """A new snapshot after each burst of link or address events (forever)."""
        assert self._events is not None and self._dump is not None
        while True:
            async for _msg in self._events.get():
                pass
            await asyncio.sleep(SETTLE)
            yield await snapshot(self._dump, self.names)

    async def close(self) -> None:
        for ipr in (self._events, self._dump):
            if ipr is not None:
                try:
                    await ipr.close()
                except Exception:  # noqa: BLE001 - closing a netlink socket must not stop shutdown
                    pass
        self._events = self._dump = None
