"""Running a command line without typer: parse from the generated tree, call the function.

Importing typer (with its vendored click) and converting every parameter of
the command costs ~40 ms, four times the interpreter's own start-up, on every
``power status`` and ``sensors``.  The command tree that TAB completion
answers from (:mod:`chassisctl.cli._tree`, generated from the typer app by
``python -m chassisctl.cli.gen tree``) also records, per parameter, how its
value converts (str, int or float with their ranges, flags) and what typer
passes when it is absent, and per command the module-level function that
implements it.  :func:`fast_run` parses ``argv`` with click's rules
restricted to what the tree describes exactly — long and short options,
``--opt=value``, options after arguments, the last value of a repeated
option winning — converts the values, merges the global options into the
invocation's state as typer's path does, and calls the function through the
same error reporting.

Anything else — ``--help``, ``--version``, ``--``, ``-abc`` clusters, an
unknown word or option, a value that does not convert or is out of range, a
missing argument, a parameter kind the tree does not describe — returns None
and :func:`chassisctl.cli.entry.main` hands the line to typer, which stays
the reference for help and usage errors.  ``tests/cli/test_fastrun.py``
feeds a corpus to both and requires the same call with the same values.
"""

#: Indexes into a _tree.PARAMS tuple (see chassisctl.cli.gen.PARAM_FIELDS).
_NAME, _KIND, _OPTS, _SECONDARY, _FLAG, _NARGS = 0, 1, 2, 3, 4, 5
_CONVERT, _DEFAULT = 12, 13
#: Indexes into a command tuple (see chassisctl.cli.gen.NODE_FIELDS).
_GROUP, _PARAMS, _COMMANDS, _RUN = 2, 3, 4, 5


class _Unsupported(Exception):
    """Internal: typer has to handle this command line."""


def plan(argv: "list[str]") -> "tuple[str, str, dict, list[dict]] | None":
    """(module, function, keyword arguments, [global option values per level]) for
    ``argv``, or None when typer has to parse it."""
    from chassisctl.cli._tree import PARAMS, ROOT

    node, words, levels = ROOT, list(argv), []
    try:
        while True:
            params = [PARAMS[i] for i in node[_PARAMS]]
            values, positional, rest = _parse(params, words, interspersed=not node[_GROUP])
            levels.append((node, params, values, positional))
            if not node[_GROUP]:
                break
            if not rest:
                raise _Unsupported  # a group without its command: typer prints the help
            child = node[_COMMANDS].get(rest[0])
            if child is None:
                raise _Unsupported
            node, words = child, rest[1:]
        target = node[_RUN]
        if target is None:
            raise _Unsupported
        globals_per_level = []
        kwargs: dict = {}
        for depth, (_node, params, values, positional) in enumerate(levels):
            converted = _convert(params, values, positional)
            if depth == len(levels) - 1:
                kwargs = converted
            else:
                if any(p[_KIND] == "argument" for p in params):
                    raise _Unsupported
            globals_per_level.append(converted)
    except _Unsupported:
        return None
    from chassisctl.cli.common import GLOBAL_NAMES

    found = [{k: v for k, v in level.items() if k in GLOBAL_NAMES} for level in globals_per_level]
    kwargs = {k: v for k, v in kwargs.items() if k not in GLOBAL_NAMES}
    return target[0], target[1], kwargs, found


def _parse(params: list, words: "list[str]", *, interspersed: bool) -> "tuple[dict, list, list]":
    """click's option parser for one level: {name: raw value or flag bool}, positionals, rest."""
    longs: dict[str, tuple] = {}
    shorts: dict[str, tuple] = {}
    for p in params:
        if p[_KIND] == "option":
            for name in p[_OPTS]:
                (shorts if len(name) == 2 and name[1] != "-" else longs)[name] = (p, True)
            for name in p[_SECONDARY]:
                (shorts if len(name) == 2 and name[1] != "-" else longs)[name] = (p, False)
    values: dict = {}
    positional: list = []
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word == "--":
            raise _Unsupported
        if word[:1] == "-" and len(word) > 1:
            if word.startswith("--"):
                name, eq, value = word.partition("=")
                found = longs.get(name)
            elif len(word) == 2:
                name, eq, value = word, "", ""
                found = shorts.get(name) or longs.get(name)
            else:
                raise _Unsupported  # -abc clusters, -tVALUE
            if found is None:
                raise _Unsupported
            p, primary = found
            if p[_CONVERT] is None or p[11] or not p[8]:  # no conversion known, --help, a callback
                raise _Unsupported
            if p[_FLAG]:
                if eq:
                    raise _Unsupported
                values[p[_NAME]] = primary
            else:
                if not eq:
                    if i >= len(words):
                        raise _Unsupported  # "requires an argument"
                    value = words[i]
                    i += 1
                values[p[_NAME]] = value
            continue
        if interspersed:
            positional.append(word)
        else:
            return values, positional, words[i - 1:]
    return values, positional, []


def _convert(params: list, values: dict, positional: list) -> dict:
    out = {}
    arguments = [p for p in params if p[_KIND] == "argument"]
    left = list(positional)
    for p in arguments:
        if p[_CONVERT] is None:
            raise _Unsupported
        if p[_NARGS] == -1:
            taken, left = left, []
            if not taken:
                if p[_DEFAULT] == "required":
                    raise _Unsupported
                out[p[_NAME]] = None if p[_DEFAULT][0] is None else list(p[_DEFAULT][0])
            else:
                out[p[_NAME]] = [_value(p, v) for v in taken]
            continue
        if not left:
            if p[_DEFAULT] == "required":
                raise _Unsupported
            out[p[_NAME]] = p[_DEFAULT][0]
            continue
        out[p[_NAME]] = _value(p, left.pop(0))
    if left:
        raise _Unsupported  # "Got unexpected extra argument"
    for p in params:
        if p[_KIND] != "option" or p[11]:
            continue
        name = p[_NAME]
        if name in values:
            out[name] = values[name] if p[_FLAG] else _value(p, values[name])
        else:
            if p[_DEFAULT] == "required":
                raise _Unsupported
            out[name] = p[_DEFAULT][0]
    return out


def _value(p: tuple, text: str):
    spec = p[_CONVERT]
    if spec is None:
        raise _Unsupported
    kind = spec[0]
    if kind == "str":
        return text
    if kind == "choice":
        if text not in spec[1]:
            raise _Unsupported
        return text
    try:
        value = int(text) if kind == "int" else float(text)
    except ValueError:
        raise _Unsupported from None
    if kind == "float" and value != value:
        raise _Unsupported  # nan: let click word the error
    low, high, low_open, high_open = spec[1:5]
    if low is not None and (value < low or (low_open and value == low)):
        raise _Unsupported
    if high is not None and (value > high or (high_open and value == high)):
        raise _Unsupported
    return value


def fast_run(argv: "list[str]") -> "int | None":
    """The exit status of running ``argv`` without typer, or None (typer must)."""
    found = plan(argv)
    if found is None:
        return None
    module_name, function_name, kwargs, global_levels = found
    from chassisctl.cli import common

    cli = common.new_state()
    for level in global_levels:
        cli.merge(level)
    import sys

    from chassisctl.cli.error_report import run_reporting

    def call():
        # __import__ rather than importlib.import_module: importlib's package (and the
        # warnings module it loads) is ~0.7 ms that nothing else on this path needs.
        __import__(module_name)
        func = getattr(sys.modules[module_name], function_name)
        return common.invoke(func, kwargs)

    return run_reporting(call, json_mode="--json" in argv, debug="--debug" in argv)
