"""The Ethernet frame around an LLDPDU (IEEE 802.1AB-2016 §7.1-7.3).

LLDP frames carry ethertype 0x88CC and go to one of three reserved group
addresses; agents (and lldpd) use the nearest-bridge address
01-80-C2-00-00-0E by default, which 802.1D bridges never forward.  The
source is the sending port's MAC.  A frame that arrives inside an 802.1Q
(or 802.1ad) tag is unwrapped and its VLAN id reported, since some switches
and captures deliver it that way.
"""

from __future__ import annotations

from dataclasses import dataclass

from chassisctl.lldp.discards import DecodeError
from chassisctl.lldp.wire import fast_init

ETHERTYPE = 0x88CC
NEAREST_BRIDGE = bytes.fromhex("0180c200000e")
NEAREST_NON_TPMR_BRIDGE = bytes.fromhex("0180c2000003")
NEAREST_CUSTOMER_BRIDGE = bytes.fromhex("0180c2000000")
GROUP_ADDRESSES = (NEAREST_BRIDGE, NEAREST_NON_TPMR_BRIDGE, NEAREST_CUSTOMER_BRIDGE)
_TAGS = (0x8100, 0x88A8)


@fast_init
@dataclass(frozen=True, slots=True)
class Frame:
    dst: bytes
    src: bytes
    vlan: int | None
    payload: bytes


def split_frame(frame: bytes) -> Frame:
    """Ethernet header off; DecodeError ``not-lldp`` for any other protocol."""
    if frame[12:14] == b"\x88\xcc":  # untagged LLDP: nearly every frame
        return Frame(frame[:6], frame[6:12], None, frame[14:])
    if len(frame) < 14:
        raise DecodeError("truncated", f"Ethernet frame of {len(frame)} bytes")
    kind = (frame[12] << 8) | frame[13]
    offset, vlan = 14, None
    while kind in _TAGS:
        if len(frame) < offset + 4:
            raise DecodeError("truncated", "802.1Q tag runs past the end of the frame")
        vlan = ((frame[offset] << 8) | frame[offset + 1]) & 0xFFF
        kind = (frame[offset + 2] << 8) | frame[offset + 3]
        offset += 4
    if kind != ETHERTYPE:
        raise DecodeError("not-lldp", f"ethertype/length 0x{kind:04x} is not LLDP")
    return Frame(frame[:6], frame[6:12], vlan, frame[offset:])


def build_frame(src: bytes, lldpdu: bytes, dst: bytes = NEAREST_BRIDGE) -> bytes:
    """An untagged LLDP frame; the NIC pads it to the 60-byte minimum."""
    return dst + src + b"\x88\xcc" + lldpdu
