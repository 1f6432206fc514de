"""Start-up cost of the CLI as ratios to the bare interpreter, plus SDR round trips.

    .venv/bin/python bench/startup.py [-n 20] [--warmup 2] [--as-is] [--no-pace] [--idle-runs 0]

Every case runs as a fresh process; one run measures them all, interleaved
(round-robin, so machine-wide drift hits every case alike), with warm-up
rounds discarded, and reports the median wall time and its ratio to
``python -c pass`` measured in the same run — the start-up budgets are
ratios because absolute milliseconds vary with the machine:

* TAB completion              <= 2.5x
* ``power status`` (sim)      <= 8x
* ``--help``                  <= 15x

By default the runs use compiled bytecode in a private cache
(``PYTHONPYCACHEPREFIX``), as an installed wheel has; ``--as-is`` keeps the
caller's environment (with ``PYTHONDONTWRITEBYTECODE=1`` every chassisctl
module is then compiled from source on every run).  The simulator paces its
bus like a real 100 kHz SMBus unless ``--no-pace``.  ``ipmitool`` is timed
where a command needs no BMC (``-V``); it cannot reach the embedded simulator,
so its sensor and power rows print n/a.

The second part runs ``sensors`` in-process twice (cold, then warm cache) and
counts the IPMI requests the transport sent (``TransportStats``): a warm run
must cost exactly one Get SDR Repository Info plus one Get Sensor Reading per
readable sensor, and a cold run's Get SDR round trips are compared with the
fewest the BMC's SSIF capabilities allow (one per record when whole records
fit in one response).  Nothing here asserts: it prints.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This directory also holds scripts named like stdlib modules (platform.py),
# which typer imports: keep it off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import contextlib  # noqa: E402
import io  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Callable  # noqa: E402

BUDGETS = {"tab": 2.5, "power": 8.0, "help": 15.0}


@dataclass
class Case:
    name: str
    argv: list[str] | None  # None: not runnable here (printed as n/a)
    env: dict[str, str] = field(default_factory=dict)
    budget: str | None = None
    prepare: Callable[[], None] | None = None
    note: str = ""
    times: list[float] = field(default_factory=list)

    @property
    def median_ms(self) -> float | None:
        return statistics.median(self.times) * 1000 if self.times else None


def _chassisctl() -> list[str]:
    script = Path(sys.executable).with_name("chassisctl")
    return [str(script)] if script.exists() else [sys.executable, "-m", "chassisctl"]


def _bash(words: list[str], cword: int) -> dict[str, str]:
    return {"_CHASSISCTL_COMPLETE": "complete_bash", "COMP_WORDS": "\n".join(words), "COMP_CWORD": str(cword)}


def build_cases(home: Path, pace: bool) -> list[Case]:
    cc = _chassisctl()
    sdr_cache = home / "cache" / "chassisctl" / "sdr"

    def cold() -> None:
        shutil.rmtree(sdr_cache, ignore_errors=True)

    ipmitool = shutil.which("ipmitool")
    no_sim = "ipmitool cannot reach the embedded simulator (no BMC to talk to)"
    cases = [
        Case("python -c pass (floor)", [sys.executable, "-c", "pass"]),
        Case("chassisctl --help", [*cc, "--help"], budget="help"),
        Case("chassisctl power --help", [*cc, "power", "--help"], budget="help"),
        Case("TAB: command word (bash 'po')", cc, _bash(["chassisctl", "po"], 1), budget="tab"),
        Case("TAB: --bus value (bash)", cc, _bash(["chassisctl", "--bus", ""], 2), budget="tab"),
        Case("TAB: sensor names (zsh)", cc, {"_CHASSISCTL_COMPLETE": "complete_zsh",
                                             "_TYPER_COMPLETE_ARGS": "chassisctl sensors --name "}, budget="tab"),
        Case("TAB via typer (no fast path)", [sys.executable, "-c",
             "from chassisctl.cli.entry import main; raise SystemExit(main(fast_completion=False))"],
             _bash(["chassisctl", "po"], 1), note="reference: what the fast path saves"),
        Case("chassisctl power status (sim)", [*cc, "power", "status"], budget="power"),
        Case("chassisctl power status --json (sim)", [*cc, "power", "status", "--json"], budget="power"),
        Case("chassisctl sensors (sim, warm cache)", [*cc, "sensors"]),
        Case("chassisctl sensors (sim, cold cache)", [*cc, "sensors"], prepare=cold),
        Case("chassisctl bmc info (sim)", [*cc, "bmc", "info"]),
        Case("ipmitool -V", [ipmitool, "-V"] if ipmitool else None,
             note="" if ipmitool else "ipmitool not installed"),
        Case("ipmitool power status", None, note=no_sim),
        Case("ipmitool sensor / sdr list", None, note=no_sim),
    ]
    return cases


def run_env(home: Path, compiled: bool, pace: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CHASSISCTL_", "_CHASSISCTL", "COMP_", "_TYPER"))}
    env.update(XDG_CACHE_HOME=str(home / "cache"), XDG_STATE_HOME=str(home / "state"),
               XDG_CONFIG_HOME=str(home / "config"))
    if compiled:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(home / "pycache")
    if not pace:
        env["CHASSISCTL_SIM_PACE"] = "0"
    return env


def measure(cases: list[Case], env: dict[str, str], runs: int, warmup: int) -> None:
    runnable = [c for c in cases if c.argv is not None]
    for round_no in range(warmup + runs):
        for case in runnable:
            if case.prepare is not None:
                case.prepare()
            start = time.perf_counter()
            subprocess.run(case.argv, env=env | case.env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            elapsed = time.perf_counter() - start
            if round_no >= warmup:
                case.times.append(elapsed)


def idle_power_status(env: dict[str, str], runs: int) -> float:
    """``power status`` after >5 s of quiet: the simulator then re-scans every sensor."""
    cc = _chassisctl()
    times = []
    for _ in range(runs):
        time.sleep(6)
        start = time.perf_counter()
        subprocess.run([*cc, "power", "status"], env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def report_timing(cases: list[Case], idle_ms: float | None, args, compiled: bool) -> None:
    floor = cases[0].median_ms
    print(f"chassisctl start-up: {args.runs} runs per case after {args.warmup} warm-up rounds, "
          "interleaved; medians")
    print(f"python {sys.version.split()[0]} ({sys.executable}); "
          f"bytecode {'compiled (private PYTHONPYCACHEPREFIX)' if compiled else 'as in the environment'}; "
          f"simulator pacing {'on' if not args.no_pace else 'off'}; {os.cpu_count()} CPUs")
    print()
    print(f"{'case':40} {'ms':>8} {'ratio':>7}  budget")
    for case in cases:
        ms = case.median_ms
        if ms is None:
            print(f"{case.name:40} {'n/a':>8} {'n/a':>7}  {case.note}")
            continue
        ratio = ms / floor
        budget = ""
        if case.budget:
            limit = BUDGETS[case.budget]
            budget = f"<= {limit:g}x  {'ok' if ratio <= limit else 'OVER'}"
        elif case.note:
            budget = case.note
        print(f"{case.name:40} {ms:8.1f} {ratio:6.2f}x  {budget}")
    if idle_ms is not None:
        print(f"{'chassisctl power status after 6 s idle':40} {idle_ms:8.1f} {idle_ms / floor:6.2f}x  "
              "the simulator's periodic sensor scan (every 5 s) rebuilds its SDR model")


# ---------------------------------------------------------------------------
# SDR transaction ratio

def _run_cli(argv: list[str]) -> list:
    """Run the CLI in-process; return the transports it opened."""
    import chassisctl.transport as transport_module
    from chassisctl.cli.app import run

    opened = []
    original = transport_module.open_transport

    def spy(*a, **kw):
        t = original(*a, **kw)
        opened.append(t)
        return t

    transport_module.open_transport = spy
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = run(argv)
    finally:
        transport_module.open_transport = original
    if code != 0:
        raise SystemExit(f"chassisctl {' '.join(argv)} failed with {code}")
    return opened


def report_transactions(home: Path, pace: bool) -> None:
    os.environ.update(XDG_CACHE_HOME=str(home / "tx-cache"), XDG_STATE_HOME=str(home / "state"),
                      XDG_CONFIG_HOME=str(home / "config"), CHASSISCTL_SIM_PACE="1" if pace else "0")
    for key in [k for k in os.environ if k.startswith("CHASSISCTL_") and k != "CHASSISCTL_SIM_PACE"]:
        del os.environ[key]
    from chassisctl.client.sdr_cache import SdrCache
    from chassisctl.client.sensors import Repository  # noqa: F401  (import check)
    from chassisctl.ipmi.sdr import CompactSensorRecord, FullSensorRecord, parse_record

    cold = _run_cli(["sensors", "--json"])[0]
    warm = _run_cli(["sensors", "--json"])[0]

    entries = [e for _, e in SdrCache().entries() if e is not None]
    records = entries[0].records if entries else []
    parsed = [parse_record(r) for r in records]
    readable = sum(isinstance(r, (FullSensorRecord, CompactSensorRecord)) for r in parsed)

    negotiation = {"Get System Interface Capabilities"}
    warm_cmds = dict(warm.stats.by_command)
    warm_sensor_path = {k: v for k, v in warm_cmds.items() if k not in negotiation}
    lower = 1 + readable
    print()
    print("SDR transactions (in-process, TransportStats)")
    print(f"  repository: {len(records)} records, {readable} readable sensors")
    print(f"  warm sensors: {sum(warm_sensor_path.values())} requests "
          f"(lower bound 1 Get SDR Repository Info + {readable} Get Sensor Reading = {lower}); "
          f"ratio {sum(warm_sensor_path.values()) / lower:.2f}")
    for name, n in sorted(warm_cmds.items()):
        tag = "  (SSIF capability negotiation, once per process; not in the ratio)" if name in negotiation else ""
        print(f"      {n:4d}  {name}{tag}")
    caps = cold.capabilities() if callable(getattr(cold, "capabilities", None)) else None
    get_sdr = cold.stats.by_command.get("Get SDR", 0)
    if caps is not None:
        room = (caps.max_response if caps.multipart_read else 32) - 5  # netFn, cmd, CC, next ID
        whole = room >= 255 - 5
        minimum = len(records) if whole else sum(math.ceil(len(r) / room) for r in records)
        how = "one per record: whole records fit one response" if whole else f"{room}-byte chunks"
    else:
        minimum, how = len(records), "one per record"
    print(f"  cold sensors: {get_sdr} Get SDR round trips, minimum {minimum} ({how}); "
          f"ratio {get_sdr / minimum if minimum else float('nan'):.2f}; {cold.stats.requests} requests in all")
    for name, n in sorted(cold.stats.by_command.items()):
        print(f"      {n:4d}  {name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--runs", type=int, default=20, help="measured runs per case (default 20)")
    parser.add_argument("--warmup", type=int, default=2, help="discarded warm-up rounds (default 2)")
    parser.add_argument("--as-is", action="store_true",
                        help="keep the environment's bytecode settings (default: compiled, private cache)")
    parser.add_argument("--no-pace", action="store_true", help="CHASSISCTL_SIM_PACE=0 for the simulator")
    parser.add_argument("--idle-runs", type=int, default=0,
                        help="also time power status after 6 s idle, this many times (slow)")
    parser.add_argument("--skip-timing", action="store_true", help="only the SDR transaction part")
    args = parser.parse_args(argv)
    compiled = not args.as_is
    with tempfile.TemporaryDirectory(prefix="chassisctl-bench-") as tmp:
        home = Path(tmp)
        if not args.skip_timing:
            env = run_env(home, compiled, not args.no_pace)
            cases = build_cases(home, not args.no_pace)
            measure(cases, env, args.runs, args.warmup)
            idle = idle_power_status(env, args.idle_runs) if args.idle_runs else None
            report_timing(cases, idle, args, compiled)
        report_transactions(home, not args.no_pace)
    return 0


if __name__ == "__main__":
    sys.exit(main())
