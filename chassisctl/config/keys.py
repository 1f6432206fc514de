"""Keys declared as data: type, range, choices, default and documentation.

Both TOML formats chassisctl reads are declared with :class:`Key` tables:
the configuration file (:mod:`chassisctl.config.schema`) and platform
descriptions (:mod:`chassisctl.platform.schema`).  A validator walks a
parsed document against the tables, so loading, the error messages, the
manual page and TAB completion of key names all come from one declaration
and cannot drift apart.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from chassisctl.namedtuple import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Key(NamedTuple):
    """One key: its type, whether it must be present, and its allowed values.

    A NamedTuple, not a frozen dataclass: a platform description's check on
    every command that loads one reaches this module, and a dataclass costs
    the ``dataclasses`` import (~7 ms with ``inspect``) plus its build.

    Types: ``str``, ``int``, ``num``, ``bool``, ``table`` (``item``: its
    keys, or free-form without), ``tables`` (an array of tables, ``item``:
    the keys of each), ``list``, ``str_list``, ``int_list``, ``pair`` (two
    numbers), ``names`` (a string or an array of strings), ``addr`` (a
    7-bit I2C address, an integer or "0x.." text),
    ``strint`` (text, or a number taken as text), ``listen``
    ("ADDR:PORT"), ``abspath``, ``ip`` (an IPv4 or IPv6 address).
    """

    type: str
    required: bool = False
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] | None = None
    doc: str = ""
    #: Shown in hex in messages (addresses, registers, masks).
    hex: bool = False
    #: What an absent key means (documentation and ``config show``); None: nothing.
    default: Any = None
    #: Masked by ``config show``.
    secret: bool = False
    #: The keys of a ``table`` or of each table of ``tables``.
    item: Mapping[str, Key] | None = None
    #: The environment variable and the option that may override it (``config show``).
    env: str | None = None
    flag: str | None = None


def check_value(key: Key, value: Any) -> str | None:
    """None if ``value`` fits ``key``, else what is wrong with it (one phrase)."""
    t = key.type
    if t == "str":
        if not isinstance(value, str):
            return f"expected a string, not {_kind(value)}"
        if key.choices is not None and value not in key.choices:
            return f"{value!r} is not one of {', '.join(key.choices)}"
        return None
    if t == "bool":
        return None if isinstance(value, bool) else f"expected true or false, not {_kind(value)}"
    if t in ("int", "num"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (t == "int" and isinstance(value, float)):
            return f"expected {'an integer' if t == 'int' else 'a number'}, not {_kind(value)}"
        if not math.isfinite(value):
            return f"{value!r} is not a finite number"
        if key.lo is not None and value < key.lo or key.hi is not None and value > key.hi:
            show = _hex if key.hex else _show
            return f"{show(value)} is outside {show(key.lo)}..{show(key.hi)}"
        return None
    if t == "table":
        return None if isinstance(value, dict) else f"expected a table, not {_kind(value)}"
    if t == "tables":
        if isinstance(value, list) and all(isinstance(v, dict) for v in value):
            return None
        return "expected an array of tables ([[...]])"
    if t == "list":
        return None if isinstance(value, list) else f"expected an array, not {_kind(value)}"
    if t == "str_list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "expected an array of strings"
        bad = [v for v in value if key.choices is not None and v not in key.choices]
        return f"{bad[0]!r} is not one of {', '.join(key.choices or ())}" if bad else None
    if t == "pair":
        if (not isinstance(value, list) or len(value) != 2
                or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in value)):
            return "expected an array of two numbers"
        return None
    if t == "int_list":
        if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int) for v in value):
            return "expected an array of integers"
        if key.hi is not None and any(not (key.lo or 0) <= v <= key.hi for v in value):
            return f"every element must be {_show(key.lo or 0)}..{_show(key.hi)}"
        return None
    if t == "names":
        if isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            return None
        return "expected a string or an array of strings"
    if t == "addr":
        return _addr_problem(value)
    if t == "strint":
        if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value) == "":
            return "expected a non-empty string"
        return None
    if t == "listen":
        return _listen_problem(value)
    if t == "abspath":
        if not isinstance(value, str) or not value.startswith("/"):
            return "expected an absolute path"
        return None
    if t == "ip":
        try:
            import ipaddress  # only for an address key: ~1 ms a platform description does not need

            ipaddress.ip_address(value if isinstance(value, str) else "")
        except ValueError:
            return f"{value!r} is not an IPv4 or IPv6 address"
        return None
    raise AssertionError(t)


def interface_name(name: object) -> bool:
    """A possible Linux interface name: 1 to 15 bytes, no '/', no whitespace, not ``.`` or ``..``.

    The kernel's IFNAMSIZ is 16 bytes with the terminating NUL.  ``[lldp]
    ports`` and the DHCP relay's interface lists are checked with it before
    any socket opens.
    """
    return isinstance(name, str) and 0 < len(name.encode()) <= 15 and "/" not in name \
        and not any(c.isspace() for c in name) and name not in (".", "..")


def _addr_problem(value: Any) -> str | None:
    if isinstance(value, bool):
        return "expected a 7-bit I2C address, e.g. 0x10"
    if isinstance(value, str):
        if not value.isascii():
            return f"{value!r} is not an I2C address"
        try:
            value = int(value, 0)
        except ValueError:
            return f"{value!r} is not an I2C address (use 7-bit form, e.g. 0x10)"
    if not isinstance(value, int):
        return "expected a 7-bit I2C address, e.g. 0x10"
    if not 0x03 <= value <= 0x77:
        return f"{value:#04x} is outside the 7-bit range 0x03-0x77 (8-bit form? divide by two)"
    return None


def listen_parts(value: Any, key: str) -> tuple[str, int]:
    """("host", port) of an "ADDR:PORT" value; ConfigError naming ``key`` when it is not one."""
    problem = _listen_problem(value)
    if problem:
        from chassisctl.errors import ConfigError

        raise ConfigError(f"{key}: {problem}")
    host, _, port = value[1:].partition("]:") if value.startswith("[") else value.rpartition(":")
    return host, int(port)


def _listen_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return f'expected "ADDR:PORT", not {_kind(value)}'
    if value.startswith("["):
        host, sep, port = value[1:].partition("]:")
    else:
        host, sep, port = value.rpartition(":")
    try:
        import ipaddress

        ipaddress.ip_address(host)
        number = int(port)
    except ValueError:
        return f'expected "ADDR:PORT" (IPv6 as "[ADDR]:PORT"), not {value!r}'
    if not sep or not port.isascii() or not 0 <= number <= 65535:
        return f"port out of range in {value!r}"
    return None


def _kind(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "an array", dict: "a table"}.get(type(value), type(value).__name__)


def _hex(value: float | None) -> str:
    return "" if value is None else f"{int(value):#04x}"


def _show(value: float | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)
