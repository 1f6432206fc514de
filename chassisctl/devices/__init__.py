"""Sans-I/O codecs for the non-IPMI I2C devices a platform description names.

One module per device family (``lm75``, ``tmp421``, ``pmbus``, ``ina2xx``,
``emc2305``, ``pca954x``, ``at24``, ``cpld``).  Each owns its register map
(as data), its byte order and its raw <-> engineering conversions, and does no
I/O: the drivers in :mod:`chassisctl.platform.drivers` move the bytes and the
simulated devices in :mod:`chassisctl.sim.devices` produce them, so both agree
by construction.  Decoders raise only
:class:`chassisctl.devices.register_error.DeviceDecodeError`; encoders raise
``ValueError`` for values the caller should not have asked for.
"""
