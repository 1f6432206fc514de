"""Words for the numbers in LLDPDUs, as operators and scripts read them.

Subtypes become stable lower-case words (``mac``, ``ifname``, ``local``,
``network-address`` …) so JSON consumers never compare magic numbers; the
numbers stay available beside them.  Tables are data, not branches.
"""

from __future__ import annotations

#: Chassis ID subtypes (802.1AB-2016 §8.5.2.2, Table 8-2).
CHASSIS_SUBTYPES = {1: "chassis-component", 2: "ifalias", 3: "port-component", 4: "mac",
                    5: "network-address", 6: "ifname", 7: "local"}
#: Port ID subtypes (§8.5.3.2, Table 8-3).
PORT_SUBTYPES = {1: "ifalias", 2: "port-component", 3: "mac", 4: "network-address",
                 5: "ifname", 6: "agent-circuit-id", 7: "local"}
CHASSIS_SUBTYPE_NUMBERS = {v: k for k, v in CHASSIS_SUBTYPES.items()}
PORT_SUBTYPE_NUMBERS = {v: k for k, v in PORT_SUBTYPES.items()}

#: System capabilities bits (§8.5.8.1, Table 8-4).
CAPABILITIES = (
    (0x0001, "other"), (0x0002, "repeater"), (0x0004, "bridge"), (0x0008, "wlan-ap"),
    (0x0010, "router"), (0x0020, "telephone"), (0x0040, "docsis"), (0x0080, "station"),
    (0x0100, "c-vlan"), (0x0200, "s-vlan"), (0x0400, "tpmr"),
)
CAPABILITY_BITS = {name: bit for bit, name in CAPABILITIES}

#: IANA address family numbers used by Management Address and network-address ids.
ADDRESS_FAMILIES = {1: "ipv4", 2: "ipv6", 6: "mac"}
#: Management Address interface numbering subtypes (§8.5.9.5).
IF_SUBTYPES = {1: "unknown", 2: "ifindex", 3: "system-port"}

#: LLDP-MED capability bits (ANSI/TIA-1057 §10.2.2.2).
MED_CAPABILITIES = ((0x01, "capabilities"), (0x02, "network-policy"), (0x04, "location"),
                    (0x08, "extended-power-pse"), (0x10, "extended-power-pd"), (0x20, "inventory"))
MED_DEVICE_TYPES = {0: "not-defined", 1: "endpoint-class-1", 2: "endpoint-class-2",
                    3: "endpoint-class-3", 4: "network-connectivity"}
MED_APPLICATIONS = {1: "voice", 2: "voice-signaling", 3: "guest-voice", 4: "guest-voice-signaling",
                    5: "softphone-voice", 6: "video-conferencing", 7: "streaming-video",
                    8: "video-signaling"}
MED_POWER_TYPES = {0: "pse", 1: "pd", 2: "reserved-pse", 3: "reserved-pd"}
MED_POWER_SOURCES = {"pse": {0: "unknown", 1: "primary", 2: "backup", 3: "reserved"},
                     "pd": {0: "unknown", 1: "pse", 2: "local", 3: "pse-and-local"}}
MED_POWER_PRIORITIES = {0: "unknown", 1: "critical", 2: "high", 3: "low"}
MED_INVENTORY = {5: "hardware-revision", 6: "firmware-revision", 7: "software-revision",
                 8: "serial-number", 9: "manufacturer", 10: "model", 11: "asset-id"}
MED_LOCATION_FORMATS = {1: "coordinate", 2: "civic", 3: "elin"}
#: Civic address CAtypes (RFC 4776 §3.4), the ones LLDP-MED devices send.
CIVIC_TYPES = {0: "language", 1: "country-subdivision", 2: "county", 3: "city", 4: "city-division",
               5: "neighborhood", 6: "street", 16: "leading-street-direction",
               17: "trailing-street-suffix", 18: "street-suffix", 19: "house-number",
               20: "house-number-suffix", 21: "landmark", 22: "additional-location", 23: "name",
               24: "postal-code", 25: "building", 26: "unit", 27: "floor", 28: "room",
               29: "place-type", 30: "postal-community", 31: "po-box", 32: "additional-code",
               33: "seat", 34: "road", 35: "road-section", 36: "road-branch", 37: "road-sub-branch",
               38: "road-pre-modifier", 39: "road-post-modifier", 128: "script"}
#: RFC 3825 datum values.
DATUMS = {1: "WGS84", 2: "NAD83-NAVD88", 3: "NAD83-MLLW"}

#: IEEE 802.3 operational MAU types (RFC 4836 dot3MauType), the common ones.
MAU_TYPES = {
    10: "10BaseTHD", 11: "10BaseTFD", 15: "100BaseTXHD", 16: "100BaseTXFD", 29: "1000BaseTHD",
    30: "1000BaseTFD", 22: "1000BaseXHD", 23: "1000BaseXFD", 25: "1000BaseLXFD", 27: "1000BaseSXFD",
    31: "10GigBaseX", 40: "10GigBaseSR", 41: "10GigBaseLR", 54: "10GbaseT",
    58: "40GbaseCR4", 61: "40GbaseSR4", 62: "40GbaseLR4", 67: "100GbaseCR4", 71: "100GbaseSR4",
    72: "100GbaseLR4", 75: "25GbaseCR", 76: "25GbaseSR",
}


def bits(value: int, table: tuple[tuple[int, str], ...]) -> list[str]:
    """The names of the bits set in ``value``, in table order."""
    return [name for bit, name in table if value & bit]
