"""LLDP side by side: decode rate vs scapy, agent CPU vs lldpd, ``lldp neighbors`` start-up.

    .venv/bin/python bench/lldp.py [--rounds 7] [--ports 64] [--seconds 60] [--skip-agents] [--skip-startup]

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
   namespaces, an lldpd peer on each at tx-interval 1; first chassisctl
   ``serve`` ([lldp], tx_interval 1) is the agent under test, then lldpd
   (``-I 'port*'``, tx-interval 1) on the same topology.  CPU seconds per
   minute of each (utime + stime from /proc, monitor and worker for lldpd),
   and for ours whether the table stayed complete (every sample lists every
   peer) and stable (no departure).  Target: no more CPU than lldpd.
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

def cpu_seconds(pids: list[int]) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def bench_agents(ports: int, seconds: float) -> None:
    from interop.lldp_lab import Lab, sh, wait_for

    print(f"2. agent CPU, {ports} ports, every peer lldpd at tx-interval 1, {seconds:.0f} s each")
    if os.geteuid() != 0 or not shutil.which("lldpd"):
        print("   skipped: needs root and lldpd")
        return
    lab = Lab(ports)
    try:
        t0 = time.monotonic()
        for peer in lab.peers:
            peer.start()
        print(f"   {ports} lldpd peers started in {time.monotonic() - t0:.1f} s")
        names = [f"port{n}" for n in range(1, ports + 1)]

        # chassisctl serve
        dut = lab.dut_agent(ports=names, tx_interval=1, tx_hold=4, max_neighbors=4).start()
        t1 = time.monotonic()
        complete = wait_for(lambda: len(dut.query("lldp.neighbors")["neighbors"]) == ports, 30)
        print(f"   chassisctl serve: all {ports} neighbours {'listed' if complete else 'NOT listed'} "
              f"{time.monotonic() - t1:.1f} s after start")
        pid = dut.proc.pid
        before, start = cpu_seconds([pid]), time.monotonic()
        samples, full = 0, 0
        while time.monotonic() - start < seconds:
            result = dut.query("lldp.neighbors")
            samples += 1
            full += len(result["neighbors"]) == ports
            time.sleep(5.0)  # a query costs CPU too: sample the table, do not load it
        ours = (cpu_seconds([pid]) - before) / (time.monotonic() - start) * 60
        departed = len(dut.query("lldp.neighbors")["departed"])
        stats = dut.query("lldp.statistics")["totals"]
        dut.stop()

        # lldpd as the agent under test
        state = lab.work / "dut-lldpd"
        state.mkdir(mode=0o755)
        conf = state / "lldpd.conf"
        conf.write_text("configure system hostname lldpd-dut\nconfigure lldp tx-interval 1\n"
                        "configure lldp tx-hold 4\n")
        proc = subprocess.Popen(["ip", "netns", "exec", lab.dut, "lldpd", "-d", "-u", str(state / "sock"),
                                 "-p", str(state / "pid"), "-O", str(conf), "-I", "port*"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for((state / "sock").exists, 10, 0.05)
            time.sleep(3)
            pids = [proc.pid, *map(int, sh("pgrep", "-P", str(proc.pid), check=False).stdout.split())]
            before, start = cpu_seconds(pids), time.monotonic()
            time.sleep(seconds)
            theirs = (cpu_seconds(pids) - before) / (time.monotonic() - start) * 60
        finally:
            proc.terminate()
            proc.wait(10)
        print(f"   chassisctl serve  {ours:6.2f} CPU s/min   table complete in {full}/{samples} samples, "
              f"{departed} departures, {stats.get('frames_in', 0)} frames in, {stats.get('frames_out', 0)} out")
        print(f"   lldpd             {theirs:6.2f} CPU s/min")
        ratio = ours / theirs if theirs else float("inf")
        print(f"   ratio chassisctl/lldpd: {ratio:.2f}x   target <= 1x: {'met' if ratio <= 1 else 'NOT met'}"
              f"; stable: {'yes' if full == samples and departed == 0 else 'NO'}")
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
              f"ratio wall {statistics.median(wall[name]) / base_w:.1f}x  cpu {statistics.median(cpu[name]) / base_c:.1f}x")
    ratio = statistics.median(wall["lldp neighbors --json"]) / base_w
    print(f"   target <= 6x (wall): {'met' if ratio <= 6 else 'NOT met'}  (the agent here is a control "
          "socket served from a thread with the real Agent behind it)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--ports", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60.0, help="measuring window per agent")
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
        bench_agents(args.ports, args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
