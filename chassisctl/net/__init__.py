"""The network I/O edge: packet and UDP sockets, kernel ancillary data, interface facts.

Everything here talks to the kernel; the protocol logic it feeds lives in
the sans-I/O packages (:mod:`chassisctl.dhcp`, :mod:`chassisctl.lldp`).
pyroute2 is imported only by :mod:`chassisctl.net.ifaddrs` (when a relay
starts) and :mod:`chassisctl.net.links` (when the LLDP agent starts);
:mod:`chassisctl.net.packet` holds the LLDP agent's BPF-filtered AF_PACKET
sockets, :mod:`chassisctl.net.readyset` reads many such sockets in one
pass, :mod:`chassisctl.net.pktring` is the DHCP relay's client-side packet
socket read through a memory-mapped ring, and ``links`` reads interfaces from sysfs, cheap enough for TAB
completion.
"""
