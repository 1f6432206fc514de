"""What the relay knows about an interface: the facts netlink reports, as plain values.

The relay's decisions depend on interface facts (index, MAC, addresses, VLAN
ID, up or down) that change while it runs.  The I/O edge
(:mod:`chassisctl.net.ifaddrs`) keeps them current and hands the relay a
new snapshot; tests build them by hand.  IPv4 addresses are 4-byte and IPv6
addresses 16-byte ``bytes`` with their prefix length, primary first, as the
kernel lists them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Link:
    name: str
    index: int
    mac: bytes = bytes(6)
    up: bool = True
    ipv4: tuple[tuple[bytes, int], ...] = ()
    ipv6: tuple[tuple[bytes, int], ...] = ()
    vlan: int | None = None
    #: Largest IP packet the link carries (sizes the packet ring's slots).
    mtu: int = 1500

    def has4(self, addr: bytes) -> bool:
        return any(a == addr for a, _ in self.ipv4)

    def primary4(self) -> bytes | None:
        return self.ipv4[0][0] if self.ipv4 else None

    def address4(self, preferred: bytes | None = None) -> bytes | None:
        """``preferred`` when the link has it, else the primary address."""
        if preferred is not None and self.has4(preferred):
            return preferred
        return self.primary4()

    def on_link4(self, addr: bytes) -> bool:
        """Whether ``addr`` lies in one of the link's IPv4 subnets."""
        value = int.from_bytes(addr, "big")
        for a, plen in self.ipv4:
            mask = (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF if plen else 0
            if value & mask == int.from_bytes(a, "big") & mask:
                return True
        return False

    def broadcast4(self) -> tuple[bytes, ...]:
        """The subnet broadcast addresses of the link's IPv4 subnets."""
        out = []
        for a, plen in self.ipv4:
            if plen < 31:
                host = (1 << (32 - plen)) - 1
                out.append((int.from_bytes(a, "big") | host).to_bytes(4, "big"))
        return tuple(out)

    def global6(self) -> bytes | None:
        """The first global (or ULA) IPv6 address: the link-address of Relay-Forward."""
        for a, _ in self.ipv6:
            if not (a[0] == 0xFE and a[1] & 0xC0 == 0x80):
                return a
        return None

    def has6(self, addr: bytes) -> bool:
        return any(a == addr for a, _ in self.ipv6)

    def on_link6(self, addr: bytes) -> bool:
        value = int.from_bytes(addr, "big")
        for a, plen in self.ipv6:
            if a[0] == 0xFE and a[1] & 0xC0 == 0x80:
                continue
            mask = ((1 << 128) - 1) ^ ((1 << (128 - plen)) - 1)
            if value & mask == int.from_bytes(a, "big") & mask:
                return True
        return False


def ip4(text: str) -> bytes:
    return ipaddress.IPv4Address(text).packed


def ip6(text: str) -> bytes:
    return ipaddress.IPv6Address(text.split("%")[0]).packed


def text4(addr: bytes) -> str:
    return ".".join(str(b) for b in addr)


def text6(addr: bytes) -> str:
    return str(ipaddress.IPv6Address(addr))
