"""The LLDPDU codec against real lldpd captures, hand-built frames and hypothesis."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chassisctl.lldp import org
from chassisctl.lldp.discards import DecodeError, EncodeError
from chassisctl.lldp.frame import NEAREST_BRIDGE, build_frame, split_frame
from chassisctl.lldp.records import pdu_fields
from chassisctl.lldp.tlv import (
    Capabilities, ChassisId, Lldpdu, ManagementAddress, PortDescription, PortId, SystemDescription,
    SystemName, Ttl, UnknownTlv, decode_lldpdu, encode_lldpdu, shutdown_lldpdu)

from _fuzz import only_decode_errors
from lldp.pcapfile import DATA, frames


def pdu_of(name: str, index: int = 0) -> Lldpdu:
    return decode_lldpdu(split_frame(frames(name)[index]).payload)


# --- the captures ---------------------------------------------------------------------------

def test_lldpd_default_frame() -> None:
    (a, b) = frames("lldpd-default.pcap")
    assert a == b and len(a) == 171
    eth = split_frame(a)
    assert eth.dst == NEAREST_BRIDGE and eth.src.hex(":") == "02:00:00:00:01:01" and eth.vlan is None
    f = pdu_fields(decode_lldpdu(eth.payload))
    assert (f["chassis_id"], f["chassis_id_subtype"]) == ("02:00:00:00:01:01", "mac")
    assert (f["port_id"], f["port_id_subtype"]) == ("02:00:00:00:01:01", "mac")
    assert f["ttl"] == 4 and f["system_name"] == "lldp-peer1" and f["port_description"] == "eth0"
    assert f["system_description"].startswith("Debian GNU/Linux 12 (bookworm)") and len(f["system_description"]) == 85
    assert f["capabilities"] == {"supported": ["bridge", "wlan-ap", "router", "station"], "enabled": ["station"]}
    assert f["management_addresses"] == []
    assert f["link_aggregation"] == {"capable": True, "aggregated": False, "aggregated_port_id": 0,
                                     "source": "ieee-802.3"}
    assert f["mac_phy"]["mau_type"] == 54 and f["mac_phy"]["mau"] == "10GbaseT"
    assert not f["mac_phy"]["autoneg_supported"] and f["mac_phy"]["advertised"] == "0x8000"
    assert f["unknown_tlvs"] == [] and f["discarded_tlvs"] == [] and f["med"] is None


def test_lldpd_med_frame() -> None:
    f = pdu_fields(pdu_of("lldpd-med.pcap"))
    assert f["capabilities"] == {"supported": ["bridge", "wlan-ap", "router", "telephone", "station"],
                                 "enabled": ["telephone"]}
    assert f["management_addresses"] == [{"address": "fe80::ff:fe00:101", "family": "ipv6",
                                          "interface_subtype": "ifindex", "interface_number": 2, "oid": None}]
    med = f["med"]
    assert med["capabilities"] == {"capabilities": ["capabilities", "network-policy", "location",
                                                    "extended-power-pse", "extended-power-pd", "inventory"],
                                   "device_type": "endpoint-class-3"}
    assert med["policies"] == [{"application": "voice", "unknown": False, "tagged": False, "vlan": 100,
                                "priority": 5, "dscp": 46}]
    coordinate, civic = med["locations"]
    assert coordinate["format"] == "coordinate" and coordinate["datum"] == "WGS84"
    assert coordinate["latitude"] == pytest.approx(48.85667, abs=1e-5)
    assert coordinate["longitude"] == pytest.approx(2.2014, abs=1e-5)
    assert coordinate["altitude"] == pytest.approx(117.47, abs=0.01) and coordinate["altitude_unit"] == "meters"
    assert civic == {"format": "civic", "what": 2, "country": "FR", "elements": [
        {"type": "language", "catype": 0, "value": "en_US"}, {"type": "city", "catype": 3, "value": "Paris"},
        {"type": "street", "catype": 6, "value": "Commercial Road"}]}
    assert med["power"] == {"power_type": "pd", "source": "pse", "priority": "high", "watts": 5.0}
    assert med["inventory"]["software-revision"] == "6.18.44-fc-v657"
    assert med["inventory"]["serial-number"] is None


def test_lldpd_mgmt_frame() -> None:
    f = pdu_fields(pdu_of("lldpd-mgmt.pcap"))
    assert (f["port_id"], f["port_id_subtype"]) == ("eth0", "ifname")
    assert [m["address"] for m in f["management_addresses"]] == ["192.0.2.11", "2001:db8::11"]
    assert [m["family"] for m in f["management_addresses"]] == ["ipv4", "ipv6"]
    assert f["port_description"] == "uplink to dut port1"
    assert f["power_mdi"] == {"port_class": "pse", "supported": True, "enabled": True, "pair_control": True,
                              "pse_pairs": "spare", "class": 3}
    assert f["unknown_tlvs"] == [{"type": 127, "oui": "33:44:55", "subtype": 44, "data": "556677"}]
    assert pdu_of("lldpd-mgmt.pcap").unrecognized == 1


def test_synthetic_dot1_dot3_frame() -> None:
    f = pdu_fields(pdu_of("synth-dot1-dot3.pcap"))
    assert (f["chassis_id"], f["chassis_id_subtype"]) == ("192.0.2.50", "network-address")
    assert (f["port_id"], f["port_id_subtype"]) == ("Ethernet12", "local")
    assert f["ttl"] == 120 and f["system_name"] == "synth-switch"
    assert f["capabilities"] == {"supported": ["bridge", "router"], "enabled": ["bridge", "router"]}
    assert f["management_addresses"][0]["address"] == "192.0.2.50"
    assert f["management_addresses"][0]["interface_number"] == 12
    assert f["pvid"] == 10 and f["management_vid"] == 99
    assert f["ppvids"] == [{"ppvid": 20, "supported": True, "enabled": True}]
    assert f["vlans"] == [{"vid": 100, "name": "voice"}, {"vid": 200, "name": "data"}]
    assert f["protocols"] == ["8809010100"]
    assert f["link_aggregation"] == {"capable": True, "aggregated": True, "aggregated_port_id": 1001,
                                     "source": "ieee-802.1"}
    assert f["max_frame_size"] == 9216


def test_shutdown_frame() -> None:
    (frame,) = frames("lldpd-shutdown.pcap")
    pdu = decode_lldpdu(split_frame(frame).payload)
    assert pdu.ttl == 0 and len(pdu.tlvs) == 3 and len(split_frame(frame).payload) == 24
    assert encode_lldpdu(shutdown_lldpdu(pdu.chassis_id, pdu.port_id)) == split_frame(frame).payload


def test_cdp_is_not_lldp() -> None:
    (frame,) = frames("lldpd-cdp.pcap")
    with pytest.raises(DecodeError) as info:
        split_frame(frame)
    assert info.value.reason == "not-lldp"


def test_malformed_set() -> None:
    overlong, no_ttl, trailing, tagged = frames("synth-malformed.pcap")
    with pytest.raises(DecodeError) as info:
        decode_lldpdu(split_frame(overlong).payload)
    assert info.value.reason == "tlv-overrun"
    with pytest.raises(DecodeError) as info:
        decode_lldpdu(split_frame(no_ttl).payload)
    assert info.value.reason == "missing-ttl"
    pdu = decode_lldpdu(split_frame(trailing).payload)
    assert pdu.ttl == 120 and pdu.first(SystemName).text == "synth-switch"
    eth = split_frame(tagged)
    assert eth.vlan == 5 and decode_lldpdu(eth.payload) == pdu


@pytest.mark.parametrize("name", ["lldpd-default.pcap", "lldpd-med.pcap", "lldpd-mgmt.pcap",
                                  "lldpd-shutdown.pcap", "synth-dot1-dot3.pcap"])
def test_captures_encode_back_to_the_same_bytes(name: str) -> None:
    for frame in frames(name):
        eth = split_frame(frame)
        again = encode_lldpdu(decode_lldpdu(eth.payload))
        assert eth.payload.startswith(again) and not eth.payload[len(again):].strip(b"\x00")
        assert build_frame(eth.src, again) == frame[:14 + len(again)]


# --- what lldpcli reported for the same peer ------------------------------------------------

def _json0_port(name: str) -> dict:
    doc = json.loads((DATA / "lldpcli-dut-neighbors-details.json0").read_text())
    return next(i for i in doc["lldp"][0]["interface"] if i["name"] == name)


LLDPCLI_CAPS = {"Bridge": "bridge", "Router": "router", "Wlan": "wlan-ap", "Station": "station",
                "Tel": "telephone", "Repeater": "repeater", "Other": "other", "Docsis": "docsis"}


def test_the_default_capture_decodes_to_what_lldpcli_showed_for_peer1() -> None:
    """lldpd-default.pcap is peer1's frame; lldpcli on the DUT showed peer1 on port1."""
    ref = _json0_port("port1")
    chassis, port = ref["chassis"][0], ref["port"][0]
    f = pdu_fields(pdu_of("lldpd-default.pcap"))
    assert f["chassis_id"] == chassis["id"][0]["value"] and chassis["id"][0]["type"] == f["chassis_id_subtype"]
    assert f["system_name"] == chassis["name"][0]["value"]
    assert f["system_description"] == chassis["descr"][0]["value"]
    assert f["port_id"] == port["id"][0]["value"] and port["id"][0]["type"] == f["port_id_subtype"]
    assert f["port_description"] == port["descr"][0]["value"]
    assert str(f["ttl"]) == port["ttl"][0]["value"]
    assert sorted(LLDPCLI_CAPS[c["type"]] for c in chassis["capability"]) == sorted(f["capabilities"]["supported"])
    assert [LLDPCLI_CAPS[c["type"]] for c in chassis["capability"] if c["enabled"]] == f["capabilities"]["enabled"]
    autoneg = port["auto-negotiation"][0]
    assert autoneg["supported"] == f["mac_phy"]["autoneg_supported"]
    assert autoneg["enabled"] == f["mac_phy"]["autoneg_enabled"]
    assert autoneg["current"][0]["value"].startswith(f["mac_phy"]["mau"])


def test_the_mgmt_capture_matches_lldpcli_port_id_kind() -> None:
    """peer2 ran with portidsubtype ifname, as lldpd-mgmt.pcap's sender did."""
    ref = _json0_port("port2")["port"][0]["id"][0]
    f = pdu_fields(pdu_of("lldpd-mgmt.pcap"))
    assert (f["port_id_subtype"], f["port_id"]) == (ref["type"], ref["value"])


# --- malformed LLDPDUs, one reason each -----------------------------------------------------

CH = ChassisId(4, bytes.fromhex("020000000101")).encode()
PO = PortId(5, b"eth0").encode()
TT = Ttl(120).encode()


@pytest.mark.parametrize("data,reason", [
    (b"", "truncated"),
    (b"\x02", "truncated"),
    (CH[:-1], "tlv-overrun"),
    (PO + CH + TT, "missing-chassis-id"),
    (CH + TT + PO, "missing-port-id"),
    (CH + PO + SystemName("x").encode() + TT, "missing-ttl"),
    (CH + PO, "missing-ttl"),
    (b"\x02\x01\x04" + PO + TT, "bad-chassis-id"),
    (CH + b"\x04\x01\x05" + TT, "bad-port-id"),
    (CH + PO + b"\x06\x03\x00\x00\x01", "bad-ttl"),
    (CH + PO + TT + PO, "duplicate-mandatory"),
    (CH + PO + TT + TT, "duplicate-mandatory"),
    (CH + PO + TT + b"\x0a", "truncated"),
])
def test_malformed_lldpdus_are_discarded_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(DecodeError) as info:
        decode_lldpdu(data)
    assert info.value.reason == reason


def test_bad_optional_tlvs_are_discarded_alone_and_listed() -> None:
    pdu = decode_lldpdu(CH + PO + TT + SystemName("a").encode() + SystemName("b").encode()
                        + b"\x0e\x03\x00\x80\x00"                                  # capabilities of 3 bytes
                        + b"\x10\x04\x09\x01\x02\x03"                              # mgmt length past its TLV
                        + org.tlv(127, bytes.fromhex("0080c20200"))                # 802.1 PPVID of 1 byte
                        + org.tlv(127, b"\x00\x80")                                # org TLV without subtype
                        + b"\x00\x00")
    assert pdu.first(SystemName).text == "a"
    assert [d.reason.split(":")[0] for d in pdu.discarded] == [
        "duplicate", "bad-length", "malformed", "malformed ieee-802.1 subtype 2",
        "org TLV shorter than its OUI and subtype"]


def test_reserved_types_are_kept_raw_and_bytes_after_end_ignored() -> None:
    pdu = decode_lldpdu(CH + PO + TT + UnknownTlv(42, b"\x01\x02").encode() + b"\x00\x00garbage")
    assert pdu.tlvs[3] == UnknownTlv(42, b"\x01\x02") and pdu.unrecognized == 1
    assert pdu_fields(pdu)["unknown_tlvs"] == [{"type": 42, "oui": None, "subtype": None, "data": "0102"}]


def test_missing_end_is_accepted_and_undecodable_text_survives() -> None:
    pdu = decode_lldpdu(CH + PO + TT + b"\x0a\x02\xff\xfe")
    assert encode_lldpdu(pdu) == CH + PO + TT + b"\x0a\x02\xff\xfe\x00\x00"
    assert pdu_fields(pdu)["system_name"] == "\ufffd\ufffd"
    json.dumps(pdu_fields(pdu), ensure_ascii=False).encode("utf-8")  # printable for the CLI


def test_encoder_refuses_what_does_not_fit() -> None:
    with pytest.raises(EncodeError):
        SystemDescription("x" * 512).encode()
    with pytest.raises(EncodeError):
        ChassisId(7, b"").encode()
    with pytest.raises(EncodeError):
        encode_lldpdu(Lldpdu((PortId(5, b"x"), ChassisId(7, b"y"), Ttl(1))))


# --- fuzz and round trip ---------------------------------------------------------------------

def _frame(data: bytes) -> object:
    return decode_lldpdu(split_frame(data).payload)


def _org(data: bytes) -> object:
    return org.decode_org(data)


def _fields(data: bytes) -> object:
    try:
        pdu = decode_lldpdu(data)
    except DecodeError:
        raise
    return json.dumps(pdu_fields(pdu), ensure_ascii=False).encode()


test_decoders_raise_only_decode_error = only_decode_errors(
    [decode_lldpdu, split_frame, _frame, _org, _fields], max_size=300, error=DecodeError)


@settings(max_examples=200)
@given(st.lists(st.sampled_from([
    b"\x08", b"\x0a", b"\x0c", b"\x0e\x04", b"\x10", b"\xfe", b"\x00\x80\xc2", b"\x00\x12\x0f", b"\x00\x12\xbb",
    b"\x01", b"\x02", b"\x03", b"\x05", b"\x07", b"\x00", b"\xff", b"\x20"]), max_size=40))
def test_structured_garbage_after_valid_header(parts: list[bytes]) -> None:
    """Byte soup built from TLV-ish pieces reaches the deeper decoders more often than random bytes."""
    try:
        pdu = decode_lldpdu(CH + PO + TT + b"".join(parts))
    except DecodeError:
        return
    json.dumps(pdu_fields(pdu), ensure_ascii=False).encode()


_u16 = st.integers(0, 0xFFFF)
_u8 = st.integers(0, 0xFF)
_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40).filter(
    lambda s: len(s.encode()) <= 200)
_name32 = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=8)
_bytes = st.binary(min_size=1, max_size=40)

OPTIONAL = st.one_of(
    _text.map(PortDescription), _text.map(SystemName), _text.map(SystemDescription),
    st.builds(Capabilities, _u16, _u16),
    st.builds(ManagementAddress, st.sampled_from([1, 2, 6]), st.binary(min_size=1, max_size=31),
              st.sampled_from([1, 2, 3]), st.integers(0, 2**32 - 1), st.binary(max_size=20)),
    st.builds(UnknownTlv, st.integers(9, 126), st.binary(max_size=60)),
    st.builds(org.PortVlanId, _u16), st.builds(org.ProtocolVlanId, _u8, _u16),
    st.builds(org.VlanName, _u16, _name32), st.builds(org.ProtocolIdentity, st.binary(max_size=20)),
    st.builds(org.ManagementVid, _u16), st.builds(org.LinkAggregation, _u8, st.integers(0, 2**32 - 1), st.booleans()),
    st.builds(org.MacPhy, _u8, _u16, _u16), st.builds(org.PowerViaMdi, _u8, _u8, _u8, st.binary(max_size=12)),
    st.builds(org.MaxFrameSize, _u16), st.builds(org.MedCapabilities, _u16, _u8),
    st.builds(org.NetworkPolicy, _u8, st.booleans(), st.booleans(), st.integers(0, 4095), st.integers(0, 7),
              st.integers(0, 63)),
    st.builds(org.Location, st.just(1), st.binary(min_size=16, max_size=16)),
    st.builds(org.Location, st.just(3), st.binary(min_size=10, max_size=25)),
    st.builds(org.ExtendedPower, st.integers(0, 3), st.integers(0, 3), st.integers(0, 15), _u16),
    st.builds(org.Inventory, st.integers(5, 11), st.text(st.characters(codec="ascii"), max_size=32)),
    st.builds(org.UnknownOrgTlv, st.integers(0, 0xFFFFFF).filter(lambda o: o not in (org.DOT1, org.DOT3, org.MED)),
              _u8, st.binary(max_size=30)),
)


@settings(max_examples=300)
@given(st.builds(ChassisId, st.integers(1, 7), _bytes), st.builds(PortId, st.integers(1, 7), _bytes),
       st.builds(Ttl, _u16), st.lists(OPTIONAL, max_size=8))
def test_round_trip(chassis, port, ttl, rest) -> None:
    singles = set()
    optional = []
    for item in rest:  # one of each basic optional TLV, as the decoder keeps
        if type(item) in (PortDescription, SystemName, SystemDescription, Capabilities):
            if type(item) in singles:
                continue
            singles.add(type(item))
        optional.append(item)
    pdu = Lldpdu((chassis, port, ttl, *optional))
    data = encode_lldpdu(pdu)
    assert decode_lldpdu(data) == pdu
    assert encode_lldpdu(decode_lldpdu(data)) == data
    json.dumps(pdu_fields(pdu), ensure_ascii=False)
