"""Option 82, Relay Agent Information (RFC 3046), its sub-options and the ID formats.

The option's value is a list of ``code, length, value`` sub-options: 1 Agent
Circuit ID and 2 Agent Remote ID (RFC 3046 §3), 5 Link Selection (RFC 3527),
6 Subscriber ID (RFC 3993), 11 Server Identifier Override (RFC 5107).

Operators describe the circuit and remote IDs with a small format language
(the values switches already send): ``ifname``, ``hostname:ifname``,
``hostname``, ``vlan`` (the VLAN ID in decimal), ``mac`` (the interface's MAC,
``aa:bb:cc:dd:ee:ff``), ``hex:0A0B…`` (raw bytes) or ``string:TEXT``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from chassisctl.dhcp.malformed import DecodeError, TruncatedError


class SubOpt(enum.IntEnum):
    CIRCUIT_ID = 1
    REMOTE_ID = 2
    LINK_SELECTION = 5
    SUBSCRIBER_ID = 6
    SERVER_ID_OVERRIDE = 11


def decode(value: bytes) -> tuple[tuple[int, bytes], ...]:
    """Sub-option instances of an option 82 value."""
    out: list[tuple[int, bytes]] = []
    i, end = 0, len(value)
    while i < end:
        if i + 1 >= end:
            raise TruncatedError(f"option 82 sub-option {value[i]} has no length byte")
        code, n = value[i], value[i + 1]
        if i + 2 + n > end:
            raise TruncatedError(f"option 82 sub-option {code} runs past the option")
        out.append((code, bytes(value[i + 2:i + 2 + n])))
        i += 2 + n
    return tuple(out)


def encode(subs: tuple[tuple[int, bytes], ...] | list[tuple[int, bytes]]) -> bytes:
    out = bytearray()
    for code, value in subs:
        if len(value) > 255:
            raise ValueError(f"sub-option {code} longer than 255 bytes")
        out += bytes((code, len(value))) + value
    return bytes(out)


def find(subs: tuple[tuple[int, bytes], ...], code: int) -> bytes | None:
    for c, v in subs:
        if c == code:
            return v
    return None


def address(subs: tuple[tuple[int, bytes], ...], code: int) -> bytes | None:
    """A 4-byte address sub-option (5, 11); a wrong length is a DecodeError."""
    value = find(subs, code)
    if value is not None and len(value) != 4:
        raise DecodeError(f"option 82 sub-option {code} must hold a 4-byte address")
    return value


FORMAT_WORDS = ("ifname", "hostname:ifname", "hostname", "vlan", "mac")
FORMAT_PREFIXES = ("hex:", "string:")


@dataclass(frozen=True, slots=True)
class IdFormat:
    """How a circuit or remote ID is built for one interface."""

    kind: str
    literal: bytes = b""

    def render(self, ifname: str, hostname: str, vlan: int | None, mac: bytes) -> bytes | None:
        """The ID's bytes, or None when the interface lacks the fact (no VLAN)."""
        if self.kind == "ifname":
            return ifname.encode()
        if self.kind == "hostname:ifname":
            return f"{hostname}:{ifname}".encode()
        if self.kind == "hostname":
            return hostname.encode()
        if self.kind == "vlan":
            return None if vlan is None else str(vlan).encode()
        if self.kind == "mac":
            return ":".join(f"{b:02x}" for b in mac).encode()
        return self.literal

    def __str__(self) -> str:
        if self.kind == "hex":
            return "hex:" + self.literal.hex()
        if self.kind == "string":
            return "string:" + self.literal.decode("utf-8", "replace")
        return self.kind


def parse_format(text: str) -> IdFormat:
    """An :class:`IdFormat` from its text; ValueError names what is accepted."""
    if text in FORMAT_WORDS:
        return IdFormat(text)
    if text.startswith("hex:"):
        digits = text[4:].replace(":", "").replace("-", "")
        try:
            literal = bytes.fromhex(digits)
        except ValueError:
            raise ValueError(f"{text!r}: hex: needs an even number of hex digits") from None
    elif text.startswith("string:"):
        literal = text[7:].encode()
    else:
        raise ValueError(f"{text!r} is not a format: use one of {', '.join(FORMAT_WORDS)}, "
                         "hex:HEXDIGITS or string:TEXT")
    if not 0 < len(literal) <= 255:
        raise ValueError(f"{text!r}: the ID must be 1 to 255 bytes")
    return IdFormat(text.split(":", 1)[0], literal)
