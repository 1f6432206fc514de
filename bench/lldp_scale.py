"""serve's LLDP agent stopping at 64/256/512 ports, against the floor of closing the same sockets.

    .venv/bin/python bench/lldp_scale.py [--ports 64,256,512] [--rounds 3] [--before TREE]

Needs root and ``ip``.  One namespace pair with max(--ports) veth pairs
(``tests/interop/lldp_scale.py``), built once; for each port count, each
round, on the first N ports:

* **serial close** — N packet sockets (the agent's own
  ``open_packet_socket``) closed one after another: what serve's stop cost
  before ``close_all`` (each close waits for ``synchronize_net``);
* **floor** — the same N sockets closed with ``close_all``: nothing that
  closes N packet sockets does better than overlapping the waits;
* **serve** — ``chassisctl serve`` with only ``[lldp]`` on the N ports: its
  start (spawn to "ready"), then, once every port has transmitted, SIGTERM:
  the LLDP service's own stop (TTL-0 frames on every port, then every
  socket closed, from its ``lldp: stopped`` log line) and SIGTERM to
  process exit.  A receiver on the far side counts the TTL-0 frames: every
  port must get exactly one;
* **before** (``--before TREE``, e.g. a checkout of main before the fix):
  the same serve round with that tree's ``chassisctl`` first on
  PYTHONPATH; only SIGTERM to exit and the TTL-0 count (older trees do not
  log their stop time).  The venv's editable install of this tree is a
  meta-path finder that would win over PYTHONPATH, so a ``sitecustomize``
  on the same PYTHONPATH takes it out for that process only.

The two close measurements run in a helper process inside the agent's
namespace, alternating order each round.  Printed: median (min..max) over
rounds, serve's stop over the floor, and the load average (the machine is
shared: read the spread).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# This directory holds scripts named like stdlib modules: keep it off the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

from interop.lldp_scale import ScaleBed, sigterm_to_exit, stop_ms, wait_announced  # noqa: E402

#: Runs in the agent's namespace: ``CLOSE N ORDER`` -> {"serial_ms", "parallel_ms"}.
CLOSER = r"""
import json, sys, time
sys.path.insert(0, sys.argv[3])
from chassisctl.lldp.frame import ETHERTYPE, NEAREST_BRIDGE
from chassisctl.net.packet import close_all, open_packet_socket
n, order = int(sys.argv[1]), sys.argv[2]
out = {}
for kind in order.split(","):
    socks = [open_packet_socket(f"port{i}", ETHERTYPE, NEAREST_BRIDGE) for i in range(1, n + 1)]
    start = time.perf_counter()
    if kind == "serial":
        for s in socks:
            s.close()
    else:
        close_all(socks)
    out[kind + "_ms"] = (time.perf_counter() - start) * 1000
print(json.dumps(out))
"""


#: Drops this venv's editable-install finder, so PYTHONPATH's chassisctl is the one imported.
SHIM = """import sys
sys.meta_path[:] = [f for f in sys.meta_path
                    if "__editable__" not in (getattr(f, "__module__", "") or type(f).__module__)]
"""


def spread(values: list[float], fmt: str = "{:.0f}") -> str:
    if not values:
        return "-"
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}..{fmt.format(max(values))})"


def closes(bed: ScaleBed, n: int, order: str) -> dict[str, float]:
    done = subprocess.run(["ip", "netns", "exec", bed.dut, sys.executable, "-c", CLOSER, str(n), order, str(REPO)],
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout)


def serve_round(bed: ScaleBed, n: int, tree: str | None = None) -> dict[str, float]:
    ports = bed.ports[:n]
    rx = bed.receiver()
    began = time.monotonic()
    dut = bed.agent(ports=ports, tx_interval=30, tx_hold=4)
    if tree is not None:
        shim = bed.work / "before-shim"
        shim.mkdir(exist_ok=True)
        (shim / "sitecustomize.py").write_text(SHIM)
        env = dut.env() | {"PYTHONPATH": f"{tree}:{shim}"}
        dut.env = lambda: env  # type: ignore[method-assign]
    dut.start(timeout=120)
    started = time.monotonic() - began
    if not wait_announced(dut, ports, 60):
        raise RuntimeError(f"not every port transmitted:\n{dut.log()[-2000:]}")
    elapsed, code = sigterm_to_exit(dut)
    report = rx.report()
    bed.receivers.remove(rx)
    ms = stop_ms(dut.log())
    if code != 0 or (ms is None and tree is None):
        raise RuntimeError(f"serve exit {code}:\n{dut.log()[-2000:]}")
    goodbyes = [report["ports"].get(f"r{i}", [0, 0])[1] for i in range(1, n + 1)]
    prefix = "" if tree is None else "before_"
    out = {"start_ms": started * 1000, "exit_ms": elapsed * 1000,
           "exactly_one": float(all(g == 1 for g in goodbyes)), "goodbyes": float(sum(goodbyes))}
    if ms is not None and tree is None:
        out["stop_ms"] = ms
    return {prefix + k: v for k, v in out.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ports", default="64,256,512")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", metavar="TREE", help="also run serve from this source tree (PYTHONPATH)")
    args = parser.parse_args()
    counts = [int(p) for p in args.ports.split(",")]
    if os.geteuid() != 0:
        print("needs root (network namespaces and packet sockets)", file=sys.stderr)
        return 77
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs")
    t = time.monotonic()
    bed = ScaleBed(max(counts))
    print(f"{max(counts)} veth pairs in {time.monotonic() - t:.1f} s")
    rows = []
    try:
        for n in counts:
            res: dict[str, list[float]] = {}
            for r in range(args.rounds):
                order = "serial,parallel" if r % 2 == 0 else "parallel,serial"
                results = {**closes(bed, n, order), **serve_round(bed, n)}
                if args.before:
                    results |= serve_round(bed, n, str(Path(args.before).resolve()))
                for key, value in results.items():
                    res.setdefault(key, []).append(value)
            rows.append((n, res))
            ratio = [s / f for s, f in zip(res["stop_ms"], res["parallel_ms"], strict=True)]
            print(f"{n:4d} ports: serial close {spread(res['serial_ms'])} ms | floor {spread(res['parallel_ms'])} ms | "
                  f"serve stop {spread(res['stop_ms'])} ms ({spread(ratio, '{:.2f}')}x floor) | "
                  f"SIGTERM->exit {spread(res['exit_ms'])} ms | start {spread(res['start_ms'])} ms | "
                  f"one TTL-0 per port: {'yes' if all(res['exactly_one']) else 'NO'}", flush=True)
            if args.before:
                print(f"      before: SIGTERM->exit {spread(res['before_exit_ms'])} ms | "
                      f"start {spread(res['before_start_ms'])} ms | "
                      f"one TTL-0 per port: {'yes' if all(res['before_exactly_one']) else 'NO'}", flush=True)
    finally:
        bed.close()
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    before = " before: SIGTERM->exit |" if args.before else ""
    print("\n| ports | serial close (old stop) | floor: close_all | serve LLDP stop | stop/floor "
          f"| SIGTERM->exit | start |{before}")
    print("|---|---|---|---|---|---|---|" + ("---|" if args.before else ""))
    for n, res in rows:
        ratio = [s / f for s, f in zip(res["stop_ms"], res["parallel_ms"], strict=True)]
        old = f" {spread(res['before_exit_ms'])} |" if args.before else ""
        print(f"| {n} | {spread(res['serial_ms'])} | {spread(res['parallel_ms'])} | {spread(res['stop_ms'])} | "
              f"{spread(ratio, '{:.2f}')}x | {spread(res['exit_ms'])} | {spread(res['start_ms'])} |{old}")
    ok = all(all(res["exactly_one"]) and max(res["exit_ms"]) < 5000 for _, res in rows)
    print(f"\nevery stop sent one TTL-0 per port and exited within 5 s: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
