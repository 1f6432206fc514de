"""Relay settings from flags and [[dhcp_relay]] tables: what is refused, and how."""

from __future__ import annotations

import pytest

from chassisctl.dhcp.config import from_tables, make
from chassisctl.errors import ConfigError, UsageError

BASE = {"downstream": ["dhr0"], "servers": ["198.51.100.2"]}


def test_defaults() -> None:
    config = make(BASE, fail=UsageError)
    assert (config.max_hops, config.option82, str(config.circuit_id), config.family) == (4, None, "ifname", "ipv4")
    v6 = make({"downstream": ["dhr0"], "servers": ["2001:db8:2::2"], "ipv6": True}, fail=UsageError)
    assert v6.max_hops == 8


@pytest.mark.parametrize("extra, message", [
    ({"upstream": ["dhr0"]}, "dhr0 is also downstream"),
    ({"servers": []}, "at least one DHCP server"),
    ({"servers": ["2001:db8::1"]}, "-6"),
    ({"servers": ["255.255.255.255"]}, "not a unicast"),
    ({"servers": ["server.example"]}, "not an IPv4 address"),
    ({"trusted": ["eth9"]}, "eth9 is not a downstream"),
    ({"option82": "keep"}, "not one of append"),
    ({"circuit_id": "ifname"}, "needs option 82"),
    ({"option82": "append", "circuit_id": "port"}, "not a format"),
    ({"link_selection": "dhr1"}, "sub-option 5"),
    ({"server_id_override": True}, "sub-option 11"),
    ({"option82": "append", "link_selection": "dhr0"}, "dhr0 is downstream"),
    ({"max_hops": 17}, "0..16"),
    ({"max_hops": True}, "0..16"),
    ({"downstream": []}, "at least one"),
    ({"downstream": ["a" * 16]}, "not an interface name"),
    ({"downstream": ["dhr0", "dhr0"]}, "listed twice"),
    ({"colour": "red"}, "unknown key"),
    ({"ipv6": True, "servers": ["2001:db8::1"], "option82": "append"}, "DHCPv4 only"),
    ({"ipv6": True, "servers": ["2001:db8::1"], "giaddr": "192.0.2.1"}, "DHCPv4 only"),
])
def test_refused(extra, message) -> None:
    with pytest.raises(UsageError) as info:
        make(BASE | extra, fail=UsageError)
    assert message in str(info.value)


def test_tables_name_the_table_and_refuse_shared_downstream() -> None:
    with pytest.raises(ConfigError) as info:
        from_tables([BASE, BASE | {"servers": ["203.0.113.2"]}], "/etc/c.toml")
    assert str(info.value).startswith("/etc/c.toml: dhcp_relay[1].downstream: dhr0 is already downstream")
    with pytest.raises(ConfigError) as info:
        from_tables([BASE, {"downstream": ["dhr2"], "upstream": ["dhr0"], "servers": ["203.0.113.2"]}])
    assert "dhcp_relay[1].upstream: dhr0 is downstream in dhcp_relay[0]" in str(info.value)
    with pytest.raises(ConfigError) as info:
        from_tables([BASE | {"max_hops": "x"}])
    assert "dhcp_relay[0].max_hops" in str(info.value)
    # One v4 and one v6 instance on the same interface is fine.
    both = from_tables([BASE, {"downstream": ["dhr0"], "servers": ["2001:db8:2::2"], "ipv6": True}])
    assert [c.family for c in both] == ["ipv4", "ipv6"]
    with pytest.raises(ConfigError):
        from_tables([])
