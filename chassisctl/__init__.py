"""chassisctl: standard IPMI, LLDP and DHCP relay for chassis whose BMCs sit on I2C.

This module holds the version string and nothing else, so that importing any
submodule stays cheap (the console script must start fast for TAB completion).
"""

__version__ = "0.1.0"
