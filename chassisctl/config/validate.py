"""Check a parsed ``chassisctl.toml`` against :mod:`chassisctl.config.schema`.

Runs before any section is used, so every command and ``serve`` refuse a
bad file the same way: one line naming the file, the line and the key,
what was expected, and for a misspelt key the closest known one
(``chassisctl.toml:12: ipmi.listne: unknown key (did you mean 'listen'?)``).
Positions come from :mod:`chassisctl.config.lines`, only when an error is
reported.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any
from collections.abc import Mapping

from chassisctl.config.keys import Key, check_value
from chassisctl.errors import ConfigError


def check_document(doc: Mapping[str, Any], source: Path | str, text: str | None = None,
                   *, keys: Mapping[str, Key] | None = None) -> None:
    """Raise ConfigError for the first key of ``doc`` the schema does not allow."""
    from chassisctl.config.schema import FILE

    problem = _first_problem(doc, FILE if keys is None else keys, ())
    if problem is None:
        return
    path, message = problem
    line = _line(text, source, path)
    where = f"{source}:{line}" if line else str(source)
    from chassisctl.config.lines import dotted

    raise ConfigError(f"{where}: {dotted(path) or '(top level)'}: {message}")


def check_section(name: str, table: Any, index: int | None = None) -> dict[str, Any]:
    """One section of chassisctl.toml (or one table of an array section) checked against its
    declaration, returned as a new dict with every declared default filled in.

    For the section's owner, which gets the table without its file (``serve``
    building a service, a test): the same rules and messages as a whole-file
    check, so types, ranges, choices and defaults are written only in
    :mod:`chassisctl.config.schema` and the owner checks only what a table
    cannot express.
    """
    from chassisctl.config.lines import dotted
    from chassisctl.config.schema import FILE

    keys = FILE[name].item
    assert keys is not None, name
    path: tuple[str | int, ...] = (name,) if index is None else (name, index)
    if not isinstance(table, dict):
        raise ConfigError(f"{dotted(path)}: expected a table, not {type(table).__name__}")
    problem = _first_problem(table, keys, path)
    if problem is not None:
        raise ConfigError(f"{dotted(problem[0])}: {problem[1]}")
    return {**{k: key.default for k, key in keys.items() if key.default is not None}, **table}


def _first_problem(doc: Mapping[str, Any], keys: Mapping[str, Key],
                   path: tuple[str | int, ...]) -> tuple[tuple[str | int, ...], str] | None:
    for name, value in doc.items():
        here = (*path, name)
        key = keys.get(name)
        if key is None:
            return here, _unknown(name, keys)
        problem = check_value(key, value)
        if problem:
            return here, problem
        if key.item is not None and key.type == "table":
            found = _first_problem(value, key.item, here)
            if found:
                return found
        elif key.item is not None and key.type == "tables":
            for i, table in enumerate(value):
                found = _first_problem(table, key.item, (*here, i))
                if found:
                    return found
    for name, key in keys.items():
        if key.required and name not in doc:
            return (*path, name), "missing (required)"
    return None


def _unknown(name: str, keys: Mapping[str, Key]) -> str:
    close = difflib.get_close_matches(name, list(keys), n=1, cutoff=0.6)
    if close:
        return f"unknown key (did you mean '{close[0]}'?)"
    return f"unknown key (known: {', '.join(keys)})"


def _line(text: str | None, source: Path | str, path: tuple[str | int, ...]) -> int | None:
    from chassisctl.config.lines import key_lines, line_of

    if text is None:
        from chassisctl.fileio import read_capped

        try:
            text = read_capped(source, "config file", ConfigError).decode("utf-8")
        except (OSError, UnicodeDecodeError, ConfigError):
            return None
    try:
        return line_of(key_lines(text), path)
    except (ValueError, IndexError):
        return None
