"""Three network namespaces for the DHCP relay: client ↔ relay (two links) ↔ server.

::

    client ns              relay ns                                  server ns
    dhc0 (no address) <-veth-> dhr0 192.0.2.1/24     dhr1 198.51.100.1/24 <-veth-> dhs0 198.51.100.2/24
                               2001:db8:1::1/64      2001:db8:2::1/64              2001:db8:2::2/64
    server routes: 192.0.2.0/24 via 198.51.100.1; 2001:db8:1::/64 via 2001:db8:2::1

Namespace names carry the PID and a random suffix (the suite runs in
parallel, and so may other test runs on the machine); interface names live
inside the namespaces.  DAD is off (``dhclient -6`` cannot bind to a
tentative link-local), ``ip_forward`` is 0 in the relay namespace (a relay
is an application, not a router).  Every process started here is stopped
by PID and every namespace deleted in :meth:`Bed.destroy`.

Also here: dnsmasq as the distant server (it selects the pool by giaddr, or
link selection, or the Relay-Forward link-address), tcpdump captures read
back with :mod:`interop.pcap`, the relay itself, and a frame injector.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from interop import pcap
from interop.serve_fixture import in_ci, need

REPO = Path(__file__).resolve().parents[2]
INJECT = Path(__file__).with_name("dhcp_inject.py")


def need_root() -> None:
    if os.geteuid() != 0:
        if in_ci():
            pytest.fail("the DHCP relay interop tests need root (network namespaces)")
        pytest.skip("needs root for network namespaces")


def wait_for(predicate, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    stdout: Path
    stderr: Path

    def out(self) -> str:
        return self.stdout.read_text(errors="replace")

    def err(self) -> str:
        return self.stderr.read_text(errors="replace")


class Capture:
    def __init__(self, bed: Bed, proc: Proc, path: Path) -> None:
        self.bed, self.proc, self.path = bed, proc, path

    def stop(self) -> list[bytes]:
        time.sleep(0.3)  # let the last frames reach the file (-U flushes per packet)
        self.bed.stop(self.proc, signal.SIGINT)
        linktype, records = pcap.read(self.path)
        assert linktype == pcap.LINKTYPE_ETHERNET
        return [frame for _, frame in records]


class Bed:
    def __init__(self, work: Path) -> None:
        tag = f"{os.getpid() % 1000}-{secrets.token_hex(2)}"
        self.work = work
        self.client, self.relay, self.server = f"dhc-{tag}", f"dhr-{tag}", f"dhs-{tag}"
        self.procs: list[Proc] = []
        self.created: list[str] = []

    # -- plumbing -----------------------------------------------------------------------------
    def ip(self, *args: str) -> None:
        done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20)
        assert done.returncode == 0, f"ip {' '.join(args)}: {done.stderr}"

    def sh(self, ns: str, *argv: str, timeout: float = 30, check: bool = True, **kw) -> subprocess.CompletedProcess:
        done = subprocess.run(["ip", "netns", "exec", ns, *argv], capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL, **kw)
        if check:
            assert done.returncode == 0, f"{' '.join(argv)} in {ns}: rc {done.returncode}\n{done.stdout}{done.stderr}"
        return done

    def spawn(self, ns: str, argv: list[str], name: str, env: dict[str, str] | None = None) -> Proc:
        stdout, stderr = self.work / f"{name}.out", self.work / f"{name}.err"
        popen = subprocess.Popen(["ip", "netns", "exec", ns, *argv], stdout=stdout.open("wb"),
                                 stderr=stderr.open("wb"), stdin=subprocess.DEVNULL, env=env,
                                 start_new_session=True)
        proc = Proc(name, popen, stdout, stderr)
        self.procs.append(proc)
        return proc

    def stop(self, proc: Proc, sig: int = signal.SIGTERM, timeout: float = 5.0) -> int:
        if proc.popen.poll() is None:
            proc.popen.send_signal(sig)
            try:
                proc.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait(5)
        return proc.popen.returncode

    def create(self) -> Bed:
        need_root()
        need("ip")
        for ns in (self.client, self.relay, self.server):
            self.ip("netns", "add", ns)
            self.created.append(ns)
            for key in ("all", "default"):
                self.sh(ns, "sysctl", "-qw", f"net.ipv6.conf.{key}.accept_dad=0")
            self.sh(ns, "ip", "link", "set", "lo", "up")
        self.ip("link", "add", "dhc0", "netns", self.client, "type", "veth", "peer", "name", "dhr0",
                "netns", self.relay)
        self.ip("link", "add", "dhr1", "netns", self.relay, "type", "veth", "peer", "name", "dhs0",
                "netns", self.server)
        self.sh(self.relay, "sysctl", "-qw", "net.ipv4.ip_forward=0")
        for ns, ifname, addrs in ((self.client, "dhc0", ()),
                                  (self.relay, "dhr0", ("192.0.2.1/24", "2001:db8:1::1/64")),
                                  (self.relay, "dhr1", ("198.51.100.1/24", "2001:db8:2::1/64")),
                                  (self.server, "dhs0", ("198.51.100.2/24", "2001:db8:2::2/64"))):
            self.sh(ns, "sysctl", "-qw", f"net.ipv6.conf.{ifname}.accept_dad=0")
            for addr in addrs:
                self.sh(ns, "ip", "addr", "add", addr, "dev", ifname, "nodad")
            self.sh(ns, "ip", "link", "set", ifname, "up")
        self.sh(self.server, "ip", "route", "add", "192.0.2.0/24", "via", "198.51.100.1")
        self.sh(self.server, "ip", "-6", "route", "add", "2001:db8:1::/64", "via", "2001:db8:2::1")
        return self

    def destroy(self) -> None:
        for proc in reversed(self.procs):
            try:
                self.stop(proc, signal.SIGTERM, 3)
            except Exception:  # noqa: BLE001 - clean up the rest anyway
                pass
        for ns in self.created:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20)
        self.created.clear()

    # -- peers --------------------------------------------------------------------------------
    def dnsmasq(self, *extra: str, name: str = "dnsmasq") -> Proc:
        need("dnsmasq")
        leases = self.work / f"{name}.leases"
        leases.unlink(missing_ok=True)
        proc = self.spawn(self.server, [
            "dnsmasq", "--keep-in-foreground", "--port=0", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
            "--interface=dhs0", "--bind-interfaces", "--except-interface=lo",
            "--dhcp-range=192.0.2.10,192.0.2.250,255.255.255.0,1h",
            "--dhcp-range=2001:db8:1::1000,2001:db8:1::1fff,64,1h",
            "--dhcp-authoritative", "--no-ping", f"--dhcp-leasefile={leases}", "--log-dhcp",
            f"--log-facility={self.work / (name + '.log')}", f"--pid-file={self.work / (name + '.pid')}",
            "--user=root", *extra], name)
        wait_for(lambda: ":67 " in self.sh(self.server, "ss", "-lun").stdout, 10, "dnsmasq on port 67")
        return proc

    def capture(self, ns: str, ifname: str, name: str) -> Capture:
        need("tcpdump")
        path = self.work / f"{name}.pcap"
        proc = self.spawn(ns, ["tcpdump", "-i", ifname, "-n", "-U", "--immediate-mode", "-s", "0", "-w", str(path),
                               "udp port 67 or udp port 68 or udp port 546 or udp port 547"], f"tcpdump-{name}")
        wait_for(lambda: "listening on" in proc.err() or proc.popen.poll() is not None, 10, "tcpdump")
        assert proc.popen.poll() is None, proc.err()
        return Capture(self, proc, path)

    def start_relay(self, *flags: str, name: str = "relay", expect_ready: bool = True) -> Proc:
        argv = [sys.executable, "-m", "chassisctl", "dhcp-relay", "start", "--json", *flags]
        proc = self.spawn(self.relay, argv, name)
        if expect_ready:
            wait_for(lambda: "dhcp relay" in proc.err() or proc.popen.poll() is not None, 20, "the relay")
            assert proc.popen.poll() is None, proc.err()
        return proc

    def stop_relay(self, proc: Proc) -> dict:
        """SIGTERM; the relay must exit 0 and print its counters (JSON)."""
        rc = self.stop(proc, signal.SIGTERM, 10)
        assert rc == 0, f"relay exit {rc}\n{proc.err()}"
        return json.loads(proc.out())

    def inject(self, frames: list[bytes], ns: str | None = None, ifname: str = "dhc0") -> None:
        """Send raw Ethernet frames on ``ifname`` of the client namespace."""
        self.sh(ns or self.client, sys.executable, str(INJECT), ifname, *(f.hex() for f in frames))


def counters(doc: dict, ifname: str, index: int = 0) -> dict:
    return doc["relays"][index]["interfaces"].get(ifname, {"received": 0, "relayed": 0, "dropped": {}})
