"""``chassisctl completion bash|zsh|fish [--install]``.

Prints the shell script (the ``kubectl completion bash`` convention) rather
than editing rc files like typer's ``--install-completion`` would: on a
shared chassis or a root account nobody wants a tool appending to
``~/.bashrc``.  ``--install`` writes only into the per-user directory each
shell's completion loader already searches.  The committed copies under
``completions/`` are generated from the same function and diff-tested.
"""

from __future__ import annotations

import os
from pathlib import Path

from chassisctl.cli.common import state
from chassisctl.cli.params import Argument, Option

SHELLS = ("bash", "zsh", "fish")


def script(shell: str) -> str:
    """The completion script: typer's shim calling back into chassisctl."""
    from typer._completion_shared import get_completion_script

    return get_completion_script(prog_name="chassisctl", complete_var="_CHASSISCTL_COMPLETE", shell=shell)


def user_install_path(shell: str, env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ) if env is None else env
    home = Path(env.get("HOME") or os.path.expanduser("~"))
    data = Path(env.get("XDG_DATA_HOME") or home / ".local/share")
    if shell == "bash":
        base = Path(env.get("BASH_COMPLETION_USER_DIR") or data / "bash-completion")
        return base / "completions" / "chassisctl"
    if shell == "zsh":
        return home / ".zfunc" / "_chassisctl"
    return Path(env.get("XDG_CONFIG_HOME") or home / ".config") / "fish" / "completions" / "chassisctl.fish"


def register(app) -> None:
    from chassisctl.cli.common import command

    command(app, "completion", global_options=False)(completion)


def _shells() -> list[str]:
    return list(SHELLS)


def completion(
    shell: str = Argument(..., metavar="bash|zsh|fish", autocompletion=_shells,
                          help="Shell to print the completion script for"),
    install: bool = Option(False, "--install", help="Write it to the per-user completion directory instead"),
) -> None:
    """Print (or --install) the shell completion script."""
    from chassisctl.errors import UsageError

    if shell not in SHELLS:
        raise UsageError(f"unsupported shell {shell!r}: choose bash, zsh or fish")
    text = script(shell)
    out = state().output()
    if not install:
        out.out.write(text)
        return
    path = user_install_path(shell)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    hint = {"zsh": " (add 'fpath+=~/.zfunc; autoload -U compinit; compinit' to ~/.zshrc)"}.get(shell, "")
    out.line(f"installed {path}{hint}")
