"""Generate the files derived from the command tree: ``python -m chassisctl.cli.gen``.

* ``tree`` — :mod:`chassisctl.cli._tree`, the static command tree the TAB
  completion fast path in :mod:`chassisctl.cli.completion_tree` answers from without
  importing typer: commands, options (whether they take a value, which
  completion provider completes it), arguments, help strings;
* ``completions`` — ``completions/chassisctl.bash``, ``completions/_chassisctl``
  (zsh) and ``completions/chassisctl.fish``, exactly what ``chassisctl
  completion SHELL`` prints;
* ``man`` — ``man/chassisctl.8`` and one ``man/chassisctl-COMMAND.8`` per
  top-level command (new commands get a page automatically), man(7) roff
  generated from ``typer.main.get_command(app)`` merged with the hand-written
  fragments in :mod:`chassisctl.cli.manfrag`; plus one page per hand-written
  ``manfrag/NAME.SECTION`` file (e.g. ``chassisctl.toml.5``), to which only
  the ``.TH`` header and SEE ALSO are added;
* ``all`` — the three.

``--check`` compares instead of writing and exits 1 when anything is stale;
``--out DIR`` writes (or checks) below ``DIR`` instead of the source tree.
The man page date is ``SOURCE_DATE_EPOCH`` when set, else
:data:`chassisctl.cli.manfrag.RELEASE_DATE` — never today, so regenerating
is reproducible.

Completion callbacks: a parameter's ``autocompletion=`` must be a function
of :mod:`chassisctl.cli.completion_values` (called at TAB time by the fast path too)
or a zero-argument callable returning constants (evaluated here, once).
Anything else is recorded as unsupported and such values are completed by
typer itself (correct, only slower).
"""

from __future__ import annotations

import argparse
import inspect
import os
import pprint
import re
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TREE_PATH = "chassisctl/cli/_tree.py"
COMPLETION_FILES = {"bash": "completions/chassisctl.bash", "zsh": "completions/_chassisctl",
                    "fish": "completions/chassisctl.fish"}
MAN_DIR = "man"
PROG = "chassisctl"


# ---------------------------------------------------------------------------
# The static command tree

def click_command():
    """The app's click command tree (typer's vendored click)."""
    from chassisctl.cli.app import get_command

    return get_command()


def _autocompletion_callback(param: Any) -> Any:
    """The function given as ``autocompletion=`` (typer wraps it twice), or None."""
    custom = getattr(param, "_custom_shell_complete", None)
    if custom is None:
        return None
    cells = dict(zip(custom.__code__.co_freevars, custom.__closure__ or (), strict=True))
    wrapper = cells.get("autocompletion")
    wrapper = wrapper.cell_contents if wrapper is not None else None
    return getattr(wrapper, "__wrapped__", None)


def _completion_spec(param: Any) -> list[Any]:
    """How the fast path completes this parameter's value (see module docs)."""
    from chassisctl.cli import completion_values as complete
    from typer._click import types
    from typer._types import TyperChoice

    if getattr(param, "_custom_shell_complete", None) is not None:
        callback = _autocompletion_callback(param)
        if callback is None:
            return ["unsupported", "autocompletion callback not recognised"]
        name = getattr(callback, "__name__", "")
        if getattr(callback, "__module__", None) == complete.__name__ and getattr(complete, name, None) is callback:
            return ["provider", name]
        if not inspect.signature(callback).parameters:
            values = []
            for item in callback():
                values.append(list(item) if isinstance(item, tuple) else item)
            return ["static", values]
        return ["unsupported", f"callback {callback.__qualname__} is not in chassisctl.cli.completion_values"]
    kind = param.type
    if isinstance(kind, TyperChoice):
        return ["choice", [str(c) for c in kind.choices], bool(kind.case_sensitive)]
    if type(kind).shell_complete is types.ParamType.shell_complete:
        return ["none"]
    return ["unsupported", f"type {type(kind).__name__} completes itself"]


#: Field order of a parameter tuple in _tree.PARAMS (completion_tree.py and fastrun.py index these).
PARAM_FIELDS = ("name", "kind", "opts", "secondary", "flag", "nargs", "multiple", "hidden", "parse",
                "help", "complete", "opts_from_set", "convert", "default")
#: Field order of a command tuple: (help, hidden, is_group, param indexes, {name: command}, run).
NODE_FIELDS = ("help", "hidden", "group", "params", "commands", "run")

_LITERALS = (type(None), bool, int, float, str)


def _convert_spec(param: Any, is_option: bool, flag: bool) -> tuple[Any, ...] | None:
    """How fastrun converts this parameter's value, or None when only typer can.

    ``("flag",)``; ``("str",)``; ``("int"|"float", min, max, min_open, max_open)``;
    ``("choice", (values...))`` for a case-sensitive plain choice.
    """
    from typer._click import types

    if getattr(param, "envvar", None) or getattr(param, "prompt", None):
        return None
    if is_option and (param.multiple or param.count):
        return None
    if param.nargs not in (1, -1) or (is_option and param.nargs != 1):
        return None
    kind = param.type
    if flag:
        if not (isinstance(kind, types.BoolParamType) and getattr(param, "is_bool_flag", False)):
            return None
        return ("flag",)
    if isinstance(kind, (types.IntRange, types.FloatRange)):
        if kind.clamp:
            return None
        name = "int" if isinstance(kind, types.IntRange) else "float"
        return (name, kind.min, kind.max, bool(kind.min_open), bool(kind.max_open))
    if type(kind) is types.IntParamType:
        return ("int", None, None, False, False)
    if type(kind) is types.FloatParamType:
        return ("float", None, None, False, False)
    if type(kind) is types.StringParamType:
        return ("str",)
    return None


def _default_spec(param: Any) -> Any:
    """``"required"``, or a 1-tuple holding what the command function receives when the
    parameter is absent (None when it is not a plain literal: then fastrun cannot run it)."""
    if param.required:
        return "required"
    default = param.default
    if param.nargs == -1:
        if default is None:
            return (None,)
        if isinstance(default, (list, tuple)) and all(isinstance(v, str) for v in default):
            return (tuple(default),)
        return None
    if callable(default) or not isinstance(default, _LITERALS):
        return None
    return (default,)


def _run_target(command: Any) -> tuple[str, str] | None:
    """(module, function) of the module-level function a leaf command runs, if any."""
    import importlib

    callback = getattr(command, "callback", None)
    if callback is None:
        return None
    func = inspect.unwrap(callback)
    module, name = getattr(func, "__module__", None), getattr(func, "__qualname__", "")
    if not module or "." in name or "<" in name:
        return None
    if getattr(importlib.import_module(module), name, None) is not func:
        return None
    return (module, name)


def _param_entry(param: Any, command: Any, ctx: Any) -> tuple[Any, ...]:
    from typer.core import TyperArgument, TyperOption

    is_option = isinstance(param, TyperOption)
    if not is_option and not isinstance(param, TyperArgument):
        raise TypeError(f"{command.name}: unexpected parameter class {type(param).__name__}")
    flag = bool(is_option and (param.is_flag or param.count))
    is_help = param is command.get_help_option(ctx)
    callback = param.callback is not None and not is_help
    supported = param.nargs == 1 or (not is_option and param.nargs == -1)
    # click builds the help option's names with list(set(...)): their order
    # follows the process' string hashing, so the fast path recreates the set
    # from the context's order (typer's answer varies the same way).
    opts = tuple(n for n in ctx.help_option_names if n in param.opts) if is_help else tuple(param.opts)
    return (
        param.name,
        "option" if is_option else "argument",
        opts if is_option else (),
        tuple(param.secondary_opts) if is_option else (),
        flag,
        param.nargs,
        bool(is_option and param.multiple),
        bool(is_option and param.hidden),
        # A callback (other than --help's, a no-op while completing) may print
        # or exit while click parses for completion: the fast path defers to typer.
        supported and not callback,
        param.help if is_option else None,
        ("none",) if flag else tuple(_completion_spec(param)),
        is_help,
        None if is_help else _convert_spec(param, is_option, flag),
        None if is_help else _default_spec(param),
    )


class _Tree:
    def __init__(self) -> None:
        self.params: list[tuple[Any, ...]] = []
        self._index: dict[Any, int] = {}

    def param(self, entry: tuple[Any, ...]) -> int:
        key = repr(entry)
        if key not in self._index:
            self._index[key] = len(self.params)
            self.params.append(entry)
        return self._index[key]

    def node(self, command: Any, ctx: Any) -> tuple[Any, ...]:
        from typer.core import TyperGroup

        entries = [_param_entry(p, command, ctx) for p in command.get_params(ctx)]
        args = [i for i, e in enumerate(entries) if e[1] == "argument"]
        if any(entries[i][5] == -1 for i in args[:-1]):
            # a greedy argument before others: leave parsing to click
            entries = [e[:8] + (False,) + e[9:] if e[1] == "argument" else e for e in entries]
        children: dict[str, Any] = {}
        is_group = isinstance(command, TyperGroup)
        if is_group:
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is None:
                    continue
                with sub.make_context(name, [], parent=ctx, resilient_parsing=True) as sub_ctx:
                    children[name] = self.node(sub, sub_ctx)
        run = None
        if not is_group and all(e[12] is not None and e[13] is not None for e in entries if not e[11]):
            run = _run_target(command)
        return (command.get_short_help_str(), bool(command.hidden), is_group,
                tuple(self.param(e) for e in entries), children, run)


def build_tree(cli: Any = None) -> dict[str, Any]:
    """``{"params": [param tuples], "root": command tuple}`` (fields: PARAM_FIELDS, NODE_FIELDS)."""
    cli = cli if cli is not None else click_command()
    tree = _Tree()
    with cli.make_context(PROG, [], resilient_parsing=True) as ctx:
        root = tree.node(cli, ctx)
        top_help = {}
        for name in cli.list_commands(ctx):
            sub = cli.get_command(ctx, name)
            top_help[name] = sub.help or ""
    return {"params": tree.params, "root": root, "top_help": top_help}


def render_tree(tree: dict[str, Any] | None = None) -> str:
    tree = tree if tree is not None else build_tree()
    params = ",\n".join(f"    {p!r}" for p in tree["params"])
    root = pprint.pformat(tree["root"], indent=1, width=110, sort_dicts=False)
    top_help = pprint.pformat(tree["top_help"], indent=1, width=110, sort_dicts=False)
    return (
        '"""The command tree for TAB completion and typer-free runs (generated; do not edit).\n\n'
        "Regenerate with ``python -m chassisctl.cli.gen tree`` after changing commands,\n"
        "options or help; ``tests/cli/test_generated.py`` fails while it is stale.\n\n"
        f"PARAMS: one tuple per distinct parameter, fields {', '.join(PARAM_FIELDS)}.\n"
        "ROOT: (help, hidden, is_group, indexes into PARAMS, {name: command}, (module, function) or None),\n"
        "recursively.  TOP_HELP: each top-level command's full help (``chassisctl --help``).\n"
        "The plain ``tuple`` annotations let type checkers read the entries as records\n"
        "indexed by field, not as the exact shape of one literal.\n"
        '"""\n\n'
        "# fmt: off\n"
        f"PARAMS: tuple = (\n{params},\n)\n\n"
        f"ROOT: tuple = {root}\n\n"
        f"TOP_HELP: dict[str, str] = {top_help}\n"
    )


# ---------------------------------------------------------------------------
# Completion scripts

def render_completions() -> dict[str, str]:
    from chassisctl.cli.completion_script import script

    return {path: script(shell) for shell, path in COMPLETION_FILES.items()}


# ---------------------------------------------------------------------------
# Man pages

def man_date(env: Mapping[str, str] | None = None) -> str:
    """``SOURCE_DATE_EPOCH`` (reproducible builds) or the release date, never today."""
    from chassisctl.cli.manfrag import RELEASE_DATE

    epoch = (os.environ if env is None else env).get("SOURCE_DATE_EPOCH")
    if epoch:
        return time.strftime("%Y-%m-%d", time.gmtime(int(epoch)))
    return RELEASE_DATE


_OPTION_WORD = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")


def roff_text(text: str) -> str:
    """Plain text -> roff: escape backslashes, protect leading dots and
    quotes, and make option names minus signs (\\-) so they copy-paste."""
    text = text.replace("\\", "\\e")
    text = _OPTION_WORD.sub(lambda m: m.group(1).replace("-", "\\-"), text)
    lines = []
    for line in text.split("\n"):
        line = line.strip()
        if line[:1] in (".", "'"):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def _dash(word: str) -> str:
    return word.replace("\\", "\\e").replace("-", "\\-")


def _paragraphs(text: str | None) -> list[str]:
    if not text:
        return []
    text = inspect.cleandoc(text).partition("\f")[0]
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]


def _help_paragraphs(text: str | None) -> str:
    return "\n.PP\n".join(roff_text(p) for p in _paragraphs(text))


def _option_tag(param: Any, ctx: Any) -> str:
    from typer.core import TyperOption

    if isinstance(param, TyperOption):
        names = sorted([*param.opts, *param.secondary_opts], key=lambda n: (n.startswith("--"), n))
        tag = ", ".join(f"\\fB{_dash(n)}\\fR" for n in names)
        if not (param.is_flag or param.count):
            tag += f" \\fI{_dash(param.make_metavar(ctx))}\\fR"
        return tag
    return f"\\fI{_dash(param.make_metavar(ctx))}\\fR"


def _param_list(params: list[Any], ctx: Any) -> str:
    out = []
    for param in params:
        record = param.get_help_record(ctx)
        help_text = record[1] if record else ""
        out.append(f".TP\n{_option_tag(param, ctx)}\n{roff_text(help_text)}")
    return "\n".join(out)


def _global_names(cli: Any, ctx: Any) -> set[str]:
    """Options the root accepts; commands repeat them (documented once, in chassisctl(8))."""
    return {p.name for p in cli.get_params(ctx)}


def _usage(path: list[str], command: Any, ctx: Any) -> str:
    """``chassisctl power status [OPTIONS]``, arguments by metavar (``[DATA]...`` optional)."""
    from typer.core import TyperGroup

    words = [f"\\fB{_dash(w)}\\fR" for w in path]
    params = command.get_params(ctx)
    if any(p.param_type_name == "option" for p in params):
        words.append("[\\fIOPTIONS\\fR]")
    for p in params:
        if p.param_type_name == "argument":
            metavar = p.make_metavar(ctx)
            words.append(f"\\fI{_dash(metavar)}\\fR" if metavar[:1] != "[" else _dash(metavar))
    if isinstance(command, TyperGroup):
        words.append("\\fICOMMAND\\fR")
    return " ".join(words)


#: Manual titles by section, for the .TH line.
MANUALS = {"1": "User Commands", "5": "File Formats", "7": "Miscellaneous", "8": "System Administration"}


def _th(page: str, date: str, section: str = "8") -> str:
    from chassisctl import __version__

    return f'.TH {page.upper()} {section} "{date}" "chassisctl {__version__}" "{MANUALS[section]}"\n.nh'


def _frag(page: str, section: str) -> str | None:
    from chassisctl.cli.manfrag import FRAGMENTS

    text = FRAGMENTS.get(page, {}).get(section)
    return text.strip("\n") if text else None


def _name_line(page: str, summary: str) -> str:
    summary = summary.rstrip(".")
    summary = summary[:1].lower() + summary[1:]
    return f".SH NAME\n{_dash(page)} \\- {roff_text(summary)}"


def _walk_leaves(path: list[str], command: Any, ctx: Any) -> list[tuple[list[str], Any, Any]]:
    from typer.core import TyperGroup

    if not isinstance(command, TyperGroup):
        return [(path, command, ctx)]
    leaves = []
    for name in command.list_commands(ctx):
        sub = command.get_command(ctx, name)
        if sub is None or sub.hidden:
            continue
        sub_ctx = sub.make_context(name, [], parent=ctx, resilient_parsing=True)
        leaves.extend(_walk_leaves([*path, name], sub, sub_ctx))
    return leaves


def _command_section(path: list[str], command: Any, ctx: Any, globals_: set[str]) -> str:
    own = [p for p in command.get_params(ctx) if p.name not in globals_]
    parts = [f'.SS "{" ".join(path)}"', _help_paragraphs(command.help)]
    if any(p.param_type_name == "argument" for p in command.get_params(ctx)):
        parts[1:1] = [_usage(path, command, ctx), ".PP"]
    if own:
        parts.append(_param_list(own, ctx))
    return "\n".join(p for p in parts if p)


def _top_page(cli: Any, ctx: Any, name: str, date: str) -> str:
    from typer.core import TyperGroup

    command = cli.get_command(ctx, name)
    sub_ctx = command.make_context(name, [], parent=ctx, resilient_parsing=True)
    page = f"{PROG}-{name}"
    globals_ = _global_names(cli, ctx)
    leaves = _walk_leaves([PROG, name], command, sub_ctx)
    out = [_th(page, date), _name_line(page, command.get_short_help_str(limit=300))]
    out.append(".SH SYNOPSIS")
    out.append("\n.br\n".join(_usage(path, cmd, c) for path, cmd, c in leaves))
    out.append(".SH DESCRIPTION")
    out.append(_help_paragraphs(command.help))
    if frag := _frag(page, "description"):
        out.append(".PP\n" + frag)
    shared = globals_ - {"help", "version"}
    if any(shared & {p.name for p in cmd.get_params(c)} for _, cmd, c in leaves):
        out.append(".PP\nThe global options of\n.BR chassisctl (8)\n"
                   "are accepted too, before or after the command name.")
    if isinstance(command, TyperGroup):
        out.append(".SH COMMANDS")
        out.extend(_command_section(path, cmd, c, globals_) for path, cmd, c in leaves)
    else:
        own = [p for p in command.get_params(sub_ctx) if p.name not in globals_]
        args = [p for p in own if p.param_type_name == "argument"]
        opts = [p for p in own if p.param_type_name != "argument"]
        if args:
            out.append(".SH ARGUMENTS\n" + _param_list(args, sub_ctx))
        if opts:
            out.append(".SH OPTIONS\n" + _param_list(opts, sub_ctx))
    for section, title in (("exit", "EXIT STATUS"), ("files", "FILES"), ("examples", "EXAMPLES")):
        if frag := _frag(page, section):
            out.append(f".SH {title}\n{frag}")
    see = [f".BR {PROG} (8)"] + [f".BR {r} ({s})" for r, s in _see_also(page)]
    out.append(".SH SEE ALSO\n" + ",\n".join(see))
    return "\n".join(out) + "\n"


def _see_also(page: str) -> list[tuple[str, str]]:
    """Extra SEE ALSO references of ``page`` as (name, section)."""
    from chassisctl.cli.manfrag import SEE_ALSO

    refs = []
    for ref in SEE_ALSO.get(page, ()):
        name, _, section = ref.partition("(")
        refs.append((_dash(name), section.rstrip(")")))
    return refs


def _exit_status() -> str:
    from chassisctl.cli.manfrag import EXIT_MEANINGS
    from chassisctl.errors import ExitCode

    out = []
    for code in ExitCode:
        meaning = EXIT_MEANINGS.get(code.name)
        if meaning is None:
            raise KeyError(f"manfrag.EXIT_MEANINGS lacks ExitCode.{code.name}: document it")
        out.append(f".TP\n.B {int(code)}\n{meaning.strip()}")
    return "\n".join(out)


def _environment() -> str:
    from chassisctl.cli.manfrag import ENVIRONMENT_EXTRA, SETTING_HELP
    from chassisctl.config import ENVIRONMENT

    out = []
    for setting, var in ENVIRONMENT.items():
        text = SETTING_HELP.get(setting)
        if text is None:
            raise KeyError(f"manfrag.SETTING_HELP lacks the setting {setting!r} ({var}): document it")
        out.append(f".TP\n.B {var}\n{text.strip()}")
    for var, text in ENVIRONMENT_EXTRA.items():
        out.append(f".TP\n.B {var}\n{text.strip()}")
    return "\n".join(out)


def _main_page(cli: Any, ctx: Any, date: str) -> str:
    out = [_th(PROG, date), _name_line(PROG, cli.get_short_help_str(limit=300))]
    out.append(".SH SYNOPSIS\n"
               f"\\fB{PROG}\\fR [\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]...\n.br\n"
               f"\\fB{PROG}\\fR \\fB\\-\\-version\\fR | \\fB\\-h\\fR")
    out.append(".SH DESCRIPTION\n" + _help_paragraphs(cli.help))
    if frag := _frag(PROG, "description"):
        out.append(".PP\n" + frag)
    out.append(".SH GLOBAL OPTIONS\n"
               "Accepted before and after the command name; a value given after it wins.\n"
               + _param_list(cli.get_params(ctx), ctx))
    commands = []
    for name in cli.list_commands(ctx):
        sub = cli.get_command(ctx, name)
        if sub is None or sub.hidden:
            continue
        commands.append(f".TP\n.B {_dash(name)}\n{roff_text(sub.get_short_help_str(limit=300))}\n"
                        f"See\n.BR {PROG}\\-{_dash(name)} (8).")
    out.append(".SH COMMANDS\n" + "\n".join(commands))
    out.append(".SH EXIT STATUS\n" + _exit_status())
    out.append(".SH ENVIRONMENT\n" + _environment())
    for section, title in (("files", "FILES"), ("examples", "EXAMPLES")):
        if frag := _frag(PROG, section):
            out.append(f".SH {title}\n{frag}")
    names = [n for n in cli.list_commands(ctx) if not cli.get_command(ctx, n).hidden]
    see = [f".BR {PROG}\\-{_dash(n)} (8)" for n in names] + [f".BR {r} ({s})" for r, s in _see_also(PROG)]
    out.append(".SH SEE ALSO\n" + ",\n".join(see))
    return "\n".join(out) + "\n"


def render_man(env: dict[str, str] | None = None) -> dict[str, str]:
    cli = click_command()
    date = man_date(env)
    with cli.make_context(PROG, [], resilient_parsing=True) as ctx:
        pages = {f"{MAN_DIR}/{PROG}.8": _main_page(cli, ctx, date)}
        for name in cli.list_commands(ctx):
            sub = cli.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            pages[f"{MAN_DIR}/{PROG}-{name}.8"] = _top_page(cli, ctx, name, date)
    pages.update(_file_pages(date))
    return pages


def _file_pages(date: str) -> dict[str, str]:
    """Pages written entirely by hand: ``manfrag/NAME.SECTION`` holds the roff from
    ``.SH NAME`` on (``.\\"`` comment lines are dropped); the .TH header and SEE ALSO
    (chassisctl(8) plus manfrag.SEE_ALSO[NAME]) are added here.  Every word
    manfrag.PAGE_TERMS[NAME]() returns must occur in the page, so a key added to
    the code fails generation until it is documented."""
    from chassisctl.cli import manfrag

    pages = {}
    for path in sorted(Path(manfrag.__file__).parent.glob("*.[1-9]")):
        name, _, section = path.name.rpartition(".")
        lines = path.read_text(encoding="utf-8").strip("\n").split("\n")
        body = "\n".join(line for line in lines if not line.startswith('.\\"'))
        terms = manfrag.PAGE_TERMS.get(name)
        missing = [t for t in (terms() if terms else ()) if _dash(t) not in body]
        if missing:
            raise KeyError(f"manfrag/{path.name} does not mention: {', '.join(missing)}")
        see = [f".BR {PROG} (8)"] + [f".BR {r} ({s})" for r, s in _see_also(name)]
        pages[f"{MAN_DIR}/{path.name}"] = (f"{_th(name, date, section)}\n{body}\n"
                                           ".SH SEE ALSO\n" + ",\n".join(see) + "\n")
    return pages


def missing_help(cli: Any = None) -> list[str]:
    """Parameters without ``help=`` (their man page and --help line would be empty)."""
    cli = cli if cli is not None else click_command()
    missing = []

    def visit(path: list[str], command: Any, ctx: Any) -> None:
        for param in command.get_params(ctx):
            if not (param.help or "").strip():
                missing.append(f"{' '.join(path)}: {param.name}")
        if hasattr(command, "list_commands"):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                with sub.make_context(name, [], parent=ctx, resilient_parsing=True) as sub_ctx:
                    visit([*path, name], sub, sub_ctx)

    with cli.make_context(PROG, [], resilient_parsing=True) as ctx:
        visit([PROG], cli, ctx)
    return missing


# ---------------------------------------------------------------------------
# Command line

def outputs(what: str, env: dict[str, str] | None = None) -> dict[str, str]:
    files: dict[str, str] = {}
    if what in ("tree", "all"):
        files[TREE_PATH] = render_tree()
    if what in ("completions", "all"):
        files.update(render_completions())
    if what in ("man", "all"):
        files.update(render_man(env))
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chassisctl.cli.gen", description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("tree", "completions", "man", "all"))
    parser.add_argument("--check", action="store_true", help="compare, do not write; exit 1 when stale")
    parser.add_argument("--out", type=Path, default=ROOT, help="root to write below (default: the source tree)")
    args = parser.parse_args(argv)
    stale = []
    for rel, text in outputs(args.what).items():
        path = args.out / rel
        if args.check:
            try:
                current = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                current = None
            if current != text:
                stale.append(rel)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if args.what in ("man", "all") and (missing := missing_help()):
        sys.stderr.write("parameters without help=: " + ", ".join(missing) + "\n")
        return 1
    if stale:
        sys.stderr.write("stale (run python -m chassisctl.cli.gen " + args.what + "): " + ", ".join(stale) + "\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
