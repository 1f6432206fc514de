"""The network I/O edge: packet and UDP sockets, kernel ancillary data, interface facts.

Everything here talks to the kernel; the protocol logic it feeds lives in
the sans-I/O packages (:mod:`chassisctl.dhcp`).  pyroute2 is imported only
by :mod:`chassisctl.net.ifaddrs`, and only when a relay starts.
"""
