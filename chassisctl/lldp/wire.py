"""The TLV header and the helpers both halves of the codec share.

A TLV is a 16-bit header (type: top 7 bits, length: low 9 bits, so at most
511 bytes of value) and its value (IEEE 802.1AB-2016 §8.4).  Text fields
are kept with ``surrogateescape`` so that bytes which are not UTF-8 survive
a decode/encode round trip; :func:`printable` makes them safe for output.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from typing import TYPE_CHECKING, Any, TypeVar

from chassisctl.lldp.discards import EncodeError

if TYPE_CHECKING:
    from typing import ClassVar, Protocol

    class DataclassInstance(Protocol):
        """What ``dataclasses.fields`` accepts: any class ``@dataclass`` made (typeshed's own name)."""

        __dataclass_fields__: ClassVar[dict[str, Any]]

D = TypeVar("D", bound="type[DataclassInstance]")


def fast_init(cls: D) -> D:
    """Give a frozen slotted dataclass an ``__init__`` that fills its slots directly.

    The generated ``__init__`` of a frozen dataclass looks up and calls
    ``object.__setattr__`` once per field; the decoder builds a dozen such
    objects per received frame, on every port, and that lookup was a third
    of the decode time.  The class stays frozen (assignment still raises),
    equal, hashable and printable exactly as before; only construction is
    quicker.  Apply it above ``@dataclass(frozen=True, slots=True)``.
    """
    env: dict[str, Any] = {}
    params = []
    for f in fields(cls):
        env[f"_set_{f.name}"] = getattr(cls, f.name).__set__
        if f.default is not MISSING:
            env[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
        else:
            params.append(f.name)
    body = "".join(f"    _set_{f.name}(self, {f.name})\n" for f in fields(cls))
    exec(f"def __init__(self, {', '.join(params)}):\n{body}", env)
    init = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    type.__setattr__(cls, "__init__", init)  # replaces the generated __init__ on the class itself
    return cls


def tlv(kind: int, value: bytes) -> bytes:
    """One TLV on the wire: header plus value."""
    n = len(value)
    if n > 511:
        raise EncodeError(f"TLV type {kind}: {n} bytes is over the 511-byte limit")
    return bytes(((kind << 1) | (n >> 8), n & 0xFF)) + value


def wire_text(raw: bytes) -> str:
    """Bytes from the wire as text; undecodable bytes survive a round trip."""
    return raw.decode("utf-8", "surrogateescape")


def wire_bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def printable(text: str) -> str:
    """``text`` safe to print or put in JSON (undecodable bytes become U+FFFD)."""
    return wire_bytes(text).decode("utf-8", "replace")



@fast_init
@dataclass(frozen=True, slots=True)
class DiscardedTlv:
    """An optional TLV whose contents were wrong (§9.2.7.7.2): dropped, but not silently."""

    type: int
    value: bytes
    reason: str
