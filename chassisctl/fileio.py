"""Writing files so that a crash or a concurrent reader never sees half of one.

Every file chassisctl keeps — simulator state, SDR cache, parsed-profile
caches, completion indexes — is written to a temporary sibling and renamed
over the old one.  Caches go through :func:`store_cache`/:func:`load_cache`,
which tag the JSON with a format number and the sha256 of what it was
derived from, so a stale or foreign file is simply ignored and rebuilt.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any


def atomic_write(path: Path, text: str, *, fsync: bool = False) -> None:
    """Replace ``path`` with ``text`` atomically; raises OSError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_quietly(path: Path, text: str) -> bool:
    """:func:`atomic_write` for files that are only a convenience (indexes, caches)."""
    try:
        atomic_write(path, text)
        return True
    except OSError:
        return False


def load_cache(path: Path, digest: str, fmt: int) -> dict[str, Any] | None:
    """The cached document derived from ``digest``, or None (absent, stale, corrupt)."""
    try:
        with open(path, encoding="utf-8") as fh:
            blob = json.load(fh)
    except (OSError, ValueError):
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


def load_stamped(path: Path, stamp: list[Any] | None, fmt: int) -> tuple[str, dict[str, Any]] | None:
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


def store_cache(path: Path, digest: str, fmt: int, doc: dict[str, Any], *,
                stamp: list[Any] | None = None) -> None:
    """Best effort; a document JSON cannot carry exactly (dates) is not cached."""
    try:
        blob = json.dumps({"format": fmt, "sha256": digest, "doc": doc, "stamp": stamp})
        if json.loads(blob)["doc"] != doc:
            return
    except (TypeError, ValueError):
        return
    write_quietly(path, blob)
