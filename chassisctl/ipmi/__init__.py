"""Sans-I/O IPMI codecs: bytes in, typed objects out, and back.

Nothing in this package opens a socket or a bus, sleeps or reads a clock, so
every decoder can be fuzzed and every state machine driven by a fake clock.
Decoders raise :class:`DecodeError` and nothing else on bad input.
"""

from chassisctl.ipmi.decode_errors import DecodeError

__all__ = ["DecodeError"]
