"""The embedded simulated chassis: a simulated I2C bus and what sits on it.

``SimulatedSMBus`` offers smbus2's method signatures over byte-level slave
models (an SSIF BMC, an IPMB responder, register devices), so production
transports run unchanged against it.  The BMC's physical model takes an
injected clock and persists its state between CLI invocations.
"""
