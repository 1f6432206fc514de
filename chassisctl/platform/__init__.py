"""Platform descriptions: non-IPMI I2C devices presented as a synthetic BMC.

``drivers`` holds the per-device-family I/O layer; the description loader and
the translation onto IPMI sensors, SDRs, FRU and chassis control build on it.
"""
