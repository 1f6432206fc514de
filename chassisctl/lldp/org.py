"""Organizationally specific TLVs (type 127): IEEE 802.1, IEEE 802.3, LLDP-MED.

An org TLV carries a 3-byte OUI, a 1-byte subtype and up to 507 bytes of
information (IEEE 802.1AB-2016 §8.6).  The ones defined by

* IEEE 802.1Q-2018 Annex D (OUI 00-80-C2): Port VLAN ID, Port And Protocol
  VLAN ID, VLAN Name, Protocol Identity, Management VID, Link Aggregation;
* IEEE 802.3-2018 Clause 79 (OUI 00-12-0F): MAC/PHY Configuration/Status,
  Power via MDI, Link Aggregation (deprecated, moved to 802.1), Maximum
  Frame Size;
* ANSI/TIA-1057 LLDP-MED (OUI 00-12-BB): Capabilities, Network Policy,
  Location Identification (coordinate per RFC 3825, civic per RFC 4776,
  ELIN), Extended Power-via-MDI, Inventory

decode into the classes below.  Any other OUI or subtype stays raw in
:class:`UnknownOrgTlv` (OUI, subtype, bytes) and counts as unrecognised; a
known one whose contents do not fit its layout is discarded alone, with the
reason, as §9.2.7.7.2 asks — never guessed at.

Each class encodes itself (``encode()``, the whole TLV) and says what it
means for output (``to_dict()``, stable words rather than bit masks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

from chassisctl.lldp import names
from chassisctl.lldp.discards import EncodeError
from chassisctl.lldp.wire import DiscardedTlv, fast_init, tlv, wire_bytes, wire_text

ORG = 127
DOT1 = 0x0080C2
DOT3 = 0x00120F
MED = 0x0012BB
OUI_NAMES = {DOT1: "ieee-802.1", DOT3: "ieee-802.3", MED: "tia-lldp-med"}


def _org(oui: int, subtype: int, info: bytes) -> bytes:
    if len(info) > 507:
        raise EncodeError(f"org TLV {oui:06x}/{subtype}: {len(info)} bytes of information (507 at most)")
    return tlv(ORG, oui.to_bytes(3, "big") + bytes((subtype,)) + info)


def _u16(v: bytes, i: int = 0) -> int:
    return (v[i] << 8) | v[i + 1]


# --- IEEE 802.1 ---------------------------------------------------------------------------

@fast_init
@dataclass(frozen=True, slots=True)
class PortVlanId:
    vid: int

    def encode(self) -> bytes:
        return _org(DOT1, 1, self.vid.to_bytes(2, "big"))

    def to_dict(self) -> dict[str, Any]:
        return {"pvid": self.vid}


@fast_init
@dataclass(frozen=True, slots=True)
class ProtocolVlanId:
    flags: int   # bit 1 supported, bit 2 enabled
    ppvid: int

    def encode(self) -> bytes:
        return _org(DOT1, 2, bytes((self.flags,)) + self.ppvid.to_bytes(2, "big"))

    def to_dict(self) -> dict[str, Any]:
        return {"ppvid": self.ppvid, "supported": bool(self.flags & 2), "enabled": bool(self.flags & 4)}


@fast_init
@dataclass(frozen=True, slots=True)
class VlanName:
    vid: int
    name: str

    def encode(self) -> bytes:
        raw = wire_bytes(self.name)
        if not 1 <= len(raw) <= 32:
            raise EncodeError(f"VLAN name of {len(raw)} bytes (1..32)")
        return _org(DOT1, 3, self.vid.to_bytes(2, "big") + bytes((len(raw),)) + raw)

    def to_dict(self) -> dict[str, Any]:
        from chassisctl.lldp.wire import printable

        return {"vid": self.vid, "name": printable(self.name)}


@fast_init
@dataclass(frozen=True, slots=True)
class ProtocolIdentity:
    protocol: bytes

    def encode(self) -> bytes:
        return _org(DOT1, 4, bytes((len(self.protocol),)) + self.protocol)

    def to_dict(self) -> dict[str, Any]:
        return {"protocol": self.protocol.hex()}


@fast_init
@dataclass(frozen=True, slots=True)
class ManagementVid:
    vid: int

    def encode(self) -> bytes:
        return _org(DOT1, 6, self.vid.to_bytes(2, "big"))

    def to_dict(self) -> dict[str, Any]:
        return {"management_vid": self.vid}


@fast_init
@dataclass(frozen=True, slots=True)
class LinkAggregation:
    """802.1 subtype 7, or the deprecated 802.3 subtype 3 form (``dot3``) lldpd still sends."""

    status: int   # bit 0 capable, bit 1 enabled
    port_id: int
    dot3: bool = False

    def encode(self) -> bytes:
        info = bytes((self.status,)) + self.port_id.to_bytes(4, "big")
        return _org(DOT3, 3, info) if self.dot3 else _org(DOT1, 7, info)

    def to_dict(self) -> dict[str, Any]:
        return {"capable": bool(self.status & 1), "aggregated": bool(self.status & 2),
                "aggregated_port_id": self.port_id, "source": "ieee-802.3" if self.dot3 else "ieee-802.1"}


# --- IEEE 802.3 ---------------------------------------------------------------------------

@fast_init
@dataclass(frozen=True, slots=True)
class MacPhy:
    autoneg: int      # bit 0 supported, bit 1 enabled
    advertised: int   # PMD auto-negotiation advertised capability
    mau_type: int     # operational MAU type (RFC 4836)

    def encode(self) -> bytes:
        return _org(DOT3, 1, bytes((self.autoneg,)) + self.advertised.to_bytes(2, "big")
                    + self.mau_type.to_bytes(2, "big"))

    def to_dict(self) -> dict[str, Any]:
        return {"autoneg_supported": bool(self.autoneg & 1), "autoneg_enabled": bool(self.autoneg & 2),
                "advertised": f"0x{self.advertised:04x}", "mau_type": self.mau_type,
                "mau": names.MAU_TYPES.get(self.mau_type)}


@fast_init
@dataclass(frozen=True, slots=True)
class PowerViaMdi:
    support: int      # bit 0 port class PSE, 1 supported, 2 enabled, 3 pair control
    pse_pair: int     # 1 signal, 2 spare
    power_class: int  # class + 1 (1..5)
    #: 802.3at/bt additions (type/source/priority, requested, allocated, …), raw.
    extension: bytes = b""

    def encode(self) -> bytes:
        return _org(DOT3, 2, bytes((self.support, self.pse_pair, self.power_class)) + self.extension)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "port_class": "pse" if self.support & 1 else "pd", "supported": bool(self.support & 2),
            "enabled": bool(self.support & 4), "pair_control": bool(self.support & 8),
            "pse_pairs": {1: "signal", 2: "spare"}.get(self.pse_pair, self.pse_pair),
            "class": self.power_class - 1 if 1 <= self.power_class <= 5 else None}
        if len(self.extension) >= 5:
            ext = self.extension
            out.update(power_type=2 if ext[0] & 0x40 else 1,
                       requested_w=_u16(ext, 1) / 10, allocated_w=_u16(ext, 3) / 10)
        return out


@fast_init
@dataclass(frozen=True, slots=True)
class MaxFrameSize:
    size: int

    def encode(self) -> bytes:
        return _org(DOT3, 4, self.size.to_bytes(2, "big"))

    def to_dict(self) -> dict[str, Any]:
        return {"max_frame_size": self.size}


# --- LLDP-MED (ANSI/TIA-1057) ---------------------------------------------------------------

@fast_init
@dataclass(frozen=True, slots=True)
class MedCapabilities:
    capabilities: int
    device_type: int

    def encode(self) -> bytes:
        return _org(MED, 1, self.capabilities.to_bytes(2, "big") + bytes((self.device_type,)))

    def to_dict(self) -> dict[str, Any]:
        return {"capabilities": names.bits(self.capabilities, names.MED_CAPABILITIES),
                "device_type": names.MED_DEVICE_TYPES.get(self.device_type, str(self.device_type))}


@fast_init
@dataclass(frozen=True, slots=True)
class NetworkPolicy:
    application: int
    unknown: bool
    tagged: bool
    vlan: int
    priority: int
    dscp: int

    def encode(self) -> bytes:
        bits = ((self.unknown << 23) | (self.tagged << 22) | ((self.vlan & 0xFFF) << 9)
                | ((self.priority & 7) << 6) | (self.dscp & 0x3F))
        return _org(MED, 2, bytes((self.application,)) + bits.to_bytes(3, "big"))

    def to_dict(self) -> dict[str, Any]:
        return {"application": names.MED_APPLICATIONS.get(self.application, str(self.application)),
                "unknown": self.unknown, "tagged": self.tagged, "vlan": self.vlan,
                "priority": self.priority, "dscp": self.dscp}


def _signed(value: int, width: int) -> int:
    return value - (1 << width) if value & (1 << (width - 1)) else value


def coordinate(data: bytes) -> dict[str, Any]:
    """RFC 3825 coordinate LCI (16 bytes): fixed-point latitude/longitude (9.25
    bits), altitude (22.8 bits) with their resolutions, and the datum."""
    if len(data) != 16:
        raise ValueError(f"coordinate LCI of {len(data)} bytes (16)")
    v = int.from_bytes(data, "big")
    lat_res, lat = v >> 122, _signed((v >> 88) & ((1 << 34) - 1), 34)
    lon_res, lon = (v >> 82) & 0x3F, _signed((v >> 48) & ((1 << 34) - 1), 34)
    alt_type, alt_res = (v >> 44) & 0xF, (v >> 38) & 0x3F
    alt = _signed((v >> 8) & ((1 << 30) - 1), 30)
    datum = v & 0xFF
    return {"latitude": round(lat / (1 << 25), 7), "longitude": round(lon / (1 << 25), 7),
            "latitude_resolution": lat_res, "longitude_resolution": lon_res,
            "altitude": round(alt / 256, 2), "altitude_unit": {1: "meters", 2: "floors"}.get(alt_type),
            "altitude_resolution": alt_res, "datum": names.DATUMS.get(datum, str(datum))}


def civic(data: bytes) -> dict[str, Any]:
    """RFC 4776 civic address: length, what, country code, then CAtype/length/value."""
    if len(data) < 4 or data[0] != len(data) - 1:
        raise ValueError("civic address length does not match the TLV")
    out: dict[str, Any] = {"what": data[1], "country": data[2:4].decode("ascii", "replace"), "elements": []}
    i = 4
    while i < len(data):
        if i + 2 > len(data) or i + 2 + data[i + 1] > len(data):
            raise ValueError("civic address element runs past the end")
        kind, n = data[i], data[i + 1]
        out["elements"].append({"type": names.CIVIC_TYPES.get(kind, str(kind)), "catype": kind,
                                "value": data[i + 2:i + 2 + n].decode("utf-8", "replace")})
        i += 2 + n
    return out


@fast_init
@dataclass(frozen=True, slots=True)
class Location:
    format: int   # 1 coordinate, 2 civic, 3 ELIN
    data: bytes

    def encode(self) -> bytes:
        return _org(MED, 3, bytes((self.format,)) + self.data)

    def to_dict(self) -> dict[str, Any]:
        kind = names.MED_LOCATION_FORMATS.get(self.format, str(self.format))
        if self.format == 1:
            return {"format": kind, **coordinate(self.data)}
        if self.format == 2:
            return {"format": kind, **civic(self.data)}
        if self.format == 3:
            return {"format": kind, "elin": self.data.decode("ascii", "replace")}
        return {"format": kind, "data": self.data.hex()}


@fast_init
@dataclass(frozen=True, slots=True)
class ExtendedPower:
    power_type: int   # 0 PSE, 1 PD
    source: int
    priority: int
    value: int        # 0.1 W units

    def encode(self) -> bytes:
        head = ((self.power_type & 3) << 6) | ((self.source & 3) << 4) | (self.priority & 0xF)
        return _org(MED, 4, bytes((head,)) + self.value.to_bytes(2, "big"))

    def to_dict(self) -> dict[str, Any]:
        kind = names.MED_POWER_TYPES.get(self.power_type, "pse")
        sources = names.MED_POWER_SOURCES["pd" if self.power_type & 1 else "pse"]
        return {"power_type": kind, "source": sources.get(self.source, str(self.source)),
                "priority": names.MED_POWER_PRIORITIES.get(self.priority, str(self.priority)),
                "watts": self.value / 10}


@fast_init
@dataclass(frozen=True, slots=True)
class Inventory:
    subtype: int   # 5..11
    text: str

    def encode(self) -> bytes:
        return _org(MED, self.subtype, wire_bytes(self.text))

    def to_dict(self) -> dict[str, Any]:
        from chassisctl.lldp.wire import printable

        return {names.MED_INVENTORY[self.subtype]: printable(self.text)}


@fast_init
@dataclass(frozen=True, slots=True)
class UnknownOrgTlv:
    """An organization or subtype we do not decode: kept as (OUI, subtype, bytes)."""

    oui: int
    subtype: int
    info: bytes

    def encode(self) -> bytes:
        return _org(self.oui, self.subtype, self.info)

    def to_dict(self) -> dict[str, Any]:
        return {"oui": self.oui.to_bytes(3, "big").hex(":"), "subtype": self.subtype, "data": self.info.hex()}


# --- decoding -----------------------------------------------------------------------------
#
# Decoders take the whole LLDPDU and the bounds of the information string
# (after OUI and subtype), so the hot path slices only what it keeps.

#: Information lengths of the fixed-size TLVs; the callers check them
#: (:data:`ORG_RULES`, :func:`decode_org`) so the decoders need not.
def _pvid(d: bytes, s: int, e: int) -> PortVlanId:
    return PortVlanId((d[s] << 8) | d[s + 1])


def _ppvid(d: bytes, s: int, e: int) -> ProtocolVlanId:
    return ProtocolVlanId(d[s], (d[s + 1] << 8) | d[s + 2])


def _vlan_name(d: bytes, s: int, e: int) -> VlanName:
    if e - s < 4 or not 1 <= d[s + 2] <= 32 or e - s != 3 + d[s + 2]:
        raise ValueError("VLAN name length does not match the TLV")
    return VlanName((d[s] << 8) | d[s + 1], wire_text(d[s + 3:e]))


def _protocol(d: bytes, s: int, e: int) -> ProtocolIdentity:
    if e == s or e - s != 1 + d[s]:
        raise ValueError("protocol identity length does not match the TLV")
    return ProtocolIdentity(d[s + 1:e])


def _mvid(d: bytes, s: int, e: int) -> ManagementVid:
    return ManagementVid((d[s] << 8) | d[s + 1])


def _lag(dot3: bool) -> Callable[[bytes, int, int], LinkAggregation]:
    def decode(d: bytes, s: int, e: int) -> LinkAggregation:
            return LinkAggregation(d[s], int.from_bytes(d[s + 1:e], "big"), dot3)
    return decode


def _macphy(d: bytes, s: int, e: int) -> MacPhy:
    return MacPhy(d[s], (d[s + 1] << 8) | d[s + 2], (d[s + 3] << 8) | d[s + 4])


def _power(d: bytes, s: int, e: int) -> PowerViaMdi:
    if e - s < 3:
        raise ValueError(f"{e - s} bytes of information, 3 at least")
    return PowerViaMdi(d[s], d[s + 1], d[s + 2], d[s + 3:e])


def _mfs(d: bytes, s: int, e: int) -> MaxFrameSize:
    return MaxFrameSize((d[s] << 8) | d[s + 1])


def _med_caps(d: bytes, s: int, e: int) -> MedCapabilities:
    return MedCapabilities((d[s] << 8) | d[s + 1], d[s + 2])


def _policy(d: bytes, s: int, e: int) -> NetworkPolicy:
    b1 = d[s + 1]
    return NetworkPolicy(d[s], bool(b1 & 0x80), bool(b1 & 0x40), ((b1 & 0x1F) << 7) | (d[s + 2] >> 1),
                         ((d[s + 2] & 1) << 2) | (d[s + 3] >> 6), d[s + 3] & 0x3F)


def _location(d: bytes, s: int, e: int) -> Location:
    if e == s:
        raise ValueError("no location format")
    data = d[s + 1:e]
    if d[s] == 1 and len(data) != 16:
        raise ValueError(f"coordinate LCI of {len(data)} bytes (16)")
    if d[s] == 2:  # a civic address whose element lengths do not add up is malformed, not kept
        if len(data) < 4 or data[0] != len(data) - 1:
            raise ValueError("civic address length does not match the TLV")
        i = 4
        while i < len(data):
            if i + 2 > len(data) or i + 2 + data[i + 1] > len(data):
                raise ValueError("civic address element runs past the end")
            i += 2 + data[i + 1]
    return Location(d[s], data)


def _ext_power(d: bytes, s: int, e: int) -> ExtendedPower:
    return ExtendedPower(d[s] >> 6, (d[s] >> 4) & 3, d[s] & 0xF, (d[s + 1] << 8) | d[s + 2])


def _inventory(subtype: int) -> Callable[[bytes, int, int], Inventory]:
    def decode(d: bytes, s: int, e: int) -> Inventory:
        if e - s > 32:
            raise ValueError(f"inventory string of {e - s} bytes (32 at most)")
        return Inventory(subtype, wire_text(d[s:e]))
    return decode


_FIXED: dict[Callable[[bytes, int, int], Any], int] = {
    _pvid: 2, _ppvid: 3, _mvid: 2, _macphy: 5, _mfs: 2, _med_caps: 3, _policy: 4, _ext_power: 3}

#: (OUI << 8 | subtype) -> decoder of the information string.
DECODERS: dict[int, Callable[[bytes, int, int], Any]] = {
    DOT1 << 8 | 1: _pvid, DOT1 << 8 | 2: _ppvid, DOT1 << 8 | 3: _vlan_name, DOT1 << 8 | 4: _protocol,
    DOT1 << 8 | 6: _mvid, DOT1 << 8 | 7: _lag(False),
    DOT3 << 8 | 1: _macphy, DOT3 << 8 | 2: _power, DOT3 << 8 | 3: _lag(True), DOT3 << 8 | 4: _mfs,
    MED << 8 | 1: _med_caps, MED << 8 | 2: _policy, MED << 8 | 3: _location, MED << 8 | 4: _ext_power,
    **{MED << 8 | sub: _inventory(sub) for sub in range(5, 12)},
}


#: The same decoders keyed by the 4 bytes of OUI and subtype, with their fixed
#: information length (-1: variable), for the LLDPDU walk's inline fast path.
ORG_RULES: dict[bytes, tuple[int, Callable[[bytes, int, int], Any]]] = {
    key.to_bytes(4, "big"): (_FIXED.get(decoder, -1), decoder) for key, decoder in DECODERS.items()}


def decode_org(d: bytes, s: int = 0, e: int | None = None) -> Any:
    """One org TLV's value ``d[s:e]`` -> its class, an :class:`UnknownOrgTlv`, or a :class:`DiscardedTlv`."""
    if e is None:
        e = len(d)
    if e - s < 4:
        return DiscardedTlv(ORG, d[s:e], "org TLV shorter than its OUI and subtype")
    key = (d[s] << 24) | (d[s + 1] << 16) | (d[s + 2] << 8) | d[s + 3]
    decoder = DECODERS.get(key)
    if decoder is None:
        return UnknownOrgTlv(key >> 8, d[s + 3], d[s + 4:e])
    try:
        fixed = _FIXED.get(decoder, -1)
        if fixed >= 0 and e - s - 4 != fixed:
            raise ValueError(f"{e - s - 4} bytes of information, {fixed} expected")
        return decoder(d, s + 4, e)
    except (ValueError, IndexError) as exc:
        return DiscardedTlv(ORG, d[s:e], f"malformed {OUI_NAMES[key >> 8]} subtype {d[s + 3]}: {exc}")
