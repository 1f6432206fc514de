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


class FrameTemplate(NamedTuple):
    """What a frame's headers hold for every reply from one source to one link, worked out once.

    The relay sends all of a client link's replies from the same MAC,
    address and ports: only the destination and the payload change.  So
    the constant header bytes are packed here, and the constant words of
    both checksums summed here (:mod:`checksum`: the one's complement sum is
    the value modulo 0xffff, and a word's place value is 1 modulo 0xffff),
    leaving per reply the destination, two lengths and one sum over the
    payload (:func:`fill`).
    """

    #: Source MAC, ethertype, IPv4 version/IHL and TOS.
    head: bytes
    #: IPv4 identification, fragment bits, TTL and protocol.
    middle: bytes
    src: bytes
    #: UDP source and destination ports.
    ports: bytes
    #: The IPv4 header's words but total length and destination, added up (not folded).
    ip_sum: int
    #: The UDP pseudo-header's and header's words but destination and lengths, added up.
    udp_sum: int


def frame_template(src_mac: bytes, src: bytes, sport: int, dport: int, *, ttl: int = 64) -> FrameTemplate:
    """The constant part of every frame :func:`fill` builds from ``src_mac``/``src``:``sport`` to ``dport``."""
    address = int.from_bytes(src, "big")
    return FrameTemplate(struct.pack("!6sHBB", src_mac, ETH_P_IP, 0x45, 0),
                         struct.pack("!HHBB", 0, 0, ttl, IPPROTO_UDP), bytes(src), struct.pack("!HH", sport, dport),
                         0x4500 + 20 + UDP_HLEN + (ttl << 8 | IPPROTO_UDP) + address,
                         address + IPPROTO_UDP + 2 * UDP_HLEN + sport + dport)


#: A built frame's headers: destination MAC, the template's head, total length, the template's middle,
#: IPv4 checksum, source, destination, the template's ports, UDP length and checksum.
FRAME_HEADERS = struct.Struct("!6s10sH6sH4s4s4sHH")


def fill(template: FrameTemplate, dst_mac: bytes, dst: bytes, payload: bytes) -> bytes:
    """An Ethernet frame holding UDP over IPv4 from ``template`` to ``dst_mac``/``dst``, both checksums
    filled in.  ``Relay4.reply_fast`` runs these lines inlined (tests/dhcp/test_fast.py compares)."""
    size = len(payload)
    address = int.from_bytes(dst, "big")
    rest = (template.ip_sum + size + address) % 0xFFFF
    ip_check = 0xFFFF - rest if rest else 0
    data = int.from_bytes(payload, "big")
    if size & 1:
        data <<= 8  # an odd-length segment is summed with a zero byte after it
    rest = (template.udp_sum + address + 2 * size + data) % 0xFFFF
    udp_check = 0xFFFF - rest if rest else 0xFFFF
    return FRAME_HEADERS.pack(dst_mac, template.head, 20 + UDP_HLEN + size, template.middle, ip_check, template.src,
                           dst, template.ports, UDP_HLEN + size, udp_check) + payload


def build_frame(dst_mac: bytes, src_mac: bytes, src: bytes, dst: bytes, sport: int, dport: int,
                payload: bytes, *, ttl: int = 64) -> bytes:
    """An Ethernet frame holding UDP over IPv4, both checksums filled in: :func:`fill` with a template
    made for this one frame.  Same bytes as headers built and summed the plain way
    (tests/dhcp/test_codecs.py compares them)."""
    return fill(frame_template(src_mac, src, sport, dport, ttl=ttl), dst_mac, dst, payload)


def build_ipv4_udp(src: bytes, dst: bytes, sport: int, dport: int, payload: bytes, *, ttl: int = 64) -> bytes:
    """An IPv4 packet holding one UDP datagram, both checksums filled in."""
    return build_frame(b"", b"", src, dst, sport, dport, payload, ttl=ttl)[ETH_HLEN:]
