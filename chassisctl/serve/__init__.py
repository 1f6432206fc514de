"""The ``serve`` daemon's I/O edge: asyncio services around the sans-I/O cores.

Each module wires one protocol core to sockets (``ipmi_lan``: UDP 623 for
IPMI over LAN).  Nothing here is imported on the CLI's fast paths.
"""
