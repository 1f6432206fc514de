"""The TAB fast path answers exactly what typer's completion answers.

Differential: every request of the corpus goes to
:func:`chassisctl.cli.completion_tree.fast_complete` (static tree, no typer) and to
typer's own completion of the real app (``entry.main(fast_completion=False)``);
stdout and exit status must be identical.  Requests the fast path is meant to
answer itself must not fall through; the rest (quotes, ``--``, clusters,
unknown words) must fall through rather than guess.
"""

from __future__ import annotations

import functools
import sys

import pytest

from chassisctl import name_index
from chassisctl.cli import completion_tree, entry
from chassisctl.cli._tree import PARAMS, ROOT

SENSOR_NAMES = ["CPU Temp", "CPU VR Temp", "Fan 1", "Fan 2", "Inlet Temp", "PSU1 Input", "PSU2 Input"]
ENV_KEYS = ("_CHASSISCTL_COMPLETE", "COMP_WORDS", "COMP_CWORD", "_TYPER_COMPLETE_ARGS",
            "_TYPER_COMPLETE_FISH_ACTION")


@pytest.fixture(scope="module")
def _home(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    (home / "cache" / "chassisctl" / "sdr").mkdir(parents=True)
    (home / "cache" / "chassisctl" / "sdr" / "names.txt").write_text(name_index.dumps(SENSOR_NAMES))
    return home


@pytest.fixture(autouse=True)
def _env(monkeypatch, _home):
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(_home / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(_home / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(_home / "config"))
    monkeypatch.chdir(_home)  # --platform also offers *.toml files of the working directory


def _bash(line: str, cword: int | None = None) -> dict[str, str]:
    words = line.split()
    if line.endswith(" ") or not words:
        words.append("")
    return {"_CHASSISCTL_COMPLETE": "complete_bash", "COMP_WORDS": "\n".join(words),
            "COMP_CWORD": str(len(words) - 1 if cword is None else cword)}


def _zsh(line: str) -> dict[str, str]:
    return {"_CHASSISCTL_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": line}


def _fish(line: str, action: str = "get-args") -> dict[str, str]:
    return {"_CHASSISCTL_COMPLETE": "complete_fish", "_TYPER_COMPLETE_ARGS": line,
            "_TYPER_COMPLETE_FISH_ACTION": action}


@functools.cache
def _click_app():
    from chassisctl.cli.app import get_command

    completion_tree.install_typer_completion()
    return get_command()


def _typer(env: dict[str, str], monkeypatch, capsys) -> tuple[str, int]:
    """typer's answer, as typer.completion.shell_complete gives it (one app for all cases)."""
    from typer._click.shell_completion import get_completion_class

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    cli = _click_app()  # first: it registers the completion classes
    comp = get_completion_class(env["_CHASSISCTL_COMPLETE"].partition("_")[2])(
        cli, {}, "chassisctl", "_CHASSISCTL_COMPLETE")
    try:
        out, code = comp.complete() + "\n", 0
    except SystemExit as exc:
        out, code = "", exc.code
    for key in env:
        monkeypatch.delenv(key)
    return out, code


def _typer_main(env: dict[str, str], monkeypatch, capsys) -> tuple[str, int]:
    """typer's answer through the real entry point (the fast path switched off)."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()
    try:
        code = entry.main([], fast_completion=False)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out = capsys.readouterr().out
    for key in env:
        monkeypatch.delenv(key)
    return out, code


def _fast(env: dict[str, str]) -> tuple[str, int] | None:
    return completion_tree.fast_complete(env)


# -- the corpus -------------------------------------------------------------------
def _paths(node=ROOT, path=()):
    yield path, node
    for name, child in node[4].items():
        yield from _paths(child, (*path, name))


def _generated_lines() -> list[str]:
    """For every command: its subcommands, its options, every option's values."""
    lines = []
    for path, node in _paths():
        base = " ".join(("chassisctl", *path))
        lines += [f"{base} ", f"{base} -", f"{base} --", f"{base} --h"]
        if path:
            lines.append(f"{base[:-1]}")  # the command word itself, incomplete
        for index in node[3]:
            p = PARAMS[index]
            if p[1] == "option" and not p[4] and p[8]:
                lines += [f"{base} {p[2][0]} ", f"{base} {p[2][0]} x"]
    return lines


FAST_LINES = [
    "chassisctl ",
    "chassisctl po",
    "chassisctl s",
    "chassisctl power st",
    "chassisctl sdr cache ",
    "chassisctl sdr cache f",
    "chassisctl --bus ",
    "chassisctl --bus s",
    "chassisctl --bus sim ",
    "chassisctl --bus sim po",
    "chassisctl --json power ",
    "chassisctl --json --debug sensors --",
    "chassisctl sensors --bus ",
    "chassisctl sensors --bus sim --b",
    "chassisctl sensors --bus=sim --",
    "chassisctl sensors --bus=",
    "chassisctl sensors --bus=s",
    "chassisctl sensors --bus =",
    "chassisctl sensors --bus = ",
    "chassisctl sensors --type ",
    "chassisctl sensors --type t",
    "chassisctl sensors --type=v",
    "chassisctl sensors -t ",
    "chassisctl sensors -t p",
    "chassisctl sensors --name ",
    "chassisctl sensors --name C",
    "chassisctl sensors --name CPU",
    "chassisctl sensors -n F",
    "chassisctl sensors --name Fan --type ",
    "chassisctl sensors --type fan -",
    "chassisctl sensors --watch 2 --",
    "chassisctl sensors --watch ",
    "chassisctl sensors -w 1 -",
    "chassisctl sensors --refresh-sdr --re",
    "chassisctl power status --transport ",
    "chassisctl power status --transport s",
    "chassisctl power status --pec ",
    "chassisctl power status --pec o",
    "chassisctl power status -q -",
    "chassisctl power status --quiet --",
    "chassisctl power on --yes ",
    "chassisctl power cycle --wait ",
    "chassisctl --pec ",
    "chassisctl --transport i",
    "chassisctl --node ",
    "chassisctl --node node",
    "chassisctl --platform ",
    "chassisctl --platform s",
    "chassisctl --config ",
    "chassisctl --addr 0x10 ",
    "chassisctl --timeout 3 power s",
    "chassisctl bmc ",
    "chassisctl bmc info -",
    "chassisctl raw ",
    "chassisctl raw 0x06 ",
    "chassisctl raw 0x06 0x01 ",
    "chassisctl raw 0x06 0x01 0x02 ",
    "chassisctl raw --lun ",
    "chassisctl raw --lun 1 0x06 -",
    "chassisctl raw 0x06 --lun",
    "chassisctl raw 0x06 --lun ",
    "chassisctl completion ",
    "chassisctl completion b",
    "chassisctl completion zsh ",
    "chassisctl completion zsh -",
    "chassisctl completion --install ",
    "chassisctl serve --log-format ",
    "chassisctl serve --log-format j",
    "chassisctl serve -v -",
    "chassisctl serve --verbose --v",
    "chassisctl -h ",
    "chassisctl -h po",
    "chassisctl power -h ",
    "chassisctl power --help s",
    "chassisctl sdr list --no-cache -",
    "chassisctl x",
    "chassisctl -",
    "chassisctl =",
    "chassisctl sensors -- ",
]

#: Requests the fast path must hand to typer (and typer's answer is what the user sees).
FALLBACK_LINES = [
    "chassisctl --version ",
    "chassisctl power status -qy -",
    "chassisctl raw -- 0x06 ",
    "chassisctl sensors -- ",
    "chassisctl nosuch ",
    "chassisctl power nosuch ",
    "chassisctl sensors --nosuch ",
    "chassisctl power --bus sim ",
    "chassisctl --json=1 ",
    "chassisctl sensors -tfan ",
    "chassisctl sensors --name 'CPU T",
]


def _all_lines() -> list[str]:
    seen, lines = set(), []
    for line in FAST_LINES + FALLBACK_LINES + _generated_lines():
        if line not in seen:
            seen.add(line)
            lines.append(line)
    return lines


def _shell_envs(line: str) -> list[dict[str, str]]:
    envs = [_zsh(line), _fish(line), _fish(line, "is-args")]
    if "'" not in line:
        envs.insert(0, _bash(line))
    return envs


CASES = [(line, env) for line in _all_lines() for env in _shell_envs(line)]


def _id(case) -> str:
    line, env = case
    shell = env["_CHASSISCTL_COMPLETE"].split("_")[1]
    extra = env.get("_TYPER_COMPLETE_FISH_ACTION", "")
    return f"{shell}{'-' + extra if extra else ''}:{line!r}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_fast_path_matches_typer(case, monkeypatch, capsys) -> None:
    line, env = case
    fast = _fast(env)
    if line in FAST_LINES and line not in FALLBACK_LINES:
        assert fast is not None, "the fast path should answer this itself"
    if line in FALLBACK_LINES:
        assert fast is None, "the fast path should leave this to typer"
    if fast is None:
        return  # typer answers it: identical by construction
    assert fast == _typer(env, monkeypatch, capsys)


def test_values_come_from_the_providers() -> None:
    out, code = _fast(_bash("chassisctl sensors --name CPU"))
    # names.txt above, plus /run/chassisctl/sensor-names.txt when a serve runs on this host
    assert code == 0 and {"CPU Temp", "CPU VR Temp"} <= set(out.splitlines())
    assert all(name.startswith("CPU") for name in out.splitlines())
    assert _fast(_bash("chassisctl sensors --type t"))[0] == "temperature\n"
    assert _fast(_bash("chassisctl --transport "))[0] == "ssif\nipmb\n"
    assert _fast(_bash("chassisctl power status --pec o"))[0] == "on\noff\n"
    assert "sim\n" in _fast(_bash("chassisctl --bus "))[0]


@pytest.mark.parametrize("line", FAST_LINES[:12] + ["chassisctl sensors --name C"])
def test_entry_point_end_to_end(line, monkeypatch, capsys) -> None:
    """main() with and without the fast path (the oracle above skips main)."""
    for env in _shell_envs(line):
        assert _fast(env) == _typer_main(env, monkeypatch, capsys)


def test_bash_comp_cword_in_the_middle(monkeypatch, capsys) -> None:
    env = _bash("chassisctl po status", cword=1)
    assert _fast(env) == _typer(env, monkeypatch, capsys) == ("power\n", 0)


def test_fish_is_args_answers_through_the_exit_status(monkeypatch, capsys) -> None:
    assert _fast(_fish("chassisctl power ", "is-args")) == ("", 0)
    assert _fast(_fish("chassisctl --config ", "is-args")) == ("", 1)  # no values: let fish offer files


def test_fast_path_does_not_import_typer(monkeypatch) -> None:
    """In-process proxy of the subprocess guard in test_import_guard.py."""
    for name in [m for m in sys.modules if m == "chassisctl.cli.completion_values"]:
        monkeypatch.delitem(sys.modules, name)
    before = set(sys.modules)
    assert _fast(_bash("chassisctl sensors --name C")) is not None
    assert not {m for m in set(sys.modules) - before if m.split(".")[0] in ("typer", "rich", "click")}


def test_main_prints_the_fast_answer(monkeypatch, capsys) -> None:
    for key, value in _bash("chassisctl pow").items():
        monkeypatch.setenv(key, value)
    assert entry.main([]) == 0
    assert capsys.readouterr().out == "power\n"


def test_typer_completion_works_without_the_fast_path(monkeypatch, capsys) -> None:
    """add_completion=False leaves typer without completion classes; entry wires them."""
    out, code = _typer_main(_bash("chassisctl pow"), monkeypatch, capsys)
    assert (out, code) == ("power\n", 0)
    out, code = _typer_main(_zsh("chassisctl sensors --bu"), monkeypatch, capsys)
    assert "[env\\\\: CHASSISCTL_BUS; default\\\\: sim]" in out  # plain help: rich would drop it
