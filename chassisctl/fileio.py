"""Reading and writing chassisctl's files safely.

Writing: every file chassisctl keeps — simulator state, SDR cache,
parsed-profile caches, completion indexes — is written to a temporary
sibling and renamed over the old one, so a crash or a concurrent reader
never sees half of one.  Caches go through :func:`store_cache`/
:func:`load_cache`, which tag the JSON with a format number and the sha256
of what it was derived from, so a stale or foreign file is simply ignored
and rebuilt.

Reading: every config, platform, profile, state and cache file is read
through :func:`read_capped` and parsed with :func:`toml_loads` or
:func:`json_loads`.  A careless ``--config /dev/urandom`` or a hostile file
must cost at most :data:`MAX_FILE_BYTES` of memory, never a RecursionError
from a document nested ten thousand deep, and never a NaN or an infinity
that slips through every range check (``nan < 0`` and ``nan > 600`` are
both false).  Each failure is one error naming the file, of the class the
caller passes: :class:`~chassisctl.errors.ConfigError` (78) for what an
operator wrote, :class:`~chassisctl.errors.StateError` (74) for what
chassisctl stored.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable

# Not typing's TYPE_CHECKING: TAB completion reads its sensor-name index
# through this module, and importing typing would double that keypress's
# cost.  Type checkers treat any TYPE_CHECKING the same way.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

#: Largest file chassisctl reads (config, platform, profile, state, cache);
#: the biggest real one, a platform description, is a few tens of KiB.
MAX_FILE_BYTES = 1 << 20
#: Deepest nesting of tables/arrays (TOML) or objects/arrays (JSON) accepted;
#: real documents nest four or five levels.
MAX_DEPTH = 32

ErrorFactory = Callable[[str], Exception]


def read_capped(path: Path | str, what: str, error: ErrorFactory, *, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of ``path``, refusing anything longer than ``limit``.

    Reads at most ``limit + 1`` bytes whatever the file is (``/dev/zero``, a
    FIFO, a growing log), so memory stays bounded.  Over the limit:
    ``error("<what> <path> is larger than <limit>")``.  OSError (missing
    file, permission, a directory) propagates for the caller to word.
    """
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise error(f"{what} {path} is larger than {_size(limit)}; refusing to read it")
    return data


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 and not n % (1 << 20) else f"{n} bytes"


def toml_loads(text: str, source: str, error: ErrorFactory) -> dict[str, Any]:
    """``tomllib.loads`` plus the nesting and finiteness caps.

    TOMLDecodeError propagates (callers word syntax errors their own way);
    a document nested too deep, or holding ``nan``/``inf``, is
    ``error("<source>: ...")``.
    """
    import tomllib

    try:
        doc = tomllib.loads(text)
    except RecursionError:
        raise error(f"{source}: nested deeper than {MAX_DEPTH} levels") from None
    problem = _tree_problem(doc, check_floats=True)
    if problem:
        raise error(f"{source}: {problem}")
    return doc


def json_loads(data: bytes | str, source: str, error: ErrorFactory) -> Any:
    """``json.loads`` refusing NaN, infinities (``1e999`` included) and deep nesting.

    Syntax errors, bad UTF-8, NaN and overflowing numbers all raise
    ``error("<source>: ...")``: to a caller, each means the file is unusable.
    """
    try:
        doc = json.loads(data, parse_constant=_no_constant, parse_float=_finite_float)
    except RecursionError:
        raise error(f"{source}: nested deeper than {MAX_DEPTH} levels") from None
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
        raise error(f"{source}: {exc}") from None
    if isinstance(doc, (dict, list)) and not _nesting_at_most(data, MAX_DEPTH):
        # Possibly too deep: the walk finds where, and words the error.
        problem = _tree_problem(doc, check_floats=False)
        if problem:
            raise error(f"{source}: {problem}")
    return doc


#: Every byte but the quote and the brackets, for ``bytes.translate(None, delete=...)``.
_NOT_STRUCTURE = bytes(c for c in range(256) if c not in b'"[]{}')
_SQUARE = bytes.maketrans(b"{}", b"[]")


def _nesting_at_most(data: bytes | str, cap: int) -> bool:
    """True when ``data``, a JSON text that ``json.loads`` accepted, nests at most ``cap`` containers deep.

    Cheaper than walking the parsed tree (:func:`_tree_problem`), which
    every state and cache file a command reads went through, and done in C
    by bytes methods: escaped backslashes and quotes go first (left to
    right, as a JSON reader pairs them), so the quotes left delimit the
    strings, whose text (brackets included) is cut out; the brackets left
    are balanced, and each ``replace(b"[]", b"")`` pass removes exactly the
    containers that hold no other container, so they are gone after as many
    passes as the document is deep.  False means "could be deeper" (or not
    UTF-8, whose bytes this does not read): the caller walks the tree.
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    elif json.detect_encoding(data) != "utf-8":
        return False
    if data.count(b"[") + data.count(b"{") <= cap:
        return True
    kept = data.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in kept:  # a string holding brackets
        kept = b"".join(kept.split(b'"')[::2])
    brackets = kept.translate(_SQUARE)
    for _ in range(cap):
        if not brackets:
            return True
        brackets = brackets.replace(b"[]", b"")
    return not brackets


def finite(value: Any) -> float:
    """``float(value)`` for a number read back from a stored file; ValueError
    for NaN and infinities (``float("nan")`` parses a string happily) and
    TypeError for a bool, so a hand-edited state file is reported as corrupt
    instead of failing far away."""
    if isinstance(value, bool):
        raise TypeError(f"{value!r} is not a number")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number chassisctl stores")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} overflows a float")
    return value


def _tree_problem(doc: Any, *, check_floats: bool) -> str | None:
    """Why ``doc`` is refused (too deep, a non-finite float), or None.

    Iterative, and it stops descending at :data:`MAX_DEPTH`: checking a
    hostile document never recurses.
    """
    if not isinstance(doc, (dict, list)):
        return None
    stack: list[tuple[Any, tuple[str, ...]]] = [(doc, ())]
    while stack:
        node, path = stack.pop()
        if len(path) >= MAX_DEPTH:
            return f"{_dotted(path[:4])}...: nested deeper than {MAX_DEPTH} levels"
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            if isinstance(value, (dict, list)):
                stack.append((value, (*path, str(key) if isinstance(node, dict) else f"[{key}]")))
            elif check_floats and isinstance(value, float) and not math.isfinite(value):
                where = _dotted((*path, str(key) if isinstance(node, dict) else f"[{key}]"))
                return f"{where}: {value} is not a finite number"
    return None


def _dotted(path: tuple[str, ...]) -> str:
    out = ""
    for part in path:
        out += part if part.startswith("[") or not out else f".{part}"
    return out or "(top level)"


def atomic_write(path: Path | str, text: str, *, fsync: bool = False) -> None:
    """Replace ``path`` with ``text`` atomically; raises OSError."""
    directory, name = os.path.split(os.fspath(path))
    os.makedirs(directory or ".", exist_ok=True)
    tmp = os.path.join(directory, f".{name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        import contextlib

        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_quietly(path: Path | str, text: str) -> bool:
    """:func:`atomic_write` for files that are only a convenience (indexes, caches)."""
    try:
        atomic_write(path, text)
        return True
    except OSError:
        return False


def write_if_changed(path: Path | str, text: str) -> None:
    """:func:`write_quietly`, skipped when ``path`` already holds ``text``: an index rewritten on
    every command would cost a rename (and wake every reader) for nothing."""
    blob = text.encode()
    try:
        with open(path, "rb") as fh:
            if fh.read(len(blob) + 1) == blob:
                return
    except OSError:
        pass
    write_quietly(path, text)


def load_cache(path: Path | str, digest: str, fmt: int) -> dict[str, Any] | None:
    """The cached document derived from ``digest``, or None (absent, stale, corrupt)."""
    from chassisctl.errors import StateError

    try:
        blob = json_loads(read_capped(path, "cache file", StateError), str(path), StateError)
    except (OSError, StateError):
        return None
    if isinstance(blob, dict) and blob.get("format") == fmt and blob.get("sha256") == digest:
        doc = blob.get("doc")
        return doc if isinstance(doc, dict) else None
    return None


def file_stamp(path: Path | str) -> list[Any] | None:
    """(absolute path, size, mtime in ns) of a source file, or None when it cannot be stat'ed.

    Stored with a cache (``stamp=``), it lets :func:`load_stamped` trust the
    cache without reading and hashing the source again — the check Python
    makes for its own ``.pyc`` files.
    """
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [os.path.abspath(path), st.st_size, st.st_mtime_ns]


def load_stamped(path: Path | str, stamp: list[Any] | None, fmt: int) -> tuple[str, dict[str, Any]] | None:
    """(sha256, document) of a cache stored with this source ``stamp``, or None."""
    if stamp is None:
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            blob = json.load(fh)
    except (OSError, ValueError):
        return None
    if (isinstance(blob, dict) and blob.get("format") == fmt and blob.get("stamp") == stamp
            and isinstance(blob.get("sha256"), str) and isinstance(blob.get("doc"), dict)):
        return blob["sha256"], blob["doc"]
    return None


def store_cache(path: Path | str, digest: str, fmt: int, doc: dict[str, Any], *,
                stamp: list[Any] | None = None) -> None:
    """Best effort; a document JSON cannot carry exactly (dates) is not cached."""
    try:
        blob = json.dumps({"format": fmt, "sha256": digest, "doc": doc, "stamp": stamp})
        if json.loads(blob)["doc"] != doc:
            return
    except (TypeError, ValueError):
        return
    write_quietly(path, blob)
