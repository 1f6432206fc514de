"""The typer-free path calls the same function with the same values as typer does.

Differential: every command line of the corpus goes to
:func:`chassisctl.cli.fastrun.fast_run` and to typer (``app.run``) with the
one function both call, :func:`chassisctl.cli.common.invoke`, replaced by a
recorder; the function, its arguments and the merged global options must be
identical.  Lines the fast path must not answer (help, usage errors, unusual
spellings) must fall through to typer instead of guessing.
"""

from __future__ import annotations

import pytest

from chassisctl.cli import app, common, fastrun
from chassisctl.cli._tree import PARAMS, ROOT

RUNS = [
    ["power", "status"],
    ["power", "status", "--json"],
    ["--json", "power", "status", "-q"],
    ["power", "status", "--all", "--quiet"],
    ["--bus", "sim:x", "power", "status", "--bus", "sim:y"],
    ["--bus=sim:a", "--addr", "0x11", "power", "off", "--yes", "--wait", "2.5"],
    ["power", "cycle", "-y", "--wait=0"],
    ["sensors"],
    ["sensors", "--type", "fan", "-n", "CPU*", "--no-cache"],
    ["sensors", "-w", "1", "--count", "3", "--refresh-sdr"],
    ["sensors", "--watch", "0.2", "--count", "1", "--name", "-odd-name"],
    ["--debug", "--timeout", "1", "bmc", "info"],
    ["--platform", "compute-4n", "--node", "node2", "sensors", "--json"],
    ["raw", "0x06", "0x01"],
    ["raw", "0x06", "0x01", "1", "2", "3", "--lun", "3"],
    ["raw", "--target", "0x72", "-b", "7", "0x06", "0x01"],
    ["sdr", "list", "--no-cache"],
    ["sdr", "cache", "show"],
    ["sdr", "cache", "flush", "--all"],
    ["nodes", "--config", "/dev/null"],
    ["platform", "check", "switch-1u"],
    ["--platform", "switch-1u", "platform", "probe"],
    ["--platform", "compute-4n", "sim", "set", "psu1.present=false", "node2-inlet.temperature=31"],
    ["--platform", "compute-4n", "sim", "show"],
    ["completion", "bash"],
    ["completion", "zsh", "--install"],
    ["fru"],
    ["fru", "print", "--id", "3"],
    ["fru", "--id", "0", "print"],
    ["sel", "list", "--last", "5"],
    ["sel", "list", "-f", "--interval", "0.5"],
    ["sel", "info", "--json"],
    ["sel", "clear", "--yes"],
    ["sel", "time", "--sync"],
    ["boot", "get"],
    ["boot", "set", "pxe", "--persistent", "--uefi"],
    ["boot", "set", "--once", "disk"],
    ["chassis", "status"],
    ["chassis", "policy", "always-off"],
    ["chassis", "identify", "--seconds", "30"],
    ["chassis", "identify", "--force"],
    ["bmc", "reset", "cold", "--yes"],
]

FALL_THROUGH = [
    [], ["--help"], ["-h"], ["power", "--help"], ["power", "status", "--help"], ["--version"],
    ["power"],  # a group alone: typer prints its help
    ["power", "stat"], ["nosuch"], ["power", "status", "--nosuch"],
    ["power", "status", "-qy"],  # a cluster
    ["power", "off", "--wait", "soon"], ["power", "off", "--wait", "-1"], ["power", "off", "--wait", "nan"],
    ["power", "off", "--wait"],  # missing value
    ["power", "status", "--json=1"],  # a flag with a value
    ["raw", "0x06"],  # missing argument
    ["raw", "--", "0x06", "0x01"],
    ["sensors", "--count", "0"], ["sensors", "extra"],
    ["chassis", "identify", "--seconds", "256"],
    ["serve", "-v"],  # a counted option: typer's
    ["power", "--json", "status"],  # an option at group level
]


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def __call__(self, func, kwargs):
        st = common.state()
        self.calls.append((func.__module__, func.__qualname__, dict(kwargs), dict(st.flags), st.config,
                           st.json, st.debug))


@pytest.fixture
def recorder(monkeypatch, tmp_path):
    for kind in ("STATE", "CACHE", "CONFIG"):
        monkeypatch.setenv(f"XDG_{kind}_HOME", str(tmp_path / kind.lower()))
    rec = Recorder()
    monkeypatch.setattr(common, "invoke", rec)
    return rec


@pytest.mark.parametrize("argv", RUNS, ids=" ".join)
def test_same_call_as_typer(argv, recorder) -> None:
    assert fastrun.fast_run(argv) == 0, "the fast path must answer this line itself"
    [fast] = recorder.calls
    assert app.run(argv) == 0
    typer = recorder.calls[-1]  # after the root callback, which typer runs through invoke too
    assert fast == typer


@pytest.mark.parametrize("argv", FALL_THROUGH, ids=lambda a: " ".join(a) or "(empty)")
def test_left_to_typer(argv, recorder) -> None:
    assert fastrun.plan(argv) is None
    assert fastrun.fast_run(argv) is None
    assert recorder.calls == []


def _leaves(node=ROOT, path=()):
    if not node[2]:
        yield path, node
        return
    for name, child in node[4].items():
        yield from _leaves(child, (*path, name))


#: Commands that must run without typer (the everyday ones and their neighbours).  serve takes a
#: counted -v (typer's) and starts asyncio anyway; daemon-facing commands may stay with typer.
EVERYDAY = {("power", v) for v in ("status", "on", "off", "cycle", "reset", "soft")} | {
    ("sensors",), ("nodes",), ("raw",), ("fru",), ("completion",), ("bmc", "info"), ("bmc", "reset"),
    ("chassis", "status"), ("chassis", "policy"), ("chassis", "identify"), ("boot", "get"), ("boot", "set"),
    ("sel", "list"), ("sel", "info"), ("sel", "clear"), ("sel", "time"), ("sdr", "list"),
    ("sdr", "cache", "show"), ("sdr", "cache", "flush"), ("platform", "check"), ("platform", "probe"),
    ("sim", "set"), ("sim", "show"), ("sim", "reset")}


def test_the_everyday_commands_run_without_typer() -> None:
    leaves = dict(_leaves())
    assert EVERYDAY <= set(leaves)
    missing = [" ".join(path) for path in sorted(EVERYDAY) if leaves[path][5] is None]
    assert missing == [], "give these a module-level function and plain parameters"


def test_every_parameter_of_a_runnable_command_converts() -> None:
    runnable = {i for _, node in _leaves() if node[5] is not None for i in node[3]}
    for i in runnable:
        p = PARAMS[i]
        assert p[11] or (p[12] is not None and p[13] is not None), p[0]


def test_output_is_the_same_both_ways(monkeypatch, tmp_path, capsys) -> None:
    """End to end on the simulator: the same bytes on stdout and stderr, the same status."""
    from chassisctl.cli import entry

    import _simkit as kit

    kit.isolate(monkeypatch, tmp_path)
    for argv in (["power", "status"], ["sdr", "list"], ["sel", "info"], ["boot", "get", "--json"],
                 ["fru"], ["chassis", "status"], ["power", "off"], ["raw", "0x06", "0x01", "0x99"]):
        results = []
        for fast in (True, False):
            capsys.readouterr()
            rc = entry.main(argv, fast_run=fast)
            out, err = capsys.readouterr()
            results.append((rc, out, err))
        assert results[0] == results[1], argv


@pytest.mark.parametrize("columns", ["80", "120", "50"])
def test_shallow_root_help_is_the_full_one(columns, monkeypatch) -> None:
    """chassisctl --help registers placeholders carrying each command's help: same text."""
    monkeypatch.setenv("COLUMNS", columns)
    texts = []
    for shallow in (True, False):
        cli = app.get_command(None, shallow=shallow)
        with cli.make_context("chassisctl", [], resilient_parsing=True) as ctx:
            texts.append(cli.get_help(ctx))
    assert texts[0] == texts[1]
    assert app.root_help_only(["--help"]) and app.root_help_only(["--json", "-h"]) and app.root_help_only([])
    assert not app.root_help_only(["power", "--help"]) and not app.root_help_only(["--bus", "x", "--help"])
