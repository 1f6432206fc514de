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


@dataclass(frozen=True, slots=True)
class LldpSettings:
    """``[lldp]`` checked; the defaults are :data:`chassisctl.config.schema.LLDP`'s."""

    ports: tuple[str, ...] | None          # None: every physical port that is up
    tx_interval: int
    tx_hold: int
    system_name: str | None                # None: the hostname
    system_description: str | None         # None: chassisctl and the kernel
    port_id_subtype: str
    capabilities: tuple[str, ...]
    enabled_capabilities: tuple[str, ...]
    management_addresses: tuple[str, ...]
    max_neighbors: int
    port_vlan_id: int | None
    vlans: tuple[tuple[int, str], ...]
    max_frame_size: int | None
    med: bool
    med_policies: tuple[org.NetworkPolicy, ...]

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


def _text(values: dict[str, Any], key: str, limit: int) -> str | None:
    value = values.get(key)
    if value is not None and (not value or len(value.encode()) > limit):
        raise ConfigError(f"lldp.{key}: expected a non-empty string of at most {limit} bytes")
    return value


def _words(values: dict[str, Any], key: str) -> tuple[str, ...]:
    for word in values[key]:
        if word not in names.CAPABILITY_BITS:
            raise ConfigError(f"lldp.{key}: unknown capability {word!r}",
                              hint=f"known: {', '.join(names.CAPABILITY_BITS)}")
    return tuple(values[key])


def _policy(item: dict[str, Any], i: int) -> org.NetworkPolicy:
    apps = {v: k for k, v in names.MED_APPLICATIONS.items()}
    if item["application"] not in apps:
        raise ConfigError(f"lldp.med_policies[{i}].application: one of {', '.join(apps)}")
    vlan = item.get("vlan", 0)
    tagged = item.get("tagged", vlan != 0)
    return org.NetworkPolicy(apps[item["application"]], False, tagged, vlan,
                             item.get("priority", 0), item.get("dscp", 0))


def parse_section(section: Any) -> LldpSettings:
    """``[lldp]`` (a dict from tomllib) -> :class:`LldpSettings`; ConfigError on anything wrong.

    Types, ranges, choices, unknown keys and defaults come from the schema;
    what it cannot say (interface names, TLV length limits, capability words,
    enabled capabilities being a subset) is checked here.
    """
    from chassisctl.config.keys import interface_name
    from chassisctl.config.validate import check_section

    values = check_section("lldp", section)
    ports = values.get("ports")
    if ports is not None:
        if not ports:
            raise ConfigError("lldp.ports: expected a non-empty list of interface names")
        for port in ports:
            if not interface_name(port):
                raise ConfigError(f"lldp.ports: {port!r} cannot be a network interface name")
        if len(set(ports)) != len(ports):
            raise ConfigError("lldp.ports: a port is listed twice")
        ports = tuple(ports)
    for text in values["management_addresses"]:
        try:
            ipaddress.ip_address(text)
        except ValueError:
            raise ConfigError(f"lldp.management_addresses: {text!r} is not an IPv4 or IPv6 address") from None
    for i, item in enumerate(values.get("vlans", ())):
        if not 1 <= len(item["name"].encode()) <= 32:
            raise ConfigError(f"lldp.vlans[{i}].name: expected 1 to 32 bytes")
    caps = _words(values, "capabilities")
    enabled = _words(values, "enabled_capabilities")
    if set(enabled) - set(caps):
        raise ConfigError("lldp.enabled_capabilities: every enabled capability must also be in capabilities")
    return LldpSettings(
        ports=ports, tx_interval=values["tx_interval"], tx_hold=values["tx_hold"],
        system_name=_text(values, "system_name", 255),
        system_description=_text(values, "system_description", 255),
        port_id_subtype=values["port_id_subtype"], capabilities=caps, enabled_capabilities=enabled,
        management_addresses=tuple(values["management_addresses"]), max_neighbors=values["max_neighbors"],
        port_vlan_id=values.get("port_vlan_id"), vlans=tuple((v["vid"], v["name"]) for v in values.get("vlans", ())),
        max_frame_size=values.get("max_frame_size"), med=values["med"],
        med_policies=tuple(_policy(p, i) for i, p in enumerate(values.get("med_policies", ()))))
