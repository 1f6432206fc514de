"""The DHCPv4 socket's queue-full count comes from the namespace's UDP RcvbufErrors, not sk_drops."""

from __future__ import annotations

from pathlib import Path

from chassisctl.net.dhcpsock import udp4_rcvbuf_errors

SNMP = """Ip: Forwarding DefaultTTL
Ip: 2 64
Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
Udp: 2911333 5314 2443570 5391652 2443567 0 3 0 0
UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
UdpLite: 0 0 0 0 9 0 0 0 0
"""


def test_reads_udp_rcvbuf_errors_only(tmp_path: Path) -> None:
    path = tmp_path / "snmp"
    path.write_text(SNMP)
    assert udp4_rcvbuf_errors(str(path)) == 2443567


def test_unreadable_or_odd_files_count_nothing(tmp_path: Path) -> None:
    assert udp4_rcvbuf_errors(str(tmp_path / "absent")) == 0
    path = tmp_path / "snmp"
    path.write_text("Udp: InDatagrams\nUdp: 1\n")
    assert udp4_rcvbuf_errors(str(path)) == 0


def test_this_namespace_has_a_count() -> None:
    assert udp4_rcvbuf_errors() >= 0
