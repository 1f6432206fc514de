"""Device drivers: the I/O edge between an smbus2-like bus and the codecs.

Each driver takes a bus object with smbus2's methods (``smbus2.SMBus`` or
:class:`chassisctl.sim.bus.SimulatedSMBus`) and a 7-bit address, moves the
bytes (never with ``force=True``), decodes them with
:mod:`chassisctl.devices`, and turns ``OSError`` errnos into the errors of
:mod:`chassisctl.i2c_errors` (the table every bus edge shares).
"""
