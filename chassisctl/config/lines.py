"""Where each key of a TOML document is written: path -> line number.

``tomllib`` returns values without positions, but a platform description
error must name the file, the line and the key.  This scanner walks the
source text structurally (table headers, arrays of tables, dotted keys,
inline tables and arrays, strings and comments) without interpreting any
value, and records the line on which every key and array element starts.
It is only run on text ``tomllib`` has already accepted, and only when an
error has to be reported, so it favours simplicity over speed.

Paths are tuples of keys and 0-based array indexes, as the validator walks
the parsed document: ``("device", 3, "field", 1, "mask")``.
"""

from __future__ import annotations

import re

Path = tuple[str | int, ...]

_BARE = re.compile(r"[A-Za-z0-9_-]+")


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines: dict[Path, int] = {}
        self.aot: dict[Path, int] = {}  # array-of-tables path -> last index
        self.current: Path = ()

    # -- low level ----------------------------------------------------------------
    def peek(self, n: int = 1) -> str:
        return self.text[self.pos:self.pos + n]

    def advance(self, n: int = 1) -> None:
        chunk = self.text[self.pos:self.pos + n]
        self.line += chunk.count("\n")
        self.pos += n

    def skip_space(self, newlines: bool) -> None:
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c in " \t\r" or (newlines and c == "\n"):
                self.advance()
            elif c == "#":
                end = self.text.find("\n", self.pos)
                self.advance((len(self.text) if end < 0 else end) - self.pos)
            else:
                return

    def note(self, path: Path) -> None:
        self.lines.setdefault(path, self.line)

    # -- keys -----------------------------------------------------------------------
    def key(self) -> list[str]:
        parts: list[str] = []
        while True:
            self.skip_space(False)
            c = self.peek()
            if c in ('"', "'"):
                parts.append(self.string())
            else:
                match = _BARE.match(self.text, self.pos)
                if not match:
                    raise ValueError(f"line {self.line}: expected a key")
                parts.append(match.group())
                self.advance(match.end() - self.pos)
            self.skip_space(False)
            if self.peek() == ".":
                self.advance()
                continue
            return parts

    def string(self) -> str:
        quote = self.peek()
        if self.peek(3) == quote * 3:
            self.advance(3)
            end = self.text.find(quote * 3, self.pos)
            while quote == '"' and end > 0 and self._escaped(end):
                end = self.text.find(quote * 3, end + 1)
            value = self.text[self.pos:end]
            self.advance(end + 3 - self.pos)
            while self.peek() == quote:  # up to two quotes may close the string
                self.advance()
            return value
        self.advance()
        start = self.pos
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c == "\\" and quote == '"':
                self.advance(2)
                continue
            if c == quote:
                value = self.text[start:self.pos]
                self.advance()
                return value
            self.advance()
        return self.text[start:]

    def _escaped(self, index: int) -> bool:
        n = 0
        while index - n - 1 >= 0 and self.text[index - n - 1] == "\\":
            n += 1
        return n % 2 == 1

    # -- structure ------------------------------------------------------------------------
    def resolve(self, parts: list[str]) -> Path:
        """A header's key as a path, entering the last element of arrays of tables."""
        path: Path = ()
        for part in parts:
            path = path + (part,)
            if path in self.aot:
                path = path + (self.aot[path],)
        return path

    def header(self) -> None:
        double = self.peek(2) == "[["
        self.advance(2 if double else 1)
        parts = self.key()
        self.advance(2 if double else 1)
        if double:
            table = self.resolve(parts[:-1]) + (parts[-1],)
            index = self.aot.get(table, -1) + 1
            self.aot[table] = index
            self.note(table)
            self.current = table + (index,)
        else:
            self.current = self.resolve(parts)
        self.note(self.current)

    def pair(self, base: Path) -> None:
        line = self.line
        path = base + tuple(self.key())
        self.lines.setdefault(path, line)
        self.skip_space(False)
        if self.peek() == "=":
            self.advance()
        self.skip_space(False)
        self.value(path)

    def value(self, path: Path) -> None:
        c = self.peek()
        if c in ('"', "'"):
            self.string()
        elif c == "[":
            self.advance()
            index = 0
            while True:
                self.skip_space(True)
                if self.peek() in ("]", ""):
                    self.advance()
                    return
                self.note(path + (index,))
                self.value(path + (index,))
                self.skip_space(True)
                if self.peek() == ",":
                    self.advance()
                    index += 1
        elif c == "{":
            self.advance()
            while True:
                self.skip_space(False)
                if self.peek() in ("}", ""):
                    self.advance()
                    return
                if self.peek() == ",":
                    self.advance()
                    continue
                self.pair(path)
        else:
            while self.pos < len(self.text) and self.text[self.pos] not in ",]}\n#":
                self.advance()

    def run(self) -> dict[Path, int]:
        while True:
            self.skip_space(True)
            if self.pos >= len(self.text):
                return self.lines
            if self.peek() == "[":
                self.header()
            else:
                self.pair(self.current)


def key_lines(text: str) -> dict[Path, int]:
    """Every key, table and array element of ``text`` with its 1-based line."""
    return _Scanner(text).run()


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of ``path``, or of its nearest enclosing key when it is not written
    (a missing required key is reported at its table)."""
    for n in range(len(path), 0, -1):
        if path[:n] in lines:
            return lines[path[:n]]
    return None


def dotted(path: Path) -> str:
    """``("device", 3, "address")`` -> ``device[3].address``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = part if _BARE.fullmatch(part) else '"' + part.replace('"', '\\"') + '"'
            out += ("." if out else "") + text
    return out
