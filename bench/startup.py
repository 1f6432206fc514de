"""Start-up cost of the CLI as ratios to the bare interpreter (and to modelled wire time), from a wheel.

    python3 bench/startup.py [-n 20] [--warmup 2] [--here] [--as-is] [--idle-runs 0] [--only TEXT ...]

By default the bench first builds a wheel of this tree, installs it with a
plain ``pip install`` (not editable) into a temporary venv, and runs itself
again with that venv's interpreter: start-up is measured as a user who ran
``pip install .`` gets it (an editable install adds an import hook to every
run).  ``--here`` measures the interpreter that runs the script instead.

Every case runs as a fresh process; one run measures them all, interleaved
(round-robin, so machine-wide drift hits every case alike), with warm-up
rounds discarded, and reports the median wall time, the spread (25th-75th
percentile) and the ratio to a floor measured in the same run:

* ``--help`` <= 8x bare ``python -c pass``;
* ``power status`` on the simulator <= 6x bare python;
* TAB completion <= 2x bare python;
* a warm ``sensors`` on the default simulated chassis <= 2x *its floor*: bare
  python plus the modelled wire time of the 1 + N transactions it needs (Get
  SDR Repository Info and one Get Sensor Reading per sensor);
* ``--platform compute-4n --node node2 sensors`` <= 2x its own floor,
  computed the same way from the simulated devices' I2C transactions.

Beside each floor a *ceiling* is timed in the same rounds: the same
interpreter importing json and sleeping through the same traffic (one sleep
per transaction), the least any Python CLI could do; the report prints how
far chassisctl is above it.

Beside each budgeted command a *layout-free* row runs the same command line
with every chassisctl module it imports served from one marshal file by a
meta-path finder (compiled per run from the installed sources): no path
search, stat, open or read per module.  It prices the module layout itself:
normal minus layout-free is what the ~N modules' import machinery costs, and
its ratio to the floor is the best that merging modules alone could reach.
Its output is checked once against the normal command's (numbers masked:
the default simulator's readings drift).

The floors are computed in-process from the simulated buses' wire model (9
clocks per byte plus START/STOP at the profile's SCL clock); the simulated
BMC's modelled turnaround is printed beside them but is not part of them.
The simulator paces its bus like a real 100 kHz SMBus (the platform
simulator does not pace).  Runs use compiled bytecode in a private cache
(``PYTHONPYCACHEPREFIX``), as an installed wheel has; ``--as-is`` keeps the
caller's bytecode settings.  ``ipmitool -V`` is timed as the C reference.
``--only compute-4n`` (repeatable) times just the cases whose name contains
one of the texts, plus the python floor and the ceilings of the budgets
they are measured against: a quicker loop while working on one command.

The second part runs ``sensors`` in-process twice (cold, then warm cache)
and counts the IPMI requests the transport sent: a warm run must cost
exactly one Get SDR Repository Info plus one Get Sensor Reading per readable
sensor.  Nothing here asserts: it prints.
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
import json  # noqa: E402
import math  # noqa: E402
import marshal  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from collections.abc import Callable  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
#: Budget kind -> (limit, what the ratio is taken to).
BUDGETS = {"tab": (2.0, "python"), "power": (6.0, "python"), "help": (8.0, "python"),
           "sensors": (2.0, "sensors floor"), "platform": (2.0, "platform floor")}


@dataclass
class Case:
    name: str
    argv: list[str] | None  # None: not runnable here (printed as n/a)
    env: dict[str, str] = field(default_factory=dict)
    budget: str | None = None
    prepare: Callable[[], None] | None = None
    note: str = ""
    modules: int = 0  # a layout-free row: how many modules its one file holds
    times: list[float] = field(default_factory=list)

    @property
    def median_ms(self) -> float | None:
        return statistics.median(self.times) * 1000 if self.times else None

    @property
    def spread_ms(self) -> tuple[float, float] | None:
        if len(self.times) < 4:
            return None
        q = statistics.quantiles(self.times, n=4)
        return q[0] * 1000, q[2] * 1000


def _chassisctl() -> list[str]:
    script = Path(sys.executable).with_name("chassisctl")
    return [str(script)] if script.exists() else [sys.executable, "-m", "chassisctl"]


def _bash(words: list[str], cword: int) -> dict[str, str]:
    return {"_CHASSISCTL_COMPLETE": "complete_bash", "COMP_WORDS": "\n".join(words), "COMP_CWORD": str(cword)}


def build_cases(home: Path) -> list[Case]:
    cc = _chassisctl()
    sdr_cache = home / "cache" / "chassisctl" / "sdr"

    def cold() -> None:
        # Only the default simulator's SDR cache (and the name index): the compute-4n case
        # keeps its own ("platform-..."), or it would run cold after this case every round.
        for entry in sdr_cache.glob("*"):
            if not entry.name.startswith("platform-"):
                entry.unlink()

    ipmitool = shutil.which("ipmitool")
    c4n = ["--platform", "compute-4n", "--node", "node2"]
    return [
        Case("python -c pass (floor)", [sys.executable, "-c", "pass"]),
        Case("chassisctl --help", [*cc, "--help"], budget="help"),
        Case("chassisctl power --help", [*cc, "power", "--help"], budget="help"),
        Case("chassisctl sel --help", [*cc, "sel", "--help"], budget="help"),
        Case("TAB: command word (bash 'po')", cc, _bash(["chassisctl", "po"], 1), budget="tab"),
        Case("TAB: --bus value (bash)", cc, _bash(["chassisctl", "--bus", ""], 2), budget="tab"),
        Case("TAB: sensor names (zsh)", cc, {"_CHASSISCTL_COMPLETE": "complete_zsh",
                                             "_TYPER_COMPLETE_ARGS": "chassisctl sensors --name "}, budget="tab"),
        Case("chassisctl power status (sim)", [*cc, "power", "status"], budget="power"),
        Case("chassisctl power status --json (sim)", [*cc, "power", "status", "--json"], budget="power"),
        Case("chassisctl sensors (sim, warm cache)", [*cc, "sensors"], budget="sensors"),
        Case("chassisctl sensors (sim, cold cache)", [*cc, "sensors"], prepare=cold),
        Case("compute-4n node2 sensors (warm)", [*cc, *c4n, "sensors"], budget="platform"),
        Case("chassisctl chassis status (sim)", [*cc, "chassis", "status"]),
        Case("chassisctl sel list (sim)", [*cc, "sel", "list"]),
        Case("chassisctl fru (sim)", [*cc, "fru"]),
        Case("chassisctl boot get (sim)", [*cc, "boot", "get"]),
        Case("chassisctl bmc info (sim)", [*cc, "bmc", "info"]),
        Case("ipmitool -V", [ipmitool, "-V"] if ipmitool else None,
             note="the C reference" if ipmitool else "ipmitool not installed"),
    ]


#: The ceiling: a Python process that imports json (as any CLI with JSON output or a
#: JSON cache does) and sleeps through the same bus traffic, one sleep per
#: transaction, and nothing else.
CEILING = ("import json, sys, time\n"
           "for seconds in json.loads(sys.argv[1]):\n"
           "    time.sleep(seconds)\n")


def ceiling_cases(fl: dict[str, Floor]) -> list[Case]:
    """One ceiling row per floor, measured in the same interleaved rounds."""
    names = {"sensors": "ceiling: sensors traffic replayed", "platform": "ceiling: compute-4n traffic replayed"}
    return [Case(names[key], [sys.executable, "-c", CEILING, json.dumps(f.replay)], budget=f"ceiling-{key}")
            for key, f in fl.items()]


#: Runs the command line in argv[2:] like the console script and, at exit, writes
#: (name, origin, is package) of every chassisctl module it imported to argv[1].
PROBE = """\
import atexit, sys
def dump(listing):
    import json
    names = sorted(m for m in sys.modules if m == 'chassisctl' or m.startswith('chassisctl.'))
    specs = [sys.modules[m].__spec__ for m in names]
    with open(listing, 'w') as f:
        json.dump([[s.name, s.origin, s.submodule_search_locations is not None] for s in specs], f)
atexit.register(dump, sys.argv[1])
sys.argv = ['chassisctl', *sys.argv[2:]]
from chassisctl.cli.entry import main
sys.exit(main())
"""

#: Runs the command line in argv[2:] like the console script, with the chassisctl
#: modules from the marshal file argv[1]: [(name, origin, is package, code), ...].
RUNNER = """\
import gc, marshal, os, sys
gc.disable()  # as entry.main has it while the normal run loads the same code (~2 ms)
with open(sys.argv[1], 'rb') as f:  # loads(read()): load(f) reads piecewise, ~40 ms for 1 MB
    blob = {name: (origin, package, code) for name, origin, package, code in marshal.loads(f.read())}
gc.enable()
ModuleSpec = type(sys.__spec__)  # importlib.machinery's, without importing it
class Blob:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name not in blob:
            return None
        origin, package, _ = blob[name]
        spec = ModuleSpec(name, Blob, origin=origin, is_package=package)
        if package:
            spec.submodule_search_locations = [os.path.dirname(origin)]
        spec.has_location = True  # __file__, as the files' loader sets it
        return spec
    @staticmethod
    def create_module(spec):
        return None
    @staticmethod
    def exec_module(module):
        exec(blob[module.__name__][2], module.__dict__)
sys.meta_path.insert(0, Blob)
sys.argv = ['chassisctl', *sys.argv[2:]]
from chassisctl.cli.entry import main
sys.exit(main())
"""


def _masked(text: str) -> list[str]:
    """The words of a command's output with numbers masked: simulated readings drift."""
    return re.sub(r"\d+(?:\.\d+)?", "#", text).split()


def layout_free_cases(cases: list[Case], env: dict[str, str], home: Path) -> list[Case]:
    """Insert a layout-free row after each budgeted command that has a ceiling.

    The modules are those a warm run of the same command line imports, found by a
    probe run; their sources are compiled here (no inherited __future__ flags) into
    one marshal file.  The runner's output is compared once with the command's.
    """
    cc = _chassisctl()
    for key in ("sensors", "platform"):
        case = next((c for c in cases if c.budget == key), None)
        if case is None or case.argv is None:
            continue
        args, case_env = case.argv[len(cc):], env | case.env
        normal = subprocess.run(case.argv, env=case_env, capture_output=True, text=True, check=False)
        listing = home / f"layout-free-{key}.json"
        subprocess.run([sys.executable, "-c", PROBE, str(listing), *args], env=case_env,
                       capture_output=True, check=True)
        modules = [(name, origin, package, compile(Path(origin).read_bytes(), origin, "exec", dont_inherit=True))
                   for name, origin, package in json.loads(listing.read_text())]
        blob = home / f"layout-free-{key}.marshal"
        blob.write_bytes(marshal.dumps(modules))
        free = Case(f"layout-free: {case.name} (its modules from one file)",
                    [sys.executable, "-c", RUNNER, str(blob), *args], case.env, budget=f"layout-free-{key}",
                    note=f"{len(modules)} modules, {blob.stat().st_size // 1024} KiB of code, one file",
                    modules=len(modules))
        check = subprocess.run(free.argv, env=case_env, capture_output=True, text=True, check=False)
        if (check.returncode, _masked(check.stdout)) != (normal.returncode, _masked(normal.stdout)):
            print(f"warning: {free.name!r} does not print what {case.name!r} prints "
                  f"(exit {check.returncode} vs {normal.returncode}); it may not measure the same work",
                  file=sys.stderr)
            free.note += "; OUTPUT DIFFERS"
        cases.insert(cases.index(case) + 1, free)
    return cases


def run_env(home: Path, compiled: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CHASSISCTL_", "_CHASSISCTL", "COMP_", "_TYPER"))}
    env.update(XDG_CACHE_HOME=str(home / "cache"), XDG_STATE_HOME=str(home / "state"),
               XDG_CONFIG_HOME=str(home / "config"))
    if compiled:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(home / "pycache")
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


# ---------------------------------------------------------------------------
# Floors: bare python plus the modelled wire time of the transactions a command needs

@dataclass
class Floor:
    wire_ms: float
    transactions: int
    turnaround_ms: float = 0.0
    note: str = ""
    #: What the ceiling process sleeps, in order: each transaction's wire time
    #: (and, on SSIF, the BMC's modelled turnaround after each request).
    replay: list[float] = field(default_factory=list)


def _spy_transports(argv: list[str]) -> list:
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


def sensors_floor() -> Floor:
    """Wire time of Get SDR Repository Info + one Get Sensor Reading per sensor on the
    default simulated chassis (SSIF, its profile's clock and PEC), from a warm run's
    transcript: only answered transfers, not NAKed polls or the capability query."""
    _spy_transports(["sensors"])  # warm the SDR cache
    [transport] = _spy_transports(["sensors"])
    bus = transport.bus
    from chassisctl.sim.profile import load_profile

    turnaround = load_profile(os.environ.get("CHASSISCTL_SIM_PROFILE")).bmc.turnaround
    wire, count, current, replay = 0.0, 0, None, []
    for txn in bus.transcript:
        if not txn.acked:
            continue
        request = False
        if txn.is_write and txn.command == 0x02:  # SSIF single-part write: netFn/LUN, cmd
            data = txn.parts[0].data
            current = (data[2] >> 2, data[3])
            if current != (0x06, 0x57):
                count += 1
                request = True
        if current == (0x06, 0x57):
            continue
        seconds = bus.timing.seconds(txn)
        wire += seconds
        replay.append(seconds + (turnaround if request else 0.0))
    return Floor(wire * 1000, count, count * turnaround * 1000, replay=replay)


def platform_floor() -> Floor:
    """Wire time of the simulated devices' I2C transactions behind a warm
    ``--platform compute-4n --node node2 sensors`` (1 + N IPMI requests)."""
    _spy_transports(["--platform", "compute-4n", "--node", "node2", "sensors"])
    [transport] = _spy_transports(["--platform", "compute-4n", "--node", "node2", "sensors"])
    bus = transport.world.bus
    replay = [bus.timing.seconds(t) for t in bus.transcript]
    wire = sum(replay)
    return Floor(wire * 1000, len(bus.transcript), replay=replay,
                 note=f"{transport.stats.requests} IPMI requests, "
                      f"{transport.platform.clock_hz // 1000} kHz, not paced by the simulator")


def floors(home: Path) -> dict[str, Floor]:
    os.environ.update(XDG_CACHE_HOME=str(home / "floor-cache"), XDG_STATE_HOME=str(home / "floor-state"),
                      XDG_CONFIG_HOME=str(home / "config"), CHASSISCTL_SIM_PACE="0")
    for key in [k for k in os.environ if k.startswith("CHASSISCTL_") and k != "CHASSISCTL_SIM_PACE"]:
        del os.environ[key]
    return {"sensors": sensors_floor(), "platform": platform_floor()}


def report_timing(cases: list[Case], idle_ms: float | None, args, compiled: bool,
                  fl: dict[str, Floor]) -> None:
    python = cases[0].median_ms
    print(f"chassisctl start-up: {args.runs} runs per case after {args.warmup} warm-up rounds, "
          "interleaved; medians, spread = 25th-75th percentile")
    print(f"python {sys.version.split()[0]} ({sys.executable}); "
          f"bytecode {'compiled (private PYTHONPYCACHEPREFIX)' if compiled else 'as in the environment'}; "
          f"{os.cpu_count()} CPUs; "
          f"{'installed wheel' if os.environ.get('_CHASSISCTL_BENCH_WHEEL') else 'this environment'}")
    print()
    floor_ms = {"python": python}
    for key, f in fl.items():
        floor_ms[f"{key} floor"] = python + f.wire_ms
        extra = f", modelled BMC turnaround {f.turnaround_ms:.1f} ms more (not in the floor)" if f.turnaround_ms else ""
        note = f"; {f.note}" if f.note else ""
        print(f"{key} floor = python {python:.1f} ms + modelled wire time {f.wire_ms:.1f} ms "
              f"({f.transactions} transactions{note}){extra} = {python + f.wire_ms:.1f} ms")
    print()
    width = max(40, *(len(c.name) for c in cases))
    print(f"{'case':{width}} {'ms':>7} {'spread':>13} {'ratio':>7}  budget")
    ceilings: dict[str, float] = {}
    layout_free: dict[str, Case] = {}
    for case in cases:
        ms = case.median_ms
        if ms is None:
            print(f"{case.name:{width}} {'n/a':>7} {'':>13} {'n/a':>7}  {case.note}")
            continue
        spread = case.spread_ms
        spread_text = f"{spread[0]:.1f}-{spread[1]:.1f}" if spread else ""
        budget = case.note
        ratio = ms / python
        if case.budget and case.budget.startswith("ceiling-"):
            key = case.budget.removeprefix("ceiling-")
            ratio = ms / floor_ms[f"{key} floor"]
            limit = BUDGETS[key][0]
            ceilings[key] = ms
            budget = (f"the least any Python CLI could do ({'within' if ratio <= limit else 'beyond'} "
                      f"the {limit:g}x budget itself)")
        elif case.budget and case.budget.startswith("layout-free-"):
            key = case.budget.removeprefix("layout-free-")
            ratio = ms / floor_ms[f"{key} floor"]
            layout_free[key] = case
        elif case.budget:
            limit, base = BUDGETS[case.budget]
            ratio = ms / floor_ms[base]
            budget = f"<= {limit:g}x {base}  {'ok' if ratio <= limit else 'OVER'}"
        print(f"{case.name:{width}} {ms:7.1f} {spread_text:>13} {ratio:6.2f}x  {budget}")
    for key, ceiling in ceilings.items():
        mine = next((c for c in cases if c.budget == key), None)
        if mine is None or mine.median_ms is None:
            continue
        print(f"{'':{width}} {mine.name}: {mine.median_ms - ceiling:+.1f} ms over its ceiling")
        free = layout_free.get(key)
        if free is not None and free.median_ms is not None:
            limit = BUDGETS[key][0]
            ratio = free.median_ms / floor_ms[f"{key} floor"]
            if mine.median_ms <= limit * floor_ms[f"{key} floor"]:
                verdict = f"the command itself is within the {limit:g}x budget"
            elif ratio <= limit:
                verdict = f"within the {limit:g}x budget: merging modules alone could meet it"
            else:
                verdict = f"beyond the {limit:g}x budget: merging modules alone could not meet it"
            print(f"{'':{width}} {mine.name}: {mine.median_ms - free.median_ms:+.1f} ms from the "
                  f"~{free.modules} modules' import machinery; layout-free run is {ratio:.2f}x its floor ({verdict})")
    if idle_ms is not None:
        print(f"{'chassisctl power status after 6 s idle':{width}} {idle_ms:7.1f} {'':>13} {idle_ms / python:6.2f}x  "
              "the simulator's periodic sensor scan (every 5 s) builds its SDR model")


# ---------------------------------------------------------------------------
# SDR transaction ratio

def report_transactions(home: Path) -> None:
    os.environ.update(XDG_CACHE_HOME=str(home / "tx-cache"), XDG_STATE_HOME=str(home / "state"),
                      XDG_CONFIG_HOME=str(home / "config"), CHASSISCTL_SIM_PACE="0")
    from chassisctl.client.sdr_cache import SdrCache
    from chassisctl.ipmi.sdr import CompactSensorRecord, FullSensorRecord, parse_record

    cold = _spy_transports(["sensors", "--json"])[0]
    warm = _spy_transports(["sensors", "--json"])[0]

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


# ---------------------------------------------------------------------------
# The wheel

def rerun_from_wheel(argv: list[str]) -> int:
    """Build a wheel, pip install it (not editable) into a temporary venv, run this script there."""
    with tempfile.TemporaryDirectory(prefix="chassisctl-bench-wheel-") as tmp:
        work = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PIP_"))}
        print("building a wheel and installing it into a fresh venv (plain pip install) ...", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"),
                        str(REPO)], check=True, env=env, cwd=work)
        (wheel,) = (work / "dist").glob("chassisctl-*.whl")
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", str(work / "venv")], check=True, env=env, cwd=work)
        python = work / "venv" / "bin" / "python"
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)],
                       check=True, env=env, cwd=work)
        done = subprocess.run([str(python), str(Path(__file__).resolve()), "--here", *argv],
                              env=env | {"_CHASSISCTL_BENCH_WHEEL": str(wheel.name)}, cwd=work)
        return done.returncode


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--runs", type=int, default=20, help="measured runs per case (default 20)")
    parser.add_argument("--warmup", type=int, default=2, help="discarded warm-up rounds (default 2)")
    parser.add_argument("--here", action="store_true",
                        help="measure this interpreter's chassisctl instead of a freshly installed wheel")
    parser.add_argument("--as-is", action="store_true",
                        help="keep the environment's bytecode settings (default: compiled, private cache)")
    parser.add_argument("--idle-runs", type=int, default=0,
                        help="also time power status after 6 s idle, this many times (slow)")
    parser.add_argument("--skip-timing", action="store_true", help="only the SDR transaction part")
    parser.add_argument("--only", action="append", default=[], metavar="TEXT",
                        help="time only the cases whose name contains TEXT (repeatable; the python floor "
                             "and the matching ceilings are always kept)")
    args = parser.parse_args(argv)
    if not args.here:
        return rerun_from_wheel([a for a in argv if a != "--here"])
    compiled = not args.as_is
    with tempfile.TemporaryDirectory(prefix="chassisctl-bench-") as tmp:
        home = Path(tmp)
        if not args.skip_timing:
            fl = floors(home)  # first: the ceilings replay the traffic the floors measure
            env = run_env(home, compiled)
            cases = build_cases(home)
            if args.only:
                cases = [c for i, c in enumerate(cases) if i == 0 or any(t in c.name for t in args.only)]
                if not cases[1:]:
                    parser.error(f"--only {' '.join(args.only)}: no case matches")
                fl = {k: f for k, f in fl.items() if any(c.budget == k for c in cases)}
            cases = layout_free_cases(cases, env, home)
            cases[1:1] = ceiling_cases(fl)
            measure(cases, env, args.runs, args.warmup)
            idle = idle_power_status(env, args.idle_runs) if args.idle_runs else None
            report_timing(cases, idle, args, compiled, fl)
        report_transactions(home)
    return 0


if __name__ == "__main__":
    sys.exit(main())
