"""The network edge: raw link-layer sockets and interface discovery.

Protocol codecs never touch sockets; the services in :mod:`chassisctl.serve`
open them through here.  :mod:`~chassisctl.net.packet` holds AF_PACKET
sockets with a kernel BPF filter, :mod:`~chassisctl.net.links` reads
interfaces from sysfs (stdlib, cheap enough for TAB completion) and follows
netlink link and address events with pyroute2 (imported only by the service
that needs it).
"""
