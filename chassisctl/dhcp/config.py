"""One relay instance's settings, checked once, from flags or a ``[[dhcp_relay]]`` table.

The command line and the configuration file spell the same settings (the
table's keys mirror the flags), so both go through :func:`make`; only the
error differs: a bad flag is a usage error (exit 2), a bad table a
configuration error (exit 78) naming the file and the table.

Refused here, before any socket opens: an interface that is both upstream
and downstream (a relay that hears its own forwarded requests sends
duplicates, the opnsense/core#6226 failure), the same downstream interface in
two instances, trusted interfaces that are not downstream, and option-82
settings without option 82.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable, Mapping, Sequence

from chassisctl.config.keys import interface_name
from chassisctl.config.schema import DHCP_RELAY
from chassisctl.dhcp import option82
from chassisctl.dhcp.option82 import IdFormat
from chassisctl.errors import ChassisError, ConfigError

#: The keys of ``[[dhcp_relay]]`` and the option-82 policies, as the schema declares them.
KEYS = tuple(DHCP_RELAY)
POLICIES = DHCP_RELAY["option82"].choices or ()
#: RFC 1542 §4.1.1 suggests 4 as the configurable threshold; 16 is its ceiling.
DEFAULT_MAX_HOPS_V4 = 4
MAX_HOPS_V4 = 16
#: RFC 8415 §7.6 HOP_COUNT_LIMIT (RFC 3315 had 32).
DEFAULT_MAX_HOPS_V6 = 8
MAX_HOPS_V6 = 32


@dataclass(frozen=True, slots=True)
class RelayConfig:
    downstream: tuple[str, ...]
    servers: tuple[str, ...]
    upstream: tuple[str, ...] = ()
    giaddr: str | None = None
    option82: str | None = None
    circuit_id: IdFormat = IdFormat("ifname")
    remote_id: IdFormat | None = None
    link_selection: str | None = None
    server_id_override: bool = False
    max_hops: int = DEFAULT_MAX_HOPS_V4
    trusted: tuple[str, ...] = ()
    ipv6: bool = False

    @property
    def family(self) -> str:
        return "ipv6" if self.ipv6 else "ipv4"

    @property
    def name(self) -> str:
        return f"{self.family}:{','.join(self.downstream)}"

    def describe(self) -> dict[str, Any]:
        return {"family": self.family, "downstream": list(self.downstream), "upstream": list(self.upstream),
                "servers": list(self.servers), "giaddr": self.giaddr, "option82": self.option82,
                "circuit_id": str(self.circuit_id) if self.option82 else None,
                "remote_id": None if self.remote_id is None else str(self.remote_id),
                "link_selection": self.link_selection, "server_id_override": self.server_id_override,
                "max_hops": self.max_hops, "trusted": list(self.trusted)}


def _ifnames(value: Any, what: str, fail: Callable[[str], ChassisError]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise fail(f"{what}: expected a list of interface names")
    out: list[str] = []
    for name in value:
        if not interface_name(name):
            raise fail(f"{what}: {name!r} is not an interface name")
        if name in out:
            raise fail(f"{what}: {name} is listed twice")
        out.append(name)
    return tuple(out)


def _address(text: Any, version: int, what: str, fail: Callable[[str], ChassisError]) -> str:
    if not isinstance(text, str):
        raise fail(f"{what}: expected an address string")
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        raise fail(f"{what}: {text!r} is not an IPv{version} address") from None
    if addr.version != version:
        raise fail(f"{what}: {text} is not an IPv{version} address"
                   + (" (use -6 / ipv6 = true for DHCPv6)" if addr.version == 6 else ""))
    if addr.is_unspecified or addr.is_multicast or (version == 4 and addr == ipaddress.IPv4Address("255.255.255.255")):
        raise fail(f"{what}: {text} is not a unicast address")
    return str(addr)


def make(values: Mapping[str, Any], *, fail: Callable[[str], ChassisError],
         key: Callable[[str], str] = lambda k: k) -> RelayConfig:
    """A checked RelayConfig; ``fail(message)`` builds the error, ``key(name)`` names a setting."""
    unknown = [k for k in values if k not in KEYS]
    if unknown:
        raise fail(f"{key(unknown[0])}: unknown key (known: {', '.join(KEYS)})")
    ipv6 = values.get("ipv6", False)
    if not isinstance(ipv6, bool):
        raise fail(f"{key('ipv6')}: expected true or false")
    version = 6 if ipv6 else 4
    downstream = _ifnames(values.get("downstream"), key("downstream"), fail)
    if not downstream:
        raise fail(f"{key('downstream')}: name at least one client-side interface")
    upstream = _ifnames(values.get("upstream"), key("upstream"), fail)
    overlap = sorted(set(upstream) & set(downstream))
    if overlap:
        raise fail(f"{key('upstream')}: {', '.join(overlap)} is also downstream: a relay must never forward "
                   "onto the segment it heard the packet on")
    raw_servers = values.get("servers")
    if isinstance(raw_servers, str):
        raw_servers = [raw_servers]
    if not isinstance(raw_servers, (list, tuple)) or not raw_servers:
        raise fail(f"{key('servers')}: name at least one DHCP server address")
    servers: list[str] = []
    for text in raw_servers:
        addr = _address(text, version, key("servers"), fail)
        if addr not in servers:
            servers.append(addr)
    trusted = _ifnames(values.get("trusted"), key("trusted"), fail)
    stray = [name for name in trusted if name not in downstream]
    if stray:
        raise fail(f"{key('trusted')}: {stray[0]} is not a downstream interface")
    giaddr = values.get("giaddr")
    if giaddr is not None:
        if ipv6:
            raise fail(f"{key('giaddr')}: giaddr is DHCPv4 only")
        giaddr = _address(giaddr, 4, key("giaddr"), fail)
    policy = values.get("option82")
    if policy is not None:
        if ipv6:
            raise fail(f"{key('option82')}: option 82 is DHCPv4 only (DHCPv6 relays send Interface-ID)")
        if policy not in POLICIES:
            raise fail(f"{key('option82')}: {policy!r} is not one of {', '.join(POLICIES)}")
    formats: dict[str, IdFormat | None] = {}
    for name in ("circuit_id", "remote_id"):
        text = values.get(name)
        if text is None:
            formats[name] = None
            continue
        if not isinstance(text, str):
            raise fail(f"{key(name)}: expected a format string")
        if policy is None and not (ipv6 and name == "remote_id"):
            raise fail(f"{key(name)}: needs option 82 ({key('option82')})")
        try:
            formats[name] = option82.parse_format(text)
        except ValueError as exc:
            raise fail(f"{key(name)}: {exc}") from None
    link_selection = values.get("link_selection")
    if link_selection is not None:
        (link_selection,) = _ifnames([link_selection], key("link_selection"), fail)
        if policy is None:
            raise fail(f"{key('link_selection')}: needs option 82 ({key('option82')}): "
                       "link selection is its sub-option 5 (RFC 3527)")
        if link_selection in downstream:
            raise fail(f"{key('link_selection')}: {link_selection} is downstream; name the interface whose "
                       "address the servers can reach")
    sio = values.get("server_id_override", False)
    if not isinstance(sio, bool):
        raise fail(f"{key('server_id_override')}: expected true or false")
    if sio and policy is None:
        raise fail(f"{key('server_id_override')}: needs option 82 ({key('option82')}): "
                   "server identifier override is its sub-option 11 (RFC 5107)")
    ceiling = MAX_HOPS_V6 if ipv6 else MAX_HOPS_V4
    max_hops = values.get("max_hops", DEFAULT_MAX_HOPS_V6 if ipv6 else DEFAULT_MAX_HOPS_V4)
    if isinstance(max_hops, bool) or not isinstance(max_hops, int) or not (1 if ipv6 else 0) <= max_hops <= ceiling:
        raise fail(f"{key('max_hops')}: expected a number within {1 if ipv6 else 0}..{ceiling}")
    return RelayConfig(downstream, tuple(servers), upstream, giaddr, policy,
                       formats["circuit_id"] or IdFormat("ifname"), formats["remote_id"], link_selection, sio,
                       max_hops, trusted, ipv6)


def from_tables(section: Any, where: str = "") -> list[RelayConfig]:
    """The ``[[dhcp_relay]]`` array of tables; ConfigError (78) names the table."""
    prefix = f"{where}: " if where else ""
    if isinstance(section, dict):
        section = [section]
    if not isinstance(section, list) or not section:
        raise ConfigError(f"{prefix}dhcp_relay: expected one or more [[dhcp_relay]] tables")
    configs: list[RelayConfig] = []
    for i, table in enumerate(section):
        if not isinstance(table, dict):
            raise ConfigError(f"{prefix}dhcp_relay[{i}]: expected a table")
        configs.append(make(table, fail=lambda m: ConfigError(prefix + m), key=_key_of(i)))
    check_instances(configs, fail=lambda m: ConfigError(prefix + m))
    return configs


def check_instances(configs: Sequence[RelayConfig], *, fail: Callable[[str], ChassisError]) -> None:
    """Two instances of one family must not share a downstream interface (duplicate requests)."""
    seen: dict[tuple[str, str], int] = {}
    for i, config in enumerate(configs):
        for name in config.downstream:
            other = seen.setdefault((config.family, name), i)
            if other != i:
                raise fail(f"dhcp_relay[{i}].downstream: {name} is already downstream in dhcp_relay[{other}]: "
                           "two relays on one segment would send every request twice")
        for name in config.upstream:
            for j, peer in enumerate(configs):
                if peer.family == config.family and name in peer.downstream:
                    raise fail(f"dhcp_relay[{i}].upstream: {name} is downstream in dhcp_relay[{j}]")


def _key_of(index: int) -> Callable[[str], str]:
    """How a key of ``[[dhcp_relay]]`` number ``index`` is named in messages."""
    return lambda key: f"dhcp_relay[{index}].{key}"
