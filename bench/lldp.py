"""LLDP side by side: decode rate vs scapy, agent CPU vs lldpd, ``lldp neighbors`` start-up.

    .venv/bin/python bench/lldp.py [--rounds 7] [--ports 64] [--seconds 30] [--agent-rounds 5]
                                   [--agents serve,lldpd,floor] [--skip-agents] [--skip-startup]

Three measurements, each with the peer in the same run, printed as ratios
with medians and spread (min..max over rounds; this machine is shared and
noisy):

1. **Decode rate** — chassisctl's codec (``split_frame`` + ``decode_lldpdu``,
   every TLV to objects) against scapy's LLDP layer (``Ether(frame)`` with
   ``scapy.contrib.lldp`` loaded) on the same frames: the fixture captures
   plus generated ones (our agent's own frame with VLAN, 802.3 and MED TLVs,
   and a frame with 20 VLAN names).  Rounds alternate the two parsers.
   Target: at least 40x.
2. **Agent CPU at 64 ports** (root, lldpd) — ``--ports`` veth pairs into
   namespaces, an lldpd peer on each at tx-interval 1 (started once, the
   same peers for every agent).  On that topology, in turn and for the same
   window, each agent under test runs alone in the DUT namespace:
   chassisctl ``serve`` ([ipmi] enabled = false and only [lldp]:
   tx_interval 1, tx_hold 4, so no BMC mirror, no metrics), lldpd (``-I
   'port*'``, tx-interval 1, tx-hold 4) and the Python floor
   (``bench/lldp_floor.py``: the same sockets and frames with no agent
   behind them).  ``--agent-rounds`` rounds, the order rotating each round;
   each agent starts afresh, lists every neighbour, then 2 s pass before
   the window.  CPU is every thread's time on CPU from
   ``/proc/PID/task/*/schedstat`` (ns, not 10 ms ticks; lldpd's monitor and
   its worker).  Frames out and in per second over the window come from
   each agent's own counters (``lldp.statistics``, ``lldpcli show
   statistics summary``), read outside the window, so the same work is
   compared; nobody is queried inside the window.  Complete and stable:
   after the window every peer is listed, and since the start no
   neighbour was inserted twice, aged out or deleted (their counters; a
   flap cannot hide between samples).  Printed: median (min..max) CPU s/min
   per agent and the per-round ratios.  Target: serve no more CPU than
   lldpd.
3. **Start-up** — ``chassisctl lldp neighbors --json`` answering from a
   running agent vs ``python -c pass``, wall and CPU time of each process
   (median of interleaved runs).  Target: at most 6x.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# This directory holds scripts named like stdlib modules: keep it off the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(REPO / "tests"))

import argparse  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

from chassisctl.lldp import org  # noqa: E402
from chassisctl.lldp.agent import Agent, AgentConfig  # noqa: E402
from chassisctl.lldp.frame import build_frame, split_frame  # noqa: E402
from chassisctl.lldp.tlv import (  # noqa: E402
    ChassisId, Lldpdu, ManagementAddress, PortId, SystemName, Ttl, decode_lldpdu, encode_lldpdu)

FIXTURES = ("lldpd-default.pcap", "lldpd-med.pcap", "lldpd-mgmt.pcap", "lldpd-shutdown.pcap",
            "synth-dot1-dot3.pcap")


def spread(values: list[float], fmt: str = "{:.1f}") -> str:
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}..{fmt.format(max(values))})"


# --- 1. decode rate ------------------------------------------------------------------------------

def generated_frames() -> list[bytes]:
    agent = Agent(AgentConfig(
        chassis_id=ChassisId(4, bytes.fromhex("020000000001")), system_name="chassisctl-bench",
        system_description="chassisctl benchmark frame", med=True,
        management_addresses=(ManagementAddress(1, bytes([192, 0, 2, 1]), 2, 3),
                              ManagementAddress(2, bytes.fromhex("20010db8" + "0" * 22 + "01"), 2, 3)),
        extra_tlvs=(org.PortVlanId(10), org.VlanName(100, "voice"), org.MaxFrameSize(9216)),
        med_policies=(org.NetworkPolicy(1, False, True, 100, 5, 46),)), rng=random.Random(1))
    agent.add_port("port1", bytes.fromhex("020000000001"), 0.0, ifindex=3)
    from lldp.pcapfile import frames

    agent.receive("port1", frames("lldpd-med.pcap")[0], 0.0)  # makes it answer with MED
    agent.handle_timer(1.0)
    ours = [f for _, f in agent.frames_to_send()]
    vlans = Lldpdu((ChassisId(4, bytes.fromhex("020000000002")), PortId(5, b"Ethernet1/1"), Ttl(120),
                    SystemName("many-vlans"), *[org.VlanName(100 + i, f"vlan-{i:03d}") for i in range(20)]))
    return ours + [build_frame(bytes.fromhex("020000000002"), encode_lldpdu(vlans))]


def bench_decode(rounds: int) -> float:
    from lldp.pcapfile import frames

    corpus = [f for name in FIXTURES for f in frames(name)] + generated_frames()
    import logging

    logging.getLogger("scapy").setLevel(logging.ERROR)
    from scapy.contrib import lldp as _scapy_lldp  # noqa: F401 - registers the LLDP layer
    from scapy.layers.l2 import Ether

    for f in corpus:  # both sides must accept every frame
        decode_lldpdu(split_frame(f).payload)
        Ether(f)
    ours_us, scapy_us, ratios = [], [], []
    for _ in range(rounds):
        n = 300
        t = time.perf_counter()
        for _ in range(n):
            for f in corpus:
                decode_lldpdu(split_frame(f).payload)
        ours = (time.perf_counter() - t) / (n * len(corpus)) * 1e6
        m = 8
        t = time.perf_counter()
        for _ in range(m):
            for f in corpus:
                Ether(f)
        theirs = (time.perf_counter() - t) / (m * len(corpus)) * 1e6
        ours_us.append(ours)
        scapy_us.append(theirs)
        ratios.append(theirs / ours)
    mean = sum(len(f) for f in corpus) / len(corpus)
    print(f"1. decode, {len(corpus)} frames (mean {mean:.0f} B), {rounds} rounds, median (min..max)")
    print(f"   chassisctl  {spread(ours_us, '{:.2f}')} us/frame   {1e6 / statistics.median(ours_us):,.0f} frames/s")
    print(f"   scapy       {spread(scapy_us)} us/frame   {1e6 / statistics.median(scapy_us):,.0f} frames/s")
    ratio = statistics.median(ratios)
    print(f"   ratio scapy/chassisctl: {spread(ratios)}x   target >= 40x: {'met' if ratio >= 40 else 'NOT met'}")
    return ratio


# --- 2. agent CPU with 64 lldpd peers ---------------------------------------------------------------

def cpu_ns(pids: list[int]) -> int:
    """Time on CPU of every thread of ``pids`` (ns, /proc/PID/task/*/schedstat: exact, not ticks)."""
    total = 0
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                total += int(Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue
    return total


class ServeAgent:
    """``chassisctl serve`` with ``[ipmi] enabled = false`` and only ``[lldp]``: nothing else runs in it."""

    name = "chassisctl serve"

    def __init__(self, lab, ports: int) -> None:
        self.lab, self.ports = lab, ports

    def start(self) -> None:
        from interop.lldp_lab import wait_for

        names = [f"port{n}" for n in range(1, self.ports + 1)]
        self.dut = self.lab.dut_agent(ports=names, tx_interval=1, tx_hold=4, max_neighbors=4).start()
        if not wait_for(lambda: len(self.dut.query("lldp.neighbors")["neighbors"]) == self.ports, 30):
            raise RuntimeError(f"serve did not list all {self.ports} neighbours:\n{self.dut.log()}")

    def pids(self) -> list[int]:
        return [self.dut.proc.pid]

    def counters(self) -> dict[str, int]:
        t = self.dut.query("lldp.statistics")["totals"]
        return {"tx": t["frames_out"], "rx": t["frames_in"], "inserts": t["inserts"], "ageouts": t["ageouts"],
                "deletes": t["deletes"], "neighbors": len(self.dut.query("lldp.neighbors")["neighbors"])}

    def stop(self) -> None:
        self.dut.stop()


class LldpdAgent:
    """lldpd 1.0.16 as the agent under test on the same ports, tx-interval 1 and tx-hold 4 like ours."""

    name = "lldpd"

    def __init__(self, lab, ports: int) -> None:
        self.lab, self.ports, self.runs = lab, ports, 0

    def start(self) -> None:
        from interop.lldp_lab import wait_for

        self.runs += 1
        self.state = self.lab.work / f"dut-lldpd{self.runs}"
        self.state.mkdir(mode=0o755)
        conf = self.state / "lldpd.conf"
        conf.write_text("configure system hostname lldpd-dut\nconfigure lldp tx-interval 1\n"
                        "configure lldp tx-hold 4\n")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.lab.dut, "lldpd", "-d", "-u", str(self.state / "sock"),
             "-p", str(self.state / "pid"), "-O", str(conf), "-I", "port*"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_for((self.state / "sock").exists, 10, 0.05) or \
                not wait_for(lambda: self._summary()["neighbors"] == self.ports, 30):
            raise RuntimeError("lldpd did not list every neighbour")

    def _cli(self, *args: str) -> dict:
        import json

        from interop.lldp_lab import sh

        return json.loads(sh("ip", "netns", "exec", self.lab.dut, "lldpcli", "-u", str(self.state / "sock"),
                             "-f", "json0", *args).stdout)

    def _summary(self) -> dict[str, int]:
        stats = self._cli("show", "statistics", "summary")["lldp"][0]["summary"][0]
        out = {k: int(stats[f][0][f]) for k, f in (("tx", "tx"), ("rx", "rx"), ("inserts", "insert_cnt"),
                                                    ("ageouts", "ageout_cnt"), ("deletes", "delete_cnt"))}
        neighbors = self._cli("show", "neighbors")["lldp"]
        out["neighbors"] = sum(len(block.get("interface", [])) for block in neighbors)
        return out

    def pids(self) -> list[int]:
        from interop.lldp_lab import sh

        # `ip netns exec` execs lldpd in place: our child is its monitor, whose child does the work.
        return [self.proc.pid, *map(int, sh("pgrep", "-P", str(self.proc.pid), check=False).stdout.split())]

    def counters(self) -> dict[str, int]:
        return self._summary()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class FloorAgent:
    """``bench/lldp_floor.py``: the same sockets and frames, no agent (see its docstring)."""

    name = "python floor"

    def __init__(self, lab, ports: int) -> None:
        self.lab, self.ports, self.runs = lab, ports, 0

    def start(self) -> None:
        import json

        self.runs += 1
        self.file = self.lab.work / f"floor{self.runs}.json"
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.lab.dut, sys.executable, str(HERE / "lldp_floor.py"), "--interval", "1",
             "--counters", str(self.file), *[f"port{n}" for n in range(1, self.ports + 1)]],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        self._read = lambda: json.loads(self.file.read_text())
        time.sleep(2.0)
        if self.proc.poll() is not None:
            raise RuntimeError("bench/lldp_floor.py failed")

    def pids(self) -> list[int]:
        return [self.proc.pid]

    def counters(self) -> dict[str, int]:
        self.file.unlink(missing_ok=True)
        self.proc.send_signal(signal.SIGUSR1)
        from interop.lldp_lab import wait_for

        wait_for(self.file.exists, 5, 0.02)
        time.sleep(0.05)
        c = self._read()
        return {"tx": c["frames_out"], "rx": c["frames_in"], "wakeups": c["wakeups"]}

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def bench_agents(ports: int, seconds: float, rounds: int, which: list[str]) -> None:
    from interop.lldp_lab import Lab

    print(f"2. agent CPU, {ports} ports, every peer lldpd at tx-interval 1; each agent under test for "
          f"{seconds:.0f} s per round, {rounds} rounds, the order rotating")
    if os.geteuid() != 0 or not shutil.which("lldpd"):
        print("   skipped: needs root and lldpd")
        return
    lab = Lab(ports)
    try:
        t0 = time.monotonic()
        for peer in lab.peers:
            peer.start()
        print(f"   {ports} lldpd peers started in {time.monotonic() - t0:.1f} s")
        kinds = {"serve": ServeAgent, "lldpd": LldpdAgent, "floor": FloorAgent}
        agents = [kinds[k](lab, ports) for k in which]
        cpu: dict[str, list[float]] = {a.name: [] for a in agents}
        rates: dict[str, list[tuple[float, float]]] = {a.name: [] for a in agents}
        problems: dict[str, list[str]] = {a.name: [] for a in agents}
        extra: dict[str, list[str]] = {a.name: [] for a in agents}
        for r in range(rounds):
            order = agents[r % len(agents):] + agents[:r % len(agents)]
            for agent in order:
                agent.start()
                try:
                    time.sleep(2.0)  # fast start over; the table is already complete
                    first = agent.counters()
                    pids = agent.pids()
                    before, t = cpu_ns(pids), time.monotonic()
                    time.sleep(seconds)
                    used, elapsed = cpu_ns(pids) - before, time.monotonic() - t
                    last = agent.counters()
                finally:
                    agent.stop()
                cpu[agent.name].append(used / 1e9 / elapsed * 60)
                rates[agent.name].append(((last["tx"] - first["tx"]) / elapsed, (last["rx"] - first["rx"]) / elapsed))
                if "wakeups" in last:
                    extra[agent.name].append(f"{(last['wakeups'] - first['wakeups']) / elapsed:.0f}")
                if "neighbors" in last:
                    # Complete: every peer listed at the end; stable: no neighbour ever inserted twice,
                    # aged out or deleted since the start (the agents' own counters, not sampled).
                    if last["neighbors"] != ports or last["inserts"] != ports or last["ageouts"] or last["deletes"]:
                        problems[agent.name].append(f"round {r + 1}: {last}")
        for agent in agents:
            tx = [a for a, _ in rates[agent.name]]
            rx = [b for _, b in rates[agent.name]]
            if isinstance(agent, FloorAgent):  # no table: it only moves frames
                note = f"  wake-ups/s {', '.join(extra[agent.name])}"
            else:
                note = "" if problems[agent.name] else "  table complete and stable in every round"
            print(f"   {agent.name:17s} {spread(cpu[agent.name], '{:.3f}')} CPU s/min   frames/s out "
                  f"{statistics.median(tx):.1f} in {statistics.median(rx):.1f}{note}")
            for line in problems[agent.name]:
                print(f"      NOT stable: {line}")
        names = [a.name for a in agents]
        if "chassisctl serve" in names and "lldpd" in names:
            ratios = [a / b for a, b in zip(cpu["chassisctl serve"], cpu["lldpd"], strict=False)]
            ratio = statistics.median(ratios)
            stable = not problems["chassisctl serve"]
            print(f"   ratio chassisctl/lldpd per round: {spread(ratios, '{:.2f}')}x   target <= 1x: "
                  f"{'met' if ratio <= 1 else 'NOT met'}; complete and stable: {'yes' if stable else 'NO'}")
        if "python floor" in names:
            for other in ("chassisctl serve", "lldpd"):
                if other in names:
                    ratios = [a / b for a, b in zip(cpu[other], cpu["python floor"], strict=False)]
                    print(f"   ratio {other}/floor per round: {spread(ratios, '{:.2f}')}x")
    finally:
        lab.close()


# --- 3. start-up ---------------------------------------------------------------------------------

def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime, proc.returncode


def bench_startup(runs: int) -> None:
    import tempfile
    import threading

    from cli.test_lldp_cli import ServedAgent, table_agent

    print(f"3. start-up, {runs} interleaved runs each, median (min..max)")
    work = Path(tempfile.mkdtemp(prefix="chassisctl-bench-"))
    sock = work / "chassisctl.sock"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHASSISCTL_")}
    env.update(PYTHONPYCACHEPREFIX=str(work / "pycache"), XDG_CONFIG_HOME=str(work / "config"))
    captures = (("port1", "lldpd-default.pcap"), ("port2", "lldpd-mgmt.pcap"), ("port3", "lldpd-med.pcap"))
    python = sys.executable
    cases = {"python -c pass": [python, "-c", "pass"],
             "lldp neighbors --json": [python, "-m", "chassisctl", "lldp", "neighbors", "--json",
                                       "--socket", str(sock)]}
    try:
        with ServedAgent(sock, table_agent(*captures)):
            assert threading.active_count() >= 2
            for argv in cases.values():  # warm-up, and the command must succeed
                for _ in range(2):
                    assert timed(argv, env)[2] == 0, argv
            wall: dict[str, list[float]] = {k: [] for k in cases}
            cpu: dict[str, list[float]] = {k: [] for k in cases}
            for _ in range(runs):
                for name, argv in cases.items():
                    w, c, _ = timed(argv, env)
                    wall[name].append(w * 1000)
                    cpu[name].append(c * 1000)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base_w, base_c = statistics.median(wall["python -c pass"]), statistics.median(cpu["python -c pass"])
    for name in cases:
        print(f"   {name:24s} wall {spread(wall[name])} ms  cpu {spread(cpu[name])} ms  "
              f"ratio wall {statistics.median(wall[name]) / base_w:.1f}x  "
              f"cpu {statistics.median(cpu[name]) / base_c:.1f}x")
    ratio = statistics.median(wall["lldp neighbors --json"]) / base_w
    print(f"   target <= 6x (wall): {'met' if ratio <= 6 else 'NOT met'}  (the agent here is a control "
          "socket served from a thread with the real Agent behind it)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--ports", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=30.0, help="measuring window per agent and round")
    parser.add_argument("--agent-rounds", type=int, default=5, help="rounds of the agent CPU part")
    parser.add_argument("--agents", default="serve,lldpd,floor",
                        help="agents under test in part 2, of serve, lldpd, floor")
    parser.add_argument("--runs", type=int, default=20, help="start-up runs per case")
    parser.add_argument("--skip-agents", action="store_true")
    parser.add_argument("--skip-startup", action="store_true")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))
    bench_decode(args.rounds)
    if not args.skip_startup:
        bench_startup(args.runs)
    if not args.skip_agents:
        bench_agents(args.ports, args.seconds, args.agent_rounds, args.agents.split(","))
    return 0


if __name__ == "__main__":
    sys.exit(main())
