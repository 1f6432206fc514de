"""The LLDPDU: basic TLVs and the walk that validates a received one.

Wire format (IEEE 802.1AB-2016 §8.4-8.6): a sequence of TLVs, each with a
16-bit header (type in the top 7 bits, length in the low 9), beginning with
the three mandatory TLVs Chassis ID, Port ID and Time To Live in that order
and ending with End Of LLDPDU (type 0).

Receive validation follows §9.2.7.7: a frame whose mandatory TLVs are
missing, out of order, repeated or the wrong size, or whose TLV lengths run
past its end, is discarded as a whole (:class:`DecodeError` with a reason).
An optional TLV whose contents are wrong is discarded alone and listed in
:attr:`Lldpdu.discarded`; a TLV type or organization we do not know is kept
raw (:class:`UnknownTlv`, :class:`~chassisctl.lldp.org.UnknownOrgTlv`) and
counted as unrecognised, never dropped silently and never guessed at.  Bytes
after End are ignored (Ethernet padding); a missing End is accepted, since
scapy and several agents omit it.

The walk is a plain ``struct``-free loop over ``bytes``: it runs once per
received frame on every port, and must stay cheap at hundreds of ports.
Encoding is the inverse: ``decode_lldpdu(encode_lldpdu(x)) == x``.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

from chassisctl.lldp.discards import DecodeError, EncodeError
from chassisctl.lldp.org import ORG_RULES, UnknownOrgTlv, decode_org
from chassisctl.lldp.wire import DiscardedTlv, fast_init, printable, tlv, wire_bytes, wire_text  # noqa: F401 - re-exported for the decoders

END, CHASSIS_ID, PORT_ID, TTL, PORT_DESCRIPTION, SYSTEM_NAME, SYSTEM_DESCRIPTION, \
    CAPABILITIES, MANAGEMENT_ADDRESS = range(9)
ORG = 127


def mac_text(raw: bytes) -> str:
    return raw.hex(":")


def _address_text(family: int, raw: bytes) -> str | None:
    if family == 1 and len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw)
    if family == 2 and len(raw) == 16:
        return socket.inet_ntop(socket.AF_INET6, raw)
    if family == 6 and len(raw) == 6:
        return mac_text(raw)
    return None


def _id_text(subtype: int, raw: bytes, mac: int, net: int) -> str:
    """How an id reads: MACs in colon form, addresses in their usual form,
    names as text when they are printable, else hex."""
    if subtype == mac and len(raw) == 6:
        return mac_text(raw)
    if subtype == net and len(raw) > 1:
        text = _address_text(raw[0], raw[1:])
        if text is not None:
            return text
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.hex(":")
    return text if text.isprintable() else raw.hex(":")


# --- basic TLVs ---------------------------------------------------------------------------

@fast_init
@dataclass(frozen=True, slots=True)
class ChassisId:
    """Chassis ID (§8.5.2): ``subtype`` per :data:`~chassisctl.lldp.names.CHASSIS_SUBTYPES`."""

    subtype: int
    value: bytes

    @property
    def text(self) -> str:
        return _id_text(self.subtype, self.value, 4, 5)

    def encode(self) -> bytes:
        if not 1 <= len(self.value) <= 255:
            raise EncodeError(f"chassis id of {len(self.value)} bytes (1..255)")
        return tlv(CHASSIS_ID, bytes((self.subtype,)) + self.value)


@fast_init
@dataclass(frozen=True, slots=True)
class PortId:
    """Port ID (§8.5.3): ``subtype`` per :data:`~chassisctl.lldp.names.PORT_SUBTYPES`."""

    subtype: int
    value: bytes

    @property
    def text(self) -> str:
        return _id_text(self.subtype, self.value, 3, 4)

    def encode(self) -> bytes:
        if not 1 <= len(self.value) <= 255:
            raise EncodeError(f"port id of {len(self.value)} bytes (1..255)")
        return tlv(PORT_ID, bytes((self.subtype,)) + self.value)


@fast_init
@dataclass(frozen=True, slots=True)
class Ttl:
    """Time To Live (§8.5.4), seconds; 0 is the shutdown LLDPDU."""

    seconds: int

    def encode(self) -> bytes:
        return tlv(TTL, self.seconds.to_bytes(2, "big"))


@fast_init
@dataclass(frozen=True, slots=True)
class PortDescription:
    text: str

    def encode(self) -> bytes:
        return tlv(PORT_DESCRIPTION, wire_bytes(self.text))


@fast_init
@dataclass(frozen=True, slots=True)
class SystemName:
    text: str

    def encode(self) -> bytes:
        return tlv(SYSTEM_NAME, wire_bytes(self.text))


@fast_init
@dataclass(frozen=True, slots=True)
class SystemDescription:
    text: str

    def encode(self) -> bytes:
        return tlv(SYSTEM_DESCRIPTION, wire_bytes(self.text))


@fast_init
@dataclass(frozen=True, slots=True)
class Capabilities:
    """System Capabilities (§8.5.8): supported and enabled bit sets."""

    supported: int
    enabled: int

    def encode(self) -> bytes:
        return tlv(CAPABILITIES, self.supported.to_bytes(2, "big") + self.enabled.to_bytes(2, "big"))


@fast_init
@dataclass(frozen=True, slots=True)
class ManagementAddress:
    """Management Address (§8.5.9): an address, the interface it belongs to, an optional OID."""

    family: int       # IANA address family (1 IPv4, 2 IPv6, 6 MAC)
    address: bytes
    if_subtype: int   # 1 unknown, 2 ifIndex, 3 system port number
    if_number: int
    oid: bytes = b""

    @property
    def text(self) -> str:
        return _address_text(self.family, self.address) or self.address.hex(":")

    def encode(self) -> bytes:
        if not 1 <= len(self.address) <= 31 or len(self.oid) > 128:
            raise EncodeError("management address of 1..31 bytes and OID of 0..128 bytes")
        return tlv(MANAGEMENT_ADDRESS, bytes((len(self.address) + 1, self.family)) + self.address
                   + bytes((self.if_subtype,)) + self.if_number.to_bytes(4, "big")
                   + bytes((len(self.oid),)) + self.oid)


@fast_init
@dataclass(frozen=True, slots=True)
class UnknownTlv:
    """A reserved TLV type (9-126), kept as it came."""

    type: int
    value: bytes

    def encode(self) -> bytes:
        return tlv(self.type, self.value)


# Org-specific classes live in org.py; the union is spelled loosely on purpose.
Tlv = (ChassisId | PortId | Ttl | PortDescription | SystemName | SystemDescription | Capabilities
       | ManagementAddress | UnknownTlv | Any)


@fast_init
@dataclass(frozen=True, slots=True)
class Lldpdu:
    """A decoded LLDPDU: every TLV in wire order (End excluded), plus what was discarded.

    ``tlvs[0]``, ``tlvs[1]`` and ``tlvs[2]`` are always the Chassis ID,
    Port ID and TTL (the decoder guarantees it; the encoder requires it).
    """

    tlvs: tuple
    discarded: tuple[DiscardedTlv, ...] = ()

    @property
    def chassis_id(self) -> ChassisId:
        return self.tlvs[0]

    @property
    def port_id(self) -> PortId:
        return self.tlvs[1]

    @property
    def ttl(self) -> int:
        return self.tlvs[2].seconds

    @property
    def msap(self) -> tuple[int, bytes, int, bytes]:
        """The MSAP identifier (§6.5): chassis id and port id, subtypes included."""
        c, p = self.tlvs[0], self.tlvs[1]
        return (c.subtype, c.value, p.subtype, p.value)

    def first(self, cls: type) -> Any:
        for item in self.tlvs:
            if type(item) is cls:
                return item
        return None

    def all(self, cls: type) -> list[Any]:
        return [item for item in self.tlvs if type(item) is cls]

    @property
    def unrecognized(self) -> int:
        """TLVs kept raw because their type or organization is unknown (statsTLVsUnrecognizedTotal)."""
        return sum(1 for item in self.tlvs if type(item) in (UnknownTlv, UnknownOrgTlv))


def encode_lldpdu(pdu: Lldpdu) -> bytes:
    """The LLDPDU's bytes, End included."""
    head = pdu.tlvs[:3]
    if len(head) < 3 or (type(head[0]), type(head[1]), type(head[2])) != (ChassisId, PortId, Ttl):
        raise EncodeError("an LLDPDU starts with Chassis ID, Port ID and TTL")
    return b"".join(item.encode() for item in pdu.tlvs) + b"\x00\x00"


def shutdown_lldpdu(chassis: ChassisId, port: PortId) -> Lldpdu:
    """The shutdown LLDPDU (§9.2.7.7.1 / §9.1.2.1): the identities and TTL 0, nothing else."""
    return Lldpdu((chassis, port, Ttl(0)))


# --- decoding -----------------------------------------------------------------------------

_SINGLE = {PORT_DESCRIPTION: PortDescription, SYSTEM_NAME: SystemName, SYSTEM_DESCRIPTION: SystemDescription}


def _mgmt(v: bytes) -> ManagementAddress:
    n = v[0]
    if not 2 <= n <= 32:
        raise ValueError("address string length outside 2..32")
    family, address = v[1], v[2:1 + n]
    rest = v[1 + n:]
    if len(address) != n - 1 or len(rest) < 6:
        raise ValueError("shorter than its address length says")
    oid_len = rest[5]
    oid = rest[6:6 + oid_len]
    if len(oid) != oid_len or oid_len > 128 or len(rest) != 6 + oid_len:
        raise ValueError("OID length does not match the TLV")
    return ManagementAddress(family, address, rest[0], int.from_bytes(rest[1:5], "big"), oid)


def decode_lldpdu(data: bytes) -> Lldpdu:
    """Validate and decode one LLDPDU (the Ethernet payload); DecodeError discards the frame."""
    n = len(data)
    # Chassis ID, Port ID and TTL, first and in this order (§8.2), unrolled:
    # the three checks run for every frame received.
    if n < 2:
        raise DecodeError("truncated", f"LLDPDU of {n} bytes")
    b0 = data[0]
    e = 2 + (((b0 & 1) << 8) | data[1])
    if b0 >> 1 != CHASSIS_ID:
        raise DecodeError("missing-chassis-id", f"TLV 1 is type {b0 >> 1}, not Chassis ID")
    if e > n:
        raise DecodeError("tlv-overrun", f"Chassis ID claims {e - 2} bytes, {n - 2} remain")
    if not 4 <= e <= 258:
        raise DecodeError("bad-chassis-id", f"Chassis ID of {e - 2} bytes (2..256)")
    chassis = ChassisId(data[2], data[3:e])
    if e + 2 > n:
        raise DecodeError("missing-port-id", f"LLDPDU of {n} bytes ends after 1 TLV")
    b0 = data[e]
    s = e + 2
    e = s + (((b0 & 1) << 8) | data[e + 1])
    if b0 >> 1 != PORT_ID:
        raise DecodeError("missing-port-id", f"TLV 2 is type {b0 >> 1}, not Port ID")
    if e > n:
        raise DecodeError("tlv-overrun", f"Port ID claims {e - s} bytes, {n - s} remain")
    if not 2 <= e - s <= 256:
        raise DecodeError("bad-port-id", f"Port ID of {e - s} bytes (2..256)")
    port = PortId(data[s], data[s + 1:e])
    if e + 2 > n:
        raise DecodeError("missing-ttl", f"LLDPDU of {n} bytes ends after 2 TLVs")
    b0 = data[e]
    s = e + 2
    i = s + (((b0 & 1) << 8) | data[e + 1])
    if b0 >> 1 != TTL:
        raise DecodeError("missing-ttl", f"TLV 3 is type {b0 >> 1}, not Time To Live")
    if i > n:
        raise DecodeError("tlv-overrun", f"Time To Live claims {i - s} bytes, {n - s} remain")
    if i - s != 2:
        raise DecodeError("bad-ttl", f"Time To Live of {i - s} bytes (2)")
    head: list[Any] = [chassis, port, Ttl((data[s] << 8) | data[s + 1])]
    tlvs: list[Any] = head
    append = tlvs.append
    discarded: list[DiscardedTlv] = []
    seen = 0  # bit per basic TLV type already present
    rules = ORG_RULES
    while i < n:
        if i + 2 > n:
            raise DecodeError("truncated", f"one stray byte after the last TLV at byte {i}")
        b0 = data[i]
        t = b0 >> 1
        s = i + 2
        i = s + (((b0 & 1) << 8) | data[i + 1])
        if i > n:
            raise DecodeError("tlv-overrun", f"TLV type {t} at byte {s - 2} claims {i - s} bytes, "
                              f"{n - s} remain")
        if t == ORG:
            # The known organizations inline (one dict lookup, one call); the
            # rest, and every error, through decode_org.
            rule = rules.get(data[s:s + 4])
            if rule is not None and (rule[0] < 0 or rule[0] == i - s - 4):
                try:
                    append(rule[1](data, s + 4, i))
                    continue
                except (ValueError, IndexError):
                    pass
            item = decode_org(data, s, i)
            if type(item) is DiscardedTlv:
                discarded.append(item)
            else:
                append(item)
        elif 3 < t < CAPABILITIES:
            if seen & (1 << t):
                discarded.append(DiscardedTlv(t, data[s:i], "duplicate"))
            else:
                seen |= 1 << t
                append(_SINGLE[t](data[s:i].decode("utf-8", "surrogateescape")))
        elif t == END:
            break
        elif t == CAPABILITIES:
            if i - s != 4:
                discarded.append(DiscardedTlv(t, data[s:i], "bad-length"))
            elif seen & (1 << t):
                discarded.append(DiscardedTlv(t, data[s:i], "duplicate"))
            else:
                seen |= 1 << t
                append(Capabilities((data[s] << 8) | data[s + 1], (data[s + 2] << 8) | data[s + 3]))
        elif t == MANAGEMENT_ADDRESS:
            try:
                append(_mgmt(data[s:i]))
            except (ValueError, IndexError) as exc:
                discarded.append(DiscardedTlv(t, data[s:i], f"malformed: {exc}"))
        elif t <= TTL:
            raise DecodeError("duplicate-mandatory", f"a second TLV of mandatory type {t} at byte {s - 2}")
        else:
            append(UnknownTlv(t, data[s:i]))
    return Lldpdu(tuple(tlvs), tuple(discarded) if discarded else ())
