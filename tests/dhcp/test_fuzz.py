"""Every DHCP decoder, and the relays fed arbitrary packets, fail only with DecodeError.

Random bytes rarely get past a header check, so besides plain ``binary()``
the strategies glue random tails onto valid prefixes (a BOOTP header with
the magic cookie, an Ethernet/IPv4/UDP frame, a DHCPv6 relay header) so the
option parsers and the relays' later branches are reached too.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chassisctl.dhcp import ipudp, option82, v4, v6
from chassisctl.dhcp.config import make
from chassisctl.dhcp.malformed import DecodeError
from chassisctl.dhcp.links import ip4, ip6
from chassisctl.dhcp.relay4 import Relay4
from chassisctl.dhcp.relay6 import Relay6
from chassisctl.errors import UsageError

from dhcp._packets import client_frame, discover, downstream_link, upstream_link

BOOTP_PREFIX = v4.encode(discover())[:240]
RELAY6_PREFIX = bytes((12, 0)) + bytes(32)

DECODERS = [v4.decode, option82.decode, v6.decode, v6.decode_options, ipudp.parse_frame, ipudp.parse_ipv4,
            lambda b: v4.scan_options(b, 0, len(b))]

payloads_v4 = st.one_of(st.binary(max_size=400), st.binary(max_size=300).map(lambda t: BOOTP_PREFIX + t))
payloads_v6 = st.one_of(st.binary(max_size=200), st.binary(max_size=200).map(lambda t: RELAY6_PREFIX + t),
                        st.binary(max_size=100).map(lambda t: bytes((1, 0, 0, 1)) + t))


@pytest.mark.parametrize("decode", DECODERS, ids=lambda f: getattr(f, "__qualname__", "scan"))
@settings(max_examples=200)
@given(data=st.one_of(payloads_v4, payloads_v6))
def test_decoders_raise_only_decode_error(decode, data: bytes) -> None:
    try:
        decode(data)
    except DecodeError:
        pass


def _relay4() -> Relay4:
    r = Relay4(make({"downstream": ["dhr0"], "servers": ["198.51.100.2"], "option82": "append",
                     "trusted": ["dhr0"], "link_selection": "dhr1", "server_id_override": True},
                    fail=UsageError), "sw1")
    r.set_links({"dhr0": downstream_link(), "dhr1": upstream_link()})
    return r


@settings(max_examples=300)
@given(payload=payloads_v4, verify=st.booleans(), giaddr=st.sampled_from([b"\0" * 4, ip4("198.51.100.1")]))
def test_relay4_never_raises(payload: bytes, verify: bool, giaddr: bytes) -> None:
    r = _relay4()
    r.receive_request("dhr0", client_frame(payload), 0.0, verify_udp=verify)
    r.receive_request("dhr0", payload, 0.0, verify_udp=verify)
    if len(payload) >= 28:
        reply = b"\x02" + payload[1:24] + giaddr + payload[28:]
        r.receive_reply("dhr1", ip4("198.51.100.2"), reply, 0.0)
    _balanced(r.counters.snapshot())


def _balanced(snapshot: dict) -> None:
    """Every packet a relay took is either relayed or dropped with a reason."""
    for counts in snapshot.values():
        assert counts["received"] == counts["relayed"] + sum(counts["dropped"].values())


@settings(max_examples=300)
@given(payload=payloads_v6, src=st.sampled_from([ip6("fe80::1:2"), ip6("2001:db8:2::2")]),
       ifname=st.sampled_from(["dhr0", "dhr1"]))
def test_relay6_never_raises(payload: bytes, src: bytes, ifname: str) -> None:
    r = Relay6(make({"downstream": ["dhr0"], "servers": ["2001:db8:2::2"], "ipv6": True, "remote_id": "mac"},
                    fail=UsageError), "sw1")
    r.set_links({"dhr0": downstream_link(), "dhr1": upstream_link()})
    r.receive(ifname, src, payload, 0.0)
    _balanced(r.counters.snapshot())
