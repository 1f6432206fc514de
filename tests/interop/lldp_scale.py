"""Hundreds of LLDP ports in two namespaces: serve's agent on one side, a frame counter on the other.

Shared by ``tests/interop/test_lldp_scale.py`` and ``bench/lldp_scale.py``.
A :class:`ScaleBed` is a namespace pair joined by ``ports`` veth pairs
(``port1..portN`` on the agent's side, ``r1..rN`` on the receiver's), made
with one ``ip -batch`` per namespace so that 512 ports take a fraction of a
second.  The names carry the pid and a random suffix (the suite runs in
parallel, other sessions test on the same machine); :meth:`ScaleBed.close`
stops what it started by PID and deletes both namespaces, whatever
happened.

:class:`Receiver` is one AF_PACKET socket for ethertype 0x88CC in the
receiver namespace, unbound so that it hears every port, counting per port
the LLDPDUs with a TTL and the TTL-0 (shutdown) ones.  It is a separate
process so that the agent's side is measured alone; it reports when its
stdin closes.  The agent is ``chassisctl serve`` with only ``[lldp]``
(:class:`interop.lldp_lab.Dut`).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from interop.lldp_lab import Dut, sh, wait_for

#: The receiver: counts, per interface, LLDPDUs with TTL > 0 and TTL 0; prints them as JSON once stdin closes.
RECEIVER = r"""
import json, os, select, socket, struct, sys
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88CC))
try:
    sock.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE: a stop is one burst from every port
except OSError:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
sock.setblocking(False)
counts, malformed, dropped_at = {}, 0, None

def ttl_of(frame):
    pos = 14
    for _ in range(3):  # chassis id, port id, ttl: mandatory and first
        if pos + 2 > len(frame):
            return None
        head = struct.unpack_from("!H", frame, pos)[0]
        kind, length = head >> 9, head & 0x1FF
        if kind == 3 and length == 2 and pos + 4 <= len(frame):
            return struct.unpack_from("!H", frame, pos + 2)[0]
        pos += 2 + length
    return None

def drain():
    global malformed
    while True:
        try:
            frame, addr = sock.recvfrom(9216)
        except BlockingIOError:
            return
        ttl = ttl_of(frame)
        if ttl is None:
            malformed += 1
            continue
        entry = counts.setdefault(addr[0], [0, 0])
        entry[0 if ttl else 1] += 1

print("ready", flush=True)
stdin = sys.stdin.fileno()
for _ in range(100000):  # bounded: ~2.7 h at the select timeout, far past any test
    ready, _, _ = select.select([sock, stdin], [], [], 0.1)
    if sock in ready:
        drain()
    if stdin in ready and not os.read(stdin, 4096):
        break
for _ in range(5):  # the last frames in flight
    select.select([sock], [], [], 0.1)
    drain()
print(json.dumps({"ports": counts, "malformed": malformed}), flush=True)
"""


class Receiver:
    """The frame counter in the receiver namespace (see the module docstring)."""

    def __init__(self, netns: str) -> None:
        self.proc = subprocess.Popen(["ip", "netns", "exec", netns, sys.executable, "-c", RECEIVER],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            self.proc.kill()
            raise RuntimeError(f"the LLDP receiver did not start: {line!r}")

    def report(self, timeout: float = 10) -> dict[str, Any]:
        """Stop and return ``{"ports": {ifname: [frames with TTL, TTL-0 frames]}, "malformed": n}``."""
        out, _ = self.proc.communicate(timeout=timeout)
        return json.loads(out.strip().splitlines()[-1])

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


class ScaleBed:
    """``ports`` veth pairs between an agent namespace (``.dut``) and a receiver namespace (``.rx``)."""

    def __init__(self, ports: int) -> None:
        self.prefix = f"ls{os.getpid() % 10000}{secrets.token_hex(2)}"
        self.dut, self.rx = f"{self.prefix}d", f"{self.prefix}r"
        self.ports = [f"port{n}" for n in range(1, ports + 1)]
        self.work = Path(tempfile.mkdtemp(prefix="chassisctl-lldp-scale-"))
        self.work.chmod(0o755)
        self.namespaces: list[str] = []
        self.duts: list[Dut] = []
        self.receivers: list[Receiver] = []
        try:
            for ns in (self.dut, self.rx):
                sh("ip", "netns", "add", ns)
                self.namespaces.append(ns)
                sh("ip", "-n", ns, "link", "set", "lo", "up")
            # Both ends are created inside their namespaces: nothing appears in the host's.
            batch("", [f"link add port{n} netns {self.dut} address 02:00:00:00:{n >> 8:02x}:{n & 0xFF:02x} "
                       f"type veth peer name r{n} netns {self.rx}" for n in range(1, ports + 1)])
            batch(self.dut, [f"link set port{n} up" for n in range(1, ports + 1)])
            batch(self.rx, [f"link set r{n} up" for n in range(1, ports + 1)])
        except BaseException:
            self.close()
            raise

    def receiver(self) -> Receiver:
        rx = Receiver(self.rx)
        self.receivers.append(rx)
        return rx

    def agent(self, **lldp: Any) -> Dut:
        dut = Dut(self, {"ports": self.ports} | lldp, name=f"dut{len(self.duts)}")  # type: ignore[arg-type]
        self.duts.append(dut)
        return dut

    def delete_ports(self, names: list[str]) -> None:
        """Delete veth pairs (both ends go) in one batch, as a hot-unplug or a script would."""
        batch(self.dut, [f"link del {name}" for name in names])

    def close(self) -> None:
        for dut in self.duts:
            try:
                dut.stop()
            except Exception:  # noqa: BLE001 - teardown goes on
                pass
        for rx in self.receivers:
            try:
                rx.kill()
            except Exception:  # noqa: BLE001
                pass
        for ns in reversed(self.namespaces):
            sh("ip", "netns", "del", ns, check=False)
        self.namespaces.clear()
        shutil.rmtree(self.work, ignore_errors=True)


def batch(netns: str, commands: list[str]) -> None:
    """``ip [-n NETNS] -batch -`` over ``commands``: one process, one netlink socket."""
    argv = ["ip", *(["-n", netns] if netns else []), "-batch", "-"]
    done = subprocess.run(argv, input="\n".join(commands) + "\n", capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"$ {' '.join(argv)}\nexit {done.returncode}\n{done.stdout}{done.stderr}")


def announced(dut: Dut, ports: list[str]) -> bool:
    """Has the agent sent at least one LLDPDU on every one of ``ports``?"""
    try:
        stats = dut.query("lldp.statistics")["ports"]
    except Exception:  # noqa: BLE001 - starting, or not answering yet
        return False
    return all(stats.get(p, {}).get("frames_out", 0) >= 1 for p in ports)


def sigterm_to_exit(dut: Dut, timeout: float = 30) -> tuple[float, int | None]:
    """SIGTERM serve and wait: (seconds to exit, exit status)."""
    assert dut.proc is not None
    start = time.monotonic()
    code = dut.stop(timeout)
    return time.monotonic() - start, code


def stop_ms(log: str) -> float | None:
    """The LLDP service's own stop time, from its ``lldp: stopped: … in N ms`` line."""
    for line in reversed(log.splitlines()):
        if "lldp: stopped:" in line:
            return float(line.rsplit(" in ", 1)[1].split()[0])
    return None


def wait_announced(dut: Dut, ports: list[str], timeout: float = 30) -> bool:
    return bool(wait_for(lambda: announced(dut, ports), timeout, 0.2))
