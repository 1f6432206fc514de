"""``chassisctl serve``: the long-running side, one asyncio process.

``app`` wires the services: the IPMI-over-LAN endpoint(s) bridged onto the
I2C BMC (``ipmi_lan`` + ``mirror``, with every bus transaction funnelled
through the single ``worker``), and whatever sibling services join later
(LLDP agent, DHCP relay).  Protocol decisions live in the sans-I/O packages
(``chassisctl.ipmi.lan``…); this package is the I/O edge.
"""
