"""Network namespaces, veth pairs and lldpd peers around a chassisctl LLDP agent.

One :class:`Lab` is a DUT namespace (ports ``port1..portN``) and one
namespace per peer (``eth0``), each pair of ends created directly inside
its namespace, so only the namespace names are global: they carry the pid
and a random suffix, because the suite runs in parallel and other sessions
test on the same machine.  Peers run lldpd 1.0.16 in the foreground
(``-d``: the PID we hold is its privsep monitor) with their own control
socket and config file; chassisctl serve runs in the DUT namespace with its
own control socket.  Everything is stopped by PID and every namespace
deleted in :meth:`Lab.close`, whatever happened.

Without root, ``ip`` or ``lldpd`` the tests skip — and fail under CI=true.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from collections.abc import Callable

import pytest

from interop.serve_fixture import in_ci

REPO = Path(__file__).resolve().parents[2]


def need_lab(*binaries: str) -> None:
    """Root, namespaces and the peer binaries, or skip (fail under CI=true)."""
    problems = []
    if os.geteuid() != 0:
        problems.append("not root")
    for binary in ("ip", *binaries):
        if shutil.which(binary) is None:
            problems.append(f"{binary} is not installed")
    if problems:
        if in_ci():
            pytest.fail("LLDP lab needs " + ", ".join(problems) + " (required under CI=true)")
        pytest.skip(", ".join(problems))


def sh(*argv: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if check and done.returncode != 0:
        raise RuntimeError(f"$ {' '.join(argv)}\nexit {done.returncode}\n{done.stdout}{done.stderr}")
    return done


def wait_for(predicate: Callable[[], Any], timeout: float, interval: float = 0.25) -> Any:
    """Poll until ``predicate()`` is truthy (returned) or ``timeout`` passes (None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(interval)


def toml_value(value: Any) -> str:
    """TOML for the config shapes [lldp] takes (JSON spells scalars and lists the same way)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(value)


def peer_mac(n: int) -> str:
    return f"02:00:00:00:{n:02x}:01"


def dut_mac(n: int) -> str:
    return f"02:00:00:00:00:{n:02x}"


class Peer:
    """lldpd in its own namespace, on its ``eth0``."""

    def __init__(self, lab: Lab, n: int) -> None:
        self.lab, self.n = lab, n
        self.ns = f"{lab.prefix}p{n}"
        self.state = lab.work / f"peer{n}"
        self.state.mkdir(mode=0o755)  # lldpd's privsep user creates its socket here
        self.sock = self.state / "lldpd.sock"
        self.proc: subprocess.Popen | None = None
        self.config: list[str] = []
        self.extra_args: list[str] = []

    def start(self, config: list[str] | None = None, extra_args: list[str] | None = None) -> Peer:
        if config is not None:
            self.config = config
        if extra_args is not None:
            self.extra_args = extra_args
        lines = [f"configure system hostname lldp-peer{self.n}", "configure lldp tx-interval 1",
                 "configure lldp tx-hold 4", *self.config]
        conf = self.state / "lldpd.conf"
        conf.write_text("\n".join(lines) + "\n")
        self.sock.unlink(missing_ok=True)
        log = open(self.state / "lldpd.log", "ab")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "lldpd", "-d", "-u", str(self.sock), "-p", str(self.state / "pid"),
             "-O", str(conf), "-I", "eth0", *self.extra_args],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        if not wait_for(self.sock.exists, 10, 0.05):
            raise RuntimeError(f"lldpd peer{self.n} did not create its socket:\n{self.log()}")
        self.cli("-c", str(conf))
        self.cli("resume")
        self.cli("update")
        return self

    def log(self) -> str:
        try:
            return (self.state / "lldpd.log").read_text(errors="replace")
        except OSError:
            return ""

    def cli(self, *args: str) -> str:
        return sh("ip", "netns", "exec", self.ns, "lldpcli", "-u", str(self.sock), *args).stdout

    def neighbors(self) -> list[dict[str, Any]]:
        """lldpcli -f json0 show neighbors details, as [{interface, chassis_id, port_id, name, ttl}]."""
        doc = json.loads(self.cli("-f", "json0", "show", "neighbors", "details"))
        out = []
        for lldp in doc.get("lldp", []):
            for iface in lldp.get("interface", []):
                chassis, port = iface["chassis"][0], iface["port"][0]
                out.append({"interface": iface["name"], "chassis_id": chassis["id"][0]["value"],
                            "chassis_type": chassis["id"][0]["type"],
                            "name": chassis.get("name", [{}])[0].get("value"),
                            "port_id": port["id"][0]["value"], "port_type": port["id"][0]["type"],
                            "ttl": int(port["ttl"][0]["value"]) if "ttl" in port else None,
                            "mgmt": [m["value"] for m in chassis.get("mgmt-ip", [])],
                            "descr": port.get("descr", [{}])[0].get("value")})
        return out

    def pids(self) -> list[int]:
        """The monitor (ours) and its privsep child."""
        if self.proc is None:
            return []
        # `ip netns exec` execs lldpd in place, so our child is the monitor itself.
        children = sh("pgrep", "-P", str(self.proc.pid), check=False).stdout.split()
        return [self.proc.pid, *map(int, children)]

    def kill(self, sig: int) -> None:
        for pid in self.pids():
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.kill(signal.SIGCONT)
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill(signal.SIGKILL)
                self.proc.wait(5)
        self.proc = None


class Dut:
    """``chassisctl serve`` with only ``[lldp]`` in the DUT namespace."""

    def __init__(self, lab: Lab, lldp: dict[str, Any], name: str = "dut") -> None:
        self.lab = lab
        self.dir = lab.work / name
        self.dir.mkdir()
        self.socket = self.dir / "chassisctl.sock"
        self.config = self.dir / "chassisctl.toml"
        lines = ["[ipmi]", "enabled = false", "", "[serve]", f'socket = "{self.socket}"', "", "[lldp]"]
        for key, value in lldp.items():
            lines.append(f"{key} = {toml_value(value)}")
        self.config.write_text("\n".join(lines) + "\n")
        self.log_path = self.dir / "serve.log"
        self.proc: subprocess.Popen | None = None

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CHASSISCTL_")}
        env.update(PYTHONUNBUFFERED="1", RUNTIME_DIRECTORY=str(self.dir), NO_COLOR="1")
        return env

    def start(self, timeout: float = 20) -> Dut:
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.lab.dut, sys.executable, "-m", "chassisctl", "--config", str(self.config),
             "serve"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log, env=self.env(), cwd=self.dir)
        log.close()
        if not wait_for(lambda: "ready:" in self.log() or self.proc.poll() is not None, timeout, 0.05) \
                or self.proc.poll() is not None:
            raise RuntimeError(f"serve did not start:\n{self.log()}")
        return self

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def cli(self, *args: str, netns: bool = False, timeout: float = 60) -> subprocess.CompletedProcess:
        argv = [sys.executable, "-m", "chassisctl", "--config", str(self.config), *args]
        if netns:
            argv = ["ip", "netns", "exec", self.lab.dut, *argv]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=self.env(),
                              stdin=subprocess.DEVNULL)

    def neighbors(self) -> list[dict[str, Any]]:
        done = self.cli("lldp", "neighbors", "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)["neighbors"]

    def query(self, name: str) -> Any:
        from chassisctl.control.client import query

        return query(name, socket_path=self.socket)

    def stop(self, timeout: float = 10) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        code, self.proc = self.proc.returncode, None
        return code


class Lab:
    """A DUT namespace with ``ports`` veth pairs, each to a peer namespace."""

    def __init__(self, ports: int) -> None:
        self.prefix = f"ll{os.getpid() % 1000}{secrets.token_hex(2)}"
        self.dut = f"{self.prefix}d"
        self.work = Path(tempfile.mkdtemp(prefix="chassisctl-lldp-"))
        self.work.chmod(0o755)
        self.namespaces: list[str] = []
        self.peers: list[Peer] = []
        self.duts: list[Dut] = []
        try:
            self._netns(self.dut)
            Path("/run/lldpd").mkdir(parents=True, exist_ok=True)  # lldpd's privsep chroot, shared
            for n in range(1, ports + 1):
                peer = Peer(self, n)
                self._netns(peer.ns)
                sh("ip", "link", "add", f"port{n}", "netns", self.dut, "address", dut_mac(n), "type", "veth",
                   "peer", "name", "eth0", "netns", peer.ns, "address", peer_mac(n))
                sh("ip", "-n", self.dut, "link", "set", f"port{n}", "up")
                sh("ip", "-n", peer.ns, "link", "set", "eth0", "up")
                self.peers.append(peer)
        except BaseException:
            self.close()
            raise

    def _netns(self, name: str) -> None:
        sh("ip", "netns", "add", name)
        self.namespaces.append(name)
        sh("ip", "-n", name, "link", "set", "lo", "up")

    def dut_agent(self, **lldp: Any) -> Dut:
        dut = Dut(self, lldp, name=f"dut{len(self.duts)}")
        self.duts.append(dut)
        return dut

    def in_dut(self, *argv: str, **kw: Any) -> subprocess.CompletedProcess:
        return sh("ip", "netns", "exec", self.dut, *argv, **kw)

    def close(self) -> None:
        for dut in self.duts:
            try:
                dut.stop()
            except Exception:  # noqa: BLE001 - teardown goes on
                pass
        for peer in self.peers:
            try:
                peer.stop()
            except Exception:  # noqa: BLE001
                pass
        for name in reversed(self.namespaces):
            sh("ip", "netns", "del", name, check=False)
        shutil.rmtree(self.work, ignore_errors=True)
