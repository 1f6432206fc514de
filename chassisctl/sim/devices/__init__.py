"""Register-accurate byte-level models of the non-IPMI chassis devices.

Each model implements :class:`chassisctl.sim.i2c.I2cSlave` and sees only wire
events (start, bytes, stop), so the drivers in
:mod:`chassisctl.platform.drivers` are exercised through the same bytes a real
part would exchange: pointer latches, MSB- or LSB-first words, PEC, NAKs
while absent or busy, latched faults.  Engineering values are set by the test
or the simulator's physical model and encoded with the codecs in
:mod:`chassisctl.devices`.

A device kind of a platform description names its twin here; the hooks
that let a twin stand in for a declared device (build, place, apply a
simulator key, snapshot) are those of :class:`chassisctl.sim.devices._twin.Twin`.
"""
