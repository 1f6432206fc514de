"""DHCP relay, sans-I/O: DHCPv4/BOOTP and DHCPv6 codecs and the relay's decisions.

Nothing here opens a socket, reads a clock or sleeps.  The decoders turn
bytes into values (raising only :class:`chassisctl.dhcp.malformed.DecodeError`),
the encoders turn values into bytes, and :mod:`relay4` / :mod:`relay6` decide
what to do with a received packet given the interface facts and the current
time the caller passes in.  Sockets and netlink live in
:mod:`chassisctl.net` and :mod:`chassisctl.serve.dhcp_relay`.
"""
