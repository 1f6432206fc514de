"""The control socket's wire format: one JSON line each way, versioned.

A client connects, writes one request line and reads one reply line; the
server then closes.  No framing beyond the newline is needed, and a stray
``socat`` or ``nc -U`` can speak it by hand::

    {"schema": 1, "query": "lldp.neighbors", "args": {"port": "port1"}}
    {"schema": 1, "ok": true, "result": {...}}
    {"schema": 1, "ok": false, "error": {"code": "unknown-query", "message": "..."}}

Sans-I/O: bytes in, values out, so both halves and the fuzz test share it.
"""

from __future__ import annotations

import json
from typing import Any

SCHEMA = 1
#: A request is a query name and a few arguments; anything larger is abuse.
MAX_REQUEST = 64 * 1024
#: Replies carry whole tables (hundreds of LLDP neighbours, sensors).
MAX_REPLY = 16 * 1024 * 1024


class ControlProtocolError(ValueError):
    """A line that is not a well-formed request or reply of this schema."""


def _load(line: bytes, limit: int) -> dict[str, Any]:
    if len(line) > limit:
        raise ControlProtocolError(f"message of {len(line)} bytes is over the {limit}-byte limit")
    try:
        doc = json.loads(line, parse_constant=_no_constant)  # no NaN or Infinity: they pass every range check
    except (ValueError, RecursionError) as exc:
        raise ControlProtocolError(f"not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ControlProtocolError("expected a JSON object")
    if doc.get("schema") != SCHEMA:
        raise ControlProtocolError(f"schema {doc.get('schema')!r} is not {SCHEMA}")
    return doc


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def encode_request(query: str, args: dict[str, Any] | None = None) -> bytes:
    return json.dumps({"schema": SCHEMA, "query": query, "args": args or {}}).encode() + b"\n"


def decode_request(line: bytes) -> tuple[str, dict[str, Any]]:
    doc = _load(line, MAX_REQUEST)
    query, args = doc.get("query"), doc.get("args", {})
    if not isinstance(query, str) or not query:
        raise ControlProtocolError("'query' must be a non-empty string")
    if not isinstance(args, dict):
        raise ControlProtocolError("'args' must be an object")
    return query, args


def encode_result(result: Any) -> bytes:
    return json.dumps({"schema": SCHEMA, "ok": True, "result": result},
                      separators=(",", ":"), allow_nan=False).encode() + b"\n"


def encode_error(code: str, message: str) -> bytes:
    return json.dumps({"schema": SCHEMA, "ok": False,
                       "error": {"code": code, "message": message}}).encode() + b"\n"


def decode_reply(line: bytes) -> tuple[bool, Any]:
    """(True, result) or (False, {"code", "message"})."""
    doc = _load(line, MAX_REPLY)
    if doc.get("ok") is True:
        return True, doc.get("result")
    error = doc.get("error")
    if doc.get("ok") is not False or not isinstance(error, dict):
        raise ControlProtocolError("reply has neither a result nor an error")
    return False, {"code": str(error.get("code", "error")), "message": str(error.get("message", ""))}
