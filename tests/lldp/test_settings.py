"""``[lldp]`` parsing: defaults, the contract keys, and one clear error per bad value."""

from __future__ import annotations

import pytest

from chassisctl.errors import ConfigError
from chassisctl.lldp import org
from chassisctl.lldp.settings import parse_section


def test_defaults_and_agent_config() -> None:
    s = parse_section({})
    assert s.ports is None and (s.tx_interval, s.tx_hold, s.port_id_subtype) == (30, 4, "ifname")
    cfg = s.agent_config(chassis_mac=bytes.fromhex("020000000001"), hostname="host1", description="d")
    assert cfg.system_name == "host1" and cfg.tx_ttl == 121 and cfg.chassis_id.text == "02:00:00:00:00:01"
    assert (cfg.capabilities.supported, cfg.capabilities.enabled) == (0x0094, 0x0080)


def test_every_contract_key() -> None:
    s = parse_section({"ports": ["port1", "port2"], "tx_interval": 1, "tx_hold": 10, "system_name": "sw1",
                       "system_description": "rack 4", "port_id_subtype": "mac",
                       "management_addresses": ["192.0.2.1", "2001:db8::1"], "port_vlan_id": 10,
                       "vlans": [{"vid": 100, "name": "voice"}], "max_frame_size": 9216, "med": True,
                       "med_policies": [{"application": "voice", "vlan": 100, "priority": 5, "dscp": 46}],
                       "capabilities": ["router"], "enabled_capabilities": ["router"], "max_neighbors": 4})
    cfg = s.agent_config(chassis_mac=bytes(6), hostname="h", description="d")
    assert s.ports == ("port1", "port2") and cfg.tx_ttl == 11 and cfg.port_id_subtype == "mac"
    assert cfg.system_name == "sw1" and cfg.system_description == "rack 4" and cfg.max_neighbors == 4
    assert [m.text for m in cfg.management_addresses] == ["192.0.2.1", "2001:db8::1"]
    assert cfg.extra_tlvs == (org.PortVlanId(10), org.VlanName(100, "voice"), org.MaxFrameSize(9216))
    assert cfg.med and cfg.med_policies == (org.NetworkPolicy(1, False, True, 100, 5, 46),)


@pytest.mark.parametrize("section,match", [
    ({"bogus": 1}, "lldp.bogus: unknown key"),
    ({"ports": []}, "lldp.ports"),
    ({"ports": ["a/b"]}, "cannot be a network interface name"),
    ({"ports": ["p1", "p1"]}, "listed twice"),
    ({"ports": ["x" * 16]}, "cannot be a network interface name"),
    ({"tx_interval": 0}, "lldp.tx_interval"),
    ({"tx_interval": 1.5}, "lldp.tx_interval"),
    ({"tx_hold": True}, "lldp.tx_hold"),
    ({"port_id_subtype": "alias"}, "lldp.port_id_subtype"),
    ({"system_name": ""}, "lldp.system_name"),
    ({"system_description": "x" * 300}, "lldp.system_description"),
    ({"management_addresses": ["nope"]}, "not an IPv4 or IPv6 address"),
    ({"capabilities": ["teleporter"]}, "unknown capability"),
    ({"capabilities": ["router"], "enabled_capabilities": ["bridge"]}, "must also be in capabilities"),
    ({"vlans": [{"vid": 5000, "name": "x"}]}, r"lldp.vlans\[0\]"),
    ({"med": "yes"}, "lldp.med"),
    ({"med_policies": [{"application": "fax"}]}, "application"),
    ({"med_policies": [{"application": "voice", "dscp": 64}]}, "dscp"),
    ([], "expected a table"),
])
def test_bad_values_name_the_key(section, match) -> None:
    with pytest.raises(ConfigError, match=match):
        parse_section(section)


def test_defaults_are_the_schemas() -> None:
    """One declaration: an empty [lldp] takes every default chassisctl.toml(5) documents."""
    from chassisctl.config.schema import LLDP

    s = parse_section({})
    for name, key in LLDP.items():
        if key.default is not None:
            got = getattr(s, name)
            assert (list(got) if isinstance(got, tuple) else got) == key.default, name
