"""Builders of DHCPv4/v6 test packets shared by the tests/dhcp modules."""

from __future__ import annotations

from chassisctl.dhcp import ipudp, v4, v6
from chassisctl.dhcp.links import Link, ip4, ip6

CLIENT_MAC = bytes.fromhex("020000000a01")
RELAY_MAC = bytes.fromhex("02000000aa00")
UPLINK_MAC = bytes.fromhex("02000000bb00")


def discover(*, xid: int = 0x1234, hops: int = 0, giaddr: str = "0.0.0.0", flags: int = v4.FLAG_BROADCAST,
             extra: tuple[tuple[int, bytes], ...] = (), ciaddr: str = "0.0.0.0",
             msg_type: int = v4.MessageType.DISCOVER) -> v4.Message:
    return v4.Message(op=1, xid=xid, chaddr=CLIENT_MAC.ljust(16, b"\0"), hops=hops, flags=flags,
                      giaddr=ip4(giaddr), ciaddr=ip4(ciaddr),
                      options=((v4.Opt.MESSAGE_TYPE, bytes((msg_type,))),
                               (v4.Opt.PARAMETER_LIST, bytes((1, 3, 6))), *extra))


def offer(request: v4.Message, *, yiaddr: str = "192.0.2.50", flags: int | None = None,
          extra: tuple[tuple[int, bytes], ...] = (), msg_type: int = v4.MessageType.OFFER) -> v4.Message:
    return v4.Message(op=2, xid=request.xid, chaddr=request.chaddr, hops=request.hops,
                      flags=request.flags if flags is None else flags, giaddr=request.giaddr,
                      ciaddr=request.ciaddr, yiaddr=ip4(yiaddr),
                      options=((v4.Opt.MESSAGE_TYPE, bytes((msg_type,))),
                               (v4.Opt.SERVER_ID, ip4("198.51.100.2")), *extra))


def client_frame(msg: v4.Message | bytes, *, src: str = "0.0.0.0", dst: str = "255.255.255.255",
                 dst_mac: bytes = ipudp.BROADCAST_MAC, dport: int = 67) -> bytes:
    payload = msg if isinstance(msg, bytes) else v4.encode(msg)
    return ipudp.build_frame(dst_mac, CLIENT_MAC, ip4(src), ip4(dst), 68, dport, payload)


def downstream_link(name: str = "dhr0", index: int = 2, address: str = "192.0.2.1", plen: int = 24,
                    vlan: int | None = None, more: tuple[tuple[str, int], ...] = ()) -> Link:
    return Link(name, index, RELAY_MAC, True, ((ip4(address), plen), *((ip4(a), p) for a, p in more)),
                ((ip6("2001:db8:1::1"), 64), (ip6("fe80::1"), 64)), vlan)


def upstream_link(name: str = "dhr1", index: int = 3, address: str = "198.51.100.1") -> Link:
    return Link(name, index, UPLINK_MAC, True, ((ip4(address), 24),),
                ((ip6("2001:db8:2::1"), 64), (ip6("fe80::2"), 64)))


def solicit(xid: int = 0xABCDEF) -> bytes:
    return v6.encode(v6.Message(v6.MsgType.SOLICIT, xid, ((v6.Opt6.CLIENTID, b"\x00\x03\x00\x01" + CLIENT_MAC),
                                                          (v6.Opt6.ELAPSED_TIME, b"\x00\x00"))))
