"""The DHCP codecs: checksums, IPv4/UDP framing, BOOTP/DHCPv4, option 82, DHCPv6."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chassisctl.dhcp import checksum, ipudp, option82, v4, v6
from chassisctl.dhcp.malformed import ChecksumError, DecodeError, TruncatedError
from chassisctl.dhcp.links import ip4

from dhcp._packets import CLIENT_MAC, RELAY_MAC, discover, client_frame


def naive_sum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = 0
    for i in range(0, len(data), 2):
        total += (data[i] << 8) | data[i + 1]
        total = (total & 0xFFFF) + (total >> 16)
    return total


@pytest.mark.parametrize("data", [b"", b"\0\0", b"\xff\xff", b"\x01", b"\x45\x00\x00\x1c" * 5, bytes(range(256)),
                                  b"\xff\xff\xff\xff", b"\x00\x01\xff\xfe"])
def test_ones_sum_matches_the_rfc1071_loop(data: bytes) -> None:
    assert checksum.ones_sum(data) == naive_sum(data)


def test_rfc1071_example() -> None:
    # RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
    assert checksum.ones_sum(bytes.fromhex("0001f203f4f5f6f7")) == 0xDDF2
    assert checksum.checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0x220D


def test_frame_round_trip_and_checksums() -> None:
    frame = ipudp.build_frame(ipudp.BROADCAST_MAC, RELAY_MAC, ip4("192.0.2.1"), ip4("255.255.255.255"), 67, 68,
                              b"hello!x")
    packet = ipudp.parse_frame(frame)
    assert (packet.src, packet.dst, packet.sport, packet.dport, packet.payload) == \
        (ip4("192.0.2.1"), ip4("255.255.255.255"), 67, 68, b"hello!x")
    assert packet.src_mac == RELAY_MAC and packet.dst_mac == ipudp.BROADCAST_MAC
    ip = frame[14:]
    assert checksum.ones_sum(ip[:20]) == 0xFFFF
    # An odd-length payload still verifies (pad byte), and a zero UDP checksum means "none".
    zero = bytearray(frame)
    zero[14 + 20 + 6:14 + 20 + 8] = b"\0\0"
    assert ipudp.parse_frame(bytes(zero)).payload == b"hello!x"


def reference_frame(dst_mac: bytes, src_mac: bytes, src: bytes, dst: bytes, sport: int, dport: int,
                    payload: bytes, ttl: int) -> bytes:
    """The frame built the plain way: headers packed, then checksummed as bytes (RFC 768, RFC 791)."""
    ulen = 8 + len(payload)
    segment = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    pseudo = src + dst + bytes((0, 17)) + ulen.to_bytes(2, "big")
    udp = ~checksum.fold(checksum.ones_sum(pseudo), checksum.ones_sum(segment)) & 0xFFFF or 0xFFFF
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 0, 0, ttl, 17, 0, src, dst)
    header = header[:10] + checksum.checksum(header).to_bytes(2, "big") + header[12:]
    return dst_mac + src_mac + b"\x08\x00" + header + segment[:6] + udp.to_bytes(2, "big") + segment[8:]


@settings(max_examples=300, deadline=None)
@given(macs=st.binary(min_size=12, max_size=12), src=st.binary(min_size=4, max_size=4),
       dst=st.binary(min_size=4, max_size=4), sport=st.integers(0, 0xFFFF), dport=st.integers(0, 0xFFFF),
       payload=st.one_of(st.binary(max_size=700), st.sampled_from([b"", b"\0", b"\xff" * 7, bytes(300)])),
       ttl=st.sampled_from([64, 0, 1, 255]))
def test_build_frame_matches_the_plain_way(macs, src, dst, sport, dport, payload, ttl) -> None:
    frame = ipudp.build_frame(macs[:6], macs[6:], src, dst, sport, dport, payload, ttl=ttl)
    assert frame == reference_frame(macs[:6], macs[6:], src, dst, sport, dport, payload, ttl)
    assert ipudp.build_ipv4_udp(src, dst, sport, dport, payload, ttl=ttl) == frame[14:]
    assert ipudp.parse_frame(frame).payload == payload


@settings(max_examples=200, deadline=None)
@given(macs=st.binary(min_size=12, max_size=12), src=st.binary(min_size=4, max_size=4),
       frames=st.lists(st.tuples(st.binary(min_size=6, max_size=6), st.binary(min_size=4, max_size=4),
                                 st.binary(max_size=600)), min_size=1, max_size=4),
       ttl=st.sampled_from([64, 1, 255]))
def test_one_template_serves_every_frame_from_its_source(macs, src, frames, ttl) -> None:
    """A reply template is made once per client link and filled for every reply sent there."""
    template = ipudp.frame_template(macs[:6], src, 67, 68, ttl=ttl)
    for dst_mac, dst, payload in frames:
        assert ipudp.fill(template, dst_mac, dst, payload) == reference_frame(dst_mac, macs[:6], src, dst, 67, 68,
                                                                              payload, ttl)


def test_build_frame_where_the_sums_come_to_zero() -> None:
    """The two corner cases of one's complement: a UDP sum of zero is sent as 0xffff, an IPv4 one as 0."""
    src, dst = ip4("192.0.2.1"), ip4("198.51.100.9")
    base = (int.from_bytes(src, "big") + int.from_bytes(dst, "big") + 17 + 2 * 10 + 67 + 68) % 0xFFFF
    payload = ((-base) % 0xFFFF).to_bytes(2, "big")
    frame = ipudp.build_frame(ipudp.BROADCAST_MAC, RELAY_MAC, src, dst, 67, 68, payload)
    assert frame[40:42] == b"\xff\xff"
    assert frame == reference_frame(ipudp.BROADCAST_MAC, RELAY_MAC, src, dst, 67, 68, payload, 64)
    # the IPv4 header: pick a destination that brings its sum to 0 modulo 0xffff
    rest = (0x4500 + 30 + (64 << 8 | 17) + int.from_bytes(src, "big")) % 0xFFFF
    dst = ((-rest) % 0xFFFF).to_bytes(4, "big")
    frame = ipudp.build_frame(ipudp.BROADCAST_MAC, RELAY_MAC, src, dst, 67, 68, payload)
    assert frame[24:26] == b"\0\0"
    assert frame == reference_frame(ipudp.BROADCAST_MAC, RELAY_MAC, src, dst, 67, 68, payload, 64)


def test_bad_checksums_are_checksum_errors() -> None:
    frame = bytearray(client_frame(discover()))
    frame[14 + 20 + 6] ^= 0x55
    with pytest.raises(ChecksumError):
        ipudp.parse_frame(bytes(frame))
    assert ipudp.parse_frame(bytes(frame), verify_udp=False).dport == 67  # CSUMNOTREADY: not checked
    header = bytearray(client_frame(discover()))
    header[14 + 10] ^= 1
    with pytest.raises(ChecksumError) as info:
        ipudp.parse_frame(bytes(header), verify_udp=False)  # the IP header is always checked
    assert info.value.reason == "bad_checksum"


@pytest.mark.parametrize("mutate, error", [
    (lambda f: f[:30], TruncatedError),
    (lambda f: f[:12] + b"\x86\xdd" + f[14:], DecodeError),
    (lambda f: f[:14 + 6] + b"\x20\x00" + f[14 + 8:], DecodeError),        # more fragments
    (lambda f: f[:14 + 9] + b"\x06" + f[14 + 10:], DecodeError),           # TCP
    (lambda f: f[:-10], TruncatedError),                                    # shorter than total length
])
def test_malformed_frames(mutate, error) -> None:
    with pytest.raises(error):
        ipudp.parse_frame(mutate(client_frame(discover())), verify_udp=False)


def test_bootp_round_trip() -> None:
    msg = discover(extra=((v4.Opt.HOSTNAME, b"client"),))
    data = v4.encode(msg)
    assert len(data) == 300 and data[236:240] == v4.MAGIC
    back = v4.decode(data)
    assert back == msg
    assert back.message_type == v4.MessageType.DISCOVER and back.broadcast and back.mac == CLIENT_MAC


def test_long_option_split_and_concatenated() -> None:
    msg = discover(extra=((v4.Opt.HOSTNAME, b"a" * 255), (v4.Opt.HOSTNAME, b"b" * 10)))
    assert v4.decode(v4.encode(msg)).get(v4.Opt.HOSTNAME) == b"a" * 255 + b"b" * 10


def test_truncated_and_endless_options() -> None:
    data = v4.encode(discover())
    end = data.index(b"\xff", 240)
    with pytest.raises(TruncatedError):
        v4.decode(data[:end] + b"\x0c\x10abc")  # hostname claims 16 bytes, 3 left
    with pytest.raises(TruncatedError):
        v4.decode(data[:end])                   # no End
    with pytest.raises(TruncatedError):
        v4.decode(data[:200])


def test_plain_bootp_keeps_vendor_area() -> None:
    data = v4.encode(discover())[:236] + b"\x01\x02" + bytes(62)
    msg = v4.decode(data)
    assert msg.options is None and msg.vend == b"\x01\x02" + bytes(62) and msg.get(53) is None


def test_overloaded_fields_are_read_and_stripped() -> None:
    file_opts = v4.encode_options([(v4.Opt.AGENT_INFO, b"\x01\x02ab"), (v4.Opt.HOSTNAME, b"h")])
    msg = discover(extra=((v4.Opt.OVERLOAD, b"\x01"), (v4.Opt.AGENT_INFO, b"\x02\x01z")))
    msg = msg._replace(file=file_opts.ljust(128, b"\0"))
    data = v4.encode(msg)
    decoded = v4.decode(data)
    assert decoded.overload_options == ((82, b"\x01\x02ab"), (12, b"h"))
    assert decoded.get(v4.Opt.AGENT_INFO) == b"\x02\x01z\x01\x02ab"
    stripped = v4.decode(v4.with_options(data, decoded, drop=v4.Opt.AGENT_INFO))
    assert stripped.get(v4.Opt.AGENT_INFO) is None
    assert stripped.get(v4.Opt.HOSTNAME) == b"h" and stripped.message_type == 1


def test_with_options_puts_82_last_and_keeps_the_rest() -> None:
    msg = discover(extra=((v4.Opt.AGENT_INFO, b"\x01\x01x"), (v4.Opt.HOSTNAME, b"pc")))
    data = v4.encode(msg)
    edited = v4.with_options(data, v4.decode(data), drop=82, append=(82, b"\x01\x04dhr0"), hops=1,
                             giaddr=ip4("192.0.2.1"))
    back = v4.decode(edited)
    assert back.options[-1] == (82, b"\x01\x04dhr0")
    assert [c for c, _ in back.options].count(82) == 1
    assert back.hops == 1 and back.giaddr == ip4("192.0.2.1") and back.get(12) == b"pc"
    assert len(edited) >= 300 and edited[:3] == data[:3] and edited[4:24] == data[4:24]
    # Option 82 with circuit ID "dhr0" (RFC 3046 §2.0, §3.1), byte for byte as dhcrelay -a inserts it.
    assert edited[edited.index(b"\x52\x06"):][:8] == bytes.fromhex("5206010464687230")


def test_with_header_changes_only_hops_and_giaddr() -> None:
    data = v4.encode(discover())
    out = v4.with_header(data, hops=3, giaddr=ip4("203.0.113.9"))
    assert len(out) == len(data)
    diff = [i for i in range(len(data)) if out[i] != data[i]]
    assert set(diff) <= {3, 24, 25, 26, 27}


def test_max_message_size() -> None:
    assert v4.max_message_size(discover()) == 576
    assert v4.max_message_size(discover(extra=((57, b"\x05\xdc"),))) == 1500
    assert v4.max_message_size(discover(extra=((57, b"\x01\x00"),))) == 576


def test_option82_suboptions() -> None:
    value = option82.encode([(1, b"dhr0"), (2, b"host"), (5, ip4("192.0.2.1"))])
    subs = option82.decode(value)
    assert option82.find(subs, 2) == b"host" and option82.address(subs, 5) == ip4("192.0.2.1")
    with pytest.raises(TruncatedError):
        option82.decode(value[:-1])
    with pytest.raises(DecodeError):
        option82.address(option82.decode(b"\x05\x02ab"), 5)


@pytest.mark.parametrize("text, expect", [
    ("ifname", b"eth0.100"), ("hostname:ifname", b"sw1:eth0.100"), ("hostname", b"sw1"), ("vlan", b"100"),
    ("mac", b"02:00:00:00:aa:00"), ("hex:0a0B", b"\x0a\x0b"), ("string:rack 4", b"rack 4")])
def test_id_formats(text: str, expect: bytes) -> None:
    fmt = option82.parse_format(text)
    assert fmt.render("eth0.100", "sw1", 100, RELAY_MAC) == expect
    assert str(option82.parse_format(str(fmt))) == str(fmt)


@pytest.mark.parametrize("text", ["", "port", "hex:abc", "hex:zz", "string:", "hex:" + "00" * 256])
def test_bad_id_formats(text: str) -> None:
    with pytest.raises(ValueError):
        option82.parse_format(text)


def test_vlan_format_without_vlan() -> None:
    assert option82.parse_format("vlan").render("eth0", "sw1", None, RELAY_MAC) is None


def test_dhcpv6_round_trip_and_relay_nesting() -> None:
    inner = v6.encode(v6.Message(v6.MsgType.SOLICIT, 0x010203, ((1, b"duid"), (8, b"\0\0"))))
    assert v6.decode(inner) == v6.Message(1, 0x010203, ((1, b"duid"), (8, b"\0\0")))
    fwd = v6.relay_forward(0, bytes(16), b"\xfe\x80" + bytes(14), inner, [(18, b"dhr0")])
    msg = v6.decode(fwd)
    assert isinstance(msg, v6.RelayMessage) and msg.get(9) == inner and msg.get(18) == b"dhr0"
    assert v6.encode(msg) == fwd
    twice = v6.relay_forward(1, bytes(16), bytes(16), fwd)
    assert v6.decode(twice).hop_count == 1


def test_dhcpv6_errors() -> None:
    with pytest.raises(TruncatedError):
        v6.decode(b"\x01\x00\x00")
    with pytest.raises(TruncatedError):
        v6.decode(b"\x01\x00\x00\x01\x00\x01\x00\x08abc")
    with pytest.raises(DecodeError):
        v6.decode(bytes((12, 0)) + bytes(32))  # relay message without option 9
    bad_inner = v6.relay_forward(0, bytes(16), bytes(16), b"\x01\x00")
    with pytest.raises(TruncatedError):
        v6.decode(bad_inner)
    deep = b"\x01\x00\x00\x01"
    for _ in range(40):
        deep = v6.relay_forward(0, bytes(16), bytes(16), deep)
    with pytest.raises(DecodeError):
        v6.decode(deep)
    assert struct.calcsize("!BB16s16s") == v6.RELAY_HEADER
