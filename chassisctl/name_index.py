"""The name lists TAB completion offers (sensor names, node names), as plain lines.

Every keypress starts a process whose only file read is one of these lists,
so they are lines of text rather than JSON: ``json`` pulls in ``re`` and
``enum``, ~10 ms on a slow VM, more than half of the TAB budget.  Writers are
``sensors`` (the SDR cache), ``serve`` (its runtime directory) and any
platform command (the nodes); the reader is cli/completion_values.py.

A name holding a line break or another character a shell cannot print is
left out: it could not be offered as a completion anyway.  The first line
names the format, so a file from an older chassisctl (JSON) or anything else
is refused (ValueError) and simply not offered until it is rewritten.
"""

from __future__ import annotations

HEADER = "# chassisctl names 1"

TYPE_CHECKING = False  # not typing's: this runs on every keypress
if TYPE_CHECKING:
    from collections.abc import Iterable


def dumps(names: Iterable[str]) -> str:
    """The index text: the header, then each printable name once, sorted."""
    return "\n".join([HEADER, *sorted({n for n in names if n and n.isprintable()})]) + "\n"


def loads(text: str) -> list[str]:
    """The names in an index; ValueError when ``text`` is not one."""
    header, _, body = text.partition("\n")
    if header != HEADER:
        raise ValueError("not a chassisctl name index")
    return [line for line in body.split("\n") if line]
