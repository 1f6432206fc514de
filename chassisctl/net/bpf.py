"""Classic BPF programs that keep DHCP the only traffic copied to the relay.

A packet socket without a filter copies every IPv4 frame of the interface
to user space; under load that alone would sink a Python relay.  These
programs run in the kernel (``SO_ATTACH_FILTER``, ``filter(2)`` classic BPF)
and accept only what the relay wants:

* :func:`udp4_to_port` for a packet socket: IPv4, not a fragment, UDP to the
  given port, not a frame the host itself sent (``PACKET_OUTGOING``) nor one
  for another host's MAC, not a VLAN-tagged frame (that one belongs to the
  VLAN sub-interface);
* :func:`bootreply` for a UDP socket (where offset 0 is the UDP header):
  only BOOTREPLY, so client broadcasts, which the packet sockets already
  hear, are not read a second time.
"""

from __future__ import annotations

import ctypes
import socket
import struct

SO_ATTACH_FILTER = 26
SKF_AD_OFF = -0x1000
SKF_AD_PKTTYPE = 4
SKF_AD_VLAN_TAG_PRESENT = 48
PACKET_OTHERHOST = 3
PACKET_OUTGOING = 4

LD_W_ABS, LD_H_ABS, LD_B_ABS, LD_H_IND = 0x20, 0x28, 0x30, 0x48
LDX_B_MSH = 0xB1
JEQ_K, JSET_K = 0x15, 0x45
RET_K = 0x06

Insn = tuple[int, int, int, int]


def _ancillary(offset: int) -> int:
    return (SKF_AD_OFF + offset) & 0xFFFFFFFF


def _assemble(program: list[tuple[int, int | str, int | str, int]]) -> list[Insn]:
    """Resolve jump targets given as the names "accept"/"drop" (the last two instructions)."""
    last = len(program) - 1
    labels = {"accept": last - 1, "drop": last}
    out: list[Insn] = []
    for i, (code, jt, jf, k) in enumerate(program):
        jt_off = labels[jt] - i - 1 if isinstance(jt, str) else jt
        jf_off = labels[jf] - i - 1 if isinstance(jf, str) else jf
        out.append((code, jt_off, jf_off, k))
    return out


def udp4_to_port(port: int) -> list[Insn]:
    return _assemble([
        (LD_W_ABS, 0, 0, _ancillary(SKF_AD_PKTTYPE)),
        (JEQ_K, "drop", 0, PACKET_OUTGOING),
        (JEQ_K, "drop", 0, PACKET_OTHERHOST),
        (LD_W_ABS, 0, 0, _ancillary(SKF_AD_VLAN_TAG_PRESENT)),
        (JEQ_K, "drop", 0, 1),
        (LD_H_ABS, 0, 0, 12),                  # ethertype
        (JEQ_K, 0, "drop", 0x0800),
        (LD_B_ABS, 0, 0, 23),                  # IP protocol
        (JEQ_K, 0, "drop", 17),
        (LD_H_ABS, 0, 0, 20),                  # flags + fragment offset
        (JSET_K, "drop", 0, 0x1FFF),
        (LDX_B_MSH, 0, 0, 14),                 # X = IP header length
        (LD_H_IND, 0, 0, 14 + 2),              # UDP destination port
        (JEQ_K, "accept", "drop", port),
        (RET_K, 0, 0, 0x40000),
        (RET_K, 0, 0, 0),
    ])


def bootreply() -> list[Insn]:
    return _assemble([(LD_B_ABS, 0, 0, 8), (JEQ_K, "accept", "drop", 2), (RET_K, 0, 0, 0x40000),
                      (RET_K, 0, 0, 0)])


def attach(sock: socket.socket, program: list[Insn]) -> None:
    """Attach a classic BPF program to ``sock`` (struct sock_fprog)."""
    code = b"".join(struct.pack("=HBBI", *insn) for insn in program)
    buffer = ctypes.create_string_buffer(code)
    fprog = struct.pack("@HP", len(program), ctypes.addressof(buffer))  # native: padding before the pointer
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
