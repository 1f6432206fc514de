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
from chassisctl.fileio import json_loads, read_capped, write_if_changed, write_quietly

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

SCHEMA = 1


#: The CRC-32 table (reflected polynomial 0xEDB88320), one entry per byte value; a
#: literal, so it loads as one constant instead of being computed per process.
_CRC_TABLE = (
    0x00000000, 0x77073096, 0xEE0E612C, 0x990951BA, 0x076DC419, 0x706AF48F, 0xE963A535, 0x9E6495A3,
    0x0EDB8832, 0x79DCB8A4, 0xE0D5E91E, 0x97D2D988, 0x09B64C2B, 0x7EB17CBD, 0xE7B82D07, 0x90BF1D91,
    0x1DB71064, 0x6AB020F2, 0xF3B97148, 0x84BE41DE, 0x1ADAD47D, 0x6DDDE4EB, 0xF4D4B551, 0x83D385C7,
    0x136C9856, 0x646BA8C0, 0xFD62F97A, 0x8A65C9EC, 0x14015C4F, 0x63066CD9, 0xFA0F3D63, 0x8D080DF5,
    0x3B6E20C8, 0x4C69105E, 0xD56041E4, 0xA2677172, 0x3C03E4D1, 0x4B04D447, 0xD20D85FD, 0xA50AB56B,
    0x35B5A8FA, 0x42B2986C, 0xDBBBC9D6, 0xACBCF940, 0x32D86CE3, 0x45DF5C75, 0xDCD60DCF, 0xABD13D59,
    0x26D930AC, 0x51DE003A, 0xC8D75180, 0xBFD06116, 0x21B4F4B5, 0x56B3C423, 0xCFBA9599, 0xB8BDA50F,
    0x2802B89E, 0x5F058808, 0xC60CD9B2, 0xB10BE924, 0x2F6F7C87, 0x58684C11, 0xC1611DAB, 0xB6662D3D,
    0x76DC4190, 0x01DB7106, 0x98D220BC, 0xEFD5102A, 0x71B18589, 0x06B6B51F, 0x9FBFE4A5, 0xE8B8D433,
    0x7807C9A2, 0x0F00F934, 0x9609A88E, 0xE10E9818, 0x7F6A0DBB, 0x086D3D2D, 0x91646C97, 0xE6635C01,
    0x6B6B51F4, 0x1C6C6162, 0x856530D8, 0xF262004E, 0x6C0695ED, 0x1B01A57B, 0x8208F4C1, 0xF50FC457,
    0x65B0D9C6, 0x12B7E950, 0x8BBEB8EA, 0xFCB9887C, 0x62DD1DDF, 0x15DA2D49, 0x8CD37CF3, 0xFBD44C65,
    0x4DB26158, 0x3AB551CE, 0xA3BC0074, 0xD4BB30E2, 0x4ADFA541, 0x3DD895D7, 0xA4D1C46D, 0xD3D6F4FB,
    0x4369E96A, 0x346ED9FC, 0xAD678846, 0xDA60B8D0, 0x44042D73, 0x33031DE5, 0xAA0A4C5F, 0xDD0D7CC9,
    0x5005713C, 0x270241AA, 0xBE0B1010, 0xC90C2086, 0x5768B525, 0x206F85B3, 0xB966D409, 0xCE61E49F,
    0x5EDEF90E, 0x29D9C998, 0xB0D09822, 0xC7D7A8B4, 0x59B33D17, 0x2EB40D81, 0xB7BD5C3B, 0xC0BA6CAD,
    0xEDB88320, 0x9ABFB3B6, 0x03B6E20C, 0x74B1D29A, 0xEAD54739, 0x9DD277AF, 0x04DB2615, 0x73DC1683,
    0xE3630B12, 0x94643B84, 0x0D6D6A3E, 0x7A6A5AA8, 0xE40ECF0B, 0x9309FF9D, 0x0A00AE27, 0x7D079EB1,
    0xF00F9344, 0x8708A3D2, 0x1E01F268, 0x6906C2FE, 0xF762575D, 0x806567CB, 0x196C3671, 0x6E6B06E7,
    0xFED41B76, 0x89D32BE0, 0x10DA7A5A, 0x67DD4ACC, 0xF9B9DF6F, 0x8EBEEFF9, 0x17B7BE43, 0x60B08ED5,
    0xD6D6A3E8, 0xA1D1937E, 0x38D8C2C4, 0x4FDFF252, 0xD1BB67F1, 0xA6BC5767, 0x3FB506DD, 0x48B2364B,
    0xD80D2BDA, 0xAF0A1B4C, 0x36034AF6, 0x41047A60, 0xDF60EFC3, 0xA867DF55, 0x316E8EEF, 0x4669BE79,
    0xCB61B38C, 0xBC66831A, 0x256FD2A0, 0x5268E236, 0xCC0C7795, 0xBB0B4703, 0x220216B9, 0x5505262F,
    0xC5BA3BBE, 0xB2BD0B28, 0x2BB45A92, 0x5CB36A04, 0xC2D7FFA7, 0xB5D0CF31, 0x2CD99E8B, 0x5BDEAE1D,
    0x9B64C2B0, 0xEC63F226, 0x756AA39C, 0x026D930A, 0x9C0906A9, 0xEB0E363F, 0x72076785, 0x05005713,
    0x95BF4A82, 0xE2B87A14, 0x7BB12BAE, 0x0CB61B38, 0x92D28E9B, 0xE5D5BE0D, 0x7CDCEFB7, 0x0BDBDF21,
    0x86D3D2D4, 0xF1D4E242, 0x68DDB3F8, 0x1FDA836E, 0x81BE16CD, 0xF6B9265B, 0x6FB077E1, 0x18B74777,
    0x88085AE6, 0xFF0F6A70, 0x66063BCA, 0x11010B5C, 0x8F659EFF, 0xF862AE69, 0x616BFFD3, 0x166CCF45,
    0xA00AE278, 0xD70DD2EE, 0x4E048354, 0x3903B3C2, 0xA7672661, 0xD06016F7, 0x4969474D, 0x3E6E77DB,
    0xAED16A4A, 0xD9D65ADC, 0x40DF0B66, 0x37D83BF0, 0xA9BCAE53, 0xDEBB9EC5, 0x47B2CF7F, 0x30B5FFE9,
    0xBDBDF21C, 0xCABAC28A, 0x53B39330, 0x24B4A3A6, 0xBAD03605, 0xCDD70693, 0x54DE5729, 0x23D967BF,
    0xB3667A2E, 0xC4614AB8, 0x5D681B02, 0x2A6F2B94, 0xB40BBE37, 0xC30C8EA1, 0x5A05DF1B, 0x2D02EF8D,
)


_KEEP = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.")


def _safe(text: str) -> str:
    """``re.sub(r"[^A-Za-z0-9.]+", "-", text)``: each run of other characters becomes one dash
    (without compiling a pattern in every command)."""
    out: list[str] = []
    in_run = False
    for c in text:
        if c in _KEEP:
            out.append(c)
            in_run = False
        elif not in_run:
            out.append("-")
            in_run = True
    return "".join(out)


def crc32(data: bytes) -> int:
    """``zlib.crc32(data)`` (CRC-32/ISO-HDLC) from a table: a key is ~100 bytes, and zlib
    is a shared library (~0.3 ms to load) that nothing else on a warm ``sensors`` needs."""
    crc = 0xFFFFFFFF
    table = _CRC_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


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
        text = json.dumps(key, sort_keys=True)
        readable = _safe(f"{key.get('target')}-{key.get('node')}").strip("-")[:80]
        return os.path.join(self.directory, f"{readable}-{crc32(text.encode()):08x}.json")

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
            if name == "names.json":  # the name index before it became names.txt
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
            for name in ("names.txt", "names.json"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(self.directory, name))
        return removed

    def write_names(self, names: list[str]) -> None:
        """Sensor names for TAB completion (read by cli/completion_values.py); rewritten only when they changed."""
        from chassisctl.name_index import dumps

        write_if_changed(os.path.join(self.directory, "names.txt"), dumps(names))
