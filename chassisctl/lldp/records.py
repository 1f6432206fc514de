"""One flat JSON record per neighbour: the shape ``lldp neighbors --json`` prints.

lldpcli's ``-f json`` changes shape with the number of interfaces and
neighbours (lldpd#236); this record never does.  Every key is always
present: absent values are ``null``, repeated TLVs are lists (empty when
none came), ids are in their usual text form (MACs lower-case with colons,
addresses as addresses) and subtypes are words (:mod:`chassisctl.lldp.names`).
"""

from __future__ import annotations

from typing import Any

from chassisctl.lldp import names, org
from chassisctl.lldp.tlv import (
    Capabilities, Lldpdu, ManagementAddress, PortDescription, SystemDescription, SystemName, UnknownTlv)
from chassisctl.lldp.wire import printable


def _oid_text(raw: bytes) -> str | None:
    """A BER-encoded OID as dotted numbers, or None when it is not one."""
    if not raw:
        return None
    first, parts, value = True, [], 0
    for byte in raw:
        value = (value << 7) | (byte & 0x7F)
        if byte & 0x80:
            continue
        if first:
            parts += [min(value // 40, 2), value - 40 * min(value // 40, 2)]
            first = False
        else:
            parts.append(value)
        value = 0
    if raw[-1] & 0x80:
        return None
    return ".".join(map(str, parts))


def management_address(item: ManagementAddress) -> dict[str, Any]:
    return {"address": item.text, "family": names.ADDRESS_FAMILIES.get(item.family, str(item.family)),
            "interface_subtype": names.IF_SUBTYPES.get(item.if_subtype, str(item.if_subtype)),
            "interface_number": item.if_number, "oid": _oid_text(item.oid) if item.oid else None}


def capabilities(item: Capabilities | None) -> dict[str, list[str]]:
    if item is None:
        return {"supported": [], "enabled": []}
    return {"supported": names.bits(item.supported, names.CAPABILITIES),
            "enabled": names.bits(item.enabled, names.CAPABILITIES)}


def _text(pdu: Lldpdu, cls: type) -> str | None:
    item = pdu.first(cls)
    return printable(item.text) if item is not None else None


def _one(pdu: Lldpdu, cls: type) -> dict[str, Any] | None:
    item = pdu.first(cls)
    return item.to_dict() if item is not None else None


def med(pdu: Lldpdu) -> dict[str, Any] | None:
    """The LLDP-MED TLVs of one LLDPDU, or None when it carried none."""
    items = [t for t in pdu.tlvs if type(t) in (org.MedCapabilities, org.NetworkPolicy, org.Location,
                                                   org.ExtendedPower, org.Inventory)]
    if not items:
        return None
    inventory: dict[str, str | None] = {name: None for name in names.MED_INVENTORY.values()}
    for item in pdu.all(org.Inventory):
        inventory.update(item.to_dict())
    return {"capabilities": _one(pdu, org.MedCapabilities),
            "policies": [p.to_dict() for p in pdu.all(org.NetworkPolicy)],
            "locations": [loc.to_dict() for loc in pdu.all(org.Location)],
            "power": _one(pdu, org.ExtendedPower),
            "inventory": inventory}


def unknown_tlvs(pdu: Lldpdu) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in pdu.tlvs:
        if type(item) is UnknownTlv:
            out.append({"type": item.type, "oui": None, "subtype": None, "data": item.value.hex()})
        elif type(item) is org.UnknownOrgTlv:
            out.append({"type": 127, **item.to_dict()})
    return out


def pdu_fields(pdu: Lldpdu) -> dict[str, Any]:
    """Everything one LLDPDU says about its sender, flat."""
    chassis, port = pdu.chassis_id, pdu.port_id
    pvid = pdu.first(org.PortVlanId)
    mvid = pdu.first(org.ManagementVid)
    mfs = pdu.first(org.MaxFrameSize)
    return {
        "chassis_id": chassis.text,
        "chassis_id_subtype": names.CHASSIS_SUBTYPES.get(chassis.subtype, str(chassis.subtype)),
        "port_id": port.text,
        "port_id_subtype": names.PORT_SUBTYPES.get(port.subtype, str(port.subtype)),
        "system_name": _text(pdu, SystemName),
        "system_description": _text(pdu, SystemDescription),
        "port_description": _text(pdu, PortDescription),
        "ttl": pdu.ttl,
        "capabilities": capabilities(pdu.first(Capabilities)),
        "management_addresses": [management_address(m) for m in pdu.all(ManagementAddress)],
        "pvid": pvid.vid if pvid is not None else None,
        "ppvids": [p.to_dict() for p in pdu.all(org.ProtocolVlanId)],
        "vlans": [v.to_dict() for v in pdu.all(org.VlanName)],
        "protocols": [p.to_dict()["protocol"] for p in pdu.all(org.ProtocolIdentity)],
        "management_vid": mvid.vid if mvid is not None else None,
        "link_aggregation": _one(pdu, org.LinkAggregation),
        "mac_phy": _one(pdu, org.MacPhy),
        "power_mdi": _one(pdu, org.PowerViaMdi),
        "max_frame_size": mfs.size if mfs is not None else None,
        "med": med(pdu),
        "unknown_tlvs": unknown_tlvs(pdu),
        "discarded_tlvs": [{"type": d.type, "reason": d.reason, "data": d.value.hex()} for d in pdu.discarded],
    }


def neighbor_record(local_port: str, pdu: Lldpdu, *, age_s: float | None, expires_in_s: float | None,
                    source_mac: bytes | None = None, vlan: int | None = None) -> dict[str, Any]:
    """The record ``lldp.neighbors`` returns for one remote system on one local port."""
    return {"local_port": local_port, "via": "lldp",
            **pdu_fields(pdu),
            "age_s": None if age_s is None else round(age_s, 3),
            "expires_in_s": None if expires_in_s is None else round(max(expires_in_s, 0.0), 3),
            "source_mac": source_mac.hex(":") if source_mac else None,
            "vlan": vlan}
