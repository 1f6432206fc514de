"""How ``lldp neighbors`` and ``lldp statistics`` look: tables, detail blocks, JSON.

Stdlib only (no typer, no rich unless a table is drawn on a terminal), so
the typer command in :mod:`chassisctl.cli.lldp` and the start-up fast path
in :mod:`chassisctl.cli.lldpfast` print byte-identical output from one
place.  The table has the columns operators know from switch CLIs' ``show
lldp neighbors``: local port, neighbour (system name), port id, hold time
(the TTL it announced) and its enabled capabilities.
"""

from __future__ import annotations

import json
from typing import Any

from chassisctl.cli.render import Column, Output

#: One-letter capability codes, as switch CLIs print them.
CAPABILITY_CODES = {"other": "O", "repeater": "P", "bridge": "B", "wlan-ap": "W", "router": "R",
                    "telephone": "T", "docsis": "C", "station": "S", "c-vlan": "V", "s-vlan": "s",
                    "tpmr": "M"}
LEGEND = ("Capability codes: B bridge, R router, W WLAN access point, S station, T telephone, "
          "P repeater, C DOCSIS, V C-VLAN, s S-VLAN, M TPMR, O other")

STAT_COLUMNS = (("frames_in", "Frames in"), ("frames_out", "Frames out"), ("frames_discarded", "Discarded"),
                ("frames_in_errors", "Errors"), ("tlvs_discarded", "TLVs discarded"),
                ("tlvs_unrecognized", "TLVs unrecognized"), ("ageouts", "Ageouts"), ("inserts", "Inserts"),
                ("deletes", "Deletes"), ("drops_too_many", "Too many"), ("neighbors", "Neighbors"))


def neighbors_doc(result: dict[str, Any], source: str, port: str | None = None) -> dict[str, Any]:
    """The ``--json`` document: the same shape for zero, one or many neighbours."""
    keep = (lambda r: r["local_port"] == port) if port else (lambda r: True)
    return {"source": source,
            "neighbors": [r for r in result.get("neighbors", []) if keep(r)],
            "departed": [r for r in result.get("departed", []) if keep(r)],
            "local": result.get("local")}


def capability_codes(record: dict[str, Any]) -> str:
    return "".join(CAPABILITY_CODES.get(c, "?") for c in record["capabilities"]["enabled"])


def _hold(record: dict[str, Any]) -> str:
    return f"{record['ttl']}"


def render_neighbors(out: Output, doc: dict[str, Any], *, details: bool) -> None:
    if out.json_mode:
        out.json(doc)
        return
    records = doc["neighbors"]
    if details:
        _details(out, records)
        return
    columns = [Column("Local port"), Column("Neighbor"), Column("Port ID"), Column("Hold", "right"),
               Column("Capabilities"), Column("Chassis ID")]
    rows = [[r["local_port"] or "-", r["system_name"] or "-", r["port_id"], _hold(r), capability_codes(r),
             r["chassis_id"]] for r in records]
    out.table(columns, rows)
    if out.tty:
        out.line(LEGEND)
        out.line(f"Total neighbors: {len(records)}")


def _pairs(record: dict[str, Any]) -> list[tuple[str, Any]]:
    caps = record["capabilities"]
    pairs: list[tuple[str, Any]] = [
        ("Local port", record["local_port"]),
        ("Chassis ID", f"{record['chassis_id']} ({record['chassis_id_subtype']})"),
        ("Port ID", f"{record['port_id']} ({record['port_id_subtype']})"),
        ("System name", record["system_name"]), ("System description", record["system_description"]),
        ("Port description", record["port_description"]),
        ("TTL", f"{record['ttl']} s"),
    ]
    if record.get("age_s") is not None:
        pairs += [("Age", f"{record['age_s']:.0f} s"), ("Expires in", f"{record['expires_in_s']:.0f} s")]
    pairs.append(("Capabilities", ", ".join(
        f"{c}{' (enabled)' if c in caps['enabled'] else ''}" for c in caps["supported"]) or None))
    for m in record["management_addresses"]:
        pairs.append(("Management address",
                      f"{m['address']} ({m['family']}, {m['interface_subtype']} {m['interface_number']})"))
    if record["pvid"] is not None:
        pairs.append(("Port VLAN ID", record["pvid"]))
    for v in record["vlans"]:
        pairs.append(("VLAN", f"{v['vid']} {v['name']}"))
    for p in record["ppvids"]:
        pairs.append(("Protocol VLAN", f"{p['ppvid']} (supported {p['supported']}, enabled {p['enabled']})"))
    if record["management_vid"] is not None:
        pairs.append(("Management VID", record["management_vid"]))
    for proto in record["protocols"]:
        pairs.append(("Protocol identity", proto))
    if record["link_aggregation"]:
        lag = record["link_aggregation"]
        pairs.append(("Link aggregation", f"capable {lag['capable']}, aggregated {lag['aggregated']}, "
                                          f"port {lag['aggregated_port_id']}"))
    if record["mac_phy"]:
        mp = record["mac_phy"]
        pairs.append(("MAC/PHY", f"autoneg supported {mp['autoneg_supported']}, enabled {mp['autoneg_enabled']}, "
                                 f"MAU {mp['mau'] or mp['mau_type']}"))
    if record["power_mdi"]:
        pairs.append(("Power via MDI", _flat(record["power_mdi"])))
    if record["max_frame_size"] is not None:
        pairs.append(("Max frame size", record["max_frame_size"]))
    med = record["med"]
    if med:
        if med["capabilities"]:
            pairs.append(("LLDP-MED", f"{med['capabilities']['device_type']}: "
                                      f"{', '.join(med['capabilities']['capabilities'])}"))
        for p in med["policies"]:
            pairs.append(("MED network policy", _flat(p)))
        for loc in med["locations"]:
            pairs.append(("MED location", _flat(loc)))
        if med["power"]:
            pairs.append(("MED power", _flat(med["power"])))
        for key, value in med["inventory"].items():
            if value is not None:
                pairs.append((f"MED {key}", value))
    for u in record["unknown_tlvs"]:
        where = f"OUI {u['oui']} subtype {u['subtype']}" if u["oui"] else f"type {u['type']}"
        pairs.append(("Unknown TLV", f"{where}: {u['data']}"))
    for d in record["discarded_tlvs"]:
        pairs.append(("Discarded TLV", f"type {d['type']}: {d['reason']}"))
    return pairs


def _flat(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {_flat(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(_flat(v) for v in value)
    return json.dumps(value) if isinstance(value, bool) or value is None else str(value)


def _details(out: Output, records: list[dict[str, Any]]) -> None:
    for i, record in enumerate(records):
        if i:
            out.line()
        out.fields(_pairs(record))


def statistics_doc(result: dict[str, Any]) -> dict[str, Any]:
    return {"ports": [{"port": name, **stats} for name, stats in result.get("ports", {}).items()],
            "totals": result.get("totals", {}), "frames_not_lldp": result.get("frames_not_lldp", 0),
            "uptime_s": result.get("uptime_s"), "service": result.get("service", {})}


def render_statistics(out: Output, doc: dict[str, Any]) -> None:
    if out.json_mode:
        out.json(doc)
        return
    columns = [Column("Port")] + [Column(title, "right") for _, title in STAT_COLUMNS]
    rows = [[p["port"]] + [p.get(key, 0) for key, _ in STAT_COLUMNS] for p in doc["ports"]]
    out.table(columns, rows)
    reasons: dict[str, int] = {}
    for p in doc["ports"]:
        for reason, count in p.get("discard_reasons", {}).items():
            reasons[reason] = reasons.get(reason, 0) + count
    if any(reasons.values()) and out.tty:
        out.line("Discarded by reason: " + ", ".join(f"{r} {n}" for r, n in reasons.items() if n))
