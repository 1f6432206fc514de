"""serve's start-up decisions: endpoints, the demo user, precedence, errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chassisctl.config import BmcSettings
from chassisctl.errors import ConfigError, UsageError
from chassisctl.serve.app import endpoints as _endpoints, lan_config, named as _named
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


def test_serve_answers_on_its_control_socket_and_removes_it(tmp_path: Path) -> None:
    from interop import serve_fixture as sf

    from chassisctl.control.client import query

    serve = sf.Serve(tmp_path / "serve").start()
    sock = tmp_path / "serve" / "run" / "chassisctl.sock"
    try:
        assert "control socket " + str(sock) in serve.log_text()
        ping = query("ping", socket_path=sock)
        assert ping["pid"] == serve.proc.pid and "serve.services" in ping["queries"]
        (ipmi,) = query("serve.services", socket_path=sock)["services"]
        assert ipmi["name"] == "ipmi-lan" and ipmi["state"] == "up" and ipmi["sessions"] == 0
        assert ipmi["listen"] == f"127.0.0.1:{serve.port}"
    finally:
        assert serve.stop() == 0
    assert not sock.exists()


def test_ipmi_disabled_with_nothing_else_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[ipmi]\nenabled = false\n")
    env = dict(os.environ, RUNTIME_DIRECTORY=str(tmp_path / "run"))
    done = _serve("--config", str(config), env=env)
    assert done.returncode == 78, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "chassisctl: error: [ipmi] enabled = false and no other service is configured: nothing to serve "
        "(add [lldp] or [[dhcp_relay]], or enable [ipmi])")
    config.write_text("[ipmi]\nenabled = 1\n")
    done = _serve("--config", str(config), env=env)
    assert done.returncode == 78 and "ipmi.enabled: expected true or false" in done.stderr


def test_a_second_serve_on_the_same_socket_is_refused(tmp_path: Path) -> None:
    from interop import serve_fixture as sf

    serve = sf.Serve(tmp_path / "one").start()
    try:
        env = dict(serve.env)
        done = _serve("--ipmi-listen", "127.0.0.1:0", env=env | {"CHASSISCTL_SIM_PACE": "0"})
        assert done.returncode == 78, done.stderr
        assert "another chassisctl serve is running" in done.stderr and "Traceback" not in done.stderr
        assert serve.alive()
    finally:
        serve.stop()
