"""serve as a daemon: `status` start-up, /metrics scrape time, idle cost.

Side by side in one run, ratios printed (these machines are noisy):

* ``chassisctl status`` from a running serve, as process time against bare
  ``python3 -c pass`` (budget: 6x), interleaved, medians and spread;
* a /metrics scrape with 32 sensors, 64 LLDP neighbours and two DHCP relays:
  server-side time as the metrics service records it (budget: p99 under
  10 ms), and the client's round trip on loopback beside it;
* serve idle with every service on: CPU over a quiet interval (budget:
  under 1 % of one core) and resident memory (budget: under 60 MB).

The topology (root needed): a namespace ``sd-dut-*`` holding serve, 64
veth ports whose peers sit in ``sd-peer-*`` and send one LLDPDU each (TTL
3600, so the table stays full), and two downstream relay interfaces with
addresses.  Everything is removed at the end.

    sudo .venv/bin/python bench/serve_daemon.py [--rounds 5] [--idle 20]
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import json
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PORTS = 64


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=check, capture_output=True, text=True)


def lldpdu(mac: bytes, port: str, name: str) -> bytes:
    """Chassis ID (MAC), Port ID (ifname), TTL 3600, System Name, End."""
    def tlv(kind: int, value: bytes) -> bytes:
        return struct.pack("!H", kind << 9 | len(value)) + value

    body = (tlv(1, b"\x04" + mac) + tlv(2, b"\x05" + port.encode()) + tlv(3, struct.pack("!H", 3600))
            + tlv(5, name.encode()) + tlv(0, b""))
    return b"\x01\x80\xc2\x00\x00\x0e" + mac + b"\x88\xcc" + body


class Topology:
    def __init__(self) -> None:
        tag = secrets.token_hex(2)
        self.dut, self.peer = f"sd-dut-{tag}", f"sd-peer-{tag}"

    def __enter__(self) -> Topology:
        sh("ip", "netns", "add", self.dut)
        sh("ip", "netns", "add", self.peer)
        for ns in (self.dut, self.peer):
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        for i in range(PORTS):
            sh("ip", "link", "add", f"p{i}", "netns", self.dut, "type", "veth", "peer", "name", f"e{i}",
               "netns", self.peer, "address", f"02:00:00:00:{i // 256:02x}:{i % 256:02x}")
            sh("ip", "-n", self.dut, "link", "set", f"p{i}", "up")
            sh("ip", "-n", self.peer, "link", "set", f"e{i}", "up")
        for i, net in enumerate(("192.0.2", "203.0.113")):
            sh("ip", "link", "add", f"r{i}", "netns", self.dut, "type", "veth", "peer", "name", f"c{i}",
               "netns", self.peer)
            sh("ip", "-n", self.dut, "addr", "add", f"{net}.1/24", "dev", f"r{i}")
            sh("ip", "-n", self.dut, "link", "set", f"r{i}", "up")
            sh("ip", "-n", self.peer, "link", "set", f"c{i}", "up")
        return self

    def __exit__(self, *exc: object) -> None:
        for ns in (self.dut, self.peer):
            sh("ip", "netns", "del", ns, check=False)

    def send_lldp(self) -> None:
        """One LLDPDU per port from the peer side (TTL 3600: no refresh needed)."""
        script = (
            "import socket,sys\n"
            "frames=eval(sys.stdin.read())\n"
            "for port,frame in frames:\n"
            "    s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\n"
            "    s.bind((port,0)); s.send(frame); s.close()\n")
        frames = [(f"e{i}", lldpdu(bytes([2, 0, 0, 1, i // 256, i % 256]), "eth0", f"peer{i}"))
                  for i in range(PORTS)]
        subprocess.run(["ip", "netns", "exec", self.peer, sys.executable, "-c", script], input=repr(frames),
                       text=True, check=True)

    def run(self, argv: list[str], **kw) -> subprocess.CompletedProcess:
        return subprocess.run(["ip", "netns", "exec", self.dut, *argv], **kw)


CONFIG = """\
[ipmi]
listen = "127.0.0.1:6230"

[metrics]
listen = "127.0.0.1:9623"
interval = 5

[lldp]
ports = [{ports}]
tx_interval = 30

[[dhcp_relay]]
downstream = ["r0"]
servers = ["198.51.100.2"]

[[dhcp_relay]]
downstream = ["r1"]
servers = ["198.51.100.3"]
option82 = "replace"
"""


def child_cpu(argv: list[str], env: dict[str, str], netns: Topology | None = None) -> float:
    """User + system CPU seconds of one process run to completion."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    full = ["ip", "netns", "exec", netns.dut, *argv] if netns else argv
    subprocess.run(full, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def spread(values: list[float]) -> str:
    return f"median {statistics.median(values):.3g} (min {min(values):.3g}, max {max(values):.3g}, n={len(values)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scrapes", type=int, default=300, help="back-to-back scrapes (mostly reused answers)")
    parser.add_argument("--cold", type=int, default=30, help="scrapes 1.1 s apart (each collects afresh)")
    parser.add_argument("--idle", type=float, default=20.0, help="seconds of idle CPU sampling")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("bench/serve_daemon.py needs root (network namespaces)", file=sys.stderr)
        return 77
    work = Path(tempfile.mkdtemp(prefix="chassisctl-bench-daemon-"))
    config = work / "chassisctl.toml"
    config.write_text(CONFIG.format(ports=", ".join(f'"p{i}"' for i in range(PORTS))))
    config.chmod(0o600)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHASSISCTL_", "XDG_"))}
    env.update(HOME=str(work), XDG_STATE_HOME=str(work / "state"), XDG_CACHE_HOME=str(work / "cache"),
               RUNTIME_DIRECTORY=str(work / "run"), CHASSISCTL_SIM_PACE="0", CHASSISCTL_CONFIG=str(config))
    chassisctl = [sys.executable, "-m", "chassisctl"]
    with Topology() as topo:
        log = open(work / "serve.log", "w")
        serve = subprocess.Popen(["ip", "netns", "exec", topo.dut, *chassisctl, "serve"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=log)
        try:
            deadline = time.monotonic() + 60
            while "ready:" not in (work / "serve.log").read_text():
                if serve.poll() is not None or time.monotonic() > deadline:
                    print((work / "serve.log").read_text(), file=sys.stderr)
                    return 1
                time.sleep(0.1)
            topo.send_lldp()
            time.sleep(1.0)
            status = topo.run([*chassisctl, "status", "--json"], env=env, capture_output=True, text=True)
            neighbours = status.stdout.count('"local_port"')
            print(f"serve up: {neighbours} LLDP neighbours reported by chassisctl status")

            # 1. chassisctl status vs bare python, interleaved
            bare, cmd = [], []
            for _ in range(args.rounds):
                bare.append(child_cpu([sys.executable, "-c", "pass"], env, topo))
                cmd.append(child_cpu([*chassisctl, "status", "--json"], env, topo))
            ratio = statistics.median(cmd) / statistics.median(bare)
            print(f"python -c pass        CPU s  {spread(bare)}")
            print(f"chassisctl status     CPU s  {spread(cmd)}")
            print(f"status / bare python  {ratio:.2f}x  (budget 6x: {'PASS' if ratio <= 6 else 'MISS'})")

            # 2. /metrics scrapes, timed at the client inside the namespace
            script = ("import time,urllib.request,json,sys\n"
                      "n=int(sys.argv[1]); out=[]\n"
                      "for _ in range(n):\n"
                      "    t=time.perf_counter(); urllib.request.urlopen('http://127.0.0.1:9623/metrics').read()\n"
                      "    out.append(time.perf_counter()-t)\n"
                      "print(json.dumps(out))\n")
            done = topo.run([sys.executable, "-c", script, str(args.scrapes)], capture_output=True, text=True,
                            check=True)

            cold_script = ("import time,urllib.request,sys\n"
                           "for _ in range(int(sys.argv[1])):\n"
                           "    time.sleep(1.1); urllib.request.urlopen('http://127.0.0.1:9623/metrics').read()\n")
            topo.run([sys.executable, "-c", cold_script, str(args.cold)], check=True)
            times = sorted(json.loads(done.stdout))
            p50, p99 = times[len(times) // 2] * 1e3, times[int(len(times) * 0.99) - 1] * 1e3
            doc = json.loads(topo.run([*chassisctl, "status", "--json"], env=env, capture_output=True,
                                      text=True, check=True).stdout)
            metrics = next(s for s in doc["services"] if s["name"] == "metrics")
            server_p99 = metrics["scrape_cold_p99_ms"]
            print(f"/metrics scrape       server, collecting: p50 {metrics['scrape_cold_p50_ms']:.2f} ms  "
                  f"p99 {server_p99:.2f} ms (budget p99 < 10 ms: {'PASS' if server_p99 < 10 else 'MISS'}); "
                  f"all {metrics['scrapes']} scrapes p50 {metrics['scrape_p50_ms']:.3f} ms  "
                  f"p99 {metrics['scrape_p99_ms']:.3f} ms; client round trip p50 {p50:.2f} ms  p99 {p99:.2f} ms")

            # 3. idle CPU and RSS
            time.sleep(2.0)
            cpu0, t0 = proc_cpu(serve.pid), time.monotonic()
            time.sleep(args.idle)
            cpu1, t1 = proc_cpu(serve.pid), time.monotonic()
            share = 100 * (cpu1 - cpu0) / (t1 - t0)
            rss = proc_rss_mb(serve.pid)
            print(f"serve idle            CPU {share:.2f} % of one core over {t1 - t0:.0f} s "
                  f"(budget < 1 %: {'PASS' if share < 1 else 'MISS'}), RSS {rss:.1f} MB "
                  f"(budget < 60 MB: {'PASS' if rss < 60 else 'MISS'})")
        finally:
            serve.terminate()
            serve.wait(15)
            log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
