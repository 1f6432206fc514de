"""I2C cost of a full sensor read on the shipped platforms (simulated devices, in-process).

    .venv/bin/python bench/platform_bus.py            # 7 runs per case
    .venv/bin/python bench/platform_bus.py -n 21

(a) compute-4n: bus transactions for one full ``sensors`` read of every node
(SDR walk, then Get Sensor Reading per sensor in record order, as the CLI
and serve do), against the lower bound "one device read per sensor plus the
minimum number of mux switches" (each node's mux channel selected once).
Cold = the first read in a process (facts such as a PSU's VOUT_MODE or a fan's
range multiplier are read once); warm = every later read (what serve does).  The
same sensors read in an interleaved order (node1, node2, node3, node4, node1 ...) show what the topology order saves.

(b) switch-1u: the modelled wire time of a full read at 100 kHz (9 clocks per
byte plus START/STOP, the sim bus's WireTiming), beside the transaction count.

Numbers are medians of N runs and ratios; the wire time is the model's, not a
measurement of any adapter.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile

from chassisctl.client.sensors import load_repository
from chassisctl.clock import FakeClock
from chassisctl.config import BmcSettings
from chassisctl.ipmi.sensor_cmds import get_sensor_reading
from chassisctl.platform.backend import open_platform
from chassisctl.transport.bus import parse_bus_spec


def open_(name: str):
    return open_platform(BmcSettings(platform=name), parse_bus_spec("sim:bench"), clock=FakeClock(), store=False)


def mux_addresses(tr) -> set[int]:
    return {d.address for d in tr.platform.muxes()}


def full_read(tr, plan):
    """Read every sensor of every node; returns (transactions, mux writes, readings, wire seconds)."""
    bus = tr.world.bus
    bus.clear_transcript()
    before_tx, before_wire = tr.stats.bus_transactions, bus.wire_seconds
    readings = 0
    for node, number in plan:
        tr.transact(get_sensor_reading(number), node=node)
        readings += 1
    muxes = mux_addresses(tr)
    mux_writes = sum(1 for t in bus.transcript if t.addr in muxes and t.is_write)
    return tr.stats.bus_transactions - before_tx, mux_writes, readings, bus.wire_seconds - before_wire


def plans(tr):
    """Record order per node (the SDR walk's order), and an interleaved order."""
    per_node = {}
    for info in tr.nodes():
        repo = load_repository(tr, node=info.name)
        per_node[info.name] = [r.sensor_number for r in repo.sensors()]
    ordered = [(n, s) for n, numbers in per_node.items() for s in numbers]
    interleaved = []
    for i in range(max(len(v) for v in per_node.values())):
        for n, numbers in per_node.items():
            if i < len(numbers):
                interleaved.append((n, numbers[i]))
    return ordered, interleaved


def lower_bound(tr, plan) -> tuple[int, int]:
    """(device reads, mux switches): one read per sensor, each distinct mux segment selected once."""
    segments = set()
    for node, number in plan:
        decl = tr.runtime(tr.node(node)).sensors[number].decl
        path = tr.platform.devices[decl.device].path
        for depth in range(1, len(path.hops) + 1):
            segments.add(path.segment(depth))
    return len(plan), len(segments)


def case_compute(runs: int) -> None:
    rows = {"cold": [], "warm": [], "interleaved": []}
    bound = None
    for _ in range(runs):
        tr = open_("compute-4n")
        ordered, interleaved = plans(tr)
        bound = lower_bound(tr, ordered)
        rows["cold"].append(full_read(tr, ordered))
        rows["warm"].append(full_read(tr, ordered))
        rows["interleaved"].append(full_read(tr, interleaved))
        tr.close()
    reads, switches = bound
    floor = reads + switches
    print(f"compute-4n: full sensors read of 4 nodes = {reads} Get Sensor Reading; lower bound "
          f"{reads} device reads + {switches} mux switches = {floor} I2C transactions")
    print(f"  {'order':<12} {'transactions':>12} {'mux writes':>10} {'ratio to bound':>15}")
    for name, results in rows.items():
        tx = statistics.median(r[0] for r in results)
        mux = statistics.median(r[1] for r in results)
        print(f"  {name:<12} {tx:>12g} {mux:>10g} {tx / floor:>15.3f}")
    print("  (cold: the first read in a process; warm: every later read, as serve does;\n"
          "   interleaved: the same sensors one node at a time in turn, i.e. without topology order)")


def case_switch(runs: int) -> None:
    results = {"cold": [], "warm": []}
    for _ in range(runs):
        tr = open_("switch-1u")
        ordered, _ = plans(tr)
        results["cold"].append(full_read(tr, ordered))
        results["warm"].append(full_read(tr, ordered))
        tr.close()
    n = len(ordered)
    hz = tr.platform.clock_hz
    print(f"\nswitch-1u: full read of {n} sensors, modelled wire time at {hz // 1000} kHz")
    print(f"  {'read':<6} {'transactions':>12} {'per sensor':>10} {'wire ms':>8} {'wire ms/sensor':>15}")
    for name, rs in results.items():
        tx = statistics.median(r[0] for r in rs)
        wire = statistics.median(r[3] for r in rs) * 1000
        print(f"  {name:<6} {tx:>12g} {tx / n:>10.2f} {wire:>8.2f} {wire / n:>15.3f}")
    print("  (TMP421 channels cost 3 transactions (RANGE, high, low), PSU status 2 with the CPLD presence bit)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("STATE", "CACHE", "CONFIG"):
            os.environ[f"XDG_{kind}_HOME"] = os.path.join(tmp, kind.lower())
        case_compute(args.runs)
        case_switch(args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
