"""Every section and key of ``chassisctl.toml``, declared once.

:mod:`chassisctl.config.validate` checks a file against these tables before
any section is used (unknown keys with the closest known one, types,
ranges, required keys, each error naming the file, line and key);
``config show`` prints the defaults and masks the secrets declared here;
``chassisctl.toml(5)`` must mention every key (its generator checks), and
TAB completion offers the dotted names.  What a table cannot express (one
key depending on another, an interface that must exist) is checked by the
section's owner when it builds its service.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Iterator, Mapping

from chassisctl.config.keys import Key

BMC: dict[str, Key] = {
    "bus": Key("strint", default="sim", env="CHASSISCTL_BUS", flag="--bus",
               doc='I2C bus: "/dev/i2c-N", N, or "sim[:NAME]" for the simulated chassis'),
    "addr": Key("addr", default=0x10, env="CHASSISCTL_ADDR", flag="--addr", hex=True,
                doc="the BMC's 7-bit SSIF address"),
    "transport": Key("str", choices=("ssif", "ipmb"), default="ssif", env="CHASSISCTL_TRANSPORT",
                     flag="--transport", doc="how IPMI reaches the BMC"),
    "pec": Key("str", choices=("auto", "on", "off"), default="auto", env="CHASSISCTL_PEC", flag="--pec",
               doc="SMBus packet error checking"),
    "timeout": Key("num", lo=0.001, hi=600, default=5.0, env="CHASSISCTL_TIMEOUT", flag="--timeout",
                   doc="seconds to wait for one BMC request"),
    "ipmb_device": Key("str", env="CHASSISCTL_IPMB_DEVICE",
                       doc="IPMB on a real bus: the kernel's slave device (/dev/ipmb-N)"),
    "ipmb_my_addr": Key("addr", default=0x08, env="CHASSISCTL_IPMB_MY_ADDR", hex=True,
                        doc="IPMB: our own 7-bit address"),
    "platform": Key("str", env="CHASSISCTL_PLATFORM", flag="--platform",
                    doc="platform description: a shipped name or a TOML file"),
    "node": Key("strint", env="CHASSISCTL_NODE", flag="--node", doc="node of a multi-node platform"),
}

IPMI_USER: dict[str, Key] = {
    "name": Key("str", required=True, doc='user name, at most 16 bytes; "" is the null user'),
    "password": Key("str", secret=True, doc="the password, at most 20 bytes (or password_file)"),
    "password_file": Key("str", doc="a file holding the password (mode 0600)"),
    "privilege": Key("str", choices=("user", "operator", "administrator"), default="user",
                     doc="highest privilege the user may take"),
    "enabled": Key("bool", default=True, doc="false keeps the user but refuses its logins"),
    "allow_empty_password": Key("bool", default=False, doc="an empty password starts only with this"),
}

IPMI: dict[str, Key] = {
    "enabled": Key("bool", default=True, doc="false: serve opens no BMC and no IPMI endpoint"),
    "listen": Key("listen", default="0.0.0.0:623", flag="--ipmi-listen", doc="IPMI over LAN address"),
    "interface": Key("str", flag="--ipmi-interface", doc="answer only on this network interface"),
    "cipher_suites": Key("int_list", lo=0, hi=17, default=[17, 3], doc="RMCP+ cipher suites offered, in order"),
    "allow_cipher_suite_0": Key("bool", default=False, doc="suite 0 (no authentication) needs this"),
    "allow_anonymous": Key("bool", default=False, doc="allow the null user"),
    "ipmi15_auth_types": Key("str_list", choices=("none", "md5", "password"), default=["md5"],
                             doc="IPMI 1.5 session authentication types"),
    "allow_ipmi15_auth_none": Key("bool", default=False, doc='"none" in ipmi15_auth_types needs this'),
    "kg": Key("str", secret=True, doc="the BMC key K_G in hexadecimal (or kg_file)"),
    "kg_file": Key("str", doc="a file holding K_G in hexadecimal (mode 0600)"),
    "session_timeout": Key("num", lo=1, hi=3600, default=60, doc="seconds idle before a session closes"),
    "handshake_timeout": Key("num", lo=0.1, hi=60, default=3, doc="seconds a half-open login may take"),
    "max_sessions": Key("int", lo=1, hi=62, default=15, doc="sessions open at once"),
    "max_sessions_per_user": Key("int", lo=1, hi=62, doc="sessions one user may hold"),
    "max_sessions_per_address": Key("int", lo=1, hi=62, doc="sessions one source address may hold"),
    "login_failures_burst": Key("int", lo=1, hi=100000, default=10,
                                doc="failed logins per source before it is throttled"),
    "login_failures_per_minute": Key("num", lo=0.001, hi=100000, default=10,
                                     doc="rate at which that allowance refills"),
    "ip_address": Key("ip", doc="reported by Get LAN Configuration Parameters"),
    "subnet_mask": Key("ip", default="0.0.0.0", doc="reported by Get LAN Configuration Parameters"),
    "default_gateway": Key("ip", default="0.0.0.0", doc="reported by Get LAN Configuration Parameters"),
    "mac_address": Key("str", default="00:00:00:00:00:00", doc="reported by Get LAN Configuration Parameters"),
    "ip_source": Key("str", choices=("unspecified", "static", "dhcp", "bios", "other"), default="static",
                     doc="reported by Get LAN Configuration Parameters"),
    "users": Key("tables", item=IPMI_USER, doc="[[ipmi.users]]: who may log in"),
}

NODE: dict[str, Key] = {
    "name": Key("strint", required=True, doc="a node of the platform, by name or number"),
    "listen": Key("listen", required=True, doc="this node's IPMI over LAN endpoint"),
}

SERVE: dict[str, Key] = {
    "sensor_poll_interval": Key("num", lo=0.1, hi=3600, default=1.0, flag="--sensor-poll-interval",
                                doc="longest age of a reading served to LAN clients"),
    "runtime_dir": Key("abspath", doc="serve's runtime directory (control socket, sensor-names.txt)"),
    "socket": Key("abspath", doc="the control socket"),
}

METRICS: dict[str, Key] = {
    "listen": Key("listen", default="127.0.0.1:9623", doc="address of the /metrics endpoint"),
    "interval": Key("num", lo=1, hi=3600, default=5.0, doc="longest age of the readings a scrape sees"),
}

LLDP_VLAN: dict[str, Key] = {
    "vid": Key("int", required=True, lo=1, hi=4094, doc="VLAN ID"),
    "name": Key("str", required=True, doc="VLAN name, 1 to 32 bytes"),
}

LLDP_MED_POLICY: dict[str, Key] = {
    "application": Key("str", required=True, doc="LLDP-MED application type, e.g. voice"),
    "vlan": Key("int", lo=0, hi=4095, default=0, doc="VLAN ID (0: priority tagged)"),
    "priority": Key("int", lo=0, hi=7, default=0, doc="802.1p priority"),
    "dscp": Key("int", lo=0, hi=63, default=0, doc="DiffServ code point"),
    "tagged": Key("bool", doc="tagged frames (default: when vlan is not 0)"),
}

LLDP: dict[str, Key] = {
    "ports": Key("str_list", doc="ports the agent runs on (default: every physical port that is up)"),
    "tx_interval": Key("int", lo=1, hi=3600, default=30, doc="msgTxInterval, seconds between LLDPDUs"),
    "tx_hold": Key("int", lo=1, hi=100, default=4, doc="msgTxHold: TTL = tx_interval x tx_hold"),
    "system_name": Key("str", doc="System Name TLV (default: the hostname)"),
    "system_description": Key("str", doc="System Description TLV (default: chassisctl and the kernel)"),
    "port_id_subtype": Key("str", choices=("ifname", "mac", "local"), default="ifname",
                           doc="what the Port ID TLV carries"),
    "capabilities": Key("str_list", default=["bridge", "router", "station"], doc="System Capabilities: supported"),
    "enabled_capabilities": Key("str_list", default=["station"], doc="System Capabilities: enabled"),
    "management_addresses": Key("str_list", default=[], doc="Management Address TLVs (IPv4/IPv6)"),
    "max_neighbors": Key("int", lo=1, hi=1024, default=32, doc="neighbours kept per port"),
    "port_vlan_id": Key("int", lo=1, hi=4094, doc="802.1 Port VLAN ID TLV"),
    "vlans": Key("tables", item=LLDP_VLAN, doc="802.1 VLAN Name TLVs: {vid, name}"),
    "max_frame_size": Key("int", lo=64, hi=65535, doc="802.3 Maximum Frame Size TLV"),
    "med": Key("bool", default=False, doc="send LLDP-MED TLVs"),
    "med_policies": Key("tables", item=LLDP_MED_POLICY, doc="LLDP-MED Network Policy TLVs"),
}

DHCP_RELAY: dict[str, Key] = {
    "downstream": Key("names", required=True, doc="client-side interfaces (--downstream)"),
    "upstream": Key("names", doc="server-side interfaces (--upstream)"),
    "servers": Key("names", required=True, doc="DHCP server addresses (--server)"),
    "giaddr": Key("ip", doc="the relay address put in giaddr (--giaddr)"),
    "option82": Key("str", choices=("append", "replace", "forward", "discard"),
                    doc="insert option 82, and the policy for one already there (absent: no option 82)"),
    "circuit_id": Key("str", default="ifname", doc="circuit-id format (--circuit-id)"),
    "remote_id": Key("str", doc="remote-id format (--remote-id)"),
    "link_selection": Key("str", doc="interface named by link-selection, RFC 3527 (--link-selection)"),
    "server_id_override": Key("bool", default=False, doc="server-identifier-override, RFC 5107"),
    "max_hops": Key("int", lo=0, hi=32, doc="drop above this many hops (default 4; 8 for DHCPv6)"),
    "trusted": Key("names", doc="downstream interfaces whose clients may send option 82"),
    "ipv6": Key("bool", default=False, doc="a DHCPv6 relay (-6)"),
}

#: The whole file: section -> its Key (``table`` or ``tables``, ``item`` its keys).
FILE: dict[str, Key] = {
    "bmc": Key("table", item=BMC, doc="how to reach the BMC (or platform)"),
    "ipmi": Key("table", item=IPMI, doc="serve's IPMI over LAN endpoint"),
    "nodes": Key("tables", item=NODE, doc="one IPMI endpoint per node of a platform"),
    "serve": Key("table", item=SERVE, doc="the serve daemon"),
    "metrics": Key("table", item=METRICS, doc="Prometheus metrics (absent: off)"),
    "lldp": Key("table", item=LLDP, doc="the LLDP agent (absent: off)"),
    "dhcp_relay": Key("tables", item=DHCP_RELAY, doc="DHCP relay instances"),
}

SECTIONS = tuple(FILE)


def walk(keys: Mapping[str, Key] = FILE, prefix: str = "") -> Iterator[tuple[str, Key]]:
    """Every declared key as ("ipmi.users.name", Key), depth first."""
    for name, key in keys.items():
        dotted = f"{prefix}{name}"
        yield dotted, key
        if key.item is not None:
            yield from walk(key.item, dotted + ".")


def dotted_names() -> list[str]:
    return [name for name, _ in walk()]


def default_of(section: str, key: str) -> Any:
    return FILE[section].item[key].default  # type: ignore[index] # every section declares its keys
