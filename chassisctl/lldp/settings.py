"""``[lldp]`` in chassisctl.toml, checked and turned into agent settings.

Pure: the caller supplies what only the running system knows (hostname,
kernel release, the chassis MAC), so every rule here is tested without
sockets.  A bad key or value is a :class:`~chassisctl.errors.ConfigError`
naming it (``lldp.tx_interval: …``), exit 78.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from chassisctl.errors import ConfigError
from chassisctl.lldp import names, org
from chassisctl.lldp.agent import AgentConfig
from chassisctl.lldp.tlv import Capabilities, ChassisId, ManagementAddress

#: Every key ``[lldp]`` accepts (chassisctl.toml(5) documents each).
KEYS = ("ports", "tx_interval", "tx_hold", "system_name", "system_description", "port_id_subtype",
        "capabilities", "enabled_capabilities", "management_addresses", "max_neighbors",
        "port_vlan_id", "vlans", "max_frame_size", "med", "med_policies")
PORT_ID_SUBTYPES = ("ifname", "mac", "local")
DEFAULT_CAPABILITIES = ("bridge", "router", "station")
DEFAULT_ENABLED = ("station",)


@dataclass(frozen=True, slots=True)
class LldpSettings:
    ports: tuple[str, ...] | None          # None: every physical port that is up
    tx_interval: int = 30
    tx_hold: int = 4
    system_name: str | None = None         # None: the hostname
    system_description: str | None = None  # None: chassisctl and the kernel
    port_id_subtype: str = "ifname"
    capabilities: tuple[str, ...] = DEFAULT_CAPABILITIES
    enabled_capabilities: tuple[str, ...] = DEFAULT_ENABLED
    management_addresses: tuple[str, ...] = ()
    max_neighbors: int = 32
    port_vlan_id: int | None = None
    vlans: tuple[tuple[int, str], ...] = ()
    max_frame_size: int | None = None
    med: bool = False
    med_policies: tuple[org.NetworkPolicy, ...] = ()

    def agent_config(self, *, chassis_mac: bytes, hostname: str, description: str) -> AgentConfig:
        def mask(words: tuple[str, ...]) -> int:
            return sum(names.CAPABILITY_BITS[w] for w in words)

        extra: list[Any] = []
        if self.port_vlan_id is not None:
            extra.append(org.PortVlanId(self.port_vlan_id))
        extra += [org.VlanName(vid, name) for vid, name in self.vlans]
        if self.max_frame_size is not None:
            extra.append(org.MaxFrameSize(self.max_frame_size))
        mgmt = []
        for text in self.management_addresses:
            ip = ipaddress.ip_address(text)
            mgmt.append(ManagementAddress(1 if ip.version == 4 else 2, ip.packed, 1, 0))
        return AgentConfig(
            chassis_id=ChassisId(4, chassis_mac), system_name=self.system_name or hostname,
            system_description=self.system_description or description, tx_interval=self.tx_interval,
            tx_hold=self.tx_hold, max_neighbors=self.max_neighbors, port_id_subtype=self.port_id_subtype,
            capabilities=Capabilities(mask(self.capabilities), mask(self.enabled_capabilities)),
            management_addresses=tuple(mgmt), extra_tlvs=tuple(extra), med=self.med,
            med_policies=self.med_policies)


def _optional_int(section: dict[str, Any], key: str, low: int, high: int) -> int | None:
    """``key`` when given (checked against ``low..high``), else None."""
    value = section.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"lldp.{key}: expected a whole number within {low}..{high}, got {value!r}")
    return value


def _int(section: dict[str, Any], key: str, low: int, high: int, default: int) -> int:
    """``key`` (checked against ``low..high``), else ``default``."""
    value = _optional_int(section, key, low, high)
    return default if value is None else value


def _str(section: dict[str, Any], key: str, limit: int) -> str | None:
    value = section.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value.encode()) > limit:
        raise ConfigError(f"lldp.{key}: expected a non-empty string of at most {limit} bytes")
    return value


def _words(section: dict[str, Any], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = section.get(key, list(default))
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"lldp.{key}: expected a list of capability names")
    for word in value:
        if word not in names.CAPABILITY_BITS:
            raise ConfigError(f"lldp.{key}: unknown capability {word!r}",
                              hint=f"known: {', '.join(names.CAPABILITY_BITS)}")
    return tuple(value)


def _policy(item: Any, i: int) -> org.NetworkPolicy:
    where = f"lldp.med_policies[{i}]"
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: expected a table")
    unknown = set(item) - {"application", "vlan", "priority", "dscp", "tagged"}
    if unknown:
        raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    apps = {v: k for k, v in names.MED_APPLICATIONS.items()}
    if item.get("application") not in apps:
        raise ConfigError(f"{where}.application: one of {', '.join(apps)}")
    limits = {"vlan": 4095, "priority": 7, "dscp": 63}
    for key, high in limits.items():
        value = item.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
            raise ConfigError(f"{where}.{key}: expected 0..{high}")
    tagged = item.get("tagged", item.get("vlan", 0) != 0)
    if not isinstance(tagged, bool):
        raise ConfigError(f"{where}.tagged: expected true or false")
    return org.NetworkPolicy(apps[item["application"]], False, tagged, item.get("vlan", 0),
                             item.get("priority", 0), item.get("dscp", 0))


def parse_section(section: Any) -> LldpSettings:
    """``[lldp]`` (a dict from tomllib) -> :class:`LldpSettings`; ConfigError on anything wrong."""
    from chassisctl.config.keys import interface_name

    if not isinstance(section, dict):
        raise ConfigError("lldp: expected a table ([lldp])")
    for key in section:
        if key not in KEYS:
            raise ConfigError(f"lldp.{key}: unknown key", hint=f"known keys: {', '.join(KEYS)}")
    ports = section.get("ports")
    if ports is not None:
        if not isinstance(ports, list) or not ports or not all(isinstance(p, str) for p in ports):
            raise ConfigError("lldp.ports: expected a non-empty list of interface names")
        for port in ports:
            if not interface_name(port):
                raise ConfigError(f"lldp.ports: {port!r} cannot be a network interface name")
        if len(set(ports)) != len(ports):
            raise ConfigError("lldp.ports: a port is listed twice")
        ports = tuple(ports)
    subtype = section.get("port_id_subtype", "ifname")
    if subtype not in PORT_ID_SUBTYPES:
        raise ConfigError(f"lldp.port_id_subtype: {subtype!r} is not one of {', '.join(PORT_ID_SUBTYPES)}")
    mgmt = section.get("management_addresses", [])
    if not isinstance(mgmt, list):
        raise ConfigError("lldp.management_addresses: expected a list of IPv4/IPv6 addresses")
    for text in mgmt:
        try:
            ipaddress.ip_address(text)
        except (ValueError, TypeError):
            raise ConfigError(f"lldp.management_addresses: {text!r} is not an IPv4 or IPv6 address") from None
    vlans = section.get("vlans", [])
    if not isinstance(vlans, list):
        raise ConfigError("lldp.vlans: expected a list of {vid = N, name = \"...\"} tables")
    parsed_vlans = []
    for i, item in enumerate(vlans):
        if (not isinstance(item, dict) or set(item) != {"vid", "name"} or isinstance(item["vid"], bool)
                or not isinstance(item["vid"], int) or not 1 <= item["vid"] <= 4094
                or not isinstance(item["name"], str) or not 1 <= len(item["name"].encode()) <= 32):
            raise ConfigError(f"lldp.vlans[{i}]: expected {{vid = 1..4094, name = \"1 to 32 bytes\"}}")
        parsed_vlans.append((item["vid"], item["name"]))
    med = section.get("med", False)
    if not isinstance(med, bool):
        raise ConfigError("lldp.med: expected true or false")
    policies = section.get("med_policies", [])
    if not isinstance(policies, list):
        raise ConfigError("lldp.med_policies: expected a list of tables")
    caps = _words(section, "capabilities", DEFAULT_CAPABILITIES)
    enabled = _words(section, "enabled_capabilities", DEFAULT_ENABLED)
    if set(enabled) - set(caps):
        raise ConfigError("lldp.enabled_capabilities: every enabled capability must also be in capabilities")
    tx_interval = _int(section, "tx_interval", 1, 3600, 30)
    tx_hold = _int(section, "tx_hold", 1, 100, 4)
    return LldpSettings(
        ports=ports, tx_interval=tx_interval, tx_hold=tx_hold,
        system_name=_str(section, "system_name", 255), system_description=_str(section, "system_description", 255),
        port_id_subtype=subtype, capabilities=caps, enabled_capabilities=enabled,
        management_addresses=tuple(mgmt), max_neighbors=_int(section, "max_neighbors", 1, 1024, 32),
        port_vlan_id=_optional_int(section, "port_vlan_id", 1, 4094), vlans=tuple(parsed_vlans),
        max_frame_size=_optional_int(section, "max_frame_size", 64, 65535), med=med,
        med_policies=tuple(_policy(p, i) for i, p in enumerate(policies)))
