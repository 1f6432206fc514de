"""Ethernet, IPv4 and UDP headers around DHCPv4: parse with checks, build with checksums.

A relay hears clients on a packet socket (they have no address yet, RFC 2131
§4.1) and answers them with frames it builds itself, so both directions need
the three headers.  Parsing is strict: a fragment, a bad IPv4 header checksum,
lengths that disagree or a bad UDP checksum are errors (ISC dhcrelay forwards
such packets).  The caller says when the UDP checksum must not be verified:
a packet a local sender handed to a veth with checksum offload still has a
partial checksum (``TP_STATUS_CSUMNOTREADY``), and one the NIC already
verified (``TP_STATUS_CSUM_VALID``) need not be checked twice.
Addresses stay 4-byte ``bytes`` on this path: it runs once per packet.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from chassisctl.dhcp.checksum import fold, ones_sum
from chassisctl.dhcp.malformed import ChecksumError, DecodeError, TruncatedError

ETH_HLEN = 14
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
BROADCAST_MAC = b"\xff" * 6
IP_BROADCAST = b"\xff" * 4
IPPROTO_UDP = 17
UDP_HLEN = 8

_ETH = struct.Struct("!6s6sH")
_IP = struct.Struct("!BBHHHBBH4s4s")
_UDP = struct.Struct("!HHHH")


class Udp4(NamedTuple):
    """One UDP-over-IPv4 datagram as heard on a link (a NamedTuple: one is built per packet)."""

    dst_mac: bytes
    src_mac: bytes
    src: bytes
    dst: bytes
    sport: int
    dport: int
    ttl: int
    payload: bytes


def parse_frame(frame: bytes | memoryview, *, verify_udp: bool = True) -> Udp4:
    """An Ethernet frame carrying UDP over IPv4, checked header by header."""
    if len(frame) < ETH_HLEN:
        raise TruncatedError("frame shorter than an Ethernet header")
    dst_mac, src_mac, ethertype = _ETH.unpack_from(frame)
    if ethertype != ETH_P_IP:
        raise DecodeError(f"ethertype {ethertype:#06x} is not IPv4")
    return parse_ipv4(frame, ETH_HLEN, dst_mac, src_mac, verify_udp=verify_udp)


def parse_ipv4(buf: bytes | memoryview, offset: int = 0, dst_mac: bytes = b"", src_mac: bytes = b"",
               *, verify_udp: bool = True) -> Udp4:
    """UDP over IPv4 starting at ``offset`` of ``buf``."""
    if len(buf) - offset < 20:
        raise TruncatedError("packet shorter than an IPv4 header")
    ver_ihl, _tos, total, _ident, frag, ttl, proto, _csum, src, dst = _IP.unpack_from(buf, offset)
    if ver_ihl >> 4 != 4:
        raise DecodeError("not IPv4")
    ihl = (ver_ihl & 0x0F) * 4
    if ihl < 20:
        raise DecodeError("IPv4 header length below 20")
    if total < ihl + UDP_HLEN:
        raise DecodeError("IPv4 total length too small for UDP")
    if len(buf) - offset < total:
        raise TruncatedError("IPv4 packet shorter than its total length")
    if frag & 0x3FFF:
        raise DecodeError("IPv4 fragment")
    if proto != IPPROTO_UDP:
        raise DecodeError(f"IP protocol {proto} is not UDP")
    header = buf[offset:offset + ihl]
    if ones_sum(header) != 0xFFFF:
        raise ChecksumError("bad IPv4 header checksum")
    u = offset + ihl
    sport, dport, ulen, ucsum = _UDP.unpack_from(buf, u)
    if ulen < UDP_HLEN or ulen > total - ihl:
        raise DecodeError("UDP length disagrees with the IPv4 length")
    segment = buf[u:u + ulen]
    if verify_udp and ucsum:
        pseudo = src + dst + bytes((0, IPPROTO_UDP)) + ulen.to_bytes(2, "big")
        if fold(ones_sum(pseudo), ones_sum(segment)) != 0xFFFF:
            raise ChecksumError("bad UDP checksum")
    return Udp4(dst_mac, src_mac, src, dst, sport, dport, ttl, bytes(segment[UDP_HLEN:]))


def udp_checksum(src: bytes, dst: bytes, segment: bytes) -> int:
    """The UDP checksum of ``segment`` (its checksum field zero); 0 is sent as 0xffff."""
    pseudo = src + dst + bytes((0, IPPROTO_UDP)) + len(segment).to_bytes(2, "big")
    value = ~fold(ones_sum(pseudo), ones_sum(segment)) & 0xFFFF
    return value or 0xFFFF


#: Ethernet, IPv4 (no options) and UDP headers in one: what a built frame starts with.
_HEADERS = struct.Struct("!6s6sHBBHHHBBH4s4sHHHH")


def build_frame(dst_mac: bytes, src_mac: bytes, src: bytes, dst: bytes, sport: int, dport: int,
                payload: bytes, *, ttl: int = 64) -> bytes:
    """An Ethernet frame holding UDP over IPv4, both checksums filled in.

    Every DHCPv4 reply to a client is built here, so the checksums are worked
    out arithmetically instead of over built headers (:mod:`checksum`: the
    one's complement sum is the value modulo 0xffff, and a word's place
    value is 1 modulo 0xffff).  The header fields are known numbers; only the
    payload is summed as bytes.  Same bytes as :func:`build_ipv4_udp` behind
    an Ethernet header (tests/dhcp/test_codecs.py compares them).
    """
    ulen = UDP_HLEN + len(payload)
    addresses = int.from_bytes(src, "big") + int.from_bytes(dst, "big")
    rest = (0x4500 + 20 + ulen + (ttl << 8 | IPPROTO_UDP) + addresses) % 0xFFFF
    ip_check = 0xFFFF - rest if rest else 0
    data = int.from_bytes(payload, "big")
    if ulen & 1:
        data <<= 8  # an odd-length segment is summed with a zero byte after it
    rest = (addresses + IPPROTO_UDP + 2 * ulen + sport + dport + data) % 0xFFFF
    udp_check = 0xFFFF - rest if rest else 0xFFFF
    return _HEADERS.pack(dst_mac, src_mac, ETH_P_IP, 0x45, 0, 20 + ulen, 0, 0, ttl, IPPROTO_UDP, ip_check,
                         src, dst, sport, dport, ulen, udp_check) + payload


def build_ipv4_udp(src: bytes, dst: bytes, sport: int, dport: int, payload: bytes, *, ttl: int = 64) -> bytes:
    """An IPv4 packet holding one UDP datagram, both checksums filled in."""
    return build_frame(b"", b"", src, dst, sport, dport, payload, ttl=ttl)[ETH_HLEN:]
