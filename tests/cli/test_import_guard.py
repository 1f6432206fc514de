"""The CLI's fast paths never import the heavy libraries (behaviour, not timing).

Each case runs the real entry point in a fresh interpreter through a
``python -c`` wrapper that dumps ``sys.modules`` at exit (no hook in the
product).  ``--help`` must not load scapy, pyroute2, cryptography, asyncio
or pydantic; the everyday commands on the simulator (``power status``,
``sensors``, ``fru``, ``sel list``, ``boot get``, ``chassis status`` ...) and
a TAB completion request must not even load typer, rich or click: they run
from the generated command tree.  The everyday commands also define no
dataclass at import (each costs ~0.5 ms to build) and leave alone the stdlib
modules they do not need.  Timing lives in ``bench/startup.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY = ("scapy", "pyroute2", "cryptography", "asyncio", "pydantic")
CLI_FRAMEWORK = ("typer", "rich", "click")

WRAPPER = """
import atexit, json, sys
out = sys.argv.pop(1)

def dump():
    # Also name the dataclasses chassisctl's loaded modules define, as "module.Class".
    found = [f"{name}.{attr}" for name, module in list(sys.modules.items()) if name.startswith("chassisctl")
             for attr, obj in list(vars(module).items())
             if isinstance(obj, type) and obj.__module__ == name and "__dataclass_fields__" in obj.__dict__]
    # ... and the enum classes they built, as "enum:module.Class".
    enum = sys.modules.get("enum")
    if enum:
        found += [f"enum:{name}.{attr}" for name, module in list(sys.modules.items()) if name.startswith("chassisctl")
                  for attr, obj in list(vars(module).items())
                  if isinstance(obj, type) and issubclass(obj, enum.Enum) and obj.__module__ == name]
    open(out, "w").write(json.dumps(sorted(sys.modules) + found))

atexit.register(dump)
sys.argv[0] = "chassisctl"
from chassisctl.cli.entry import main
sys.exit(main())
"""


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHASSISCTL_", "_CHASSISCTL", "COMP_"))}
    env.update(XDG_CACHE_HOME=str(tmp_path / "cache"), XDG_STATE_HOME=str(tmp_path / "state"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), CHASSISCTL_SIM_PACE="0")
    return env


def _modules(args: list[str], env: dict[str, str], tmp_path, expect_rc: int = 0) -> set[str]:
    dump = tmp_path / "modules.json"
    done = subprocess.run([sys.executable, "-c", WRAPPER, str(dump), *args], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == expect_rc, done.stderr
    return set(json.loads(dump.read_text()))


def _loaded(modules: set[str], roots: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in roots)


@pytest.mark.parametrize("args", [["--help"], ["power", "--help"], ["sel", "--help"]], ids=lambda a: " ".join(a))
def test_help_stays_light(args, env, tmp_path) -> None:
    modules = _modules(args, env, tmp_path)
    assert _loaded(modules, HEAVY) == []
    assert "chassisctl.cli.app" in modules  # the guard ran the real CLI


RUN_WITHOUT_TYPER = [
    ["power", "status", "--json"], ["power", "status"], ["sensors", "--json"], ["sensors"],
    ["bmc", "info", "--json"], ["fru", "--json"], ["fru", "print"], ["sel", "list", "--json"], ["sel", "list"],
    ["sel", "info"], ["sel", "time", "--json"], ["boot", "get", "--json"], ["chassis", "status", "--json"],
    ["chassis", "status"], ["--platform", "compute-4n", "--node", "node2", "sensors", "--json"],
]


@pytest.mark.parametrize("args", RUN_WITHOUT_TYPER, ids=lambda a: " ".join(a))
def test_everyday_commands_run_without_typer(args, env, tmp_path) -> None:
    modules = _modules(args, env, tmp_path)
    assert _loaded(modules, HEAVY + CLI_FRAMEWORK) == []
    assert "chassisctl.cli.fastrun" in modules  # the guard ran the real CLI


@pytest.mark.parametrize("args, rc", [(["dhcp-relay", "--help"], 0), (["dhcp-relay", "start", "--help"], 0),
                                      (["dhcp-relay", "status", "--json"], 69),
                                      (["dhcp-relay", "start", "--downstream", "x", "--server", "::1"], 2)],
                         ids=lambda a: " ".join(a) if isinstance(a, list) else str(a))
def test_dhcp_relay_paths_stay_light(args, rc, env, tmp_path) -> None:
    """Help, a bad flag and status (one control-socket round trip) load neither asyncio nor pyroute2."""
    modules = _modules(args, env, tmp_path, expect_rc=rc)
    assert _loaded(modules, HEAVY) == []
    assert "chassisctl.cli.dhcp_relay" in modules


@pytest.mark.parametrize("request_env", [
    {"_CHASSISCTL_COMPLETE": "complete_bash", "COMP_WORDS": "chassisctl po", "COMP_CWORD": "1"},
    {"_CHASSISCTL_COMPLETE": "complete_bash", "COMP_WORDS": "chassisctl\n--bus\n", "COMP_CWORD": "2"},
    {"_CHASSISCTL_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "chassisctl sensors --name "},
    {"_CHASSISCTL_COMPLETE": "complete_fish", "_TYPER_COMPLETE_ARGS": "chassisctl power ",
     "_TYPER_COMPLETE_FISH_ACTION": "get-args"},
], ids=["bash-command", "bash-bus-value", "zsh-sensor-names", "fish-subcommand"])
def test_completion_never_imports_typer(request_env, env, tmp_path) -> None:
    modules = _modules([], env | request_env, tmp_path)
    assert _loaded(modules, HEAVY + CLI_FRAMEWORK) == []
    assert "chassisctl.cli._tree" in modules


def test_completion_fallback_also_stays_light(env, tmp_path) -> None:
    """What the fast path leaves to typer (quotes here) still avoids the heavy libraries."""
    request = {"_CHASSISCTL_COMPLETE": "complete_bash", "COMP_WORDS": "chassisctl sensors --name 'C",
               "COMP_CWORD": "3"}
    modules = _modules([], env | request, tmp_path)
    assert "typer" in modules
    assert _loaded(modules, HEAVY + ("rich",)) == []


@pytest.mark.parametrize("args,rc", [
    (["lldp", "neighbors", "--json", "--socket", "/nonexistent/chassisctl.sock"], 69),
    (["lldp", "statistics", "--socket", "/nonexistent/chassisctl.sock"], 69),
    (["lldp", "neighbors", "--help"], 0),
], ids=lambda a: " ".join(a) if isinstance(a, list) else str(a))
def test_lldp_asks_the_agent_without_scapy_or_pyroute2(args, rc, env, tmp_path) -> None:
    """The agent answers; only --pcap loads scapy and only serve loads pyroute2."""
    modules = _modules(args, env, tmp_path, expect_rc=rc)
    assert _loaded(modules, HEAVY) == []
    assert "chassisctl.cli.lldp" in modules and "chassisctl.lldp.agent" not in modules


def test_lldp_pcap_loads_scapy_but_not_pyroute2(env, tmp_path) -> None:
    from pathlib import Path

    capture = Path(__file__).resolve().parents[1] / "data" / "lldp" / "lldpd-default.pcap"
    modules = _modules(["lldp", "neighbors", "--pcap", str(capture)], env, tmp_path)
    assert "scapy" in modules and _loaded(modules, ("pyroute2", "asyncio")) == []


#: Dataclasses an everyday command may still build: none (the configuration's
#: settings are a plain class and NamedTuples).
DATACLASSES_ALLOWED: tuple[str, ...] = ()
#: Standard library modules no everyday command needs: typing (records come from
#: chassisctl.namedtuple, annotations are strings), dataclasses and inspect,
#: exact fractions only when a float cannot be trusted, temporary files only for
#: a fake sysfs, hashing and UUIDs only for a LAN session (platform descriptions
#: use chassisctl.digests).  (importlib, pathlib and re are not checked: an
#: editable install's import hook, as in this test's venv, loads them first.)
STDLIB_UNNEEDED = ("typing", "dataclasses", "inspect", "fractions", "decimal", "tempfile", "shutil",
                   "uuid", "hashlib", "_hashlib", "bz2", "lzma", "random", "platform")

#: Enum views built on first use (chassisctl.lazy_enum) that no everyday command needs.
LAZY_ENUMS = tuple(f"chassisctl.ipmi.codes.{n}" for n in (
    "NetFn", "Privilege", "ChassisCmd", "SensorCmd", "AppCmd", "StorageCmd", "TransportCmd", "DcmiCmd",
    "CompletionCode")) + tuple(f"chassisctl.ipmi.{m}" for m in (
    "names.SensorType", "names.EventReadingType", "names.EntityId", "units.Unit", "units.ModifierRelation",
    "units.RateUnit", "sdr_format.RecordType", "sdr_format.IdType", "sdr.McCapability", "ssif.SsifCmd",
    "conversion.AnalogFormat", "conversion.Linearization"))


@pytest.mark.parametrize("args, extra", [
    (["power", "status"], ("chassisctl.ipmi.sdr", "chassisctl.ipmi.fru")),
    (["sensors"], ("chassisctl.ipmi.fru",)),
    (["chassis", "status", "--json"], ()),
    (["power", "status", "--json"], ("chassisctl.ipmi.sdr", "chassisctl.ipmi.fru")),
    # The PMBus codec's enum classes are built only where a name is printed (not for a reading).
    (["--platform", "compute-4n", "--node", "node2", "sensors"], ("chassisctl.ipmi.fru", "tempfile",
                                                                  "chassisctl.devices._pmbus_enums")),
], ids=lambda a: " ".join(a) if a and isinstance(a[0], str) and not a[0].startswith("chassisctl") else "")
def test_everyday_commands_build_no_dataclass_and_skip_unneeded_modules(args, extra, env, tmp_path) -> None:
    """Run twice (the second run is the warm one: caches of the profile, the
    synthesised SDRs and the SDR repository exist) and look at the second."""
    _modules(args, env, tmp_path)
    modules = _modules(args, env, tmp_path)
    built = sorted(m for m in modules if m.count(".") >= 2 and m.split(".")[-1][:1].isupper()
                   and not m.startswith(DATACLASSES_ALLOWED) and not m.startswith("enum:"))
    assert built == []
    # A platform's device codecs (INA2xx, PMBus) and the SDR conversion of its readings are
    # exact in integers (tests/devices/test_exact_integer_arith.py): no fractions there either.
    assert _loaded(modules, STDLIB_UNNEEDED) == []
    assert sorted(m for m in modules if m in extra) == []
    # Enum classes are built from their plain-int tables only when a name is printed
    # (chassisctl.lazy_enum); none of these commands prints one of these.
    assert sorted(m for m in modules if m.startswith("enum:") and m[5:] in LAZY_ENUMS) == []


@pytest.mark.parametrize("request_env", [
    {"_CHASSISCTL_COMPLETE": "complete_bash", "COMP_WORDS": "chassisctl po", "COMP_CWORD": "1"},
    {"_CHASSISCTL_COMPLETE": "complete_bash", "COMP_WORDS": "chassisctl\n--bus\n", "COMP_CWORD": "2"},
], ids=["bash-command", "bash-bus-value"])
def test_tab_completion_loads_only_the_tree(request_env, env, tmp_path) -> None:
    """A command word or a --bus value: the generated tree and os; no glob, typing or config."""
    modules = _modules([], env | request_env, tmp_path)
    assert "chassisctl.cli._tree" in modules
    assert sorted(m for m in modules if m in ("typing", "dataclasses", "hashlib", "glob", "chassisctl.errors",
                                              "chassisctl.config", "chassisctl.cli.common")) == []


def test_tab_completion_of_sensor_names_skips_typing_and_enums(env, tmp_path) -> None:
    """The sensor-name index is read with json and nothing more."""
    _modules(["sensors"], env, tmp_path)  # writes the index
    request = {"_CHASSISCTL_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "chassisctl sensors --name "}
    modules = _modules([], env | request, tmp_path)
    assert "chassisctl.cli._tree" in modules
    assert sorted(m for m in modules if m in ("typing", "chassisctl.errors", "chassisctl.config")) == []


#: What a warm ``--platform compute-4n --node node2 sensors`` leaves alone
#: (bench/README.md, "compute-4n node2 sensors, fourth pass"): the IEEE-half
#: PMBus format's struct, zlib for the SDR cache's file names, the
#: description's line finder (only a failing description needs it).  (fnmatch,
#: imported only with --name, is not checked: the editable install's import hook
#: in this test's venv loads it first.)
COMPUTE_4N_UNNEEDED = ("struct", "_struct", "zlib", "chassisctl.config.lines",
                       # a node's power control is built when a power command first needs it
                       "chassisctl.platform.power",
                       # register enums built from their int tables only when a name is printed
                       "enum:chassisctl.devices.lm75.Reg", "enum:chassisctl.devices.lm75.ConfigBit",
                       "enum:chassisctl.devices.ina2xx.Reg")


def test_compute_4n_node2_sensors_loads_only_what_it_reads(env, tmp_path) -> None:
    args = ["--platform", "compute-4n", "--node", "node2", "sensors"]
    _modules(args, env, tmp_path)
    modules = _modules(args, env, tmp_path)
    assert "chassisctl.platform.backend" in modules  # the guard ran the platform path
    assert sorted(m for m in modules if m in COMPUTE_4N_UNNEEDED) == []


#: What the platform side of a warm ``--platform compute-4n --node node2 sensors``
#: must not import (platwarm pass): fault injection, which nothing armed.
PLATFORM_WARM_UNNEEDED = ("chassisctl.sim.faults",)


def test_platform_warm_sensors_skips_unused_platform_modules(env, tmp_path) -> None:
    args = ["--platform", "compute-4n", "--node", "node2", "sensors"]
    _modules(args, env, tmp_path)  # cold: fills the description and SDR caches
    modules = _modules(args, env, tmp_path)
    assert "chassisctl.sim.bus" in modules  # the guard ran the simulated platform
    assert sorted(m for m in modules if m in PLATFORM_WARM_UNNEEDED) == []
