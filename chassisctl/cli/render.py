"""How results reach a person or a script: JSON, rich tables, or plain text.

One rule set for every command: ``--json`` prints one stable document with
``"schema": 1`` (lists stay lists, absent values are ``null`` — the lldpcli
``json0`` lesson); otherwise a rich table when stdout is a terminal and
plain aligned columns when it is a pipe, so ``| grep`` and ``| awk`` work
without stripping colour or box drawing.  ``NO_COLOR`` (non-empty) and
``TERM=dumb`` turn colour off.  rich is imported only when a table is drawn
on a terminal: piped and JSON output never pay for it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TextIO

if TYPE_CHECKING:  # rich is imported where a table or a bar is drawn
    from rich.console import Console
    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID

SCHEMA = 1


class Column:
    """One table column.  A plain class, not a dataclass: building a dataclass
    costs ~0.5 ms at import, and every command that prints a table loads this."""

    __slots__ = ("title", "justify", "style")

    def __init__(self, title: str, justify: str = "left", style: str | None = None) -> None:
        self.title = title
        #: "left" | "right"
        self.justify = justify
        #: rich style for the whole column (ignored when colour is off)
        self.style = style


def color_enabled(stream: TextIO, env: Mapping[str, str] | None = None) -> bool:
    environ = os.environ if env is None else env
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    return environ.get("TERM") != "dumb" and _isatty(stream)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Output:
    """Renders one command's result to stdout and notices to stderr."""

    def __init__(self, *, json_mode: bool = False, out: TextIO | None = None,
                 err: TextIO | None = None) -> None:
        self.json_mode = json_mode
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.tty = _isatty(self.out)
        self.color = color_enabled(self.out)
        self._console: Console | None = None

    # -- structured output ------------------------------------------------
    def json(self, payload: dict[str, Any]) -> None:
        doc = {"schema": SCHEMA, **payload}
        self.out.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        self.out.flush()

    def table(self, columns: Sequence[Column], rows: Iterable[Sequence[Any]],
              *, title: str | None = None, styles: Sequence[str | None] | None = None) -> None:
        """A rich table on a TTY; header + space-aligned columns otherwise.

        ``styles`` optionally gives one rich style per row (status colours).
        """
        rows = [["" if cell is None else str(cell) for cell in row] for row in rows]
        if self.tty:
            self._rich_table(columns, rows, title, styles)
            return
        widths = [len(c.title) for c in columns]
        for row in rows:  # a short row leaves its last columns blank (not strict)
            widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=False)]
        lines = [[c.title.upper() for c in columns], *rows]
        for line in lines:
            cells = [cell.rjust(w) if col.justify == "right" else cell.ljust(w)
                     for cell, w, col in zip(line, widths, columns, strict=False)]
            self.out.write("  ".join(cells).rstrip() + "\n")
        self.out.flush()

    def fields(self, pairs: Sequence[tuple[str, Any]]) -> None:
        """Key/value lines ("Firmware Revision : 2.14"), aligned like ipmitool."""
        width = max((len(k) for k, _ in pairs), default=0)
        for key, value in pairs:
            self.out.write(f"{key.ljust(width)} : {'' if value is None else value}\n")
        self.out.flush()

    def line(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    # -- stderr -------------------------------------------------------------
    def notice(self, text: str) -> None:
        """An informational line on stderr, shown only to a person."""
        if _isatty(self.err):
            self.err.write(f"chassisctl: {text}\n")
            self.err.flush()

    def progress(self, description: str) -> Progress:
        """A progress bar on stderr for long work (a cold SDR walk, a probe).

        Drawn only when stderr is a terminal and the output is not JSON:
        pipes, files and ``--json`` callers get nothing.  rich is imported
        on the first update, so work that finishes before reporting any
        progress never pays for it.
        """
        return Progress(self, description, enabled=not self.json_mode and _isatty(self.err))

    # -- rich -----------------------------------------------------------------
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(file=self.out, no_color=not self.color, highlight=False,
                                    soft_wrap=False)
        return self._console

    def _rich_table(self, columns, rows, title, styles) -> None:
        self.console().print(self.rich_table(columns, rows, title=title, styles=styles))

    def rich_table(self, columns, rows, *, title=None, styles=None):
        """A rich Table renderable (for printing, or for rich.Live)."""
        from rich import box
        from rich.table import Table

        table = Table(title=title, box=box.SIMPLE_HEAD, header_style="bold" if self.color else None)
        for col in columns:
            table.add_column(col.title, justify=col.justify, style=col.style if self.color else None,
                             no_wrap=True)
        for i, row in enumerate(rows):
            table.add_row(*row, style=(styles[i] if styles and self.color else None))
        return table


class Progress:
    """Context manager; call it with (done, total) — FreeIPMI's "Caching SDR record N of M"."""

    def __init__(self, output: Output, description: str, *, enabled: bool) -> None:
        self.output = output
        self.description = description
        self.enabled = enabled
        self._bar: RichProgress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> Progress:
        return self

    def __call__(self, done: int, total: int, what: str | None = None) -> None:
        if not self.enabled:
            return
        if self._bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            console = Console(file=self.output.err, no_color=not color_enabled(self.output.err))
            if not console.is_terminal or console.is_dumb_terminal:
                self.enabled = False  # a bar that cannot redraw in place would print every update
                return
            self._bar = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TimeElapsedColumn(), TextColumn("{task.fields[what]}"),
                                     console=console, transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self.description, total=total or None, what="")
        assert self._task is not None  # added with the bar
        self._bar.update(self._task, completed=done, total=total or None, what=what or "")

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
