"""The entry point runs a command line with the cyclic collector off, and gives it back.

An everyday command exits within milliseconds; collecting cycles while it
imports costs more than anything it frees.  Behaviour only: timing is
``bench/startup.py``'s.
"""

from __future__ import annotations

import gc

import pytest

from chassisctl.cli import entry


@pytest.fixture
def collecting():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_collector_off_during_the_command_and_restored_after(collecting, monkeypatch) -> None:
    seen = []
    monkeypatch.setattr(entry, "_main", lambda argv, **kw: seen.append(gc.isenabled()) or 0)
    assert entry.main(["power", "status"]) == 0
    assert seen == [False] and gc.isenabled()


def test_restored_when_the_command_raises(collecting, monkeypatch) -> None:
    def boom(argv, **kw):
        raise RuntimeError("x")

    monkeypatch.setattr(entry, "_main", boom)
    with pytest.raises(RuntimeError):
        entry.main([])
    assert gc.isenabled()


def test_left_off_for_a_caller_that_had_it_off(monkeypatch) -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        monkeypatch.setattr(entry, "_main", lambda argv, **kw: 0)
        entry.main([])
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


def test_long_running_commands_collect_again(collecting, monkeypatch) -> None:
    from chassisctl.cli.common import long_running

    def command(argv, **kw):
        long_running()
        return int(not gc.isenabled())

    monkeypatch.setattr(entry, "_main", command)
    assert entry.main(["sensors", "--watch", "1"]) == 0


def test_watch_turns_collection_back_on(collecting, monkeypatch, tmp_path, capsys) -> None:
    """``sensors --watch`` runs for as long as the operator wants: it collects again."""
    import _simkit as kit

    kit.isolate(monkeypatch, tmp_path)
    states = []
    monkeypatch.setattr("time.sleep", lambda s: states.append(gc.isenabled()) if s == 0.2 else None)
    assert entry.main(["sensors", "--watch", "0.2", "--count", "2"]) == 0
    assert states == [True]  # the pause between the two rounds


def test_freezes_only_when_run_as_the_process(collecting, monkeypatch) -> None:
    """No argv (console script, python -m): everything is frozen before the exit; with argv
    (in-process callers) nothing is."""
    frozen = []
    monkeypatch.setattr(entry, "_main", lambda argv, **kw: 0)
    monkeypatch.setattr(entry.gc, "freeze", lambda: frozen.append(True))
    assert entry.main(["power", "status"]) == 0
    assert frozen == []
    assert entry.main() == 0
    assert frozen == [True] and gc.isenabled()
