"""SHA-256 digests and name-based (version 5) UUIDs without ``hashlib`` or ``uuid``.

A platform description is identified by the SHA-256 of its text (the key
of its caches) and gives each node a version-5 UUID; both happen on every
command that opens a platform.  ``import hashlib`` costs ~3 ms here
(it loads OpenSSL's ``_hashlib``) and ``import uuid`` ~3 ms more (it
imports ``platform`` and probes the C library), for what CPython's own
small SHA-1/SHA-256 modules (``_sha1``, ``_sha256``; ``_sha2`` from 3.12)
compute in microseconds with the same results.  hashlib is the fallback
where those are missing.  ``tests/test_digests.py`` holds every function
to hashlib and uuid.
"""

from __future__ import annotations

import sys

try:
    if sys.version_info >= (3, 12):
        from _sha2 import sha256 as _sha256
    else:
        from _sha256 import sha256 as _sha256  # type: ignore[import-not-found] # CPython's, no stub
    from _sha1 import sha1 as _sha1  # type: ignore[import-not-found] # CPython's, no stub
except ImportError:  # pragma: no cover - an interpreter without CPython's own hash modules
    from hashlib import sha1 as _sha1
    from hashlib import sha256 as _sha256

#: RFC 4122's namespace for URLs (``uuid.NAMESPACE_URL``), as bytes.
NAMESPACE_URL = bytes.fromhex("6ba7b8119dad11d180b400c04fd430c8")


def sha256_hex(data: bytes) -> str:
    """``hashlib.sha256(data).hexdigest()``."""
    return _sha256(data).hexdigest()


def uuid5(namespace: bytes, name: str) -> bytes:
    """``uuid.uuid5(UUID(bytes=namespace), name).bytes``: SHA-1 of namespace and
    name, cut to 16 bytes, version 5 and the RFC 4122 variant set."""
    digest = bytearray(_sha1(namespace + name.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    return bytes(digest)


def parse_uuid(text: str) -> bytes:
    """``uuid.UUID(text).bytes``: the same spellings accepted (braces, ``urn:uuid:``,
    with or without hyphens) and the same ValueError for anything else."""
    hex_text = text.replace("urn:", "").replace("uuid:", "")
    hex_text = hex_text.strip("{}").replace("-", "")
    if len(hex_text) != 32:
        raise ValueError("badly formed hexadecimal UUID string")
    return int(hex_text, 16).to_bytes(16, "big")
