"""The on-disk SDR cache: a warm ``sensors`` never walks the repository.

One file per (bus, address, transport, node) under
``$XDG_CACHE_HOME/chassisctl/sdr/``, holding the raw records, the device
identity they were read from, the repository's record count and its
addition/erase timestamps, and the Get SDR chunk size that worked.  A cache
is valid while one Get SDR Repository Info reports the same count and
timestamps — the check FreeIPMI makes before trusting its own cache.  BMCs
that leave both timestamps unset cannot be validated that way, so for them
the device identity is re-checked too (one Get Device ID more).

Files are written atomically (temporary file + rename); a file that does
not parse, or is over the 1 MiB cap every chassisctl file has, is ignored
and rebuilt, never fatal.
"""

from __future__ import annotations

import contextlib
import json
import os

from chassisctl.config import xdg_path
from chassisctl.errors import StateError
from chassisctl.fileio import json_loads, read_capped, write_quietly

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

SCHEMA = 1


class CacheEntry:
    """One cached repository (a plain class: no dataclass build at import)."""

    __slots__ = ("key", "identity", "count", "addition", "erase", "chunk", "records", "factors")

    def __init__(self, key: dict[str, Any], identity: dict[str, Any], count: int, addition: int, erase: int,
                 chunk: int, records: list[bytes] | None = None,
                 factors: dict[str, list[list[Any]]] | None = None) -> None:
        self.key = key
        self.identity = identity
        self.count = count
        self.addition = addition
        self.erase = erase
        self.chunk = chunk
        self.records: list[bytes] = [] if records is None else records
        #: Non-linear sensors: sensor number -> [[raw_lo, raw_hi_exclusive, factors hex], ...]
        self.factors: dict[str, list[list[Any]]] = {} if factors is None else factors

    def __repr__(self) -> str:
        return f"CacheEntry(key={self.key!r}, count={self.count}, addition={self.addition}, erase={self.erase})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment] # equal by value and mutable, so unhashable (as a dataclass with eq)

    def matches(self, count: int, addition: int, erase: int) -> bool:
        return (self.count, self.addition, self.erase) == (count, addition, erase)

    @property
    def timestamps_usable(self) -> bool:
        return self.addition not in (0, 0xFFFFFFFF) or self.erase not in (0, 0xFFFFFFFF)

    def to_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "key": self.key, "identity": self.identity, "count": self.count,
                "addition": self.addition, "erase": self.erase, "chunk": self.chunk,
                "records": [r.hex() for r in self.records], "factors": self.factors}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> CacheEntry:
        if doc.get("schema") != SCHEMA:
            raise ValueError("schema")
        return cls(key=dict(doc["key"]), identity=dict(doc["identity"]), count=int(doc["count"]),
                   addition=int(doc["addition"]), erase=int(doc["erase"]), chunk=int(doc["chunk"]),
                   records=[bytes.fromhex(r) for r in doc["records"]],
                   factors={str(k): [[int(a), int(b), str(c)] for a, b, c in v]
                            for k, v in doc.get("factors", {}).items()})


def _read(path: Path | str) -> Any:
    """One cache file, bounded (:func:`chassisctl.fileio.read_capped`); StateError when unusable."""
    return json_loads(read_capped(path, "SDR cache file", StateError), str(path), StateError)


class SdrCache:
    def __init__(self, directory: Path | str | None = None) -> None:
        # Paths are strings joined with os.path: pathlib is ~3 ms of a warm sensors.
        self.directory = directory or xdg_path("CACHE", "sdr")

    @staticmethod
    def key(identity: str, node: str | int | None) -> dict[str, Any]:
        return {"target": identity, "node": None if node is None else str(node)}

    def path_for(self, key: dict[str, Any]) -> str:
        """A readable, file-safe name for ``key`` (a CRC tells similar names apart;
        :meth:`load` checks the key stored inside, so a clash is only a miss)."""
        import re
        import zlib

        text = json.dumps(key, sort_keys=True)
        readable = re.sub(r"[^A-Za-z0-9.]+", "-", f"{key.get('target')}-{key.get('node')}").strip("-")[:80]
        return os.path.join(self.directory, f"{readable}-{zlib.crc32(text.encode()):08x}.json")

    def load(self, key: dict[str, Any]) -> CacheEntry | None:
        """The entry for ``key``, or None if absent, unreadable or corrupt."""
        try:
            entry = CacheEntry.from_json(_read(self.path_for(key)))
        except (OSError, StateError, ValueError, KeyError, TypeError, AttributeError):
            return None
        return entry if entry.key == key else None

    def store(self, entry: CacheEntry) -> bool:
        """Write atomically; a read-only cache directory is not an error."""
        return write_quietly(self.path_for(entry.key), json.dumps(entry.to_json(), separators=(",", ":")))

    def entries(self) -> list[tuple[str, CacheEntry | None]]:
        out: list[tuple[str, CacheEntry | None]] = []
        try:
            names = sorted(n for n in os.listdir(self.directory) if n.endswith(".json"))
        except OSError:
            names = []
        for name in names:
            path = os.path.join(self.directory, name)
            if name == "names.json":
                continue
            try:
                out.append((path, CacheEntry.from_json(_read(path))))
            except (OSError, StateError, ValueError, KeyError, TypeError, AttributeError):
                out.append((path, None))
        return out

    def flush(self, key: dict[str, Any] | None = None) -> int:
        """Remove one entry (or all); returns how many files went."""
        paths = [self.path_for(key)] if key else [p for p, _ in self.entries()]
        removed = 0
        for path in paths:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
                removed += 1
        if key is None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(self.directory, "names.json"))
        return removed

    def write_names(self, names: list[str]) -> None:
        """Sensor names for TAB completion (read by cli/completion_values.py); rewritten only when they changed."""
        path = os.path.join(self.directory, "names.json")
        blob = json.dumps({"names": sorted(set(names))})
        try:
            if read_capped(path, "sensor name index", StateError) == blob.encode():
                return
        except (OSError, StateError):
            pass
        write_quietly(path, blob)
