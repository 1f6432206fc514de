"""``chassisctl lldp`` as a process, against a real control socket served from a thread.

The agent behind the socket is the real :class:`~chassisctl.lldp.agent.Agent`
fed with the fixture captures, so the records are what serve would return;
only the AF_PACKET sockets are missing (the namespace tests cover those).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import struct
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from chassisctl.lldp.agent import Agent, AgentConfig
from chassisctl.lldp.tlv import ChassisId
from chassisctl.serve.control import ControlServer

from lldp.pcapfile import DATA, frames

REQUIRED = ("local_port", "chassis_id", "chassis_id_subtype", "port_id", "port_id_subtype", "system_name",
            "port_description", "ttl", "age_s", "capabilities", "management_addresses")


def table_agent(*captures: tuple[str, str]) -> Agent:
    agent = Agent(AgentConfig(chassis_id=ChassisId(4, bytes(6)), system_name="dut", system_description="d",
                              transmit=False), rng=random.Random(1))
    for port in sorted({p for p, _ in captures}):
        agent.add_port(port, bytes(6), 0.0)
    for port, name in captures:
        agent.receive(port, frames(name)[0], 1.0)
    return agent


class ServedAgent:
    """A ControlServer answering lldp.* from ``agent`` on its own loop thread."""

    def __init__(self, path: Path, agent: Agent) -> None:
        self.path, self.agent = path, agent
        self.loop = asyncio.new_event_loop()
        self.server = ControlServer(path)
        self.server.register("lldp.neighbors", lambda args: {
            "neighbors": agent.neighbors(2.0), "departed": agent.departed(2.0), "ports": agent.ports,
            "local": {"chassis_id": "00:00:00:00:00:00"}})
        self.server.register("lldp.statistics", lambda args: agent.statistics() | {
            "uptime_s": 1.0, "service": {"ports_vanished": 3, "address_events": 7, "address_refreshes": 2}})
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> ServedAgent:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(10)
        return self

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHASSISCTL_", "XDG_"))}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_CACHE_HOME=str(tmp_path / "cache"),
               XDG_STATE_HOME=str(tmp_path / "state"), RUNTIME_DIRECTORY=str(tmp_path / "run"), NO_COLOR="1")
    return env


def cc(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chassisctl", *argv], env=env, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("captures", [
    (),
    (("port1", "lldpd-default.pcap"),),
    (("port1", "lldpd-default.pcap"), ("port2", "lldpd-mgmt.pcap"), ("port2", "synth-dot1-dot3.pcap"),
     ("port3", "lldpd-med.pcap")),
], ids=["zero", "one", "many"])
def test_json_has_the_same_shape_for_zero_one_or_many(captures, env, tmp_path) -> None:
    sock = tmp_path / "run" / "chassisctl.sock"
    with ServedAgent(sock, table_agent(*captures)):
        done = cc(env, "lldp", "neighbors", "--json")       # found through $RUNTIME_DIRECTORY
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["schema"] == 1 and doc["source"] == "agent" and isinstance(doc["neighbors"], list)
    assert len(doc["neighbors"]) == len(captures)
    for record in doc["neighbors"]:
        assert set(REQUIRED) <= set(record)
        assert isinstance(record["management_addresses"], list) and isinstance(record["unknown_tlvs"], list)
    keys = {frozenset(r) for r in doc["neighbors"]}
    assert len(keys) <= 1                                      # every record has the same keys


def test_the_table_and_the_details(env, tmp_path) -> None:
    sock = tmp_path / "c.sock"
    with ServedAgent(sock, table_agent(("port1", "lldpd-default.pcap"), ("port2", "synth-dot1-dot3.pcap"))):
        table = cc(env, "lldp", "neighbors", "--socket", str(sock))
        one = cc(env, "lldp", "neighbors", "--socket", str(sock), "--port", "port2", "--details")
        nope = cc(env, "lldp", "neighbors", "--socket", str(sock), "--port", "port7")
        stats = cc(env, "lldp", "statistics", "--socket", str(sock), "--json")
        plain_stats = cc(env, "lldp", "statistics", "--socket", str(sock))
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["LOCAL", "PORT", "NEIGHBOR", "PORT", "ID", "HOLD", "CAPABILITIES", "CHASSIS", "ID"]
    assert lines[1].split() == ["port1", "lldp-peer1", "02:00:00:00:01:01", "4", "S", "02:00:00:00:01:01"]
    assert lines[2].split() == ["port2", "synth-switch", "Ethernet12", "120", "BR", "192.0.2.50"]
    assert one.returncode == 0 and "VLAN               : 100 voice" in one.stdout and "lldp-peer1" not in one.stdout
    assert nope.returncode == 2 and nope.stderr.count("\n") == 1 and "port1, port2" in nope.stderr
    doc = json.loads(stats.stdout)
    assert [p["port"] for p in doc["ports"]] == ["port1", "port2"] and doc["totals"]["frames_in"] == 2
    assert doc["service"] == {"ports_vanished": 3, "address_events": 7, "address_refreshes": 2}
    assert plain_stats.stdout.splitlines()[1].split()[:3] == ["port1", "1", "0"]


def test_watch_prints_one_document_per_round(env, tmp_path) -> None:
    sock = tmp_path / "c.sock"
    with ServedAgent(sock, table_agent(("port1", "lldpd-default.pcap"))):
        done = cc(env, "lldp", "neighbors", "--socket", str(sock), "--json", "--watch", "0.2", "--count", "3")
    docs = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 0 and len(docs) == 3 and all(d["schema"] == 1 for d in docs)


def test_no_agent_is_one_line_exit_69_suggesting_listen(env, tmp_path) -> None:
    done = cc(env, "lldp", "neighbors", "--socket", str(tmp_path / "nothing.sock"))
    assert done.returncode == 69 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "--listen SECONDS" in done.stderr and "nothing.sock" in done.stderr
    stats = cc(env, "--json", "lldp", "statistics")
    assert stats.returncode == 69 and json.loads(stats.stderr)["error"]["code"] == "unreachable"


def test_a_foreign_owned_socket_is_refused(env, tmp_path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to give the socket away")
    path = tmp_path / "foreign.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen()
    try:
        os.chown(path, 65534, 65534)
        done = cc(env, "lldp", "neighbors", "--socket", str(path))
    finally:
        server.close()
    assert done.returncode == 77 and done.stderr.count("\n") == 1 and "refusing to trust it" in done.stderr


def test_a_stale_socket_file_is_no_agent(env, tmp_path) -> None:
    path = tmp_path / "stale.sock"
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))
    s.close()                                                 # bound, never listening: connection refused
    done = cc(env, "lldp", "neighbors", "--socket", str(path))
    assert done.returncode == 69 and "--listen" in done.stderr


def _pcapng(packets: list[bytes]) -> bytes:
    def block(kind: int, body: bytes) -> bytes:
        body += b"\x00" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", kind, n) + body + struct.pack("<I", n)

    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", 1, 0, 0))
    for i, p in enumerate(packets):
        ts = (1_700_000_000 + i) * 1_000_000
        out += block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(p), len(p)) + p)
    return out


def test_pcap_and_pcapng_decode_offline(env, tmp_path) -> None:
    done = cc(env, "--json", "lldp", "neighbors", "--pcap", str(DATA / "lldpd-med.pcap"))
    assert done.returncode == 0, done.stderr
    (record,) = json.loads(done.stdout)["neighbors"]
    assert record["system_name"] == "lldp-peer1" and record["med"]["power"]["watts"] == 5.0
    assert record["local_port"] is None
    ng = tmp_path / "capture.pcapng"
    ng.write_bytes(_pcapng(frames("lldpd-default.pcap") + frames("synth-dot1-dot3.pcap") + frames("lldpd-cdp.pcap")))
    done = cc(env, "--json", "lldp", "neighbors", "--pcap", str(ng))
    assert done.returncode == 0, done.stderr
    assert sorted(r["system_name"] for r in json.loads(done.stdout)["neighbors"]) == ["lldp-peer1", "synth-switch"]


def test_a_shutdown_in_a_capture_removes_its_neighbour(env, tmp_path) -> None:
    ng = tmp_path / "bye.pcapng"
    ng.write_bytes(_pcapng(frames("lldpd-default.pcap") + frames("lldpd-shutdown.pcap")))
    doc = json.loads(cc(env, "--json", "lldp", "neighbors", "--pcap", str(ng)).stdout)
    assert doc["neighbors"] == [] and [d["reason"] for d in doc["departed"]] == ["shutdown"]


@pytest.mark.parametrize("content,code", [(None, 66), (b"not a capture at all", 65), (b"\xd4\xc3\xb2\xa1", 65)],
                         ids=["missing", "garbage", "truncated-header"])
def test_bad_capture_files(content, code, env, tmp_path) -> None:
    path = tmp_path / "x.pcap"
    if content is not None:
        path.write_bytes(content)
    done = cc(env, "lldp", "neighbors", "--pcap", str(path))
    assert done.returncode == code and done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr


def test_conflicting_sources_are_usage_errors(env, tmp_path) -> None:
    for argv in (["--listen", "1", "--pcap", "x"], ["--count", "2"], ["--socket", "s", "--listen", "1"]):
        done = cc(env, "lldp", "neighbors", *argv)
        assert done.returncode == 2 and done.stderr.count("\n") == 1, (argv, done.stderr)
