"""Persisted chassis state (the simulator's here): locked, atomic, never lost, never silently replaced."""

from __future__ import annotations

import json
import multiprocessing
import os
import pathlib
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassisctl.cli.app import run
from chassisctl.errors import StateError, UsageError
from chassisctl.ipmi import sel as sel_codec
from chassisctl.state_store import StateStore, check_name

import _simkit as kit


@pytest.fixture
def dirs(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, pathlib.Path]:
    return kit.isolate(monkeypatch, tmp_path)


def state_file(dirs: dict[str, pathlib.Path], name: str = "default") -> pathlib.Path:
    return dirs["STATE"] / "chassisctl" / "sim" / f"{name}.json"


# -- StateStore ------------------------------------------------------------------------------

def test_save_and_load_round_trip(tmp_path: pathlib.Path) -> None:
    store = StateStore(tmp_path / "sim", "x")
    assert store.load() is None
    with store.locked():
        store.save({"chassis": {"a": 1}})
    assert store.load() == {"chassis": {"a": 1}, "schema": 1}
    assert not [p for p in pathlib.Path(store.directory).iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b'{"schema": 99}', b"\xff\xfe", b""])
def test_corrupt_file_is_reported_and_left_alone(tmp_path: pathlib.Path, content: bytes) -> None:
    store = StateStore(tmp_path, "x")
    pathlib.Path(store.path).write_bytes(content)
    with pytest.raises(StateError) as info:
        store.load()
    assert info.value.exit_code == 74
    assert str(store.path) in str(info.value) and "mv " in str(info.value)
    assert pathlib.Path(store.path).read_bytes() == content


def test_unreadable_state(tmp_path: pathlib.Path) -> None:
    store = StateStore(tmp_path, "x")
    pathlib.Path(store.path).mkdir()  # EISDIR: readable by nobody, root included
    with pytest.raises(StateError, match="unreadable"):
        store.load()


def test_unwritable_state_directory(tmp_path: pathlib.Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    store = StateStore(blocker / "sim", "x")  # a path below a regular file
    with pytest.raises(StateError, match="simulator state directory"):
        with store.locked():
            pass


@pytest.mark.parametrize("name", ["", "../x", ".hidden", "a/b", "x" * 65])
def test_names_are_tame(name: str) -> None:
    with pytest.raises(UsageError):
        check_name(name)


@given(st.text(alphabet=st.sampled_from("aZ09_.-/ \n\u00e9\u0661"), max_size=70))
def test_name_check_is_the_old_pattern(name: str) -> None:
    """The set test accepts what ``^[A-Za-z0-9_.-]{1,64}$`` (minus a leading dot) did,
    except the trailing newline that ``$`` let through into a file name."""
    import re

    old = bool(re.match(r"^[A-Za-z0-9_.-]{1,64}$", name)) and not name.startswith(".") and not name.endswith("\n")
    try:
        check_name(name)
        new = True
    except UsageError:
        new = False
    assert new == old


def _bump(directory: str, rounds: int) -> None:
    store = StateStore(pathlib.Path(directory), "counter")
    for _ in range(rounds):
        with store.locked():
            doc = store.load() or {"chassis": {"n": 0}}
            doc["chassis"]["n"] += 1
            store.save(doc)


def test_concurrent_processes_never_lose_an_update_or_tear_the_file(tmp_path: pathlib.Path) -> None:
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_bump, args=(str(tmp_path), 25)) for _ in range(6)]
    for p in procs:
        p.start()
    store = StateStore(tmp_path, "counter")
    reads = 0
    while any(p.is_alive() for p in procs):
        if os.path.exists(store.path):
            doc = store.load()  # never torn: always parses
            assert doc is not None and doc["chassis"]["n"] >= 0
            reads += 1
    for p in procs:
        p.join()
        assert p.exitcode == 0
    assert store.load()["chassis"]["n"] == 6 * 25
    assert reads > 0


# -- through the CLI -----------------------------------------------------------------------------

def _restart_events(path: pathlib.Path) -> int:
    doc = json.loads(path.read_text())
    records = [sel_codec.decode(bytes.fromhex(r)) for r in doc["chassis"]["sel"]["records"]]
    return sum(1 for r in records if getattr(r, "sensor_type", None) == 0x1D)


def test_parallel_commands_share_one_consistent_state(tmp_path: pathlib.Path, dirs) -> None:
    """6 `power reset` + 2 `power status` at once: every reset is in the SEL exactly once."""
    env = kit.subprocess_env(tmp_path)
    argv = kit.chassisctl_argv()
    assert run(["power", "status"]) == 0  # create the state (powered on)
    path = state_file(dirs)
    commands = [["power", "reset", "--yes"]] * 6 + [["power", "status", "--json"]] * 2
    procs = [subprocess.Popen(argv + c, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for c in commands]
    results = [(p.wait(timeout=60), p.stdout.read(), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    for rc, _out, err in results:
        assert rc == 0, err
        assert b"Traceback" not in err
    for _rc, out, _err in results[6:]:
        assert json.loads(out)["power"] == "on"
    assert _restart_events(path) == 6
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_parallel_on_and_off_end_consistent(tmp_path: pathlib.Path, dirs) -> None:
    env = kit.subprocess_env(tmp_path)
    argv = kit.chassisctl_argv()
    procs = [subprocess.Popen(argv + ["power", "off" if i % 2 else "on", "--yes"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for i in range(8)]
    for p in procs:
        assert p.wait(timeout=60) == 0, p.stderr.read()
        p.stderr.close()
    doc = json.loads(state_file(dirs).read_text())
    assert len(doc["chassis"]["power"]["pending"]) <= 1  # one request's transition, not a mix
    status = subprocess.run(argv + ["power", "status", "--json"], env=env, capture_output=True, text=True)
    after = json.loads(state_file(dirs).read_text())["chassis"]["power"]
    assert json.loads(status.stdout)["power"] == ("on" if after["on"] else "off")


@pytest.mark.parametrize("content", [b"{garbage", b'{"schema": 1, "chassis": {"power": 3}}', b'{"schema": 1}'])
@pytest.mark.parametrize("argv", [["power", "status"], ["power", "off", "--yes"], ["sensors", "--no-cache"]])
def test_corrupt_state_exits_74_and_keeps_the_file(dirs, capsys: pytest.CaptureFixture[str],
                                                   content: bytes, argv: list[str]) -> None:
    path = state_file(dirs)
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    before = os.stat(path)
    assert run(argv) == 74
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("chassisctl: error: ")
    assert str(path) in err and "Traceback" not in err
    assert path.read_bytes() == content
    assert os.stat(path).st_mtime_ns == before.st_mtime_ns


def test_corrupt_state_json_error_object(dirs, capsys: pytest.CaptureFixture[str]) -> None:
    path = state_file(dirs)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"{")
    assert run(["power", "status", "--json"]) == 74
    out, err = capsys.readouterr()
    doc = json.loads(err)
    assert out == "" and doc["schema"] == 1
    assert doc["error"]["exit_code"] == 74 and doc["error"]["code"] == "state"


def test_state_follows_xdg_state_home_and_sim_name(dirs, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["power", "off", "--yes", "--bus", "sim:lab"]) == 0
    assert state_file(dirs, "lab").exists() and not state_file(dirs).exists()
    capsys.readouterr()
    assert run(["power", "status", "--json", "--bus", "sim:lab"]) == 0
    assert run(["power", "status", "--json"]) == 0  # another simulated chassis: still on
    out = capsys.readouterr().out
    first, second = (json.loads(part) for part in out.replace("}\n{", "}\n\x00{").split("\x00"))
    # `power off` takes off_delay to complete; the state was recorded either way
    assert first["bus"] == "sim:lab" and second["bus"] == "sim" and second["power"] == "on"
