"""Every autocompletion callback of the real command tree can be called.

typer matches a callback's parameters by name (``incomplete``, ``ctx``,
``args``); one wrongly named parameter raises "Invalid autocompletion
callback parameters" when the command tree is built — i.e. on *every*
invocation, breaking the whole CLI.  Building
``typer.main.get_command(app)`` and calling each callback through click
catches that, and a callback that crashes or returns non-strings.
"""

from __future__ import annotations

import pytest
import typer

from chassisctl.cli import gen
from chassisctl.cli.app import build_app


def _params_with_callbacks():
    cli = typer.main.get_command(build_app())
    found = []

    def visit(path, command, ctx):
        for param in command.get_params(ctx):
            if getattr(param, "_custom_shell_complete", None) is not None:
                found.append((" ".join(path), command, ctx, param))
        if hasattr(command, "list_commands"):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                visit([*path, name], sub, sub.make_context(name, [], parent=ctx, resilient_parsing=True))

    visit(["chassisctl"], cli, cli.make_context("chassisctl", [], resilient_parsing=True))
    return found


PARAMS = _params_with_callbacks()


def test_there_are_callbacks_to_check() -> None:
    names = {param.name for _, _, _, param in PARAMS}
    assert {"bus", "transport", "pec", "type_name", "name", "shell"} <= names


@pytest.mark.parametrize("where,command,ctx,param", PARAMS,
                         ids=[f"{w}:{p.name}" for w, _, _, p in PARAMS])
@pytest.mark.parametrize("incomplete", ["", "s", "x-no-such-prefix"])
def test_callback_runs(where, command, ctx, param, incomplete, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    items = param.shell_complete(ctx, incomplete)
    assert all(isinstance(item.value, str) and item.value.startswith(incomplete) for item in items)


@pytest.mark.parametrize("where,command,ctx,param", PARAMS,
                         ids=[f"{w}:{p.name}" for w, _, _, p in PARAMS])
def test_fast_path_covers_the_callback(where, command, ctx, param) -> None:
    """gen recognises it (a complete.py provider or constants), so TAB never needs typer."""
    spec = gen._completion_spec(param)
    assert spec[0] in ("provider", "static"), spec


def test_a_misnamed_parameter_breaks_every_command() -> None:
    """The failure mode this file guards against, shown on a throwaway app."""
    app = typer.Typer()

    def complete(inc: str, extra) -> list[str]:  # "extra" is neither ctx, args nor incomplete
        return []

    @app.command()
    def cmd(x: str = typer.Option("", autocompletion=complete, help="x")) -> None:
        """A command."""

    with pytest.raises(Exception, match="Invalid autocompletion callback parameters"):
        typer.main.get_command(app)
