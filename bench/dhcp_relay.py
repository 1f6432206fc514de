"""chassisctl's DHCP relay side by side with ISC dhcrelay, in one run (root).

Three namespaces as in the interop tests (client ↔ relay ↔ dnsmasq server).
For DHCPv4 a client-mode generator (``_dhcp_loadgen.py``: raw AF_PACKET
DISCOVER/REQUEST from 200 client MACs, open loop) runs on the client link at
each rate, through:

* ``direct``: dnsmasq on the client link itself, no relay (the floor);
* ``chassisctl`` / ``dhcrelay``: each relay, without and with option 82.

For DHCPv6, ``perfdhcp -6`` (a true client without ``-A``) runs through
``chassisctl -6`` and ``dhcrelay -6``, and ``direct6`` against dnsmasq on
the client link.  Each (path, rate) is run ``--rounds`` times, rounds
interleaved so drift hits every path alike; the table prints medians with
the spread (min–max), DORA/s, loss, the median DISCOVER→OFFER time, the
added latency (path median − direct median) and the ratios chassisctl /
dhcrelay.  dhcrelay runs with ``-d`` (its usual debug log, to a file) and
chassisctl with its normal logging.  Timings here are noisy on 2 shared
cores: compare ratios, not absolutes.

    sudo .venv/bin/python bench/dhcp_relay.py [--rates 1000,2000,4000,8000] [--seconds 4] [--rounds 3] [--no-v6]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the namespace bed the interop tests use

from interop.dhcp_bed import Bed, wait_for  # noqa: E402

LOADGEN = Path(__file__).with_name("_dhcp_loadgen.py")
CLIENTS = 200


def relay_cmd(kind: str, v6: bool, with82: bool) -> list[str]:
    if kind == "chassisctl":
        argv = [sys.executable, "-m", "chassisctl", "dhcp-relay", "start", "--downstream", "dhr0",
                "--upstream", "dhr1"]
        if v6:
            return argv + ["-6", "--server", "2001:db8:2::2"]
        return argv + ["--server", "198.51.100.2"] + (["--option82", "replace"] if with82 else [])
    if v6:
        return ["dhcrelay", "-6", "-d", "-l", "dhr0", "-u", "2001:db8:2::2%dhr1"]
    return ["dhcrelay", "-d", "-4", *(["-a"] if with82 else []), "-iu", "dhr1", "-id", "dhr0", "198.51.100.2"]


class Bench:
    def __init__(self, bed: Bed, seconds: float) -> None:
        self.bed, self.seconds = bed, seconds

    def server(self, direct: bool):
        """dnsmasq: on the far side (relayed ranges), or on the client link (direct)."""
        ns, iface = (self.bed.relay, "dhr0") if direct else (self.bed.server, "dhs0")
        leases = self.bed.work / "bench.leases"
        leases.unlink(missing_ok=True)
        proc = self.bed.spawn(ns, [
            "dnsmasq", "--keep-in-foreground", "--port=0", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
            f"--interface={iface}", "--bind-interfaces", "--except-interface=lo",
            "--dhcp-range=192.0.2.10,192.0.2.250,255.255.255.0,1h",
            "--dhcp-range=2001:db8:1::1000,2001:db8:1::1fff,64,1h", "--dhcp-authoritative", "--no-ping",
            "--quiet-dhcp", "--quiet-dhcp6", f"--dhcp-leasefile={leases}", "--user=root",
            f"--pid-file={self.bed.work / 'bench-dnsmasq.pid'}"], "bench-dnsmasq")
        wait_for(lambda: ":67 " in self.bed.sh(ns, "ss", "-lun").stdout, 10, "dnsmasq")
        time.sleep(0.3)  # settle before the clock starts (the first run otherwise pays for start-up)
        return proc

    def start_relay(self, kind: str, v6: bool, with82: bool):
        proc = self.bed.spawn(self.bed.relay, relay_cmd(kind, v6, with82), f"bench-{kind}")
        port = ":547 " if v6 else ":67 "
        wait_for(lambda: port in self.bed.sh(self.bed.relay, "ss", "-lun").stdout or proc.popen.poll() is not None,
                 15, kind)
        time.sleep(0.3)
        assert proc.popen.poll() is None, proc.err()
        return proc

    def run4(self, path: str, rate: int) -> dict:
        direct = path == "direct"
        server = self.server(direct)
        relay = None
        try:
            if not direct:
                kind, _, tag = path.partition("+")
                relay = self.start_relay(kind, False, tag == "82")
            done = self.bed.sh(self.bed.client, sys.executable, str(LOADGEN), "dhc0", str(rate), str(self.seconds),
                               str(CLIENTS), timeout=self.seconds + 60)
            result = json.loads(done.stdout)
        finally:
            if relay is not None:
                self.bed.stop(relay)
            self.bed.stop(server)
        sent = max(result["discover"], 1)
        return {"dora": result["ack"] / self.seconds, "loss": 100.0 * (1 - result["ack"] / sent),
                "latency": result["d_o"]["median_ms"]}

    def run6(self, path: str, rate: int) -> dict:
        direct = path == "direct6"
        server = self.server(direct)
        relay = None
        try:
            if not direct:
                relay = self.start_relay(path.removesuffix("6"), True, False)
            done = self.bed.sh(self.bed.client, "perfdhcp", "-6", "-l", "dhc0", "-r", str(rate), "-R", str(CLIENTS),
                               "-p", str(int(self.seconds)), "-d", "2", check=False, timeout=self.seconds + 60)
        finally:
            if relay is not None:
                self.bed.stop(relay)
            self.bed.stop(server)
        return parse_perfdhcp(done.stdout, self.seconds)


def parse_perfdhcp(text: str, seconds: float) -> dict:
    """Exchanges/s, loss (%) and average first-exchange delay (ms) from perfdhcp's report."""
    sections = re.split(r"\*\*\*Statistics for: ", text)
    first = sections[1] if len(sections) > 1 else text
    sent = int(re.search(r"sent packets: (\d+)", first).group(1)) if "sent packets" in first else 0
    received = int(re.search(r"received packets: (\d+)", first).group(1)) if "received packets" in first else 0
    second = sections[2] if len(sections) > 2 else ""
    completed = int(re.search(r"received packets: (\d+)", second).group(1)) if "received packets" in second else 0
    delay = re.search(r"avg delay: ([\d.]+) ms", first)
    loss = 100.0 * (1 - completed / sent) if sent else 100.0
    return {"dora": completed / seconds, "loss": loss, "latency": float(delay.group(1)) if delay else None,
            "first_received": received}


def summary(values: list[float | None]) -> tuple[float | None, float | None, float | None]:
    clean = [v for v in values if v is not None]
    if not clean:
        return None, None, None
    return statistics.median(clean), min(clean), max(clean)


def fmt(triple, unit: str = "", digits: int = 1) -> str:
    med, lo, hi = triple
    if med is None:
        return "n/a"
    return f"{med:.{digits}f}{unit} [{lo:.{digits}f}–{hi:.{digits}f}]"


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None:
        return "n/a"
    if abs(b) < 1e-9:
        return "=" if abs(a) < 1e-9 else "∞"
    return f"{a / b:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rates", default="1000,2000,4000,8000")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-v6", action="store_true")
    parser.add_argument("--no-82", action="store_true")
    args = parser.parse_args()
    for tool in ("dnsmasq", "dhcrelay", "perfdhcp", "ip"):
        if shutil.which(tool) is None:
            print(f"bench/dhcp_relay.py: {tool} is not installed (./scripts/test.sh installs it)", file=sys.stderr)
            return 1
    rates = [int(r) for r in args.rates.split(",")]
    paths4 = ["direct", "chassisctl", "dhcrelay"] + ([] if args.no_82 else ["chassisctl+82", "dhcrelay+82"])
    paths6 = [] if args.no_v6 else ["direct6", "chassisctl6", "dhcrelay6"]
    results: dict[tuple[str, int], list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="dhcp-bench-") as work:
        bed = Bed(Path(work))
        try:
            bed.create()
            bench = Bench(bed, args.seconds)
            for round_no in range(args.rounds):
                for rate in rates:
                    for path in paths4 + paths6:
                        run = bench.run6 if path in paths6 else bench.run4
                        results.setdefault((path, rate), []).append(run(path, rate))
                        r = results[(path, rate)][-1]
                        print(f"round {round_no + 1} {path:>14} {rate:>5}/s: {r['dora']:.0f}/s, loss {r['loss']:.1f} %, "
                              f"latency {r['latency']} ms", file=sys.stderr, flush=True)
        finally:
            bed.destroy()
    print(f"\nDHCP relay bench: {args.rounds} rounds x {args.seconds:g} s per step, medians [min–max]; "
          "latency = DISCOVER→OFFER median (v4) or perfdhcp's avg first delay (v6), ms\n")
    header = f"{'path':>14} {'rate':>6} {'DORA/s':>22} {'loss %':>20} {'latency ms':>24} {'added ms':>10}"
    print(header)
    for rate in rates:
        base4 = summary([r["latency"] for r in results.get(("direct", rate), [])])[0]
        base6 = summary([r["latency"] for r in results.get(("direct6", rate), [])])[0]
        for path in paths4 + paths6:
            rows = results[(path, rate)]
            lat = summary([r["latency"] for r in rows])
            base = base6 if path in paths6 else base4
            added = None if lat[0] is None or base is None or path.startswith("direct") else lat[0] - base
            print(f"{path:>14} {rate:>6} {fmt(summary([r['dora'] for r in rows]), digits=0):>22} "
                  f"{fmt(summary([r['loss'] for r in rows])):>20} {fmt(lat, digits=3):>24} "
                  f"{'' if added is None else f'{added:+.3f}':>10}")
        print()
    print("ratios chassisctl / dhcrelay (loss: lower is better; added latency: target <= 2.00)")
    for rate in rates:
        parts = []
        for ours, theirs, base_path in (("chassisctl", "dhcrelay", "direct"), ("chassisctl+82", "dhcrelay+82", "direct"),
                                        ("chassisctl6", "dhcrelay6", "direct6")):
            if (ours, rate) not in results:
                continue
            lo = summary([r["loss"] for r in results[(ours, rate)]])[0]
            lt = summary([r["loss"] for r in results[(theirs, rate)]])[0]
            base = summary([r["latency"] for r in results[(base_path, rate)]])[0]
            ao = summary([r["latency"] for r in results[(ours, rate)]])[0]
            at = summary([r["latency"] for r in results[(theirs, rate)]])[0]
            added_o = None if ao is None or base is None else ao - base
            added_t = None if at is None or base is None else at - base
            parts.append(f"{ours}: loss {lo:.1f} vs {lt:.1f} % (ratio {ratio(lo, lt)}), "
                         f"added latency ratio {ratio(added_o, added_t)}")
        print(f"  {rate:>5}/s  " + "; ".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
