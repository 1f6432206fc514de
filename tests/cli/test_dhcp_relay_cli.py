"""``chassisctl dhcp-relay``: flag handling, exit codes and the status rendering (no root needed)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from chassisctl.cli.dhcp_relay import preprocess
from chassisctl.serve.control import ControlServer

STATUS = {"relays": [{"family": "ipv4", "downstream": ["eth1.100"], "upstream": [], "servers": ["198.51.100.2"],
                      "interfaces": {"eth1.100": {"received": 10, "relayed": 7, "dropped": {"bad_checksum": 2,
                                                                                            "max_hops": 1},
                                                  "notes": {}}}}]}


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chassisctl", *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("argv, expect", [
    (["dhcp-relay", "start", "--downstream", "a", "b", "--server", "x", "y"],
     ["dhcp-relay", "start", "--downstream", "a", "--downstream", "b", "--server", "x", "--server", "y"]),
    (["dhcp-relay", "start", "--downstream", "a", "--max-hops", "3", "-6"],
     ["dhcp-relay", "start", "--downstream", "a", "--max-hops", "3", "-6"]),
    (["dhcp-relay", "start", "--trusted", "a", "--downstream", "b", "c", "--json"],
     ["dhcp-relay", "start", "--trusted", "a", "--downstream", "b", "--downstream", "c", "--json"]),
    (["dhcp-relay", "status", "--json"], ["dhcp-relay", "status", "--json"]),
])
def test_list_flags_take_several_values(argv, expect) -> None:
    assert preprocess(argv) == expect


@pytest.mark.parametrize("args, needle", [
    (["--downstream", "eth0", "--server", "2001:db8::1"], "not an IPv4 address"),
    (["--downstream", "eth0", "eth1", "--upstream", "eth1", "--server", "198.51.100.2"], "eth1 is also downstream"),
    (["--downstream", "eth0", "--server", "198.51.100.2", "--option82", "keep"], "--option82: 'keep'"),
    (["--downstream", "eth0", "--server", "198.51.100.2", "--link-selection", "eth1"], "--option82"),
    (["--downstream", "eth0", "--server", "198.51.100.2", "--max-hops", "17"], "--max-hops"),
    (["--server", "198.51.100.2"], "--downstream"),
])
def test_bad_flags_are_usage_errors(args, needle) -> None:
    done = run("dhcp-relay", "start", *args)
    assert done.returncode == 2, done.stderr
    assert needle in done.stderr and "Traceback" not in done.stderr


def test_missing_interface_is_exit_78() -> None:
    done = run("dhcp-relay", "start", "--downstream", "nosuch-if9", "--server", "198.51.100.2")
    assert done.returncode == 78, done.stderr
    assert "interface nosuch-if9 does not exist" in done.stderr


def test_status_without_serve_is_exit_69(tmp_path: Path) -> None:
    done = run("dhcp-relay", "status", "--socket", str(tmp_path / "none.sock"))
    assert done.returncode == 69
    assert "chassisctl serve" in done.stderr


def _status_via_control(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    path = tmp_path / "c.sock"
    server = ControlServer(path)
    server.register("dhcp_relay.status", lambda args: STATUS)

    async def main():
        await server.start()
        try:
            return await asyncio.to_thread(run, "dhcp-relay", "status", "--socket", str(path), *args)
        finally:
            await server.stop()

    return asyncio.run(main())


def test_status_json_has_the_contract_shape(tmp_path: Path) -> None:
    done = _status_via_control(tmp_path, "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["schema"] == 1
    counts = doc["relays"][0]["interfaces"]["eth1.100"]
    assert (counts["received"], counts["relayed"], counts["dropped"]) == (10, 7, {"bad_checksum": 2, "max_hops": 1})


def test_status_table_when_piped(tmp_path: Path) -> None:
    done = _status_via_control(tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["RELAY", "INTERFACE", "RECEIVED", "RELAYED", "DROPPED", "REASONS"]
    assert lines[1].split() == ["ipv4", "eth1.100", "eth1.100", "10", "7", "3", "bad_checksum=2,", "max_hops=1"]
