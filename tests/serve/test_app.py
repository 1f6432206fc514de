"""serve's start-up decisions: endpoints, the demo user, precedence, errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chassisctl.config import BmcSettings
from chassisctl.errors import ConfigError, UsageError
from chassisctl.serve.app import _endpoints, _named, lan_config
from chassisctl.transport.base import NodeInfo


class _FourNodes:
    def nodes(self):
        return [NodeInfo(f"node{i}", i) for i in range(1, 5)]


NODES = {"nodes": [{"name": "node1", "listen": "0.0.0.0:16231"},
                   {"name": "2", "listen": "0.0.0.0:16232"}]}


def test_demo_user_only_on_the_simulator_and_only_on_loopback() -> None:
    config, demo = lan_config({"ipmi": {"listen": "0.0.0.0:6230"}}, None, BmcSettings(bus="sim"), None)
    assert demo and config.host == "127.0.0.1" and [u.name for u in config.users] == ["admin"]
    with pytest.raises(ConfigError, match="nobody could log in"):
        lan_config({}, None, BmcSettings(bus="/dev/i2c-1"), None)


def test_demo_user_never_faces_the_network_on_node_endpoints() -> None:
    base, demo = lan_config(NODES, None, BmcSettings(bus="sim", platform="compute-4n"), None)
    endpoints = _endpoints(NODES, _FourNodes(), base, demo=demo)
    assert [(n, c.host, c.port) for n, c in endpoints] == [("node1", "127.0.0.1", 16231),
                                                           ("node2", "127.0.0.1", 16232)]


def test_configured_users_keep_their_node_addresses(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("secret")
    secret.chmod(0o600)
    doc = NODES | {"ipmi": {"users": [{"name": "a", "password_file": str(secret), "privilege": "user"}]}}
    base, demo = lan_config(doc, None, BmcSettings(bus="sim"), None)
    assert not demo
    assert {c.host for _, c in _endpoints(doc, _FourNodes(), base)} == {"0.0.0.0"}


def test_ipmi_listen_with_several_nodes_is_a_usage_error() -> None:
    base, _ = lan_config(NODES, None, BmcSettings(bus="sim"), None)
    with pytest.raises(UsageError, match="several nodes"):
        _endpoints(NODES, _FourNodes(), base, listen_override="127.0.0.1:6230")


def test_section_errors_name_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    with pytest.raises(ConfigError) as info:
        _named(path, lambda: lan_config({"ipmi": {"max_sessions": 0}}, path, BmcSettings(), None))
    assert str(info.value).startswith(f"{path}: ipmi.max_sessions")


def test_interface_is_validated_and_overridable() -> None:
    config, _ = lan_config({"ipmi": {"interface": "lo"}}, None, BmcSettings(), None)
    assert config.interface == "lo"
    config, _ = lan_config({"ipmi": {"interface": "lo"}}, None, BmcSettings(), None, "eth7")
    assert config.interface == "eth7"
    with pytest.raises(ConfigError, match="ipmi.interface"):
        lan_config({"ipmi": {"interface": "a/b"}}, None, BmcSettings(), None)


def _serve(*args: str, env: dict[str, str], timeout: float = 15) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chassisctl", "serve", *args], capture_output=True,
                          text=True, env=env, timeout=timeout)


def test_unknown_interface_is_one_line_and_exit_78(tmp_path: Path) -> None:
    env = dict(os.environ, CHASSISCTL_SIM_PACE="0", XDG_STATE_HOME=str(tmp_path / "s"),
               XDG_CACHE_HOME=str(tmp_path / "c"))
    done = _serve("--ipmi-listen", "127.0.0.1:0", "--ipmi-interface", "nosuchif0", env=env)
    assert done.returncode == 78, done.stderr
    errors = [line for line in done.stderr.splitlines() if "error" in line]
    assert errors == ["chassisctl: error: cannot listen on 127.0.0.1:0 on nosuchif0: "
                      "no such network interface 'nosuchif0'"]
    assert "Traceback" not in done.stderr and done.stdout == ""
