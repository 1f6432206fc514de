"""The effective configuration: every key's value and where it came from.

``chassisctl config show`` answers "what is serve actually using, and
why?" the way ``git config --show-origin`` does: each declared key of
:mod:`chassisctl.config.schema` with its value and its origin (``default``,
``file``, ``env`` or ``flag``), secrets masked.  Arrays of tables
(``[[ipmi.users]]``, ``[[nodes]]``, ``[[dhcp_relay]]``) are listed per
entry.  Pure: the resolved settings and the parsed document come in.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Iterator, Mapping

from chassisctl.config.keys import Key

MASK = "********"


def effective(resolved: Any) -> list[dict[str, Any]]:
    """``[{"key", "value", "origin"}, ...]`` in schema order."""
    from chassisctl.config.schema import BMC, FILE

    settings, doc = resolved.bmc, resolved.document
    out: list[dict[str, Any]] = []
    for name, key in BMC.items():
        origin = settings.origins.get(name)
        kind = origin.kind if origin is not None else "default"
        value = getattr(settings, name)
        out.append(_row(f"bmc.{name}", key, value, {"config": "file"}.get(kind, kind),
                        str(origin.detail) if origin is not None and kind in ("env", "flag") else None))
    for section, spec in FILE.items():
        if section == "bmc":
            continue
        out.extend(_rows(section, spec, doc.get(section)))
    return out


def _rows(prefix: str, spec: Key, value: Any) -> Iterator[dict[str, Any]]:
    assert spec.item is not None
    if spec.type == "tables":
        for i, table in enumerate(value or []):
            yield from _table(f"{prefix}[{i}]", spec.item, table)
        return
    if value is None and prefix in ("metrics", "lldp"):
        yield {"key": prefix, "value": None, "origin": "default", "note": "off (no table)"}
        return
    yield from _table(prefix, spec.item, value or {})


def _table(prefix: str, keys: Mapping[str, Key], table: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    for name, key in keys.items():
        dotted = f"{prefix}.{name}"
        if key.type == "tables" and key.item is not None:
            for i, item in enumerate(table.get(name) or []):
                yield from _table(f"{dotted}[{i}]", key.item, item)
            continue
        if name in table:
            yield _row(dotted, key, table[name], "file")
        elif key.default is not None:
            yield _row(dotted, key, key.default, "default")


def text(row: Mapping[str, Any]) -> str:
    """A row's value for a person: hex where the schema says so, JSON for lists."""
    import json

    value = row["value"]
    if value is None:
        return row.get("note", "-")
    if isinstance(value, str):
        return value
    if row.get("hex") and isinstance(value, int):
        return f"{value:#04x}"
    return json.dumps(value)


def _row(dotted: str, key: Key, value: Any, origin: str, detail: str | None = None) -> dict[str, Any]:
    row = {"key": dotted, "value": MASK if key.secret and value not in (None, "") else value, "origin": origin}
    if detail:
        row["via"] = detail
    if key.hex:
        row["hex"] = True
    return row
