"""``chassisctl config check|show``: the one schema at work, without a bus or a socket."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chassisctl", *args], capture_output=True, text=True, timeout=60,
                          env=env or os.environ.copy(), cwd=cwd)


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


GOOD = """\
[bmc]
bus = "/dev/i2c-97"          # no such bus here: check must not open it
addr = 0x10

[ipmi]
listen = "127.0.0.1:{port}"  # a port already in use: check must not bind it

[[ipmi.users]]
name = "admin"
password = "secret"
privilege = "administrator"

[metrics]
listen = "127.0.0.1:{port}"

[serve]
socket = "/nonexistent/dir/c.sock"
"""


def test_check_a_valid_file_opens_no_bus_and_no_socket(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", 0))
        port = busy.getsockname()[1]
        cfg = write(tmp_path / "c.toml", GOOD.format(port=port))
        done = run("config", "check", str(cfg))
        assert done.returncode == 0, done.stderr
        assert done.stdout == f"{cfg}: valid\n" and done.stderr == ""
        doc = json.loads(run("config", "check", str(cfg), "--json").stdout)
        assert doc == {"schema": 1, "file": str(cfg), "valid": True, "warnings": []}
    assert not Path("/nonexistent/dir").exists()


@pytest.mark.parametrize("text, message", [
    ("[ipmi]\nlisten = \"0.0.0.0:623\"\nmax_sesions = 4\n",
     ":3: ipmi.max_sesions: unknown key (did you mean 'max_sessions'?)"),
    ("[ipmi]\nsession_timeout = \"long\"\n", ":2: ipmi.session_timeout: expected a number, not a string"),
    ("[ipmi]\ncipher_suites = [17, 99]\n", ":2: ipmi.cipher_suites: every element must be 0..17"),
    ("[[nodes]]\nname = \"node1\"\n", ":1: nodes[0].listen: missing (required)"),
    ("[serve]\nsocket = \"relative.sock\"\n", ":2: serve.socket: expected an absolute path"),
    ("[ipmi]\ncipher_suites = [0]\n",
     "ipmi.cipher_suites: suite 0 (no authentication) needs allow_cipher_suite_0 = true"),
])
def test_check_an_invalid_file_exits_78_naming_file_line_and_key(tmp_path: Path, text: str, message: str) -> None:
    cfg = write(tmp_path / "c.toml", text)
    done = run("config", "check", str(cfg))
    assert done.returncode == 78
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"chassisctl: error: {cfg}") and message in line, line


def test_check_refuses_passwords_others_can_read(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", "[[ipmi.users]]\nname = \"a\"\npassword = \"x\"\n", mode=0o644)
    done = run("config", "check", str(cfg))
    assert done.returncode == 78 and "holds IPMI secrets but has mode 0644" in done.stderr


def test_check_node_endpoints_against_the_platform_description(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", '[bmc]\nplatform = "compute-4n"\n\n[[nodes]]\nname = "node9"\n'
                                     'listen = "127.0.0.1:6231"\n')
    done = run("config", "check", str(cfg))
    assert done.returncode == 78 and "nodes[0].name: 'node9' is not a node of this platform" in done.stderr


def test_check_warns_about_the_demo_user_and_without_a_file_says_so(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", "[serve]\nsensor_poll_interval = 2\n")
    done = run("config", "check", str(cfg))
    assert done.returncode == 0 and "warning: no [[ipmi.users]]" in done.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHASSISCTL_")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "none")
    if not Path("/etc/chassisctl/chassisctl.toml").exists():
        done = run("config", "check", env=env)
        assert done.returncode == 66 and "no configuration file to check" in done.stderr


def test_show_every_key_with_its_origin_and_secrets_masked(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", GOOD.format(port=6230))
    env = os.environ | {"CHASSISCTL_PEC": "off"}
    done = run("--config", str(cfg), "--timeout", "2", "config", "show", "--json", env=env)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    rows = {r["key"]: r for r in doc["settings"]}
    assert doc["schema"] == 1 and doc["file"] == str(cfg)
    assert rows["bmc.bus"] == {"key": "bmc.bus", "value": "/dev/i2c-97", "origin": "file"}
    assert rows["bmc.pec"] == {"key": "bmc.pec", "value": "off", "origin": "env", "via": "CHASSISCTL_PEC"}
    assert rows["bmc.timeout"] == {"key": "bmc.timeout", "value": 2.0, "origin": "flag", "via": "--timeout"}
    assert rows["bmc.transport"]["origin"] == "default"
    assert rows["ipmi.users[0].password"]["value"] == "********"
    assert "secret" not in done.stdout
    assert rows["ipmi.session_timeout"] == {"key": "ipmi.session_timeout", "value": 60, "origin": "default"}
    assert rows["lldp"]["value"] is None
    text = run("--config", str(cfg), "config", "show", "ipmi.users", "bmc.addr").stdout
    assert "ipmi.users[0].name" in text and "0x10" in text and "secret" not in text and "serve." not in text


def test_config_keys_complete_from_the_schema() -> None:
    env = os.environ | {"_CHASSISCTL_COMPLETE": "complete_bash",
                        "COMP_WORDS": "\n".join(["chassisctl", "config", "show", "ipmi.u"]), "COMP_CWORD": "3"}
    done = subprocess.run([sys.executable, "-m", "chassisctl"], capture_output=True, text=True, env=env, timeout=30)
    offered = [line.split(",", 1)[-1] for line in done.stdout.splitlines()]
    assert "ipmi.users.password" in offered and "ipmi.users.name" in offered, done.stdout
    assert all(o.startswith("ipmi.u") for o in offered), offered


def test_check_relays_across_tables(tmp_path: Path) -> None:
    """serve builds one unit per [[dhcp_relay]] table; the rule between tables still holds."""
    relay = '[[dhcp_relay]]\ndownstream = ["eth1"]\nservers = ["198.51.100.2"]\n'
    cfg = write(tmp_path / "c.toml", "[ipmi]\nenabled = false\n" + relay + relay)
    done = run("config", "check", str(cfg))
    assert done.returncode == 78
    assert "dhcp_relay[1].downstream: eth1 is already downstream in dhcp_relay[0]" in done.stderr


def test_check_warns_about_every_weak_setting_and_refuses_an_empty_password(tmp_path: Path) -> None:
    weak = write(tmp_path / "weak.toml", """\
[ipmi]
cipher_suites = [17, 0]
allow_cipher_suite_0 = true
ipmi15_auth_types = ["md5", "none"]
allow_ipmi15_auth_none = true

[[ipmi.users]]
name = "admin"
password = ""
privilege = "administrator"
allow_empty_password = true
""")
    done = run("--config", str(weak), "config", "check", "--json")
    assert done.returncode == 0, done.stderr
    warnings = json.loads(done.stdout)["warnings"]
    assert any("empty password" in w for w in warnings)
    assert any("suite 0" in w for w in warnings)
    assert any('"none"' in w for w in warnings)
    empty = write(tmp_path / "empty.toml", '[[ipmi.users]]\nname = "admin"\npassword = ""\n')
    done = run("--config", str(empty), "config", "check")
    assert done.returncode == 78 and "allow_empty_password" in done.stderr, done.stderr
